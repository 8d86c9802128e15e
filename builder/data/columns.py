"""Date and text input columns inside a table: their values for the model, and fitting their layers.

The hooks ``builder.data.splits`` calls for the column kinds of issue 12; the
work itself is in ``builder.data.dates`` and ``builder.data.text``.
"""

from __future__ import annotations

import numpy as np

FEATURE_KINDS = ("date", "text")


def feature_values(series, column) -> np.ndarray:
    """A date column's parts (float32, rows x parts, NaN when missing) or a text column's UTF-8 bytes."""
    if column.kind == "date":
        from .dates import expand_dates
        return expand_dates(series, list(column.parts))
    from .text import text_values
    return text_values(series)


def fit_table_features(model, table, prepared) -> None:
    """Date parts' statistics and text vocabularies, from the training split only."""
    from ..model.preprocessing import layer_names

    stems = layer_names(table)          # layers are named after the column's stem, inputs after the column
    for column in table.columns:
        name = prepared.input_names[column.name]
        if column.kind == "date":
            from .dates import set_statistics
            set_statistics(model.get_layer(f"{stems[column.name]}_norm"), prepared.train.x[name])
        elif column.kind == "text":
            from .text import fit_text
            fit_text(model.get_layer(f"{stems[column.name]}_text"), prepared.train.x[name], column)
