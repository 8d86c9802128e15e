"""The Design page through its widgets (AppTest): what a student clicks, and what the spec then says."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import template

from builder import session
from builder.design.templates import TEMPLATE_NAMES

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def at() -> AppTest:
    """The Design page after the student chose to start from scratch (a first visit opens on penguins)."""
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.switch_page("pages/design.py").run()
    app.selectbox(key="start.source").set_value("scratch").run()
    app.button(key="start.go").click().run()
    assert not app.exception and app.session_state["design"].name == "my_model"
    return app


def design(at):
    return at.session_state["design"]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def summary_rows(at) -> list[str]:
    return list(at.dataframe[0].value["layer"])


def diagram(at) -> str:
    """The DOT text the page handed to st.graphviz_chart."""
    return at.get("graphviz_chart")[0].proto.spec


def diagram_nodes(at) -> int:
    return sum(1 for line in diagram(at).splitlines() if line.strip().startswith("n") and "label=" in line)


def test_build_a_two_head_model_from_scratch_then_undo(at):
    assert diagram_nodes(at) == 2                      # input and the one output
    at.button(key="add.Dense").click().run()
    assert diagram_nodes(at) == 3 and "dense_1" in diagram(at)
    at.number_input(key="layer.dense_1.units").set_value(64).run()
    at.button(key="head.add").click().run()
    at.selectbox(key="head.output2.branch").set_value("dense_1").run()
    at.selectbox(key="head.output2.loss").set_value("mae").run()
    assert not at.exception and not at.error
    d = design(at)
    assert [(layer.type, layer.units) for layer in d.trunk] == [("Dense", 64)]
    assert [(h.name, h.branch_from, h.loss) for h in d.heads] == [
        ("output1", None, "mse"), ("output2", "dense_1", "mae")]
    assert summary_rows(at) == ["input", "dense_1", "output1", "output2"]
    assert metric(at, "Total parameters") == f"{10 * 64 + 64 + 2 * 65:,}"
    assert metric(at, "Design") == "valid"
    assert diagram_nodes(at) == 4 and "fork: 2 branches" in diagram(at)

    at.button(key="undo").click().run()
    assert design(at).head("output2").loss == "mse"
    assert at.selectbox(key="head.output2.loss").value == "mse"       # widgets follow the undo
    at.button(key="redo").click().run()
    assert at.selectbox(key="head.output2.loss").value == "mae"


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_load_each_template(at, name):
    at.selectbox(key="start.source").set_value(name).run()
    at.button(key="start.go").click().run()
    assert not at.exception
    assert design(at) == template(name)
    assert metric(at, "Total parameters") == f"{session.report({'design': template(name)}).total_params:,}"
    assert len(summary_rows(at)) == 1 + sum(1 for _ in template(name).all_layers()) + len(template(name).heads)


def test_palette_position_head_target_and_layer_editor(at):
    at.button(key="add.Dense").click().run()
    at.selectbox(key="palette.where").set_value("output1").run()
    at.button(key="add.Dropout").click().run()
    assert [layer.id for layer in design(at).head("output1").layers] == ["dropout_1"]
    at.selectbox(key="palette.where").set_value(session.TRUNK).run()
    at.selectbox(key="palette.at").set_value(0).run()
    at.button(key="add.BatchNormalization").click().run()
    assert [layer.id for layer in design(at).trunk] == ["batch_normalization_1", "dense_1"]
    at.button(key="pick.trunk.dense_1").click().run()
    at.button(key="up.dense_1").click().run()
    at.button(key="dup.dense_1").click().run()
    assert [layer.id for layer in design(at).trunk] == ["dense_1", "dense_2", "batch_normalization_1"]
    at.button(key="del.dense_2").click().run()              # the copy was selected; now nothing is
    at.button(key="pick.trunk.dense_1").click().run()
    at.selectbox(key="layer.dense_1.activation").set_value("tanh").run()
    at.toggle(key="layer.dense_1.use_bias").set_value(False).run()
    assert not at.exception
    assert design(at).trunk[0].activation == "tanh" and design(at).trunk[0].use_bias is False


def test_a_shape_error_is_shown_with_its_location(at):
    at.button(key="add.Conv2D").click().run()
    assert not at.exception
    assert metric(at, "Design") == "1 error"
    assert any("trunk step 1 (Conv2D)" in e.value for e in at.error)


def test_a_refused_edit_shows_a_message_not_a_traceback(at):
    at.button(key="head.add").click().run()
    at.text_input(key="head.output2.name").input("output1").run()
    assert not at.exception
    assert any("already used" in e.value for e in at.error)
    assert [h.name for h in design(at).heads] == ["output1", "output2"]
    at.text_input(key="input.shape").input("32, abc").run()
    assert any("whole numbers" in e.value for e in at.error)
    assert design(at).input.shape == [10]


def test_rename_head_and_input_shape(at):
    at.text_input(key="head.output1.name").input("price").run()
    at.text_input(key="input.shape").input("28, 28, 1").run()
    assert not at.exception
    assert [h.name for h in design(at).heads] == ["price"] and design(at).input.shape == [28, 28, 1]


def test_upload_a_design_json(at):
    good = template("seed-sequence-two-heads").to_json().encode()
    at.file_uploader(key="design.upload").set_value(("model.json", good, "application/json")).run()
    assert not at.exception and design(at) == template("seed-sequence-two-heads")


def test_a_hostile_upload_leaves_the_design_untouched(at):
    before = design(at)
    hostile = b'{"input": {"shape": [10]}, "trunk": [{"type": "Lambda", "id": "x", "function": "os.system"}]}'
    at.file_uploader(key="design.upload").set_value(("evil.json", hostile, "application/json")).run()
    assert not at.exception
    assert any("Lambda" in e.value for e in at.error)
    assert design(at) == before


def test_the_url_carries_the_design_and_restores_it(at):
    at.button(key="add.Dense").click().run()
    link = at.query_params["d"]
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["d"] = link
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["design"] == design(at)


def test_a_damaged_url_shows_a_message(at):
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["d"] = "not-a-design"
    fresh.run()
    assert not fresh.exception and fresh.error
    assert fresh.session_state["design"] == session.scratch_design()


def test_a_link_with_repeated_ids_still_renders(at):
    from builder.design.spec import parse_design, to_url
    twice = parse_design({"input": {"shape": [10]}, "heads": [{"name": "y"}, {"name": "y"}],
                          "trunk": [{"type": "Dense", "id": "a"}, {"type": "Dense", "id": "a"}]})
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params["d"] = to_url(twice)
    fresh.run()
    fresh.switch_page("pages/design.py").run()
    assert not fresh.exception
    assert any("already used" in e.value for e in fresh.error)
