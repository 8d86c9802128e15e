"""Regression targets: learnt in standard units, reported in the target's own units.

The rule, shared by the app's training and the exported script: a regression
head with a linear output learns ``(y - mean) / scale``, where ``mean`` (one
per output unit) and ``scale`` (one per head) come from the training split's
rows that have a target.  Every head's loss then starts near 1 whatever the
target's units (grams or kilometres), so a loss weight means importance, not
units.  After training, the scaling is folded into the output layer's kernel
and bias (exact for a linear output), so the saved model, its predictions and
the metrics all speak the original units.

Heads with another output activation (``relu``, ``sigmoid``...) keep their raw
targets: the activation bounds the output, and standard units would move the
targets outside those bounds.

Example:
    >>> scale = TargetScale(mean=[3000.0], scale=500.0)
    >>> scale.standardise(np.array([[3500.0]])).tolist()
    [[1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..design.spec import Design, Head, head_kind

LOSS_WEIGHT_NOTE = ("Regression targets are learnt in standard units, so every head's loss starts near 1 and a "
                    "weight means importance: 1.0 for every head weighs them equally.")
# Keras metrics a regression head may log, and the power of the scale that turns them back into units.
METRIC_POWER = {"mae": 1, "mse": 2}


@dataclass(frozen=True)
class TargetScale:
    """How one regression head's target is standardised: per-unit mean, one scale for the head."""

    mean: list[float]
    scale: float

    def standardise(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, np.float64) - self.mean) / self.scale).astype(np.float32)

    def original_units(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, np.float64) * self.scale + self.mean).astype(np.float32)


def learns_standardised(head: Head) -> bool:
    """Whether a head learns on standardised targets: regression with a linear output."""
    return head_kind(head) == "regression" and head.output.activation == "linear"


def target_scaling(design: Design, y: dict[str, np.ndarray], weight: dict[str, np.ndarray]) -> dict[str, TargetScale]:
    """``TargetScale`` per standardised head, from the training split's targets and sample weights."""
    scaling = {}
    for head in design.heads:
        if learns_standardised(head) and head.name in y:
            scaling[head.name] = fit_scale(y[head.name], weight.get(head.name))
    return scaling


def fit_scale(y: np.ndarray, weight: np.ndarray | None = None) -> TargetScale:
    """Mean per unit and one standard deviation of the centred values, over rows with weight above 0."""
    values = np.asarray(y, np.float64).reshape(len(y), -1)
    if weight is not None:
        values = values[np.asarray(weight) > 0]
    if not len(values):
        return TargetScale([0.0] * (values.shape[1] if values.ndim == 2 else 1), 1.0)
    mean = values.mean(axis=0)
    spread = float(np.sqrt(((values - mean) ** 2).mean()))
    return TargetScale([float(m) for m in mean], spread if spread > 0 else 1.0)


def standardised(y: dict[str, np.ndarray], scaling: dict[str, TargetScale]) -> dict[str, np.ndarray]:
    """The targets a model learns on: standardised heads scaled, every other head as it is."""
    return {name: scaling[name].standardise(v).reshape(np.shape(v)) if name in scaling else v
            for name, v in y.items()}


def fold_into_outputs(model, scaling: dict[str, TargetScale]) -> None:
    """Make each standardised head's output layer speak original units: ``W * scale``, ``b * scale + mean``."""
    for name, scale in scaling.items():
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        layer.set_weights([(kernel * scale.scale).astype(kernel.dtype),
                           (bias * scale.scale + np.asarray(scale.mean)).astype(bias.dtype)])


def metrics_in_original_units(per_head: dict[str, dict[str, float]],
                              scaling: dict[str, TargetScale]) -> dict[str, dict[str, float]]:
    """Per-head logs with standardised heads' ``mae``/``mse`` (and ``val_``) back in the target's units.

    Losses stay in standard units: that is what the loss weights weigh.
    """
    out = {}
    for head, values in per_head.items():
        scale = scaling.get(head)
        out[head] = dict(values) if scale is None else {
            key: value * scale.scale ** METRIC_POWER.get(key.removeprefix("val_"), 0)
            for key, value in values.items()}
    return out
