"""Keras layers (and the same layers as code) for dates, free text, pixel images and time-series windows.

- date column: one float input of its derived parts (``builder.data.dates``), ``Normalization(axis=-1)``
  named ``<name>_norm``, missing parts -> 0, plus one missing indicator: width ``len(parts) + 1``;
- text column: one string input per row, ``TextVectorization`` named ``<name>_text`` (multi-hot or TF-IDF)
  with exactly ``max_tokens`` outputs; its vocabulary is set from the training split
  (``builder.data.text.fit_text``), padded with tokens no text can produce, so the width never changes;
- image input: raw 0-255 pixels of shape (H, W, C), ``Rescaling(1/255)`` named ``pixels_scale``;
- window input: (W, F) raw values, ``Normalization(axis=-1)`` named ``window_norm``, missing -> 0.

All built-in layers and ``keras.ops``: the saved model loads with ``safe_mode=True``.
"""

from __future__ import annotations

from typing import Any

from ..design.inputs import ImageInput, TableColumn, WindowInput

IMAGE_SCALE, WINDOW_NORM = "pixels_scale", "window_norm"
SUFFIXES = ("_text",)       # layer names derived from a column's Keras name, besides preprocessing's own


def column_input(column: TableColumn) -> tuple[tuple[int, ...], str]:
    """(shape, dtype) of the model input a date or text column becomes."""
    if column.kind == "date":
        return (len(column.parts),), "float32"
    return (), "string"


def column_parts(keras: Any, column: TableColumn, name: str, x) -> list:
    """The encoded parts of a date or text column, as Keras tensors."""
    ops = keras.ops
    if column.kind == "date":
        normalised = keras.layers.Normalization(axis=-1, name=f"{name}_norm")(x)
        missing = ops.cast(ops.any(ops.isnan(x), axis=-1, keepdims=True), "float32")
        return [ops.nan_to_num(normalised, nan=0.0), missing]
    layer = keras.layers.TextVectorization(max_tokens=column.max_tokens, output_mode=column.output_mode,
                                           pad_to_max_tokens=True, name=f"{name}_text")
    return [layer(x)]


def column_code(column: TableColumn, stem: str, x: str = "") -> tuple[str, str]:
    """(the keras.Input line's arguments, the ``parts +=`` line reading ``x``) for a date or text column."""
    from ..quoting import quoted

    if column.kind == "date":
        return (f"shape=({len(column.parts)},)",
                f"parts += [keras.ops.nan_to_num(keras.layers.Normalization(axis=-1, name={quoted(stem + '_norm')})"
                f"({x}), nan=0.0), keras.ops.cast(keras.ops.any(keras.ops.isnan({x}), axis=-1, keepdims=True), "
                "'float32')]")
    return ("shape=(), dtype='string'",
            f"parts += [keras.layers.TextVectorization(max_tokens={column.max_tokens}, "
            f"output_mode={quoted(column.output_mode)}, pad_to_max_tokens=True, name={quoted(stem + '_text')})({x})]")


def tensor_input(keras: Any, spec: ImageInput | WindowInput, name: str):
    """(the keras.Input, the tensor the trunk starts from) for an image or window input."""
    x = keras.Input(shape=tuple(spec.shape), name=name)
    if isinstance(spec, ImageInput):
        return x, keras.layers.Rescaling(1.0 / 255.0, name=IMAGE_SCALE)(x)
    normalised = keras.layers.Normalization(axis=-1, name=WINDOW_NORM)(x)
    return x, keras.ops.nan_to_num(normalised, nan=0.0)


def tensor_input_code(spec: ImageInput | WindowInput, name: str) -> list[str]:
    """Code lines defining ``input_layer`` and ``features`` as ``tensor_input`` builds them."""
    lines = [f"input_layer = Input(shape={tuple(spec.shape)!r}, name={name!r})"]
    if isinstance(spec, ImageInput):
        return ["# Raw 0-255 pixels in; scaled to 0-1 inside the model", *lines,
                f"features = keras.layers.Rescaling(1.0 / 255.0, name={IMAGE_SCALE!r})(input_layer)"]
    return ["# Raw values in (NaN when missing); Normalization statistics come from the training rows", *lines,
            f"features = keras.ops.nan_to_num(keras.layers.Normalization(axis=-1, name={WINDOW_NORM!r})"
            "(input_layer), nan=0.0)"]
