"""Faults in the training workers: each ends in a clear state, and nothing else the user had is lost.

Real worker processes (TensorFlow imported once per worker), tiny data.  A fault is injected with a
signal, as the kernel or an operator would: SIGKILL while idle, SIGSTOP while training.  No timing
assertions; each wait is a generous bound on a condition.
"""

import os
import signal
import time

import pytest

from builder.data import load_builtin
from builder.design.templates import template
from builder.train import TrainingService
from builder.train import service as service_module

RUN_TIMEOUT = 180


def data(rows=240):
    return load_builtin("seed-multi-regression", rows=rows)


def tiny(design, **training):
    return design.training.model_copy(update={"batch_size": 16, **training})


def finish(handle):
    assert handle.wait(RUN_TIMEOUT), f"run did not end: {handle.status_text()}"


def wait_for(condition, timeout=RUN_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def service(monkeypatch):
    monkeypatch.setattr(service_module, "STOP_GRACE_S", 3.0)
    svc = TrainingService(max_concurrent=1, warm_workers=1).warm()
    design = template("seed-multi-regression")
    first = svc.submit(design, data(), tiny(design, epochs=1))     # a warm worker, idle again afterwards
    finish(first)
    assert first.status == "finished", first.error
    yield svc
    svc.shutdown()


def test_a_worker_killed_while_idle_is_not_handed_the_next_run(service):
    design = template("seed-multi-regression")
    idle = service.worker_pids(idle=True)
    assert len(idle) == 1
    os.kill(idle[0], signal.SIGKILL)
    handle = service.submit(design, data(), tiny(design, epochs=1))     # at once: before anyone noticed
    finish(handle)
    assert handle.status == "finished", handle.error
    assert handle.result.epochs_run == 1 and os.path.isfile(handle.result.model_path)
    assert idle[0] not in service.worker_pids()


def test_a_hung_worker_is_killed_after_stop_and_the_run_keeps_its_last_weights(service):
    design = template("seed-multi-regression")
    hung = service.submit(design, data(rows=2000), tiny(design, epochs=500))
    assert wait_for(lambda: len(hung.history.get("loss", [])) >= 1), hung.status_text()
    pid = service.worker_pids(idle=False)[0]
    os.kill(pid, signal.SIGSTOP)          # the worker can no longer see Stop
    try:
        hung.stop()
        finish(hung)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert hung.status == "stopped" and hung.status_text().startswith("stopped after")
    assert hung.result is not None and hung.result.epochs_run >= 1
    assert len(hung.result.history["loss"]) >= 1
    assert hung.result.model_path and os.path.isfile(hung.result.model_path)
    assert hung.result.load_model().count_params() > 0      # a whole model, not a half-written file
    # Nothing else is lost: the next run gets a fresh worker and trains.
    after = service.submit(design, data(), tiny(design, epochs=1))
    finish(after)
    assert after.status == "finished", after.error
