"""Table input -> Keras inputs with preprocessing inside the model.

Each CSV column becomes its own named ``keras.Input`` so a saved model takes
raw column values: numbers (NaN for missing) and strings (anything outside the
vocabulary, missing included, goes to the out-of-vocabulary slot).  The
encoded width per column is the one ``builder.design.spec.TableColumn.width`` states:

- numeric: ``Normalization`` (statistics set from the training split by
  ``builder.data.fit_preprocessing``), missing -> 0 (the mean), plus a 0/1
  missing indicator: width 2;
- categorical: ``StringLookup(output_mode="one_hot")`` over the column's
  vocabulary with one out-of-vocabulary slot: width ``len(vocabulary) + 1``.

Only built-in layers and ``keras.ops`` are used, so ``.keras`` files load with
``safe_mode=True``.  Keras names come from :func:`input_names`, which turns
column names with spaces, parentheses or non-ASCII letters into identifiers;
users only ever see the original names.

``keras_inputs`` builds the layers and ``input_code`` prints the same layers as
code; keep the two in step (tests build both and compare).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..design.spec import TableColumn, TableInput

FEATURES = "features"
MAX_NAME = 48
# Layer names derived from a column's Keras name; input names must never equal one of them.
SUFFIXES = ("_norm", "_onehot", "_text")
RESERVED = {"input", FEATURES}


def keras_name(column: str) -> str:
    """A Keras/Python-safe name for a column: ASCII letters, digits and single underscores.

    >>> keras_name("Body Mass (g)")
    'Body_Mass_g'
    >>> keras_name("Größe")
    'Grosse'
    """
    text = unicodedata.normalize("NFKD", column.replace("ß", "ss"))
    text = text.encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")[:MAX_NAME].rstrip("_")
    if not text:
        return "column"
    return f"c_{text}" if text[0].isdigit() else text


def input_names(columns: list[str], reserved: set[str] | frozenset = frozenset()) -> dict[str, str]:
    """Column name -> unique Keras input name, in column order.

    Names never equal one another, a derived layer name (``<name>_norm``) or
    anything in ``reserved`` (such as trunk layer ids), so Keras never sees two
    layers with one name.
    """
    taken = {n.lower() for n in RESERVED | set(reserved)}
    chosen: dict[str, str] = {}
    for column in columns:
        base = keras_name(column)
        name, n = base, 1
        while _clashes(name, taken):
            n += 1
            name = f"{base}_{n}"
        chosen[column] = name
        taken |= {name.lower(), *(f"{name}{s}".lower() for s in SUFFIXES)}
    return chosen


def _clashes(name: str, taken: set[str]) -> bool:
    # Lower-case: some file systems used when saving weights ignore case.
    return name.lower() in taken or any(f"{name}{s}".lower() in taken for s in SUFFIXES)


def layer_names(table_input: TableInput) -> dict[str, str]:
    return input_names([c.name for c in table_input.columns])


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
    """(dict of ``keras.Input`` by Keras name, the concatenated feature tensor)."""
    names = layer_names(table_input)
    inputs, parts = {}, []
    for column in table_input.columns:
        name = names[column.name]
        shape, dtype = (1,), "float32" if column.kind == "numeric" else "string"
        if column.kind in ("date", "text"):
            from .features import column_input
            shape, dtype = column_input(column)
        inputs[name] = keras.Input(shape=shape, dtype=dtype, name=name)
        parts += _preprocess(keras, column, name, inputs[name])
    features = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name=FEATURES)(parts)
    return inputs, features


def input_code(table_input: TableInput) -> list[str]:
    """Code lines that define ``inputs`` (a dict of keras.Input) and ``features``, as ``keras_inputs`` builds them."""
    names = layer_names(table_input)
    lines = ["# Raw values in: numbers (NaN when missing) and strings (unknown or missing -> the extra slot).",
             "# Normalization statistics come from the training split: call adapt() on each",
             "# Normalization layer (NaNs removed), or builder.data.fit_preprocessing, before fit.",
             "inputs = {"]
    for column in table_input.columns:
        name = names[column.name]
        args = "shape=(1,)" if column.kind == "numeric" else "shape=(1,), dtype='string'"
        if column.kind in ("date", "text"):
            from .features import column_code
            args = column_code(column, name)[0]
        lines.append(f"    {name!r}: keras.Input({args}, name={name!r}),  # {column.name!r}")
    lines += ["}", "parts = []"]
    for column in table_input.columns:
        name = names[column.name]
        x = f"inputs[{name!r}]"
        if column.kind in ("date", "text"):
            from .features import column_code
            lines.append(column_code(column, name)[1])
        elif column.kind == "numeric":
            lines.append(f"parts += [keras.ops.nan_to_num(keras.layers.Normalization(name={name + '_norm'!r})({x}), "
                         f"nan=0.0), keras.ops.cast(keras.ops.isnan({x}), 'float32')]")
        else:
            lines.append(f"parts += [keras.layers.StringLookup(vocabulary={list(column.vocabulary)!r}, "
                         f"output_mode='one_hot', name={name + '_onehot'!r})({x})]")
    single = sum(1 if c.kind in ("categorical", "text") else 2 for c in table_input.columns) == 1
    lines.append("features = parts[0]" if single else f"features = keras.layers.Concatenate(name={FEATURES!r})(parts)")
    return lines
