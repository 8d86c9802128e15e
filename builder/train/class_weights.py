"""Per-head "balanced" class weights, applied as that head's sample weights on the training split only.

Keras' ``class_weight`` argument refuses models with several outputs; multiplying one head's
sample weights leaves every other head's loss (and its loss weight) exactly as it was.
"balanced" is scikit-learn's rule: ``n_rows / (n_classes * rows_of_that_class)``, counted on
the training split's rows that have a target (weight > 0).  Pure numpy.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..design.spec import Design, Head, head_kind


def class_indices(head: Head, y: np.ndarray) -> np.ndarray:
    """Each row's class index, whatever the target encoding (0/1 column, integer codes, one-hot)."""
    y = np.asarray(y)
    if head_kind(head) == "binary":
        return (y.reshape(len(y), -1)[:, 0] > 0.5).astype(np.int64)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1).astype(np.int64)
    return y.reshape(-1).astype(np.int64)


def balanced_weights(classes: np.ndarray, present: np.ndarray | None = None) -> dict[int, float]:
    """{class index: weight} so that every class carries the same total weight.

    Example:
        >>> balanced_weights(np.array([0, 0, 0, 1]))
        {0: 0.6666666666666666, 1: 2.0}
    """
    classes = classes if present is None else classes[present]
    values, counts = np.unique(classes, return_counts=True)
    n, k = counts.sum(), len(values)
    return {int(v): float(n / (k * c)) for v, c in zip(values, counts)}


def head_weights(design: Design, split) -> dict[str, dict[int, float]]:
    """{head: {class index: weight}} for each head set to "balanced", from ``split`` (the training split)."""
    out = {}
    for head in design.heads:
        if head.class_weight != "balanced" or head_kind(head) == "regression" or head.name not in split.y:
            continue
        weight = (split.sample_weight or {}).get(head.name)
        present = None if weight is None else np.asarray(weight) > 0
        out[head.name] = balanced_weights(class_indices(head, split.y[head.name]), present)
    return out


def apply(design: Design, prepared):
    """The same splits with each "balanced" head's training sample weights multiplied by its class weight."""
    weights = head_weights(design, prepared.train)
    if not weights:
        return prepared
    train = prepared.train
    sample_weight = dict(train.sample_weight or {})
    for name, table in weights.items():
        classes = class_indices(design.head(name), train.y[name])
        factor = np.array([table.get(int(c), 1.0) for c in range(int(classes.max()) + 1)], np.float32)[classes]
        base = sample_weight.get(name)
        sample_weight[name] = (factor if base is None else np.asarray(base, np.float32) * factor).astype(np.float32)
    return dataclasses.replace(prepared, train=dataclasses.replace(train, sample_weight=sample_weight))
