"""How to call the saved model: a short script for the Export page, and what each output means.

The saved ``.keras`` model takes one input per CSV column, named as the
column (``builder.model.preprocessing.model_input_names``), and returns one array per
head in head order: a regression head in its target's own units, a binary
head the probability of its second class, a multiclass head one probability
per class in the order of ``head.classes``.

Example:
    >>> from builder.design.templates import template
    >>> "safe_mode=True" in predict_snippet(template("seed-multi-regression"))
    True
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..quoting import quoted
from ..design.spec import Design, Head, TableInput, head_kind


def example_row(design: Design, dataset=None) -> dict[str, Any]:
    """One row of raw values keyed by column name: the dataset's first row where it has one, else plain defaults."""
    if not isinstance(design.input, TableInput):
        return {}
    first = {}
    if dataset is not None and getattr(dataset, "kind", None) == "table" and len(dataset.frame):
        first = dataset.frame.iloc[0].to_dict()
    row = {}
    for column in design.input.columns:
        value = first.get(column.name)
        if column.kind == "numeric":
            row[column.name] = _number(value)
        else:
            text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            row[column.name] = text or (column.vocabulary[0] if column.vocabulary else "")
    return row


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else float("nan")


def predict_snippet(design: Design, model_file: str = "model.keras", row: Mapping[str, Any] | None = None) -> str:
    """Python that loads the saved model with ``safe_mode=True`` and predicts one row given as {column: value}."""
    lines = ["import keras", "import numpy as np"]
    table = isinstance(design.input, TableInput)
    if table:
        lines += ["import tensorflow as tf"]
    lines += ["", f"model = keras.saving.load_model({quoted(model_file)}, safe_mode=True)"]
    if table:
        lines += _table_inputs(design, dict(row) if row is not None else example_row(design))
    else:
        lines += [f"inputs = np.zeros((1, *{quoted(tuple(design.input.shape))}), dtype='float32')  # one sample"]
    call = "model.predict(inputs, verbose=0)"
    lines += [f"out = {call}" if len(design.heads) > 1 else f"out = [{call}]  # one head: one array"]
    lines += [_print_line(i, head) for i, head in enumerate(design.heads)]
    return "\n".join(lines) + "\n"


def _table_inputs(design: Design, row: dict[str, Any]) -> list[str]:
    from ..model.preprocessing import renamed_inputs

    renamed = renamed_inputs(design.input)
    lines = ["# One row, keyed by the CSV's column names; a missing number is float('nan')", f"row = {quoted(row)}"]
    key = "column"
    if renamed:
        lines += ["# Keras does not allow these column names as input names; the model uses these instead",
                  f"INPUT_NAMES = {quoted(renamed)}"]
        key = "INPUT_NAMES.get(column, column)"
    lines += ["inputs = {" + key + ": tf.constant([[value]], dtype=tf.string if isinstance(value, str) else tf.float32)",
              "          for column, value in row.items()}"]
    return lines


def _print_line(i: int, head: Head) -> str:
    kind = head_kind(head)
    name = quoted(head.name)
    if kind == "regression":
        return f"print({name}, out[{i}][0].tolist())  # in the target's own units"
    if kind == "binary":
        second = quoted(head.classes[1]) if len(head.classes) == 2 else "'class 1'"
        return f"print({name}, 'probability of', {second}, float(out[{i}][0, -1]))"
    if head.classes:
        return f"print({name}, {quoted(list(head.classes))}[int(out[{i}][0].argmax())])"
    return f"print({name}, 'class', int(out[{i}][0].argmax()))"


def output_meanings(design: Design) -> list[str]:
    """One plain sentence per head: what its output array holds (class order for classification heads)."""
    lines = []
    for i, head in enumerate(design.heads):
        kind = head_kind(head)
        place = f"output {i + 1}, head `{head.name}`"
        if kind == "regression":
            lines.append(f"{place}: a number in the units of {head.target or head.name!r}.")
        elif kind == "binary" and len(head.classes) == 2:
            lines.append(f"{place}: the probability that it is {head.classes[1]!r} "
                         f"(1 minus it is the probability of {head.classes[0]!r}).")
        elif kind == "binary":
            lines.append(f"{place}: the probability of class 1 (1 minus it is the probability of class 0).")
        elif head.classes:
            order = ", ".join(f"{j}: {c!r}" for j, c in enumerate(head.classes))
            lines.append(f"{place}: one probability per class, in this order: {order}.")
        else:
            lines.append(f"{place}: one probability per class, class 0 to {head.output.units - 1} in order.")
    return lines
