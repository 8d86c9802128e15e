"""Train page, headless: its controls, settings saved to the design, a run started, drawn and stopped."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder import parse_design, template
from builder.design.spec import Training, bounds

import pages
from builder import session
from builder.data import load_builtin
from fake_engine import FakeService, events_for

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/train.py"


@pytest.fixture
def service(monkeypatch):
    fake = FakeService(per_poll=1)     # one event per poll: the run stays active across a few reruns
    submit = fake.submit

    def longer_run(*args, **kwargs):   # the page and the sidebar both poll: enough events for several reruns
        handle = submit(*args, **kwargs)
        handle.scripted = events_for(handle.design, epochs=5)
        return handle

    fake.submit = longer_run
    monkeypatch.setattr(pages, "training_service", lambda: fake)
    return fake


def _page(design=None, dataset=True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["design"] = design or template("seed-multi-regression")
    if dataset:
        at.session_state["dataset"] = load_builtin("seed-multi-regression", rows=60)
    return at.run().switch_page(PAGE).run()


def _button(at, key):
    return next(b for b in at.button if b.key == key)


def test_shows_every_setting_prefilled_from_the_design(service):
    design = template("seed-multi-regression").model_copy()
    at = _page(design)
    assert not at.exception
    assert at.selectbox(key="train_optimizer").value == "adam"
    assert at.number_input(key="train_learning_rate").value == pytest.approx(0.001)
    assert at.number_input(key="train_epochs").value == 10
    assert at.slider(key="train_validation_split").value == pytest.approx(0.2)
    assert [at.number_input(key=f"train_weight_{h}").value for h in ("output1", "output2", "output3")] == [1.0] * 3
    assert not _button(at, "train_start").disabled and _button(at, "train_stop").disabled


def test_edits_are_saved_back_to_the_design(service):
    at = _page()
    at.number_input(key="train_epochs").set_value(3).run()
    at.number_input(key="train_weight_output2").set_value(0.5).run()
    design = at.session_state["design"]
    assert design.training.epochs == 3 and design.head("output2").loss_weight == 0.5
    assert not at.exception


def test_the_page_asks_the_service_to_get_ready_for_the_design_it_shows(service):
    """So that Train starts without tracing (builder/train/rehearsal.py); never during a run, never for a broken design."""
    at = _page()
    assert service.ready_for and service.ready_for[-1] == at.session_state["design"]
    asked = len(service.ready_for)
    _button(at, "train_start").click().run()
    at.run()
    assert len(service.ready_for) == asked            # a run is active: nothing to get ready for
    broken = template("seed-multi-regression").model_dump()
    broken["trunk"].insert(0, {"type": "Conv2D", "id": "conv"})
    _page(parse_design(broken))
    assert len(service.ready_for) == asked


def test_train_starts_a_run_draws_a_curve_pair_per_head_and_stop_ends_it(service):
    at = _page()
    _button(at, "train_start").click().run()
    assert not at.exception
    assert len(service.submitted) == 1
    assert _button(at, "train_stop").disabled is False        # a run is active
    figure = at.get("plotly_chart")[0]
    assert "output1 train" in figure.proto.spec
    _button(at, "train_stop").click().run()
    at.run()                                                   # the fragment reads the stopped event
    assert _finished(at)[-1].state == "stopped"
    assert not _button(at, "train_start").disabled
    assert not at.exception


def _finished(at) -> list:
    """The runs the page view's workspace has filed, oldest first."""
    return at.session_state["_workspace"].runs()


def test_a_finished_run_lands_in_the_history(service):
    at = _page()
    _button(at, "train_start").click().run()
    for _ in range(12):
        at.run()
    assert [r.state for r in _finished(at)] == ["finished"]
    assert any("finished" in p.proto.text for p in at.get("progress"))


def test_leaving_the_page_and_coming_back_shows_the_run(service):
    at = _page()
    _button(at, "train_start").click().run()
    at.switch_page("pages/design.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "epoch" in at.get("progress")[0].proto.text
    assert not _button(at, "train_stop").disabled


def test_a_diverged_run_names_the_head_without_a_traceback(service):
    service.fail_with = "head 'output2' diverged (its loss became NaN) at epoch 1. Lower the learning rate"
    at = _page()
    _button(at, "train_start").click().run()
    at.run()
    assert not at.exception
    assert any("head 'output2' diverged" in e.value for e in at.error)
    assert _finished(at)[-1].state == "error"


def test_a_run_refused_before_training_is_explained(monkeypatch):
    from builder import DesignError, Problem

    class Refusing:
        def get_ready(self, *args, **kwargs):
            pass

        def submit(self, *args, **kwargs):
            raise DesignError([Problem("design", "training this design needs about 9.0 GB of memory")])

    monkeypatch.setattr(pages, "training_service", lambda: Refusing())
    at = _page()
    _button(at, "train_start").click().run()
    assert not at.exception
    assert any("9.0 GB" in e.value for e in at.error)
    assert "run" not in at.session_state


def test_without_a_dataset_train_is_disabled_with_a_hint(service):
    at = _page(dataset=False)
    assert _button(at, "train_start").disabled
    assert any("Data page" in i.value for i in at.info)


def test_a_design_with_errors_lists_them_by_place_and_cannot_train(service):
    broken = template("seed-multi-regression").model_dump()
    broken["trunk"].insert(0, {"type": "Conv2D", "id": "conv"})     # a 2-D convolution on a flat vector
    at = _page(parse_design(broken))
    assert not at.exception
    assert _button(at, "train_start").disabled
    assert any("Fix the design" in e.value and "trunk step 1 (Conv2D)" in e.value for e in at.error)
    assert service.submitted == []


def test_the_settings_bounds_are_the_specs(service):
    at = _page()
    for name in ("learning_rate", "batch_size", "epochs", "seed"):
        widget = at.number_input(key=f"train_{name}")
        assert (widget.min, widget.max) == bounds(Training, name), name


@pytest.fixture
def real_service():
    """The real training service (worker processes), shut down after the test."""
    # Kept for the rest of the session (other tests reuse its warm worker); it shuts down at exit.
    return pages.training_service()


def test_the_real_engine_trains_the_penguins_suggestion_for_one_epoch(real_service):
    from builder.data import suggest_design

    dataset = load_builtin("penguins")
    design = session.with_training(suggest_design(dataset, dataset.targets), {"epochs": 1}, {})
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["design"], at.session_state["dataset"] = design, dataset
    at.run().switch_page(PAGE).run()
    _button(at, "train_start").click().run()
    assert not at.exception
    handle = at.session_state["run"]
    assert handle.wait(timeout=120), handle.status_text()
    at.run()
    assert not at.exception
    record = _finished(at)[-1]
    assert record.state == "finished", record.message
    assert set(record.history) >= {f"{h.name}_loss" for h in design.heads}
    spec = at.get("plotly_chart")[0].proto.spec
    assert all(f"{h.name} validation" in spec for h in design.heads)


def test_two_heads_with_one_name_are_explained_not_a_duplicate_key_crash(service):
    data = template("seed-multi-regression").model_dump()
    data["heads"][1]["name"] = data["heads"][0]["name"]          # as a hand-edited link could carry it
    from builder.design.spec import parse_design

    at = _page(parse_design(data))
    assert not at.exception
    assert any("2 heads are named 'output1'" in e.value for e in at.error)
    assert _button(at, "train_start").disabled
