"""Event dicts the engine streams, and turning Keras' flat logs into per-head numbers.

Everything here is plain Python: the events cross a process boundary and the
page reads them without importing TensorFlow.  Keras names per-output logs
``<head>_loss`` and ``<head>_<metric>`` only when a model has several outputs;
a one-head model logs bare ``loss`` and ``mae``.  ``head_logs`` hides that
difference, and ``keras_history_keys`` always uses the head-prefixed names, so
pages, the CSV export and the "does sharing help?" runs see one naming.
"""

from __future__ import annotations

import math
from typing import Iterable

from ..design.spec import METRICS

DONE_TYPES = ("finished", "stopped", "error")
KNOWN_SUFFIXES = ("loss", *METRICS)


def event(kind: str, run_id: str, **fields) -> dict:
    """A plain event dict; ``kind``: queued, started, progress, epoch, or one of DONE_TYPES."""
    return {"type": kind, "run_id": run_id, **fields}


def head_logs(logs: dict, heads: Iterable[str]) -> tuple[float | None, float | None, dict[str, dict[str, float]]]:
    """Split Keras logs into (weighted total loss, total val loss, {head: {"loss", "val_loss", metric...}}).

    Example:
        >>> head_logs({"loss": 3.0, "a_loss": 1.0, "b_loss": 2.0, "val_a_loss": 1.5}, ["a", "b"])
        (3.0, None, {'a': {'loss': 1.0, 'val_loss': 1.5}, 'b': {'loss': 2.0}})
    """
    heads = list(heads)
    per_head: dict[str, dict[str, float]] = {h: {} for h in heads}
    total = val_total = None
    for key, value in logs.items():
        value = as_float(value)
        prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
        if name == "loss":
            if len(heads) == 1:
                per_head[heads[0]][prefix + "loss"] = value
            if prefix:
                val_total = value
            else:
                total = value
            continue
        head = _owner(name, heads)
        if head is not None:
            per_head[head][prefix + name[len(head) + 1:]] = value
        elif len(heads) == 1:
            per_head[heads[0]][prefix + name] = value
    return total, val_total, per_head


def _owner(name: str, heads: list[str]) -> str | None:
    """The head a log name belongs to: heads "a" and "a_b" both prefix "a_b_loss"; the suffix decides."""
    owners = [h for h in heads if name.startswith(h + "_") and name[len(h) + 1:] in KNOWN_SUFFIXES]
    return max(owners, key=len, default=None)


def flat_logs(total: float | None, val_total: float | None, per_head: dict[str, dict[str, float]]) -> dict[str, float]:
    """The head-prefixed Keras names: ``loss``, ``val_loss``, ``<head>_loss``, ``val_<head>_mae``..."""
    flat: dict[str, float] = {}
    if total is not None:
        flat["loss"] = total
    for head, values in per_head.items():
        for name, value in values.items():
            if name.startswith("val_"):
                flat[f"val_{head}_{name[4:]}"] = value
            else:
                flat[f"{head}_{name}"] = value
    if val_total is not None:
        flat["val_loss"] = val_total
    return flat


def as_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def non_finite_heads(per_head: dict[str, dict[str, float]], key: str = "loss") -> list[str]:
    return [h for h, values in per_head.items() if key in values and not math.isfinite(values[key])]


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
