"""The Data page through its widgets (AppTest): built-ins, a CSV upload, roles, and applying them."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import template

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CSV = b"height,weight,colour,score\n1.5,60,red,3\n1.7,70,blue,4\n1.8,80,red,5\n1.6,65,green,3\n1.9,90,blue,6\n"


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30).run()     # Data is the default page
    assert not app.exception
    return app


def load(at, name: str) -> AppTest:
    at.selectbox(key="data.builtin").set_value(name).run()
    return at.button(key="data.load").click().run()


def test_penguins_profile_roles_and_apply(at):
    load(at, "penguins")
    assert not at.exception and not at.error
    assert at.session_state["dataset"].name == "penguins"
    assert at.selectbox(key="role.species").value == "target"
    assert at.selectbox(key="role.island").value == "input"
    assert any("categorical" in c.value or "numeric" in c.value for c in at.caption)   # the kind and its reason
    at.selectbox(key="role.sex").set_value("ignore").run()
    at.selectbox(key="kind.body_mass_g").set_value("regression").run()
    at.button(key="data.apply").click().run()
    assert not at.exception and not at.error
    design = at.session_state["design"]
    assert [(h.target, h.kind) for h in design.heads] == [("species", "multiclass"), ("body_mass_g", "regression")]
    assert "sex" not in [c.name for c in design.input.columns]
    assert any("penguins (344 rows)" in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("name", ["seed-multi-regression", "seed-image-class-reg", "seed-sequence-two-heads"])
def test_synthetic_datasets_use_their_template(at, name):
    load(at, name)
    at.button(key="data.apply").click().run()
    assert not at.exception
    assert at.session_state["design"] == template(name)


def test_upload_a_csv_through_the_file_uploader(at):
    at.file_uploader(key="data.upload").set_value(("people.csv", CSV, "text/csv")).run()
    assert not at.exception and not at.error
    assert at.session_state["dataset"].columns == ["height", "weight", "colour", "score"]
    at.selectbox(key="role.score").set_value("target").run()
    at.button(key="data.apply").click().run()
    design = at.session_state["design"]
    assert [h.target for h in design.heads] == ["score"]
    assert [c.name for c in design.input.columns] == ["height", "weight", "colour"]


def test_a_broken_csv_shows_the_message_and_keeps_the_dataset(at):
    load(at, "penguins")
    at.file_uploader(key="data.upload").set_value(("bad.csv", b"\x00\x01PK\x03\x04junk", "text/csv")).run()
    assert not at.exception
    assert at.error and "CSV" in at.error[0].value
    assert at.session_state["dataset"].name == "penguins"


def test_apply_keeps_the_trunk_built_on_the_design_page(at):
    load(at, "penguins")
    at.button(key="data.apply").click().run()
    at.switch_page("pages/design.py").run()
    at.session_state["canvas"] = {"action": {"op": "insert", "chain": "trunk", "index": 0, "type": "Dropout",
                                             "nonce": 1}}           # a layer inserted on the canvas
    at.run()
    assert at.session_state["design"].trunk[0].type == "Dropout"
    trunk = at.session_state["design"].trunk
    at.switch_page("pages/data.py").run()
    at.selectbox(key="role.species").set_value("ignore").run()
    at.button(key="data.apply").click().run()
    assert not at.exception
    assert at.session_state["design"].trunk == trunk
    assert "species" not in [h.target for h in at.session_state["design"].heads]


def wide_csv(columns: int, rows: int = 30) -> bytes:
    import numpy as np

    values = np.random.default_rng(0).normal(size=(rows, columns)).round(3)
    header = ",".join(f"gene_{i}" for i in range(columns))
    return (header + "\n" + "\n".join(",".join(map(str, row)) for row in values) + "\n").encode()


def test_a_wide_csv_lists_one_page_of_columns_with_a_search(at):
    at.file_uploader(key="data.upload").set_value(("wide.csv", wide_csv(2000), "text/csv")).run()
    assert not at.exception and not at.error
    assert len(at.session_state["dataset"].profile) == 2000
    roles = [s for s in at.selectbox if (s.key or "").startswith("role.")]
    assert [s.key for s in roles] == [f"role.gene_{i}" for i in range(50)]
    assert any("50 of 2,000 matching columns" in c.value for c in at.caption)

    at.text_input(key="data.find").set_value("gene_1999").run()
    assert [s.key for s in at.selectbox if (s.key or "").startswith("role.")] == ["role.gene_1999"]
    at.selectbox(key="role.gene_1999").set_value("target").run()       # a role set on a found column sticks
    assert at.session_state["dataset"] is not None and not at.exception

    at.text_input(key="data.find").set_value("").run()
    at.number_input(key="data.page").set_value(40).run()
    assert [s.key for s in at.selectbox if (s.key or "").startswith("role.")][0] == "role.gene_1950"
