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
    assert "model = keras.Model(" in at.code[0].value and "def main(" in at.code[0].value
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
