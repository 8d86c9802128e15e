"""LiveRun folds engine events into curves and progress; the session keeps finished runs once."""

import pytest

from builder import DataError, DesignError, template
from builder import session
from builder.report import figures, metrics
from builder.session import runs
from builder.session.runs import LiveRun, logs
from fake_engine import FakeService, events_for

DESIGN = template("seed-multi-regression")
HEADS = [h.name for h in DESIGN.heads]


def test_progress_points_sit_at_fractional_epochs_and_epoch_ends_add_validation():
    live = LiveRun(HEADS, 2, design=DESIGN)
    live.add_all(events_for(DESIGN, epochs=2, steps=4))
    xs, _ = live.series["output1_loss"]
    assert xs == [0.5, 1.0, 1.5, 2.0]          # the epoch-end value replaces the live point at 1.0
    assert live.series["val_output1_loss"][0] == [1.0, 2.0]
    assert live.history["val_loss"] == pytest.approx([3 * 0.5 * 1.1, 3 / 3 * 1.1])


def test_progress_text_and_fraction_follow_the_run():
    live = LiveRun(HEADS, 2)
    assert live.progress_text() == "starting"
    live.add({"type": "queued", "place": 2})
    assert live.progress_text() == "waiting for a free trainer (place 2 in the queue)"
    live.add({"type": "started", "epochs": 2})
    live.add({"type": "progress", "epoch": 2, "epochs": 2, "step": 3, "steps": 4, "eta": 12.4, "logs": {"loss": 1.0}})
    assert live.progress_text() == "epoch 2/2 · step 3/4 · 12 s left"
    assert live.fraction() == pytest.approx(1.75 / 2)
    live.add({"type": "stopped", "message": ""})
    assert live.done and live.progress_text() == "epoch 2/2 · step 3/4 · stopped"


def test_between_epochs_the_next_epoch_starts_at_step_zero():
    live = LiveRun(HEADS, 3)
    live.add({"type": "epoch", "epoch": 1, "epochs": 3, "step": 7, "steps": 7, "eta": 2.0, "logs": {"loss": 1.0}})
    assert live.progress_text() == "epoch 2/3 · step 0/7 · 2 s left"
    assert live.fraction() == pytest.approx(1 / 3)
    live.add({"type": "finished", "elapsed": 3.2})
    assert live.progress_text() == "epoch 1/3 · finished in 3 s"


def test_an_error_event_keeps_its_message():
    live = LiveRun(HEADS, 5)
    live.add({"type": "error", "message": "head 'output2' diverged"})
    assert live.state == "error" and live.progress_text() == "failed: head 'output2' diverged"


def test_logs_are_the_events_flat_keras_values_without_bookkeeping():
    assert logs({"type": "epoch", "logs": {"a_loss": 1, "val_loss": 2, "bad": "x", "flag": True}}) == {
        "a_loss": 1.0, "val_loss": 2.0}
    assert logs({"type": "progress", "epoch": 1, "loss": 3.0}) == {}     # values live under "logs" only


def test_sync_records_a_finished_run_once_with_its_result():
    state = {}
    runs.start_run(state, FakeService(per_poll=100), DESIGN, dataset=object())
    live = runs.sync(state)
    assert live.state == "finished"
    runs.sync(state)
    assert [r.label for r in runs.history(state)] == ["run 1"]
    record = runs.latest(state)
    assert record.history["output1_loss"] and record.result.test_targets
    assert set(metrics.test_results(DESIGN, record.result)) == set(HEADS)


def test_earlier_runs_leave_out_the_current_one():
    state = {}
    for _ in range(3):
        runs.start_run(state, FakeService(per_poll=100), DESIGN, dataset=object())
        live = runs.sync(state)
    assert [label for label, _ in runs.earlier_runs(state, live)] == ["run 1", "run 2"]


def test_training_needs_a_dataset():
    with pytest.raises(DataError, match="Data page"):
        runs.start_run({}, FakeService(), DESIGN, None)


def test_with_training_saves_settings_and_weights_and_checks_bounds():
    edited = session.with_training(DESIGN, {"epochs": 3, "learning_rate": 0.01}, {"output2": 0.5})
    assert edited.training.epochs == 3 and edited.head("output2").loss_weight == 0.5
    with pytest.raises(DesignError, match="batch_size"):
        session.with_training(DESIGN, {"batch_size": 0}, {})


def test_sharing_rows_compare_multi_and_single_task():
    from builder.report import comparison

    state = {}
    started = runs.start_sharing(state, FakeService(per_poll=100), DESIGN, dataset=object())
    assert started.epochs == DESIGN.training.compare_epochs      # the comparison's own epoch setting
    live = runs.sync(state, runs.SHARING)
    rows = comparison.rows_for(live.design, live.result)
    assert {r["head"] for r in rows} == set(HEADS)
    mae = next(r for r in rows if r["head"] == "output1" and r["metric"] == "MAE")
    assert mae["multi-task"] == "0 ± 0" and mae["verdict"] == "no clear difference (one seed cannot tell)"
    assert runs.history(state) == []       # comparisons are not part of the run history


def test_live_figures_are_built_once_per_run_and_refreshed_with_new_points():
    state = {}
    live = LiveRun(HEADS, 2, design=DESIGN)
    events = events_for(DESIGN, epochs=2, steps=4)
    live.add_all(events[:2])
    first, metrics = figures.live_figures(state, live, [])
    live.add_all(events[2:])
    again, _ = figures.live_figures(state, live, [])
    assert again is first
    output1 = next(t for t in again.data if t.name == "output1 train")
    assert list(output1.x) == [0.5, 1.0, 1.5, 2.0]
    assert metrics is not None                     # the template's heads each track mae


def test_only_the_latest_runs_keep_their_test_predictions():
    state = {}
    for _ in range(runs.KEEP_RESULTS + 2):
        runs.start_run(state, FakeService(per_poll=100), DESIGN, dataset=object())
        runs.sync(state)
    kept = [r.result is not None for r in runs.history(state)]
    assert kept == [False, False] + [True] * runs.KEEP_RESULTS
    assert all(r.history for r in runs.history(state))
