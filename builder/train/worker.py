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
# TensorFlow keeps some graph state per run even after clear_session (about 14 MB for a small model);
# past this growth a worker finishes its run and exits, and the service starts a fresh one.
RECYCLE_AFTER_GROWTH_MB = float(os.environ.get("BUILDER_WORKER_RECYCLE_MB", 400))


@dataclass
class Job:
    """One run, as sent to a worker (pickled between our own processes only)."""

    run_id: str
    kind: str                 # "train" | "sharing" | "rehearse" (rehearsal.py: traces ahead of Train)
    design_json: str
    training_json: str
    data: Any                 # a builder.data.Dataset or prepared splits
    model_path: str | None
    steps_per_execution: int | str = "auto"
    retried: bool = False     # handed again once, after its worker died before taking it
    backend: str = "tensorflow"   # the Keras backend of the worker that takes it
    backend_reason: str = ""
    key: str = ""             # what it traces (traces.key), for a train or rehearse job


def worker_main(worker_id: int, jobs, events, stop, backend: str = "tensorflow") -> None:
    """Process entry point: warm up, then run jobs from ``jobs`` until it yields None.

    ``backend`` is this process's Keras backend for good: Keras reads it once, at import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up chatter out of the server log
    os.environ["KERAS_BACKEND"] = backend                # before anything imports Keras
    warm_up()
    baseline = rss_mb()
    events.put({"type": READY, "worker": worker_id, "pid": os.getpid(), "backend": backend})
    while True:
        job = jobs.get()
        if job is None:
            return
        last = run_job(job, events.put, stop.is_set)
        # Decided before the last event goes out, so the service never hands this worker another job.
        last["worker_retiring"] = rss_mb() - baseline > RECYCLE_AFTER_GROWTH_MB
        events.put(last)
        if last["worker_retiring"]:
            return


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def warm_up() -> None:
    """Import Keras and run one tiny fit, so graph tracing machinery and kernels are loaded."""
    import numpy as np
    import keras

    from . import backend

    backend.configure_compilation_cache()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # Each run builds new tf.functions, which TensorFlow reports as "retracing"; expected here.
        tf.get_logger().setLevel("ERROR")

    from .. import data as _data  # noqa: F401  (pandas and the data code, imported once here)
    from . import engine  # noqa: F401

    x = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", steps_per_execution=2)
    model.fit(x, x[:, :1], epochs=1, batch_size=4, verbose=0)
    model.predict(x, verbose=0)
    try:
        warm_up_default_design()
    except Exception:   # warming is only a speed-up: a worker that cannot warm up must still take jobs
        pass
    keras.backend.clear_session()
    freeze_warm_state()


def freeze_warm_state() -> None:
    """Move everything imported and warmed so far out of the garbage collector's sight (``gc.freeze``).

    TensorFlow, JAX and Keras hold hundreds of thousands of long-lived objects; each run's
    ``gc.collect()`` (which frees the last run's model) would scan them all again.  Frozen, they
    are skipped, and only what runs create is scanned: the collection drops from seconds to a fraction.
    """
    import gc

    gc.collect()
    gc.freeze()


def warm_up_default_design() -> None:
    """Train the default penguins design for one epoch, unseen: the first real run finds every code path
    it takes (table preprocessing layers, string inputs through tf.data, each loss and metric) loaded."""
    import keras

    from ..data import load_builtin, prepare, suggest_design
    from ..design.templates import template
    from . import engine

    if keras.backend.backend() == "jax":    # JAX workers take numeric designs only
        data = load_builtin("seed-multi-regression", rows=200)
        design = template("seed-multi-regression")
    else:
        data = load_builtin("penguins")
        design = suggest_design(data, data.targets)
    training = design.training.model_copy(update={"epochs": 1})
    prepared = prepare(design, data, seed=0, val=design.training.validation_split)
    model, _ = engine.fit_model(design, prepared, training, lambda ev: None, lambda: False)
    engine.predict_test(model, design, prepared, training.batch_size)


def backend_note(job: Job) -> dict:
    """which Keras backend trained the run and why, for the started and last events."""
    import keras

    return {"backend": keras.backend.backend(), "backend_reason": job.backend_reason}


def run_job(job: Job, emit, should_stop) -> dict:
    """Run one job; always return its last event, even when something unexpected fails."""
    from ..errors import DataError, DesignError
    from ..design.spec import Design, Training
    from . import engine

    try:
        design = Design.model_validate_json(job.design_json)
        training = Training.model_validate_json(job.training_json)
        if job.kind == "rehearse":
            from .rehearsal import rehearse

            return rehearse(design, job.data, training, job.run_id, job.steps_per_execution)
        if job.kind == "sharing":     # every model with k seeds (builder.train.sharing)
            from . import sharing

            return sharing.compare(design, job.data, training, emit, should_stop, job.run_id, job.model_path)
        return engine.train(design, job.data, training, emit, should_stop, job.run_id, job.model_path,
                            job.steps_per_execution, extra=backend_note(job))
    except DesignError as e:
        return event("error", job.run_id, message="; ".join(str(p) for p in e.problems))
    except DataError as e:
        return event("error", job.run_id, message=str(e))
    except Exception as e:   # a worker must survive any run: report it and take the next job
        text = str(e).strip().splitlines()
        return event("error", job.run_id, message=f"training failed: {type(e).__name__}: {text[0] if text else ''}",
                     traceback=traceback.format_exc(limit=8))
