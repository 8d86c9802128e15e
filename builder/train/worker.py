"""The worker process: import TensorFlow once, then train one job after another.

A worker is started with the 'spawn' method (a fresh interpreter: forking a
process that has TensorFlow or Streamlit's threads is unsafe).  It imports
Keras and trains a tiny model straight away, so the first real run pays
neither the import nor the runtime's first-use costs; that is what makes the
first loss points appear within a few seconds of pressing Train.

This module must stay importable without TensorFlow: the parent process
imports it only to name ``worker_main`` as the process target.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

from .events import event

READY = "ready"        # event type a worker sends once TensorFlow is imported and warmed up


@dataclass
class Job:
    """One run, as sent to a worker (pickled between our own processes only)."""

    run_id: str
    kind: str                 # "train" | "sharing"
    design_json: str
    training_json: str
    data: Any                 # a builder.data.Dataset or prepared splits
    model_path: str | None
    steps_per_execution: int | str = "auto"


def worker_main(worker_id: int, jobs, events, stop) -> None:
    """Process entry point: warm up, then run jobs from ``jobs`` until it yields None."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up chatter out of the server log
    warm_up()
    events.put({"type": READY, "worker": worker_id, "pid": os.getpid()})
    while True:
        job = jobs.get()
        if job is None:
            return
        events.put(run_job(job, events.put, stop.is_set))


def warm_up() -> None:
    """Import Keras and run one tiny fit, so graph tracing machinery and kernels are loaded."""
    import numpy as np
    import keras

    from .. import data as _data  # noqa: F401  (pandas and the data code, imported once here)
    from . import engine  # noqa: F401

    x = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", steps_per_execution=2)
    model.fit(x, x[:, :1], epochs=1, batch_size=4, verbose=0)
    model.predict(x, verbose=0)
    keras.backend.clear_session()


def run_job(job: Job, emit, should_stop) -> dict:
    """Run one job; always return its last event, even when something unexpected fails."""
    from ..errors import DataError, DesignError
    from ..spec import Design, Training
    from . import engine

    try:
        design = Design.model_validate_json(job.design_json)
        training = Training.model_validate_json(job.training_json)
        if job.kind == "sharing":
            return engine.compare_sharing(design, job.data, training, emit, should_stop, job.run_id, job.model_path)
        return engine.train(design, job.data, training, emit, should_stop, job.run_id, job.model_path,
                            job.steps_per_execution)
    except DesignError as e:
        return event("error", job.run_id, message="; ".join(str(p) for p in e.problems))
    except DataError as e:
        return event("error", job.run_id, message=str(e))
    except Exception as e:   # a worker must survive any run: report it and take the next job
        text = str(e).strip().splitlines()
        return event("error", job.run_id, message=f"training failed: {type(e).__name__}: {text[0] if text else ''}",
                     traceback=traceback.format_exc(limit=8))
