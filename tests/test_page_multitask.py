"""Train and Results pages, headless: the multi-task settings, charts, advice and the honest comparison."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import session
from builder.data import load_builtin
from builder.design.spec import parse_design
from builder.session.live import LiveRun
from fake_engine import FakeService
import pages

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TWO_HEADS = parse_design({
    "name": "two", "input": {"shape": [10]},
    "trunk": [{"type": "Dense", "id": "first", "units": 8}, {"type": "Dense", "id": "second", "units": 4}],
    "heads": [{"name": "price", "loss": "mse", "metrics": ["mae"]},
              {"name": "kind", "output": {"units": 3, "activation": "softmax"}, "kind": "multiclass",
               "loss": "sparse_categorical_crossentropy", "classes": ["a", "b", "c"]}],
})


@pytest.fixture
def service(monkeypatch):
    fake = FakeService(per_poll=100)
    monkeypatch.setattr(pages, "training_service", lambda: fake)
    return fake


def _page(page, state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run().switch_page(page).run()


def _finished_run_with_meter(design) -> LiveRun:
    live = LiveRun([h.name for h in design.heads], 2, design=design, state="finished")
    for at, cosine in ((1.0, -0.5), (2.0, -0.6)):
        live.add({"type": "balancing", "at": at, "method": "uncertainty", "weights": {"price": 1 / at, "kind": 1.0}})
        live.add({"type": "interference", "at": at, "cosine": {"price|kind": cosine},
                  "share": {"price": 0.7, "kind": 0.3}, "sentence": ""})
    return live


def test_train_page_saves_balancing_meter_and_class_weight_settings(service):
    at = _page("pages/train.py", {"design": TWO_HEADS, "dataset": load_builtin("seed-multi-regression", rows=30)})
    assert not at.exception
    assert at.selectbox(key="train_balancing").value == "fixed"
    assert at.selectbox(key="train_meter").value == "auto"
    assert [s.key for s in at.selectbox if s.key.startswith("train_class_weight_")] == ["train_class_weight_kind"]
    at.selectbox(key="train_balancing").set_value("uncertainty").run()
    at.selectbox(key="train_class_weight_kind").set_value("balanced").run()
    at.number_input(key="train_meter_every").set_value(50).run()
    design = at.session_state["design"]
    assert design.training.balancing == "uncertainty" and design.training.interference_every == 50
    assert design.head("kind").class_weight == "balanced" and design.head("price").class_weight == "none"
    assert any("Kendall" in c.value for c in at.caption)


def test_train_page_draws_weights_and_meter_and_applies_advice_as_one_undo_step(service):
    live = _finished_run_with_meter(TWO_HEADS)
    at = _page("pages/train.py", {"design": TWO_HEADS, "run_live": live})
    assert not at.exception
    assert any("opposite directions" in m.value for m in at.markdown)
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert len(keys) >= 3              # loss curves, effective weights, the meter
    button = next(b for b in at.button if b.key == "train_apply_advice")
    assert "Branch 'kind' from trunk layer 'first'" in button.label
    assert at.session_state["design"].head("kind").branch_from is None      # never applied by itself
    button.click().run()
    assert at.session_state["design"].head("kind").branch_from == "first"
    state = {"design": at.session_state["design"], "history": at.session_state["history"]}
    assert session.undo(state) and session.current(state).head("kind").branch_from is None


def test_results_page_states_the_cost_and_labels_a_seed_aware_comparison(service):
    design = session.with_training(TWO_HEADS, {"compare_seeds": 2, "compare_epochs": 4}, {})
    dataset = load_builtin("seed-multi-regression", rows=30)
    at = _page("pages/results.py", {"design": design, "dataset": dataset})
    assert not at.exception
    assert at.number_input(key="sharing_seeds").value == 2 and at.number_input(key="sharing_epochs").value == 4
    cost = next(i.value for i in at.info if i.value.startswith("Cost:"))
    assert "3 models" in cost and "x 2 seeds x 4 epochs = 6 trainings" in cost
    at.number_input(key="sharing_seeds").set_value(3).run()
    assert at.session_state["design"].training.compare_seeds == 3
    next(b for b in at.button if b.key == "sharing_start").click().run()
    at.run()
    assert not at.exception
    assert service.submitted[-1].kind == "sharing"
    table = at.dataframe[-1].value
    assert set(table.columns) >= {"head", "metric", "multi-task", "single-task", "seeds", "verdict"}
    assert any(c.value.startswith("Ran on") and "seed-multi-regression" in c.value and "two" in c.value
               for c in at.caption)


def test_the_head_editor_shows_and_sets_class_weights(service):
    at = _page("pages/design.py", {"design": TWO_HEADS})
    nonce = at.session_state["_nonce"] + 1 if "_nonce" in at.session_state else 1
    at.session_state["_nonce"] = nonce
    at.session_state["canvas"] = {"action": {"op": "select", "node": "kind/@out", "nonce": nonce}}   # click the head
    at.run()
    assert not at.exception
    box = at.selectbox(key="head.kind.class_weight")
    assert box.value == "none"
    box.set_value("balanced").run()
    assert at.session_state["design"].head("kind").class_weight == "balanced"
    assert at.session_state["design"].head("price").class_weight == "none"
