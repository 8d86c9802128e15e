"""Session-state edits on a plain dict: what a user does in the designer, without Streamlit."""

import pytest

from builder import DataError, DesignError, template

from builder import session
from builder.session import runs
from builder.design.spec import to_url
from builder.design.templates import TEMPLATE_NAMES


@pytest.fixture
def ss() -> dict:
    state: dict = {}
    session.ensure(state)
    return state


def trunk_ids(ss) -> list[str]:
    return [layer.id for layer in session.current(ss).trunk]


def test_a_fresh_session_holds_the_scratch_design(ss):
    design = session.current(ss)
    assert design.trunk == [] and [h.name for h in design.heads] == ["output1"]
    assert session.status_line(ss) == "valid"
    assert not session.can_undo(ss) and not session.can_redo(ss)


def test_build_a_two_head_model_from_scratch(ss):
    dense = session.add_layer(ss, session.TRUNK, "Dense")
    session.set_param(ss, session.TRUNK, dense, "units", 64)
    head = session.add_head(ss, branch_from=dense)
    session.set_head_field(ss, head, "loss", "mae")
    design = session.current(ss)
    assert dense == "dense_1" and head == "output2"
    assert design.trunk[0].units == 64
    assert [(h.name, h.branch_from, h.loss) for h in design.heads] == [
        ("output1", None, "mse"), ("output2", "dense_1", "mae")]
    assert session.report(ss).total_params == 10 * 64 + 64 + 2 * (64 + 1)


def test_insert_at_any_position_and_ids_stay_unique(ss):
    session.add_layer(ss, session.TRUNK, "Dense")
    session.add_layer(ss, session.TRUNK, "Dense")
    session.add_layer(ss, session.TRUNK, "Dropout", 1)
    session.add_layer(ss, session.TRUNK, "BatchNormalization", 0)
    assert trunk_ids(ss) == ["batch_normalization_1", "dense_1", "dropout_1", "dense_2"]


def test_move_duplicate_delete(ss):
    for _ in range(3):
        session.add_layer(ss, session.TRUNK, "Dense")
    assert session.move_layer(ss, session.TRUNK, "dense_3", -1) == 1
    assert trunk_ids(ss) == ["dense_1", "dense_3", "dense_2"]
    session.move_layer(ss, session.TRUNK, "dense_1", -1)        # already first: stays
    assert trunk_ids(ss)[0] == "dense_1"
    twin = session.duplicate_layer(ss, session.TRUNK, "dense_3")
    assert trunk_ids(ss) == ["dense_1", "dense_3", twin, "dense_2"] and twin == "dense_4"
    session.delete_layer(ss, session.TRUNK, "dense_3")
    assert trunk_ids(ss) == ["dense_1", "dense_4", "dense_2"]


def test_move_to_an_index_is_one_undo_step_and_heads_keep_their_branch(ss):
    for _ in range(4):
        session.add_layer(ss, session.TRUNK, "Dense")
    head = session.add_head(ss, branch_from="dense_2")
    steps = len(ss[session.HISTORY].undo)
    assert session.move_layer_to(ss, session.TRUNK, "dense_4", 0) == 0
    assert trunk_ids(ss) == ["dense_4", "dense_1", "dense_2", "dense_3"]
    assert session.move_layer_to(ss, session.TRUNK, "dense_1", 99) == 3          # past the end: last
    assert trunk_ids(ss) == ["dense_4", "dense_2", "dense_3", "dense_1"]
    assert session.current(ss).head(head).branch_from == "dense_2"
    assert len(ss[session.HISTORY].undo) == steps + 2
    session.undo(ss)
    assert trunk_ids(ss) == ["dense_4", "dense_1", "dense_2", "dense_3"]


def test_deleting_a_branch_point_moves_the_head_to_the_layer_before(ss):
    session.add_layer(ss, session.TRUNK, "Dense")
    session.add_layer(ss, session.TRUNK, "Dense")
    head = session.add_head(ss, branch_from="dense_2")
    session.delete_layer(ss, session.TRUNK, "dense_2")
    assert session.current(ss).head(head).branch_from == "dense_1"
    assert session.report(ss).ok


def test_head_layers_use_the_same_edits(ss):
    session.add_layer(ss, "output1", "Dense", units=8)
    session.add_layer(ss, "output1", "Dropout")
    session.move_layer(ss, "output1", "dropout_1", -1)
    head = session.current(ss).head("output1")
    assert [layer.id for layer in head.layers] == ["dropout_1", "dense_1"]
    assert head.layers[1].units == 8


def test_rename_remove_and_refused_names(ss):
    session.add_layer(ss, session.TRUNK, "Dense")
    session.add_head(ss)
    session.rename_head(ss, "output2", "price")
    assert [h.name for h in session.current(ss).heads] == ["output1", "price"]
    for taken in ("output1", "dense_1", "input"):
        with pytest.raises(DesignError, match="already used"):
            session.rename_head(ss, "price", taken)
    with pytest.raises(DesignError, match="letters, digits"):
        session.rename_head(ss, "price", "2 bad")
    session.remove_head(ss, "price")
    assert [h.name for h in session.current(ss).heads] == ["output1"]


def test_a_bad_value_is_refused_and_changes_nothing(ss):
    dense = session.add_layer(ss, session.TRUNK, "Dense")
    before = session.current(ss)
    with pytest.raises(DesignError, match="at least 1"):
        session.set_param(ss, session.TRUNK, dense, "units", 0)
    with pytest.raises(DesignError, match="no setting"):
        session.set_param(ss, session.TRUNK, dense, "filters", 3)
    with pytest.raises(DesignError, match="must be one of"):
        session.set_head_field(ss, "output1", "loss", "hinge")
    assert session.current(ss) is before


def test_undo_redo_more_than_fifty_steps(ss):
    start = session.current(ss)
    for units in range(1, 61):
        session.add_layer(ss, session.TRUNK, "Dense", units=units)
    assert len(trunk_ids(ss)) == 60
    for _ in range(60):
        assert session.undo(ss)
    assert session.current(ss) is start and not session.undo(ss)
    for _ in range(60):
        assert session.redo(ss)
    assert len(trunk_ids(ss)) == 60 and not session.redo(ss)
    session.undo(ss)
    session.add_head(ss)                  # a new edit forgets the redo branch
    assert not session.can_redo(ss)


def test_an_unchanged_value_is_not_an_undo_step(ss):
    dense = session.add_layer(ss, session.TRUNK, "Dense")
    steps = len(ss[session.HISTORY].undo)
    session.set_param(ss, session.TRUNK, dense, "units", 32)     # the default, echoed by a widget
    assert len(ss[session.HISTORY].undo) == steps


def test_selection_follows_edits(ss):
    dense = session.add_layer(ss, session.TRUNK, "Dense")
    assert session.selected_layer(ss)[1].id == dense
    session.undo(ss)
    assert session.selected_layer(ss) is None


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_start_from_each_template_is_undoable(ss, name):
    session.add_layer(ss, session.TRUNK, "Dense")
    edited = session.current(ss)
    session.start_from(ss, name)
    assert session.current(ss) == template(name)
    session.undo(ss)
    assert session.current(ss) is edited


def test_start_from_scratch_and_unknown(ss):
    session.start_from(ss, "seed-image-class-reg")
    session.start_from(ss, session.SCRATCH)
    assert session.current(ss) == session.scratch_design()
    with pytest.raises(DesignError, match="unknown starting point"):
        session.start_from(ss, "nonsense")
    with pytest.raises(DataError, match="Data page"):
        session.start_from(ss, session.SUGGESTION)


@pytest.mark.parametrize("raw", [
    b"not json", b"[1, 2]", b'{"input": {"shape": [10]}, "heads": [{"name": "a", "loss": "bogus"}]}',
    b'{"input": {"shape": [4]}, "trunk": [{"type": "Conv2D", "id": "c"}], "heads": [{"name": "a"}]}',
    b"[" * 100_000, b'{"input": {"shape": [10]}, "heads": [{"name": "a"}], "__class__": "os.system"}',
])
def test_a_bad_upload_leaves_the_design_untouched(ss, raw):
    before = session.current(ss)
    with pytest.raises(DesignError) as caught:
        session.load_json(ss, raw)
    assert caught.value.problems
    assert session.current(ss) is before


def test_a_good_upload_replaces_the_design(ss):
    session.load_json(ss, template("seed-sequence-two-heads").to_json())
    assert session.current(ss).name == "sequence_two_heads"
    assert session.can_undo(ss)


def test_the_url_round_trip_restores_the_design_exactly(ss):
    session.start_from(ss, "seed-image-class-reg")
    session.add_layer(ss, "output_reg", "Dropout", 0)
    link = session.url_text(ss)
    fresh: dict = {}
    assert session.restore_from_url(fresh, link) == []
    assert session.current(fresh) == session.current(ss)
    assert session.restore_from_url(fresh, link) == []          # once per session


def test_a_damaged_link_is_reported_and_ignored(ss):
    before = session.current(ss)
    problems = session.restore_from_url(ss, to_url(before)[:-12] + "AAAA")
    assert problems and problems[0].severity == "error"
    assert session.current(ss) is before


def test_our_own_link_does_not_reset_history(ss):
    session.add_layer(ss, session.TRUNK, "Dense")
    link = session.url_text(ss)
    assert session.restore_from_url(ss, link) == []
    assert session.can_undo(ss)


def test_sidebar_lines(ss):
    assert "Data page" in session.dataset_line(ss)
    assert runs.training_line(ss) is None
    live = runs.LiveRun(["output1"], epochs=10)
    live.add({"type": "progress", "epoch": 2, "epochs": 10, "step": 3, "steps": 9, "logs": {"loss": 1.0}})
    ss[runs.LIVE[runs.RUN]] = live
    assert runs.training_line(ss) == "epoch 2/10 · step 3/9"
    session.add_layer(ss, session.TRUNK, "Conv2D")
    assert session.status_line(ss) == "1 error"


# ------------------------------------------------------------ data roles

@pytest.fixture
def penguins():
    from builder.data import load_builtin
    return load_builtin("penguins")


def test_roles_start_from_the_dataset_and_apply_builds_heads(ss, penguins):
    session.set_dataset(ss, penguins)
    assert set(session.targets(ss)) == set(penguins.targets)
    session.set_role(ss, "sex", "ignore")
    session.set_kind(ss, "body_mass_g", "regression")
    design = session.apply_roles(ss)
    assert {h.target for h in design.heads} == set(penguins.targets) - {"sex"}
    assert all(c.name not in session.targets(ss) for c in design.input.columns)
    assert session.report(ss).ok


def test_apply_keeps_a_trunk_the_user_built(ss, penguins):
    session.set_dataset(ss, penguins)
    session.apply_roles(ss)
    session.add_layer(ss, session.TRUNK, "Dropout", 1)
    trunk = session.current(ss).trunk
    session.set_role(ss, "species", "ignore")
    design = session.apply_roles(ss)
    assert design.trunk == trunk
    assert "species" not in {h.target for h in design.heads}


def test_apply_replaces_a_trunk_that_cannot_read_columns(ss, penguins):
    session.start_from(ss, "seed-image-class-reg")
    session.set_dataset(ss, penguins)
    design = session.apply_roles(ss)
    assert all(layer.type == "Dense" for layer in design.trunk) and session.report(ss).ok


def test_bad_roles_are_refused(ss, penguins):
    session.set_dataset(ss, penguins)
    with pytest.raises(DataError):
        session.set_role(ss, "species", "boss")
    with pytest.raises(DataError):
        session.set_kind(ss, "species", "ordinal")
    for column in session.targets(ss):
        session.set_role(ss, column, "input")
    before = session.current(ss)
    with pytest.raises(DataError, match="target"):
        session.apply_roles(ss)
    assert session.current(ss) is before


def test_a_new_session_starts_on_penguins_with_its_suggestion_and_nothing_to_undo():
    s = {}
    session.start_session(s)
    assert s["dataset"].name == "penguins"
    assert {h.target for h in s["design"].heads} == {"species", "sex", "body_mass_g"}
    assert not session.can_undo(s)


def test_a_session_that_has_a_design_keeps_it():
    s = {}
    session.ensure(s)
    before = s["design"]
    session.start_session(s)
    assert s["design"] is before and "dataset" not in s
