"""Export page, headless: the script shown and offered, design JSON, and model/history once trained."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from builder import parse_design, template

import pages
from builder.session import runs
from builder.data import load_builtin
from fake_engine import FakeService

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/export.py"


def _page(state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run().switch_page(PAGE).run()


def _downloads(at) -> dict[str, object]:
    return {d.proto.label: d for d in at.get("download_button")}


def test_before_training_offers_script_data_and_design_and_says_train_first():
    design = template("seed-multi-regression")
    at = _page({"design": design, "dataset": load_builtin("seed-multi-regression", rows=20)})
    assert not at.exception
    script = next(c.value for c in at.code if "def main(" in c.value)          # the training script, last
    assert "model = keras.Model(" in script
    labels = set(_downloads(at))
    assert {"Download the script", "Download the data (seed-multi-regression.npz)",
            "Download the design (JSON)"} <= labels
    assert not any("model (.keras)" in label for label in labels)
    assert sum("Train first" in i.value for i in at.info) == 2


def test_after_a_run_offers_the_model_and_the_history(monkeypatch, tmp_path):
    model_file = tmp_path / "run1.keras"
    model_file.write_bytes(b"PK fake model")
    monkeypatch.setattr(pages, "training_service", lambda: FakeService(per_poll=100, model_path=str(model_file)))
    design = template("seed-multi-regression")
    state = {"design": design, "dataset": load_builtin("seed-multi-regression", rows=20)}
    runs.start_run(state, pages.training_service(), design, state["dataset"])
    at = _page(state)
    assert not at.exception
    labels = set(_downloads(at))
    assert {"Download the trained model (.keras)", "Download the history (CSV)"} <= labels
    assert not any("Train first" in i.value for i in at.info)


def test_a_design_with_errors_is_explained_not_exported():
    broken = template("seed-multi-regression").model_dump()
    broken["heads"][1]["name"] = broken["heads"][0]["name"]
    at = _page({"design": parse_design(broken)})
    assert not at.exception
    assert at.error and "Fix them on the Design page" in at.error[0].value
    assert not at.code


def test_a_dataset_that_does_not_fit_the_design_is_not_offered():
    at = _page({"design": template("seed-multi-regression"), "dataset": load_builtin("penguins")})
    assert not at.exception
    assert not any(label.startswith("Download the data") for label in _downloads(at))
    assert any("does not fit" in i.value for i in at.info)


def _in_page_order(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _in_page_order(child)


def test_the_downloads_come_before_the_code():
    at = _page({"design": template("seed-multi-regression"), "dataset": load_builtin("seed-multi-regression", rows=20)})
    kinds = [element.type for element in _in_page_order(at.main)]
    assert "code" in kinds and kinds.count("download_button") >= 3
    assert max(i for i, kind in enumerate(kinds) if kind == "download_button") < kinds.index("code")


def test_shows_how_to_call_the_model_and_each_heads_class_order():
    from builder.data import suggest_design

    penguins = load_builtin("penguins")
    design = suggest_design(penguins, ["species", "sex", "body_mass_g"])
    at = _page({"design": design, "dataset": penguins})
    assert not at.exception
    snippet = next(c.value for c in at.code if "load_model" in c.value)
    assert "keras.saving.load_model('penguins.keras', safe_mode=True)" in snippet
    assert "'island': 'Torgersen'" in snippet and "'bill_length_mm': 39.1" in snippet
    meanings = " ".join(m.value for m in at.markdown)
    assert "one probability per class, in this order: 0: 'Adelie', 1: 'Chinstrap', 2: 'Gentoo'" in meanings
    assert "the probability that it is 'male' (1 minus it is the probability of 'female')" in meanings
    assert not at.table                        # every penguin column is a valid input name: no mapping to show


def test_lists_the_input_names_keras_forbids():
    from builder.data import read_csv, suggest_design

    dataset = read_csv(b"ratio a/b,y\n" + b"".join(b"%d.5,%d\n" % (i, i % 2) for i in range(30)), name="r.csv")
    at = _page({"design": suggest_design(dataset, ["y"]), "dataset": dataset})
    assert not at.exception
    assert at.table and "ratio_a_b" in str(at.table[0].value)
