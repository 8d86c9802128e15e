"""Results page, headless: per-head test metrics and plots, run history, "does sharing help?"."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import parse_design, template

import pages
from builder import session
from builder.session import runs
from builder.data import load_builtin
from fake_engine import FakeService

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/results.py"
MIXED = parse_design({
    "name": "mixed", "input": {"shape": [10]},
    "trunk": [{"type": "Dense", "id": "d", "units": 4}],
    "heads": [
        {"name": "price", "loss": "mse", "metrics": ["mae"], "kind": "regression"},
        {"name": "kind", "output": {"units": 3, "activation": "softmax"}, "loss": "sparse_categorical_crossentropy",
         "kind": "multiclass", "classes": ["a", "b", "c"]},
    ],
})


@pytest.fixture
def service(monkeypatch):
    fake = FakeService(per_poll=100)
    monkeypatch.setattr(pages, "training_service", lambda: fake)
    return fake


def _trained(design, n_runs=1) -> dict:
    state = {"design": design, "dataset": load_builtin("seed-multi-regression", rows=30)}
    for _ in range(n_runs):
        runs.start_run(state, pages.training_service(), design, state["dataset"])
        runs.sync(state)
    return state


def _page(state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run().switch_page(PAGE).run()


def test_before_any_run_it_says_train_first(service):
    at = _page({"design": template("seed-multi-regression")})
    assert not at.exception
    assert any("Train first" in i.value for i in at.info)


def test_shows_regression_and_classification_results_per_head(service):
    at = _page(_trained(MIXED))
    assert not at.exception
    assert [t.label for t in at.tabs] == ["price", "kind"]
    labels = [m.label for m in at.metric]
    assert labels == ["MAE", "RMSE", "R²", "accuracy"]
    assert at.metric[3].value == "100.0%"
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("price predictions" in s for s in specs)
    assert any("kind: confusion matrix" in s for s in specs)
    table = at.dataframe[0].value
    assert list(table["class"]) == ["a", "b", "c"]


def test_run_history_lists_what_changed(service):
    state = _trained(MIXED)
    changed = session.with_training(MIXED, {"learning_rate": 0.01}, {})
    runs.start_run(state, pages.training_service(), changed, state["dataset"])
    runs.sync(state)
    at = _page(state)
    assert not at.exception
    one, two = "run 1 · seed-multi-regression · mixed", "run 2 · seed-multi-regression · mixed"
    assert [e.label for e in at.expander] == [f"{one} -> {two}: 1 change(s)"]
    assert "training: learning_rate 0.001 -> 0.01" in at.expander[0].markdown[0].value
    traces = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    history = {t["name"]: t for t in traces if t["name"].startswith("run ")}
    for run in (one, two):       # every trace of every subplot is named in the legend
        for panel in ("price", "kind", "total (weighted)"):
            assert history[f"{run}: {panel} validation"].get("showlegend", True)
    # identical curves stay apart: each run has its own dash and marker
    assert history[f"{one}: price validation"]["marker"]["symbol"] != history[f"{two}: price validation"]["marker"]["symbol"]


def test_does_sharing_help_compares_multi_and_single_task(service):
    at = _page(_trained(MIXED))
    next(b for b in at.button if b.key == "sharing_start").click().run()
    at.run()
    assert not at.exception
    assert service.submitted[-1].kind == "sharing"
    table = at.dataframe[-1].value
    assert set(table.columns) >= {"head", "metric", "multi-task", "single-task", "verdict"}
    assert set(table["head"]) == {"price", "kind"}


@pytest.fixture
def real_service():
    """The real training service (worker processes), shut down after the test."""
    # Kept for the rest of the session (other tests reuse its warm worker); it shuts down at exit.
    return pages.training_service()


def test_the_real_engine_answers_does_sharing_help(real_service):
    design = session.with_training(template("seed-multi-regression"), {"epochs": 1, "compare_epochs": 1,
                                                                        "compare_seeds": 2}, {})
    dataset = load_builtin("seed-multi-regression", rows=300)
    at = _page({"design": design, "dataset": dataset})
    next(b for b in at.button if b.key == "sharing_start").click().run()
    assert at.session_state["sharing"].wait(timeout=120), at.session_state["sharing"].status_text()
    at.run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert set(table["head"]) == {"output1", "output2", "output3"}
    assert "n/a" not in set(table["single-task"])


def test_results_show_the_current_data_sets_runs_unless_the_switch_shows_all(service):
    state = _trained(MIXED)
    at = _page(state)
    other = load_builtin("seed-image-class-reg", rows=30)
    at.session_state["dataset"] = other             # another data set loaded: its own (empty) results
    at.run()
    assert not at.exception
    assert any("Train first" in i.value for i in at.info)
    assert any("1 run(s) on other data sets are hidden" in c.value or "hidden" in i.value
               for c in at.caption for i in at.info)
    at.toggle(key="results_all_data").set_value(True).run()
    assert not at.exception
    assert at.selectbox(key="results_run").options == ["run 1 · seed-multi-regression · mixed (finished)"]


def test_a_run_can_be_deleted(service):
    state = _trained(MIXED, n_runs=2)
    at = _page(state)
    next(b for b in at.button if b.key == "results_delete").click().run()
    assert not at.exception
    assert at.selectbox(key="results_run").options == ["run 1 · seed-multi-regression · mixed (finished)"]


def test_a_model_dropped_at_the_size_limit_is_said_on_the_page(service, monkeypatch, tmp_path):
    model = tmp_path / "m.keras"
    model.write_bytes(b"m" * 700_000)
    service.model_path = str(model)
    monkeypatch.setenv("BUILDER_WORKSPACE_MAX_MB", "1")
    at = _page({"design": MIXED, "dataset": load_builtin("seed-multi-regression", rows=30)})
    other = _state_of(at)                        # runs filed into the page's workspace, as another tab would
    for _ in range(2):
        runs.start_run(other, service, MIXED, other["dataset"])
        runs.sync(other)
    at.run()
    assert any("run 1's trained model was removed to keep this workspace under its 1 MB limit" in w.value
               for w in at.warning)


def _state_of(at) -> dict:
    """A plain view of the page's workspace, to start runs in it as another tab would."""
    from builder.session import persist
    state = {"dataset": at.session_state["dataset"]}
    persist.attach(state, at.session_state["_workspace"])
    return state
