"""Values the model cannot learn from, refused as bad data with their place, before any training.

An infinite number would otherwise surface as a "diverged" head asking for a lower learning rate, and
text or out-of-range class labels as a TensorFlow traceback.
"""

from __future__ import annotations

import numpy as np

from ..design.spec import Head, head_kind
from ..errors import DataError


def check_finite(values: np.ndarray, where: str, unit: str = "data row") -> None:
    """Refuse infinite numbers (``inf`` in a CSV) as bad data: the model would report a diverged loss instead."""
    flat = values.reshape(len(values), -1) if values.ndim > 1 else values
    bad = np.isinf(flat) if flat.ndim == 1 else np.isinf(flat).any(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        more = int(bad.sum()) - 1
        fix = "Replace it with a number, or leave the cell empty to mark it missing." if unit == "data row" \
            else "Replace it with a finite number."
        raise DataError(f"{where} has an infinite value in {unit} {first + 1}"
                        + (f" (and {more:,} more)" if more else "") + f". {fix}")


def check_tensor_target(y: np.ndarray, head: Head, key: str) -> None:
    """Refuse targets a head cannot train on: text, infinite numbers, class labels outside its classes."""
    where = f"head {head.name!r}: its data {key!r}"
    if y.dtype.kind not in "biuf":
        want = ("numbers" if head_kind(head) == "regression"
                else f"class indices 0..{head.output.units - 1} or one-hot rows")
        raise DataError(f"{where} holds {y.dtype} values (such as {str(y.reshape(-1)[0])[:20]!r}), not numbers. "
                        f"Save {want}.")
    if head_kind(head) == "regression":
        check_finite(y, where, unit="sample")
    elif y.ndim == 1 or y.shape[-1] == 1:
        labels = y.reshape(-1)
        classes = 2 if head_kind(head) == "binary" else head.output.units
        if len(labels) and (labels.min() < 0 or labels.max() >= classes or np.any(labels % 1)):
            raise DataError(f"{where} has class labels from {labels.min():g} to {labels.max():g}, but the head "
                            f"has {classes} classes, so labels must be whole numbers 0..{classes - 1}. "
                            "Set units to the number of classes.")
