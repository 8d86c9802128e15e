"""Table input -> Keras inputs with preprocessing inside the model.

Each CSV column becomes its own named ``keras.Input`` so a saved model takes
raw column values: numbers (NaN for missing) and strings (anything outside the
vocabulary, missing included, goes to the out-of-vocabulary slot).  The
encoded width per column is the one ``builder.design.spec.TableColumn.width`` states:

- numeric: ``Normalization`` (statistics set from the training split),
  missing -> 0 (the mean), plus a 0/1 missing indicator: width 2;
- categorical: ``StringLookup(output_mode="one_hot")`` over the column's
  vocabulary with one out-of-vocabulary slot: width ``len(vocabulary) + 1``.

Only built-in layers and ``keras.ops`` are used, so ``.keras`` files load with
``safe_mode=True``.  Keras names come from :func:`input_names`, which turns
column names with spaces, parentheses or non-ASCII letters into identifiers
for the preprocessing layers; the inputs themselves keep the column's own name
wherever Keras allows it (:func:`model_input_names`).

``keras_inputs`` builds the layers and ``input_code`` prints the same layers as
code; keep the two in step (tests build both and compare).
"""

from __future__ import annotations

from typing import Any

# The names Keras gives a table input's layers are part of the design: validation reserves them.
from ..design.names import (  # noqa: F401  (re-exported: the model's names)
    FEATURES, OOV_TOKEN, RESERVED, SUFFIXES, input_names, keras_name, layer_names, model_input_names,
)
from ..design.spec import TableColumn, TableInput
from ..quoting import quoted


def renamed_inputs(table_input: TableInput) -> dict[str, str]:
    """The columns whose model input name is not the column's own name (for the Export page)."""
    return {column: name for column, name in model_input_names(table_input).items() if column != name}


def norm_layer_name(table_input: TableInput, column: str) -> str:
    return f"{layer_names(table_input)[column]}_norm"


def _preprocess(keras: Any, column: TableColumn, name: str, x):
    """The encoded parts of one column, as Keras tensors."""
    ops = keras.ops
    if column.kind in ("date", "text"):      # issue 12: dates and free text (builder.model.features)
        from .features import column_parts
        return column_parts(keras, column, name, x)
    if column.kind == "numeric":
        normalised = keras.layers.Normalization(name=f"{name}_norm")(x)
        return [ops.nan_to_num(normalised, nan=0.0), ops.cast(ops.isnan(x), "float32")]
    lookup = keras.layers.StringLookup(vocabulary=list(column.vocabulary), output_mode="one_hot",
                                       name=f"{name}_onehot")
    return [lookup(x)]


def keras_inputs(keras: Any, table_input: TableInput):
    """(dict of ``keras.Input`` by input name, the concatenated feature tensor)."""
    stems, names = layer_names(table_input), model_input_names(table_input)
    inputs, parts = {}, []
    for column in table_input.columns:
        name = names[column.name]
        shape, dtype = (1,), "float32" if column.kind == "numeric" else "string"
        if column.kind in ("date", "text"):      # issue 12 (builder.model.features)
            from .features import column_input
            shape, dtype = column_input(column)
        inputs[name] = keras.Input(shape=shape, dtype=dtype, name=name)
        parts += _preprocess(keras, column, stems[column.name], inputs[name])
    features = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name=FEATURES)(parts)
    return inputs, features


def input_code(table_input: TableInput) -> list[str]:
    """Code lines that define ``inputs`` (a dict of keras.Input) and ``features``, as ``keras_inputs`` builds them."""
    stems, names = layer_names(table_input), model_input_names(table_input)
    lines = ["# Raw values in, one input per CSV column: numbers (NaN when missing) and strings",
             "# (unknown or missing -> the extra slot). Each Normalization layer gets the training",
             "# rows' mean and variance (missing values left out) before training.",
             "inputs = {"]
    for column in table_input.columns:
        name = quoted(names[column.name])
        args = "shape=(1,)" if column.kind == "numeric" else "shape=(1,), dtype='string'"
        if column.kind in ("date", "text"):      # issue 12 (builder.model.features)
            from .features import column_code
            args = column_code(column, stems[column.name])[0]
        lines.append(f"    {name}: keras.Input({args}, name={name}),")
    lines += ["}", "parts = []"]
    for column in table_input.columns:
        stem = stems[column.name]
        x = f"inputs[{quoted(names[column.name])}]"
        if column.kind in ("date", "text"):
            from .features import column_code
            lines.append(column_code(column, stem, x)[1])
        elif column.kind == "numeric":
            lines.append(f"parts += [keras.ops.nan_to_num(keras.layers.Normalization(name={quoted(stem + '_norm')})"
                         f"({x}), nan=0.0), keras.ops.cast(keras.ops.isnan({x}), 'float32')]")
        else:
            lines.append(f"parts += [keras.layers.StringLookup(vocabulary={quoted(list(column.vocabulary))}, "
                         f"output_mode='one_hot', name={quoted(stem + '_onehot')})({x})]")
    single = sum(1 if c.kind in ("categorical", "text") else 2 for c in table_input.columns) == 1
    lines.append("features = parts[0]" if single else f"features = keras.layers.Concatenate(name={FEATURES!r})(parts)")
    return lines
