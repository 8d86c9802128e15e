"""Batch size for validation and test predictions: as few batches as memory allows (no Keras import).

Every distinct batch shape costs a trace (TensorFlow) or an XLA compile (JAX) the first
time, and every batch a dispatch; with the training batch size a short run spends more
on evaluating than on training.  Predicting needs no gradients, so a batch may be much
larger: here as many rows as keep the layer outputs of one batch near ``EVAL_BATCH_BYTES``.
Per-sample losses and metrics are averaged over samples, so the numbers do not change.
"""

from __future__ import annotations

import math

from ..design.spec import Design
from ..design.validate import analyse

EVAL_BATCH_BYTES = 64 * 2**20     # layer outputs of one evaluation batch, float32
MAX_EVAL_BATCH = 8192


def evaluation_batch_size(design: Design, rows: int, batch_size: int) -> int:
    """Rows per validation or prediction batch: all ``rows`` when they fit, never below ``batch_size``."""
    per_row = sum(math.prod(n.shape) for n in analyse(design).nodes if n.shape) * 4
    fits = EVAL_BATCH_BYTES // max(per_row, 1)
    return int(max(batch_size, min(max(rows, 1), fits, MAX_EVAL_BATCH)))


def steps_per_epoch(rows: int, batch_size: int) -> int:
    """Training batches in an epoch (the last may be partial); at least one."""
    return max(1, math.ceil(rows / batch_size))
