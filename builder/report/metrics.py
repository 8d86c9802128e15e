"""Per-head test metrics and run-to-run comparison, in pure numpy.

Given what a head should have predicted and what it did predict, compute the
numbers a learner reads on the Results page: MAE, RMSE and R² for a
regression head; accuracy, a labelled confusion matrix and per-class
precision and recall for a classification head.  Targets come in whatever
form the head's loss wants (a number, a 0/1 flag, a class index, a one-hot
row), so each head's arrays are first decoded by its kind.

``design_changes`` says in plain English what differs between the designs of
two runs, so the history overlay can explain why the curves moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..design.spec import Design, Head, head_kind, head_location, layer_params, trunk_location

if TYPE_CHECKING:     # only the type: the service module starts nothing at import, but loads multiprocessing
    from ..train.service import RunResult

MAX_SCATTER_POINTS = 2000   # enough to see the shape; more only slows the browser


@dataclass
class RegressionResult:
    """How well a regression head did on the test split."""

    head: str
    n: int
    mae: float
    rmse: float
    r2: float
    actual: np.ndarray = field(repr=False)      # flattened, at most MAX_SCATTER_POINTS values
    predicted: np.ndarray = field(repr=False)
    kind: str = "regression"

    def metrics(self) -> dict[str, float]:
        return {"MAE": self.mae, "RMSE": self.rmse, "R²": self.r2}


@dataclass
class ClassificationResult:
    """How well a classification head did: rows of ``confusion`` are actual classes, columns predicted."""

    head: str
    n: int
    accuracy: float
    labels: list[str]
    confusion: np.ndarray
    precision: list[float | None]   # None where the head never predicted that class
    recall: list[float | None]      # None where the class never occurs in the test split
    kind: str = "classification"

    def metrics(self) -> dict[str, float]:
        return {"accuracy": self.accuracy}

    def per_class(self) -> list[dict]:
        """Rows of a table: class, precision, recall, how many test samples have it."""
        support = self.confusion.sum(axis=1)
        return [{"class": label, "precision": p, "recall": r, "support": int(s)}
                for label, p, r, s in zip(self.labels, self.precision, self.recall, support)]


HeadResult = RegressionResult | ClassificationResult


# ---------------------------------------------------------------- head kinds

def class_labels(head: Head, n_classes: int) -> list[str]:
    """The head's class names when they fit, else the class indices as text."""
    if len(head.classes) == n_classes:
        return list(head.classes)
    return [str(i) for i in range(n_classes)]


def as_class_indices(values: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Class index per sample from one-hot rows, probability rows, 0/1 flags or sigmoid probabilities."""
    values = np.asarray(values)
    if values.ndim >= 2 and values.shape[-1] > 1:
        return np.argmax(values.reshape(len(values), -1), axis=1)
    flat = values.reshape(len(values)).astype(float)
    if np.all((flat == 0) | (flat == 1)) or not np.all((flat >= 0) & (flat <= 1)):
        return np.rint(flat).astype(int)          # already labels (0/1 flags or integer classes)
    return (flat >= threshold).astype(int)        # sigmoid probabilities


def _predicted_classes(head: Head, predicted: np.ndarray) -> np.ndarray:
    predicted = np.asarray(predicted, dtype=float)
    if predicted.ndim >= 2 and predicted.shape[-1] > 1:
        return np.argmax(predicted.reshape(len(predicted), -1), axis=1)
    # A single output unit is a yes/no probability (sigmoid); a linear one is a logit, split at 0.
    threshold = 0.0 if head.output.activation == "linear" else 0.5
    return (predicted.reshape(len(predicted)) >= threshold).astype(int)


# ------------------------------------------------------------------ metrics

def regression_metrics(head: str, actual: np.ndarray, predicted: np.ndarray) -> RegressionResult:
    """MAE and RMSE over every value; R² averaged over output units, as scikit-learn does."""
    actual = np.asarray(actual, dtype=float).reshape(len(actual), -1)
    predicted = np.asarray(predicted, dtype=float).reshape(len(predicted), -1)
    if actual.shape != predicted.shape:
        raise ValueError(f"head {head!r}: actual values have shape {actual.shape} but predictions "
                         f"{predicted.shape}. They must match.")
    if len(actual) == 0:    # every test target missing: nothing to score, and no numpy warnings
        empty = np.zeros(0)
        return RegressionResult(head, 0, math.nan, math.nan, math.nan, empty, empty)
    error = predicted - actual
    spread = ((actual - actual.mean(axis=0)) ** 2).sum(axis=0)
    residual = (error ** 2).sum(axis=0)
    # A constant target has no spread: R² is 1 when it is hit exactly, else 0, as scikit-learn reports.
    r2_per_unit = np.where(spread > 0, 1 - residual / np.where(spread > 0, spread, 1),
                           np.where(residual == 0, 1.0, 0.0))
    shown_actual, shown_predicted = _subsample(actual.ravel(), predicted.ravel())
    return RegressionResult(head, len(actual), float(np.abs(error).mean()), float(math.sqrt((error ** 2).mean())),
                            float(r2_per_unit.mean()), shown_actual, shown_predicted)


def _subsample(*arrays: np.ndarray) -> list[np.ndarray]:
    n = len(arrays[0])
    if n <= MAX_SCATTER_POINTS:
        return list(arrays)
    keep = np.linspace(0, n - 1, MAX_SCATTER_POINTS).astype(int)   # evenly spaced: same points every time
    return [a[keep] for a in arrays]


def classification_metrics(head: str, actual: np.ndarray, predicted: np.ndarray,
                           labels: list[str]) -> ClassificationResult:
    """Accuracy, confusion matrix and per-class precision/recall from class indices."""
    actual = np.asarray(actual, dtype=int).ravel()
    predicted = np.asarray(predicted, dtype=int).ravel()
    k = len(labels)
    confusion = np.zeros((k, k), dtype=int)
    inside = (actual >= 0) & (actual < k) & (predicted >= 0) & (predicted < k)
    np.add.at(confusion, (actual[inside], predicted[inside]), 1)
    hits = np.diag(confusion)
    predicted_count, actual_count = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = [float(h / c) if c else None for h, c in zip(hits, predicted_count)]
    recall = [float(h / c) if c else None for h, c in zip(hits, actual_count)]
    accuracy = float((actual == predicted).mean()) if len(actual) else 0.0
    return ClassificationResult(head, len(actual), accuracy, labels, confusion, precision, recall)


def evaluate_head(head: Head, actual: np.ndarray, predicted: np.ndarray) -> HeadResult:
    """The result of one head, decoding targets and predictions by the head's kind."""
    if head_kind(head) == "regression":
        return regression_metrics(head.name, actual, predicted)
    true_classes = as_class_indices(actual)
    predicted_classes = _predicted_classes(head, predicted)
    n_classes = max(head.output.units if head.output.units > 1 else 2,
                    int(true_classes.max(initial=0)) + 1, int(predicted_classes.max(initial=0)) + 1)
    return classification_metrics(head.name, true_classes, predicted_classes, class_labels(head, n_classes))


def evaluate(design: Design, actual: dict[str, np.ndarray], predicted: dict[str, np.ndarray] | list,
             weights: dict[str, np.ndarray] | None = None) -> dict[str, HeadResult]:
    """Results for every head of a design that has targets, in head order.

    ``predicted`` may be a dict by head name or the list ``model.predict`` returns (head order).
    ``weights`` (per head, per sample) leave out samples of weight 0: rows whose target is missing.
    """
    if not isinstance(predicted, dict):
        predicted = dict(zip([h.name for h in design.heads], predicted))
    results = {}
    for head in design.heads:
        if head.name not in actual or head.name not in predicted:
            continue
        y_true, y_pred = np.asarray(actual[head.name]), np.asarray(predicted[head.name])
        if weights and head.name in weights:
            keep = np.asarray(weights[head.name]).reshape(len(y_true)) > 0
            y_true, y_pred = y_true[keep], y_pred[keep]
        results[head.name] = evaluate_head(head, y_true, y_pred)
    return results


def format_metric(name: str, value: float | None) -> str:
    """A metric as people read it: accuracy in percent, errors with four significant digits."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if name in ("accuracy", "precision", "recall"):
        return f"{value:.1%}"
    return f"{value:.4g}"


def per_class_rows(result: ClassificationResult) -> list[dict]:
    """The per-class table with precision and recall as text ("n/a" where undefined)."""
    return [{**row, "precision": format_metric("precision", row["precision"]),
             "recall": format_metric("recall", row["recall"])} for row in result.per_class()]


def metrics_table(results: dict[str, HeadResult]) -> list[dict]:
    """One row per head and metric, for a plain table."""
    return [{"head": name, "metric": metric, "value": value}
            for name, result in results.items() for metric, value in result.metrics().items()]


def design_changes(old: Design, new: Design) -> list[str]:
    """What changed from one run's design to the next, one plain-English line per change.

    Layers are matched by id, so inserting a layer reads as one addition, not
    as every later layer changing.

    Example:
        >>> design_changes(a, b)
        ["trunk step 2 (Dense): units 32 -> 64", "head 'sex' added"]
    """
    lines = []
    if old.name != new.name:
        lines.append(f"name: {old.name!r} -> {new.name!r}")
    lines += _input_changes(old, new)
    lines += _layer_changes(old.trunk, new.trunk, trunk_location)
    lines += _head_changes(old, new)
    lines += _field_changes("training", old.training.model_dump(), new.training.model_dump())
    return lines


def _input_changes(old: Design, new: Design) -> list[str]:
    if old.input.kind != new.input.kind:
        return [f"input: {old.input.kind} -> {new.input.kind}"]
    if old.input.kind == "tensor":
        return [] if old.input.shape == new.input.shape else [
            f"input: shape {tuple(old.input.shape)} -> {tuple(new.input.shape)}"]
    before = {c.name: c for c in old.input.columns}
    after = {c.name: c for c in new.input.columns}
    lines = [f"input column {name!r} added" for name in after if name not in before]
    lines += [f"input column {name!r} removed" for name in before if name not in after]
    lines += [f"input column {name!r}: {before[name].kind} -> {after[name].kind}"
              for name in after if name in before and before[name].kind != after[name].kind]
    return lines


def _layer_changes(old_layers, new_layers, where) -> list[str]:
    """Changes between two layer lists; ``where(index, type)`` names a place in words."""
    lines = []
    old_by_id = {layer.id: layer for layer in old_layers}
    new_ids = {layer.id for layer in new_layers}
    for i, layer in enumerate(old_layers):
        if layer.id not in new_ids:
            lines.append(f"{where(i, layer.type)} removed ({layer.id})")
    for i, layer in enumerate(new_layers):
        before = old_by_id.get(layer.id)
        if before is None:
            lines.append(f"{where(i, layer.type)} added ({layer.id})")
        elif before.type != layer.type:
            lines.append(f"{where(i, layer.type)}: {before.type} -> {layer.type}")
        else:
            lines += _field_changes(where(i, layer.type), layer_params(before), layer_params(layer))
    return lines


def _field_changes(where: str, before: dict, after: dict) -> list[str]:
    return [f"{where}: {key} {_show(before.get(key))} -> {_show(after.get(key))}"
            for key in after if before.get(key) != after.get(key)]


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _head_changes(old: Design, new: Design) -> list[str]:
    before = {h.name: h for h in old.heads}
    after = {h.name: h for h in new.heads}
    lines = [f"head {name!r} added" for name in after if name not in before]
    lines += [f"head {name!r} removed" for name in before if name not in after]
    for name, head in after.items():
        if name not in before:
            continue
        settings = ("branch_from", "loss", "loss_weight", "metrics", "target", "kind", "classes")
        old_head = before[name]
        lines += _field_changes(head_location(name), {k: getattr(old_head, k) for k in settings},
                                {k: getattr(head, k) for k in settings})
        lines += _field_changes(f"{head_location(name)}, output", old_head.output.model_dump(), head.output.model_dump())
        lines += _layer_changes(old_head.layers, head.layers, lambda i, t, n=name: head_location(n, i, t))
    return lines


def test_results(design: Design, result: RunResult | None) -> dict:
    """Per-head results on the test split from the engine's RunResult (empty when there is none)."""
    if result is None or not result.test_targets or not result.test_predictions \
            or not any(len(v) for v in result.test_targets.values()):
        return {}
    return evaluate(design, result.test_targets, result.test_predictions, result.test_weights or None)
