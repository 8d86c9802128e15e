"""Session-state edits on a plain dict: what a user does in the designer, without Streamlit."""

import pytest

from builder import DataError, DesignError, template

from builder.session import design as state
from builder.design.spec import to_url
from builder.design.templates import TEMPLATE_NAMES


@pytest.fixture
def ss() -> dict:
    session: dict = {}
    state.ensure(session)
    return session


def trunk_ids(ss) -> list[str]:
    return [layer.id for layer in state.current(ss).trunk]


def test_a_fresh_session_holds_the_scratch_design(ss):
    design = state.current(ss)
    assert design.trunk == [] and [h.name for h in design.heads] == ["output1"]
    assert state.status_line(ss) == "valid"
    assert not state.can_undo(ss) and not state.can_redo(ss)


def test_build_a_two_head_model_from_scratch(ss):
    dense = state.add_layer(ss, state.TRUNK, "Dense")
    state.set_param(ss, state.TRUNK, dense, "units", 64)
    head = state.add_head(ss, branch_from=dense)
    state.set_head_field(ss, head, "loss", "mae")
    design = state.current(ss)
    assert dense == "dense_1" and head == "output2"
    assert design.trunk[0].units == 64
    assert [(h.name, h.branch_from, h.loss) for h in design.heads] == [
        ("output1", None, "mse"), ("output2", "dense_1", "mae")]
    assert state.report(ss).total_params == 10 * 64 + 64 + 2 * (64 + 1)


def test_insert_at_any_position_and_ids_stay_unique(ss):
    state.add_layer(ss, state.TRUNK, "Dense")
    state.add_layer(ss, state.TRUNK, "Dense")
    state.add_layer(ss, state.TRUNK, "Dropout", 1)
    state.add_layer(ss, state.TRUNK, "BatchNormalization", 0)
    assert trunk_ids(ss) == ["batch_normalization_1", "dense_1", "dropout_1", "dense_2"]


def test_move_duplicate_delete(ss):
    for _ in range(3):
        state.add_layer(ss, state.TRUNK, "Dense")
    assert state.move_layer(ss, state.TRUNK, "dense_3", -1) == 1
    assert trunk_ids(ss) == ["dense_1", "dense_3", "dense_2"]
    state.move_layer(ss, state.TRUNK, "dense_1", -1)        # already first: stays
    assert trunk_ids(ss)[0] == "dense_1"
    twin = state.duplicate_layer(ss, state.TRUNK, "dense_3")
    assert trunk_ids(ss) == ["dense_1", "dense_3", twin, "dense_2"] and twin == "dense_4"
    state.delete_layer(ss, state.TRUNK, "dense_3")
    assert trunk_ids(ss) == ["dense_1", "dense_4", "dense_2"]


def test_move_to_an_index_is_one_undo_step_and_heads_keep_their_branch(ss):
    for _ in range(4):
        state.add_layer(ss, state.TRUNK, "Dense")
    head = state.add_head(ss, branch_from="dense_2")
    steps = len(ss[state.HISTORY].undo)
    assert state.move_layer_to(ss, state.TRUNK, "dense_4", 0) == 0
    assert trunk_ids(ss) == ["dense_4", "dense_1", "dense_2", "dense_3"]
    assert state.move_layer_to(ss, state.TRUNK, "dense_1", 99) == 3          # past the end: last
    assert trunk_ids(ss) == ["dense_4", "dense_2", "dense_3", "dense_1"]
    assert state.current(ss).head(head).branch_from == "dense_2"
    assert len(ss[state.HISTORY].undo) == steps + 2
    state.undo(ss)
    assert trunk_ids(ss) == ["dense_4", "dense_1", "dense_2", "dense_3"]


def test_deleting_a_branch_point_moves_the_head_to_the_layer_before(ss):
    state.add_layer(ss, state.TRUNK, "Dense")
    state.add_layer(ss, state.TRUNK, "Dense")
    head = state.add_head(ss, branch_from="dense_2")
    state.delete_layer(ss, state.TRUNK, "dense_2")
    assert state.current(ss).head(head).branch_from == "dense_1"
    assert state.report(ss).ok


def test_head_layers_use_the_same_edits(ss):
    state.add_layer(ss, "output1", "Dense", units=8)
    state.add_layer(ss, "output1", "Dropout")
    state.move_layer(ss, "output1", "dropout_1", -1)
    head = state.current(ss).head("output1")
    assert [layer.id for layer in head.layers] == ["dropout_1", "dense_1"]
    assert head.layers[1].units == 8


def test_rename_remove_and_refused_names(ss):
    state.add_layer(ss, state.TRUNK, "Dense")
    state.add_head(ss)
    state.rename_head(ss, "output2", "price")
    assert [h.name for h in state.current(ss).heads] == ["output1", "price"]
    for taken in ("output1", "dense_1", "input"):
        with pytest.raises(DesignError, match="already used"):
            state.rename_head(ss, "price", taken)
    with pytest.raises(DesignError, match="letters, digits"):
        state.rename_head(ss, "price", "2 bad")
    state.remove_head(ss, "price")
    assert [h.name for h in state.current(ss).heads] == ["output1"]


def test_a_bad_value_is_refused_and_changes_nothing(ss):
    dense = state.add_layer(ss, state.TRUNK, "Dense")
    before = state.current(ss)
    with pytest.raises(DesignError, match="at least 1"):
        state.set_param(ss, state.TRUNK, dense, "units", 0)
    with pytest.raises(DesignError, match="no setting"):
        state.set_param(ss, state.TRUNK, dense, "filters", 3)
    with pytest.raises(DesignError, match="must be one of"):
        state.set_head_field(ss, "output1", "loss", "hinge")
    assert state.current(ss) is before


def test_undo_redo_more_than_fifty_steps(ss):
    start = state.current(ss)
    for units in range(1, 61):
        state.add_layer(ss, state.TRUNK, "Dense", units=units)
    assert len(trunk_ids(ss)) == 60
    for _ in range(60):
        assert state.undo(ss)
    assert state.current(ss) is start and not state.undo(ss)
    for _ in range(60):
        assert state.redo(ss)
    assert len(trunk_ids(ss)) == 60 and not state.redo(ss)
    state.undo(ss)
    state.add_head(ss)                  # a new edit forgets the redo branch
    assert not state.can_redo(ss)


def test_an_unchanged_value_is_not_an_undo_step(ss):
    dense = state.add_layer(ss, state.TRUNK, "Dense")
    steps = len(ss[state.HISTORY].undo)
    state.set_param(ss, state.TRUNK, dense, "units", 32)     # the default, echoed by a widget
    assert len(ss[state.HISTORY].undo) == steps


def test_selection_follows_edits(ss):
    dense = state.add_layer(ss, state.TRUNK, "Dense")
    assert state.selected_layer(ss)[1].id == dense
    state.undo(ss)
    assert state.selected_layer(ss) is None


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_start_from_each_template_is_undoable(ss, name):
    state.add_layer(ss, state.TRUNK, "Dense")
    edited = state.current(ss)
    state.start_from(ss, name)
    assert state.current(ss) == template(name)
    state.undo(ss)
    assert state.current(ss) is edited


def test_start_from_scratch_and_unknown(ss):
    state.start_from(ss, "seed-image-class-reg")
    state.start_from(ss, state.SCRATCH)
    assert state.current(ss) == state.scratch_design()
    with pytest.raises(DesignError, match="unknown starting point"):
        state.start_from(ss, "nonsense")
    with pytest.raises(DataError, match="Data page"):
        state.start_from(ss, state.SUGGESTION)


@pytest.mark.parametrize("raw", [
    b"not json", b"[1, 2]", b'{"input": {"shape": [10]}, "heads": [{"name": "a", "loss": "bogus"}]}',
    b'{"input": {"shape": [4]}, "trunk": [{"type": "Conv2D", "id": "c"}], "heads": [{"name": "a"}]}',
    b"[" * 100_000, b'{"input": {"shape": [10]}, "heads": [{"name": "a"}], "__class__": "os.system"}',
])
def test_a_bad_upload_leaves_the_design_untouched(ss, raw):
    before = state.current(ss)
    with pytest.raises(DesignError) as caught:
        state.load_json(ss, raw)
    assert caught.value.problems
    assert state.current(ss) is before


def test_a_good_upload_replaces_the_design(ss):
    state.load_json(ss, template("seed-sequence-two-heads").to_json())
    assert state.current(ss).name == "sequence_two_heads"
    assert state.can_undo(ss)


def test_the_url_round_trip_restores_the_design_exactly(ss):
    state.start_from(ss, "seed-image-class-reg")
    state.add_layer(ss, "output_reg", "Dropout", 0)
    link = state.url_text(ss)
    fresh: dict = {}
    assert state.restore_from_url(fresh, link) == []
    assert state.current(fresh) == state.current(ss)
    assert state.restore_from_url(fresh, link) == []          # once per session


def test_a_damaged_link_is_reported_and_ignored(ss):
    before = state.current(ss)
    problems = state.restore_from_url(ss, to_url(before)[:-12] + "AAAA")
    assert problems and problems[0].severity == "error"
    assert state.current(ss) is before


def test_our_own_link_does_not_reset_history(ss):
    state.add_layer(ss, state.TRUNK, "Dense")
    link = state.url_text(ss)
    assert state.restore_from_url(ss, link) == []
    assert state.can_undo(ss)


def test_sidebar_lines(ss):
    assert "Data page" in state.dataset_line(ss)
    assert state.training_line(ss) is None
    ss["run"] = type("Run", (), {"status_text": lambda self: "epoch 2/10"})()
    assert state.training_line(ss) == "epoch 2/10"
    state.add_layer(ss, state.TRUNK, "Conv2D")
    assert state.status_line(ss) == "1 error"


# ------------------------------------------------------------ data roles

@pytest.fixture
def penguins():
    from builder.data import load_builtin
    return load_builtin("penguins")


def test_roles_start_from_the_dataset_and_apply_builds_heads(ss, penguins):
    state.set_dataset(ss, penguins)
    assert set(state.targets(ss)) == set(penguins.targets)
    state.set_role(ss, "sex", "ignore")
    state.set_kind(ss, "body_mass_g", "regression")
    design = state.apply_roles(ss)
    assert {h.target for h in design.heads} == set(penguins.targets) - {"sex"}
    assert all(c.name not in state.targets(ss) for c in design.input.columns)
    assert state.report(ss).ok


def test_apply_keeps_a_trunk_the_user_built(ss, penguins):
    state.set_dataset(ss, penguins)
    state.apply_roles(ss)
    state.add_layer(ss, state.TRUNK, "Dropout", 1)
    trunk = state.current(ss).trunk
    state.set_role(ss, "species", "ignore")
    design = state.apply_roles(ss)
    assert design.trunk == trunk
    assert "species" not in {h.target for h in design.heads}


def test_apply_replaces_a_trunk_that_cannot_read_columns(ss, penguins):
    state.start_from(ss, "seed-image-class-reg")
    state.set_dataset(ss, penguins)
    design = state.apply_roles(ss)
    assert all(layer.type == "Dense" for layer in design.trunk) and state.report(ss).ok


def test_bad_roles_are_refused(ss, penguins):
    state.set_dataset(ss, penguins)
    with pytest.raises(DataError):
        state.set_role(ss, "species", "boss")
    with pytest.raises(DataError):
        state.set_kind(ss, "species", "ordinal")
    for column in state.targets(ss):
        state.set_role(ss, column, "input")
    before = state.current(ss)
    with pytest.raises(DataError, match="target"):
        state.apply_roles(ss)
    assert state.current(ss) is before


def test_a_new_session_starts_on_penguins_with_its_suggestion_and_nothing_to_undo():
    s = {}
    state.start_session(s)
    assert s["dataset"].name == "penguins"
    assert {h.target for h in s["design"].heads} == {"species", "sex", "body_mass_g"}
    assert not state.can_undo(s)


def test_a_session_that_has_a_design_keeps_it():
    s = {}
    state.ensure(s)
    before = s["design"]
    state.start_session(s)
    assert s["design"] is before and "dataset" not in s
