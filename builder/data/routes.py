"""``prepare`` and ``fit_preprocessing`` for every input kind: images and windows, else table columns.

A table dataset meets three designs: a table input (``splits``), an image
input over its pixel columns (``pixels``) or time-series windows
(``windows``).  ``builder.data.prepare`` and ``builder.data.fit_preprocessing``
are these two functions.
"""

from __future__ import annotations

from ..design.spec import Design, TableInput
from ..model.preprocessing import norm_layer_name
from .columns import fit_table_features
from .dates import set_statistics
from .dataset import Dataset
from .splits import Prepared, check_fractions
from .splits import prepare as prepare_table


def prepare(design: Design, dataset: Dataset, seed: int = 0, val: float = 0.15, test: float = 0.15) -> Prepared:
    """Train, validation and test splits of ``dataset`` shaped for ``design`` (see ``splits.prepare``).

    Raises:
        DataError: the design does not fit the data, or the data cannot make the splits (with the reason).
    """
    kind = design.input.kind
    if dataset.kind == "table" and kind == "image":
        from .pixels import prepare_images
        check_fractions(val, test)
        return prepare_images(design, dataset, seed, val, test)
    if dataset.kind == "table" and kind == "window":
        from .windows import prepare_windows
        check_fractions(val, test)
        return prepare_windows(design, dataset, val, test)
    return prepare_table(design, dataset, seed, val, test)


def fit_preprocessing(model, design: Design, prepared: Prepared) -> None:
    """Statistics from the training split only: window normalisation, then each table column's.

    Numeric columns: each ``<name>_norm`` layer gets the training split's mean and variance (missing left out);
    date and text columns: their own statistics and vocabularies (``columns``).  Categorical vocabularies are
    part of the design (they fix the input width) and already in the model; regression targets are
    standardised in the data instead (``builder.data.scaling``).
    """
    if design.input.kind == "window":
        from .windows import fit_window
        fit_window(model, prepared)
    if isinstance(design.input, TableInput):
        fit_table_features(model, design.input, prepared)
        for column in design.input.columns:
            if column.kind == "numeric":
                name = prepared.input_names[column.name]
                set_statistics(model.get_layer(norm_layer_name(design.input, column.name)), prepared.train.x[name])
