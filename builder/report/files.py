"""The files a user takes away besides the script: the design JSON, the history CSV, the data file.

The training script itself is ``builder.report.script``; the snippet that
calls the saved model is ``builder.report.snippet``.  Every name offered for
download goes through ``builder.quoting.file_stem``.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Mapping, Sequence

from ..design.spec import Design, TableInput
from ..quoting import file_stem as clean_stem, spreadsheet_cell


def design_json(design: Design) -> str:
    """The design file, loadable with ``parse_design`` or the Design page's upload."""
    return design.to_json(indent=2) + "\n"


def history_csv(history: Mapping[str, Sequence[float]]) -> str:
    """A Keras history (key -> one value per epoch) as CSV: an ``epoch`` column, then one per key.

    Keys are sorted with the totals first, then per head, so columns read
    ``loss, val_loss, <head>_loss, val_<head>_loss, ...``.  Shorter lists
    (a metric that started late) leave their cells empty.
    """
    keys = sorted(history, key=_column_order)
    epochs = max((len(v) for v in history.values()), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *[spreadsheet_cell(k) for k in keys]])
    for i in range(epochs):
        writer.writerow([i + 1, *[_cell(history[k], i) for k in keys]])
    return out.getvalue()


def _column_order(key: str) -> tuple:
    base = key[4:] if key.startswith("val_") else key
    return (base != "loss", base, key.startswith("val_"))


def _cell(values: Sequence[float], i: int) -> str:
    if i >= len(values):
        return ""
    value = float(values[i])
    return repr(value) if math.isfinite(value) else str(value)


def dataset_fits(design: Design, dataset) -> bool:
    """Whether the script of ``design`` can read ``dataset``: a CSV for a table design, arrays for a tensor one."""
    from .feature_script import reads_csv    # image and window designs read a CSV too (issue 12)

    return dataset is not None and (dataset.kind == "table") == reads_csv(design)


def data_file_name(design: Design, dataset=None) -> str:
    """What the data file is called next to the script: the dataset's name when it fits the design
    (``penguins.csv``, ``seed-multi-regression.npz``), else ``data.csv`` or ``data.npz``."""
    from .feature_script import reads_csv

    extension = ".csv" if reads_csv(design) else ".npz"
    if not dataset_fits(design, dataset):
        return "data" + extension
    stem = dataset.name.rsplit("/", 1)[-1]
    stem = stem[:-len(extension)] if stem.lower().endswith(extension) else stem
    return clean_stem(stem, "data") + extension


def renamed_inputs(design: Design) -> dict[str, str]:
    """Columns the saved model knows under another input name (Keras forbids ``/`` in a name, for one)."""
    if not isinstance(design.input, TableInput):
        return {}
    from ..model.preprocessing import renamed_inputs as renamed

    return renamed(design.input)


def file_stem(design: Design) -> str:
    """A file name stem from the design's name: ``my model!`` -> ``my_model`` (``builder.quoting.file_stem``)."""
    return clean_stem(design.name)
