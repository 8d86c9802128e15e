"""The Design page through its widgets (AppTest): what a student clicks, and what the spec then says."""

import json
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


def canvas(at) -> dict:
    """The data the page handed to the canvas component: boxes, edges, "+" slots, selection."""
    return json.loads(at.get("bidi_component")[0].proto.json)


def boxes(at) -> list[str]:
    return [b["key"] for b in canvas(at)["boxes"]]


def act(at, **action) -> None:
    """What the canvas sends when the user acts on it: its ``action`` state, with a fresh nonce."""
    nonce = at.session_state["_nonce"] + 1 if "_nonce" in at.session_state else 1
    at.session_state["_nonce"] = nonce
    at.session_state["canvas"] = {"action": {**action, "nonce": nonce}}
    at.run()


def test_build_a_two_head_model_from_scratch_then_undo(at):
    assert boxes(at) == ["input", "output1/@out"]
    act(at, op="insert", chain="trunk", index=0, type="Dense")
    assert boxes(at) == ["input", "trunk/dense_1", "output1/@out"]
    assert canvas(at)["selected"] == "trunk/dense_1"            # the new layer is in the inspector
    at.number_input(key="layer.dense_1.units").set_value(64).run()
    act(at, op="branch", node="trunk/dense_1")
    at.selectbox(key="head.output2.loss").set_value("mae").run()
    assert not at.exception and not at.error
    d = design(at)
    assert [(layer.type, layer.units) for layer in d.trunk] == [("Dense", 64)]
    assert [(h.name, h.branch_from, h.loss) for h in d.heads] == [
        ("output1", None, "mse"), ("output2", "dense_1", "mae")]
    assert summary_rows(at) == ["input", "dense_1", "output1", "output2"]
    assert metric(at, "Total parameters") == f"{10 * 64 + 64 + 2 * 65:,}"
    assert metric(at, "Design") == "valid"
    assert ["trunk/dense_1", "output2/@out"] in canvas(at)["edges"]
    card = next(b for b in canvas(at)["boxes"] if b["key"] == "trunk/dense_1")
    assert card["type"] == "Dense" and "units=64, activation=relu" in card["lines"] and card["params"] == 704

    at.button(key="undo").click().run()
    assert design(at).head("output2").loss == "mse"
    assert at.selectbox(key="head.output2.loss").value == "mse"       # widgets follow the undo
    act(at, op="redo")                                                 # the canvas's own Ctrl+Shift+Z
    assert at.selectbox(key="head.output2.loss").value == "mae"


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_load_each_template(at, name):
    at.selectbox(key="start.source").set_value(name).run()
    at.button(key="start.go").click().run()
    assert not at.exception
    assert design(at) == template(name)
    assert metric(at, "Total parameters") == f"{session.report({'design': template(name)}).total_params:,}"
    assert len(summary_rows(at)) == 1 + sum(1 for _ in template(name).all_layers()) + len(template(name).heads)
    assert len(boxes(at)) == len(summary_rows(at))


def test_every_canvas_action_has_an_inspector_button(at):
    at.button(key="insert.go").click().run()                            # nothing selected: add to the trunk
    act(at, op="select", node="input")
    at.selectbox(key="insert.type").set_value("BatchNormalization").run()
    at.button(key="insert.go").click().run()                            # the input's: at the start
    assert [layer.id for layer in design(at).trunk] == ["batch_normalization_1", "dense_1"]
    act(at, op="select", node="trunk/dense_1")
    at.button(key="up.dense_1").click().run()
    at.button(key="dup.dense_1").click().run()
    assert [layer.id for layer in design(at).trunk] == ["dense_1", "dense_2", "batch_normalization_1"]
    at.button(key="del.dense_2").click().run()                          # the copy was selected
    assert canvas(at)["selected"] == "trunk/dense_1"                    # now the layer above it is
    at.selectbox(key="layer.dense_1.activation").set_value("tanh").run()
    at.toggle(key="layer.dense_1.use_bias").set_value(False).run()
    at.button(key="branch.dense_1").click().run()
    at.selectbox(key="head.output2.branch").set_value("batch_normalization_1").run()
    at.selectbox(key="insert.type").set_value("Dropout").run()
    at.button(key="insert.go").click().run()                            # into the head, before its output
    assert not at.exception and not at.error
    d = design(at)
    assert d.trunk[0].activation == "tanh" and d.trunk[0].use_bias is False
    assert (d.heads[1].branch_from, [x.id for x in d.heads[1].layers]) == ("batch_normalization_1", ["dropout_1"])
    act(at, op="select", node="output2/@out")
    at.button(key="head.output2.remove").click().run()
    assert [h.name for h in design(at).heads] == ["output1"]


def test_an_impossible_insert_is_refused_with_the_reason(at):
    steps = len(at.session_state["history"].undo)
    act(at, op="insert", chain="trunk", index=0, type="Conv2D")
    assert not at.exception
    assert any("trunk step 1 (Conv2D)" in e.value and "cannot go here" in e.value for e in at.error)
    assert design(at).trunk == [] and len(at.session_state["history"].undo) == steps
    assert "Conv2D" in canvas(at)["refused"]["(10,)"]                 # the palette greys it out too


def test_a_shape_error_is_shown_with_its_location(at):
    at.selectbox(key="start.source").set_value("seed-image-class-reg").run()
    at.button(key="start.go").click().run()
    act(at, op="select", node="input")
    at.text_input(key="input.shape").input("10").run()
    assert not at.exception
    assert metric(at, "Design") != "valid"
    assert any("trunk step 1 (Conv2D)" in e.value for e in at.error)
    assert "Conv2D" in next(b for b in canvas(at)["boxes"] if b["key"] == "trunk/conv1")["problem"]


def test_a_refused_edit_shows_a_message_not_a_traceback(at):
    at.button(key="head.add").click().run()
    act(at, op="select", node="output2/@out")
    at.text_input(key="head.output2.name").input("output1").run()
    assert not at.exception
    assert any("already used" in e.value for e in at.error)
    assert [h.name for h in design(at).heads] == ["output1", "output2"]
    act(at, op="select", node="input")
    at.text_input(key="input.shape").input("32, abc").run()
    assert any("whole numbers" in e.value for e in at.error)
    assert design(at).input.shape == [10]
    act(at, op="delete", node="input")
    assert any("input cannot be deleted" in e.value for e in at.error)


def test_rename_head_and_input_shape(at):
    act(at, op="select", node="output1/@out")
    at.text_input(key="head.output1.name").input("price").run()
    assert canvas(at)["selected"] == "price/@out"                       # the renamed head stays selected
    act(at, op="select", node="input")
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
    act(at, op="insert", chain="trunk", index=0, type="Dense")
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
