"""The Train page's rehearsal through the real service: a worker of the design's backend gets ready and traces
the run before Train is pressed; the run then trains on it, and a Train press during a rehearsal waits for
it instead of starting another worker.  (``test_reuse.py`` checks that a rehearsed run's numbers are a new
run's.)  Real worker processes, tiny data; each wait is a generous bound, never a timing assertion.
"""

import pytest

from builder.data import load_builtin
from builder.design.templates import template
from builder.train import TrainingService, rehearsal, traces

from test_faults import finish, wait_for


@pytest.fixture
def service():
    svc = TrainingService(max_concurrent=2, warm_workers=1).warm()    # as at server start
    yield svc
    svc.shutdown()


def rehearsed(service, design, data) -> bool:
    key = traces.key(design, design.training, data)
    with service._lock:
        return any(key in w.prepared and not w.rehearsing for w in service._workers)


def test_a_design_shown_on_the_train_page_is_rehearsed_and_its_run_uses_that_worker(service):
    design = template("seed-multi-regression")
    data = load_builtin("seed-multi-regression", rows=300)
    wanted = service.choose_backend(design).name
    service.get_ready(design, data)
    assert wait_for(lambda: rehearsed(service, design, data)), "the rehearsal did not end"
    assert service.running() == 0                 # a rehearsal is not a run
    service.get_ready(design, data)               # the page draws again: nothing new to do
    assert service._rehearsal is None
    rehearsing_pid = [pid for pid in service.worker_pids()]

    handle = service.submit(design, data)
    finish(handle)
    assert handle.status == "finished", handle.error
    assert handle.result.backend == wanted
    assert handle.result.epochs_run == design.training.epochs
    assert set(service.worker_pids()) <= set(rehearsing_pid)   # trained on a worker that was ready

    # Another batch size traces anew: Train pressed while that rehearsal runs waits for it.
    other = design.model_copy(update={"training": design.training.model_copy(update={"batch_size": 16})})
    service.get_ready(other, data)
    pids = service.worker_pids()
    second = service.submit(other, data)
    assert second.status != "queued"              # nobody else trains: it is starting, not "queued, 1st in line"
    finish(second)
    assert second.status == "finished", second.error
    assert service.worker_pids() == pids          # no worker was started for it


def test_nothing_is_rehearsed_for_data_too_large_to_copy_again(service, monkeypatch):
    monkeypatch.setattr(rehearsal, "REHEARSE_MAX_BYTES", 1000)
    design = template("seed-multi-regression")
    service.get_ready(design, load_builtin("seed-multi-regression", rows=300))
    assert service._rehearsal is None
