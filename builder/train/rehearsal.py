"""A run rehearsed while the Train page shows it, so that pressing Train starts as a second run does.

A short run's fixed cost is tracing: the first run of a design in a worker traces each step function
(on JAX about 0.1 s per batch shape, plus the interference meter's gradient: up to a second for an
LSTM; on TensorFlow over a second for the multi-step train function), against a fraction of a second
of training for a few epochs of a small table.  ``reuse.py`` keeps the compiled model of a design a
worker has trained, so only the *first* run pays.  A rehearsal makes that first run happen before the
user asks: when the Train page shows a design with its data, the service (``TrainingService.get_ready``)
hands a worker of the design's backend a rehearsal: one epoch of the real run (same data, splits,
statistics, batch size and steps per execution; events dropped, nothing saved), then test
predictions.  Every step function the run will call is traced then, and the model is kept.  The real
run finds it, resets it to a new model's weights (``reuse._load``) and trains exactly as a run
without rehearsal would (``tests/test_reuse.py``; the service side: ``tests/test_rehearsal.py``).

Only cheap runs are rehearsed (an epoch estimated under ``REHEARSE_EPOCH_S``): a long run's tracing
is a small share of it, and a rehearsal must never keep a worker from a real run for long (a Train
press waits for the rehearsal on its worker rather than starting another worker).

The constants are plain Python (the service imports them; what a run traces is ``traces.key``);
``rehearse`` imports Keras and runs in a worker only.
"""

from __future__ import annotations

REHEARSE_EPOCH_S = 0.5            # an epoch estimated longer than this is not rehearsed
REHEARSE_MAX_BYTES = 32 * 2**20   # nor is data larger than this (it is copied to the worker once more)
# Small models are bound by per-step overhead, not arithmetic: about 0.2 ms a step on JAX and 0.5 ms on
# TensorFlow for seed-multi-regression here; counted generously, so a million tiny rows are not rehearsed.
STEP_OVERHEAD_S = 1e-3


def rehearse(design, data, training, run_id: str, steps_per_execution: int | str = "auto") -> dict:
    """Trace every step function a run of ``design`` on ``data`` calls, and keep its model; the last event."""
    from .balancing import is_balanced
    from .events import event
    from . import engine
    from .batching import steps_per_epoch
    from .speed import step_seconds

    if is_balanced(design, training):     # its train step is replaced on every run: nothing would be kept
        return event("finished", run_id, rehearsed=False)
    prepared = engine.prepare_data(design, data, training)
    steps = steps_per_epoch(prepared.train.n, training.batch_size)
    if steps * (step_seconds(design, training.batch_size) + STEP_OVERHEAD_S) > REHEARSE_EPOCH_S:
        return event("finished", run_id, rehearsed=False)
    # The run itself for one epoch, unseen and unsaved: every step function it calls is traced and kept.
    engine.train(design, prepared, training.model_copy(update={"epochs": 1}), lambda ev: None, lambda: False,
                 run_id, steps_per_execution=steps_per_execution)
    return event("finished", run_id, rehearsed=True)
