"""A session kept in its workspace: a refresh, a second tab or a restarted server loses nothing."""

import pytest

from builder.data import load_builtin, read_csv
from builder.data.builtin import PENGUINS_CSV
from builder.session import dataset as session_dataset
from builder.session import design as session_design
from builder.report import metrics
from builder.session import persist, reattach, runs
from builder.session.workspace import Workspace
from fake_engine import FakeService

CSV = PENGUINS_CSV.read_bytes()


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(root=tmp_path)


@pytest.fixture
def service():
    fake = FakeService(per_poll=4)
    return fake


def fresh_view(ws) -> dict:
    """What a refresh, a second tab or a restarted server's page view starts from."""
    state: dict = {}
    assert persist.restore(state, Workspace.open(ws.id, root=ws.folder.parent)) == []
    return state


def uploaded_session(ws) -> dict:
    state: dict = {}
    persist.attach(state, ws)
    persist.keep_upload(state, "my penguins.csv", CSV)
    session_dataset.set_dataset(state, read_csv(CSV, name="my penguins.csv"))
    session_dataset.set_role(state, "island", "ignore")
    session_dataset.set_role(state, "species", "target")
    session_dataset.apply_roles(state)
    for name in ("first", "second"):
        session_design.commit(state, session_design.current(state).model_copy(update={"name": name}))
    persist.save(state)
    return state


def test_upload_roles_design_and_undo_history_come_back(ws):
    before = uploaded_session(ws)
    after = fresh_view(ws)
    dataset = after[session_dataset.DATASET]
    assert dataset.name == "my penguins" and list(dataset.frame.columns) == list(before["dataset"].frame.columns)
    assert after[session_dataset.ROLES]["island"] == "ignore" and after[session_dataset.ROLES]["species"] == "target"
    assert session_design.current(after) == session_design.current(before)
    assert session_design.undo(after) and session_design.current(after).name == "first"
    assert session_design.redo(after) and session_design.current(after).name == "second"


def test_a_built_in_dataset_comes_back_by_name(ws):
    state: dict = {}
    persist.attach(state, ws)
    session_dataset.set_dataset(state, load_builtin("seed-multi-regression"))
    state[session_dataset.BUILTIN_KEY] = "seed-multi-regression"
    persist.save(state)
    assert fresh_view(ws)[session_dataset.DATASET].name == "seed-multi-regression"


def test_a_missing_upload_is_reported_and_the_design_still_loads(ws):
    before = uploaded_session(ws)
    for path in ws.files.glob("data-*"):
        path.unlink()
    state: dict = {}
    problems = persist.restore(state, ws)
    assert len(problems) == 1 and "Upload the CSV again" in problems[0]
    assert session_design.current(state) == session_design.current(before)


def train_to_the_end(state, service, design=None) -> runs.LiveRun:
    design = design or session_design.current(state)
    runs.start_run(state, service, design, state[session_dataset.DATASET])
    live = runs.sync(state)
    while not live.done:
        live = runs.sync(state)
    return live


def test_finished_runs_come_back_with_curves_test_results_and_model(ws, service, tmp_path):
    model = tmp_path / "trained.keras"
    model.write_bytes(b"a model")
    service.model_path = str(model)
    state = uploaded_session(ws)
    train_to_the_end(state, service)
    train_to_the_end(state, service)
    again = fresh_view(ws)
    history = runs.history(again)
    assert [r.label for r in history] == ["run 1", "run 2"]
    latest = runs.latest(again)
    assert latest.history["species_loss"] and latest.dataset_name == "my penguins"
    assert set(metrics.test_results(latest.design, latest.result)) == {"species"}
    assert runs.model_bytes(latest) == b"a model"


def test_refresh_mid_run_reattaches_and_stop_works(ws, service):
    service.per_poll = 2
    state = uploaded_session(ws)
    runs.start_run(state, service, session_design.current(state), state[session_dataset.DATASET])
    first = runs.sync(state)
    assert first.active and first.series
    seen = list(first.series["species_loss"][0])
    again = fresh_view(ws)                          # the refresh: a new page view of the same workspace
    live = runs.sync(again)
    assert live is not None and live.active
    assert live.series["species_loss"][0][:len(seen)] == seen     # the curves so far are back
    runs.stop(again)
    assert service.submitted[0].stopped
    while not live.done:
        live = runs.sync(again)
    assert live.state == "stopped" and [r.state for r in runs.history(again)] == ["stopped"]
    runs.sync(state)                                    # the old view sees the end too, and files it once
    assert len(ws.runs()) == 1


def test_two_tabs_both_see_every_event(ws, service):
    service.per_poll = 2
    one = uploaded_session(ws)
    two = fresh_view(ws)
    runs.start_run(one, service, session_design.current(one), one[session_dataset.DATASET])
    seen_one, seen_two = runs.sync(one), runs.sync(two)
    while not (seen_one.done and seen_two.done):
        seen_one, seen_two = runs.sync(one), runs.sync(two)
    assert seen_one.history == seen_two.history and seen_one.series.keys() == seen_two.series.keys()
    assert len(ws.runs()) == 1


def test_a_run_cut_off_by_a_server_restart_ends_with_a_clear_message(ws, service, monkeypatch):
    state = uploaded_session(ws)
    runs.start_run(state, service, session_design.current(state), state[session_dataset.DATASET])
    runs.sync(state)
    monkeypatch.setattr(reattach, "_registry", reattach.LiveRegistry())    # a new server process knows no handles
    again = fresh_view(ws)
    live = runs.sync(again)
    assert live.state == "error" and "server restarted" in live.message
    assert [r.state for r in runs.history(again)] == ["error"]


def test_a_damaged_results_file_is_reported_for_that_run_only(ws, service):
    state = uploaded_session(ws)
    train_to_the_end(state, service)
    train_to_the_end(state, service)
    first = ws.runs()[0]
    (ws.files / first.arrays).write_bytes(b"garbage")
    again = fresh_view(ws)
    older, newer = runs.history(again)
    assert metrics.test_results(older.design, older.result) == {}
    assert "run 1's test results file is damaged" in older.result.problem
    assert metrics.test_results(newer.design, newer.result)


def test_deleting_a_run(ws, service):
    state = uploaded_session(ws)
    train_to_the_end(state, service)
    train_to_the_end(state, service)
    runs.delete(state, 1)
    assert [r.label for r in runs.history(state)] == ["run 2"]
    assert [r.label for r in runs.history(fresh_view(ws))] == ["run 2"]
