"""Will this run fit in memory?  A pure-Python estimate, checked before any worker starts.

The estimate is deliberately rough and on the generous side: weights, their
gradients and the optimizer's slots (Adam keeps two per weight), plus the
activations of one batch kept for the backward pass, plus the arrays of the
data set held in the worker.  It only has to tell "fits easily" from "will
swap or be killed", so a design is refused when the estimate passes most of
the memory the machine has free.
"""

from __future__ import annotations

import math

from ..errors import DesignError, Problem
from ..design.spec import Design, Training
from ..design.validate import Report, analyse

BYTES_PER_FLOAT = 4
OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "rmsprop": 1, "sgd": 1}
# Forward activations, their gradients and the framework's temporaries.
ACTIVATION_COPIES = 3
# Keras and TensorFlow themselves, in a worker that has just started.
RUNTIME_BYTES = 600 * 2**20
USABLE_SHARE = 0.8   # leave room for the server, the page and other runs


def estimate_bytes(design: Design, training: Training | None = None, data_bytes: int = 0,
                   report: Report | None = None) -> int:
    """Rough peak memory of training ``design`` in a worker, in bytes (``report``: its analysis, if made)."""
    training = training or design.training
    report = report if report is not None and report.design is design else analyse(design)
    params = report.total_params
    weights = params * BYTES_PER_FLOAT * (2 + OPTIMIZER_SLOTS.get(training.optimizer, 2))
    per_sample = sum(math.prod(n.shape) for n in report.nodes if n.shape)
    activations = per_sample * training.batch_size * BYTES_PER_FLOAT * ACTIVATION_COPIES
    # The worker holds the splits and tf.data holds a copy while feeding them.
    return RUNTIME_BYTES + weights + activations + 2 * data_bytes


def available_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def check_memory(design: Design, training: Training | None = None, data_bytes: int = 0,
                 available: int | None = None, report: Report | None = None) -> int:
    """Refuse a run that would not fit; return the estimate in bytes when it does.

    Raises:
        DesignError: the estimate is more than USABLE_SHARE of the free memory.
    """
    training = training or design.training
    need = estimate_bytes(design, training, data_bytes, report)
    free = available_bytes() if available is None else available
    if need > free * USABLE_SHARE:
        raise DesignError([Problem("design", (
            f"training this design needs about {_size(need)} of memory, but only {_size(free)} is free. "
            f"Use a smaller batch size (now {training.batch_size}), fewer units or filters, "
            "or pool before Flatten."))])
    return need


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"


def data_nbytes(data) -> int:
    """Bytes held by a Dataset or Prepared splits (numpy arrays, a pandas frame), best effort."""
    total = 0
    for value in _arrays(data):
        total += int(getattr(value, "nbytes", 0) or 0)
    frame = getattr(data, "frame", None)
    if frame is not None:
        total += int(frame.memory_usage(deep=False).sum())
    return total


def _arrays(data):
    for name in ("x", "y", "sample_weight"):
        value = getattr(data, name, None)
        if isinstance(value, dict):
            yield from value.values()
        elif value is not None:
            yield value
    for split in ("train", "val", "test"):
        part = getattr(data, split, None)
        if part is not None and part is not data:
            yield from _arrays(part)
