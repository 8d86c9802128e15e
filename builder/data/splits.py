"""Design + dataset -> train/validation/test arrays, sample weights, tf.data, and preprocessing statistics.

Table data: ``x`` is a dict of one column array per model input, keyed by
the model's input names (``builder.model.preprocessing.model_input_names``: the column's
own name wherever Keras allows it): numbers as float32 with NaN for missing,
categories as UTF-8 bytes (values outside the vocabulary and missing values
become ``b""``, which the model's StringLookup sends to its out-of-vocabulary
slot).  Targets get one array per head; a missing target
gets weight 0 for that head only, so the row still trains the other heads.

Tensor data (built-in synthetic sets): ``x`` is the array, ``y`` one array per
head, every weight 1.

Splits are seeded and stratified on the first classification head, so rare
classes appear in every split where they have enough rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError
from ..design.spec import Design, Head, TableInput, head_kind
from ..model.preprocessing import model_input_names
from .checks import check_finite, check_tensor_target
from .columns import feature_values
from .dataset import Dataset
from .parallel import PARALLEL_ROWS, cores, release_memory
from .profile import as_text, category_values
from .scaling import TargetScale, standardised, target_scaling

SHUFFLE_BUFFER = 10_000     # the splits are already in random order; this reshuffles each epoch cheaply


@dataclass
class Split:
    """One split: inputs, targets and per-head sample weights, ``n`` rows."""

    x: Any
    y: dict[str, np.ndarray]
    sample_weight: dict[str, np.ndarray]
    n: int


@dataclass
class Prepared:
    """Train, validation and test splits of a dataset, shaped for a design's model."""

    design: Design
    train: Split
    val: Split
    test: Split
    kind: str = "table"
    input_names: dict[str, str] = field(default_factory=dict)    # column -> Keras input name
    stratified_on: str | None = None
    target_scaling: dict[str, TargetScale] = field(default_factory=dict)   # from the training split

    def __post_init__(self):
        if not self.target_scaling:
            self.target_scaling = target_scaling(self.design, self.train.y, self.train.sample_weight)

    @property
    def head_names(self) -> list[str]:
        return [h.name for h in self.design.heads]

    def split(self, name: str) -> Split:
        if name not in ("train", "val", "test"):
            raise DataError(f"split must be 'train', 'val' or 'test'. Received: {name!r}.")
        return getattr(self, name)

    def keras_targets(self, split: Split):
        """(y, sample_weight) as Keras pairs them with the model's outputs.

        Several heads: y a dict by head name, weights a tuple in head order
        (Keras 3 finds per-output weights by position in the list of outputs).
        One head: both bare arrays, since the model's output is not a list.
        Regression heads with a linear output get standardised targets (``builder.data.scaling``).
        """
        y = standardised(split.y, self.target_scaling)
        if len(self.head_names) == 1:
            name = self.head_names[0]
            return y[name], split.sample_weight[name]
        return y, tuple(split.sample_weight[name] for name in self.head_names)

    def to_tf(self, split: str | Split = "train", batch_size: int | None = None, shuffle: bool | None = None,
              seed: int | None = None):
        """A batched ``tf.data.Dataset`` of ``(x, y, sample_weight)``.

        ``y`` and ``sample_weight`` are shaped by ``keras_targets``. The
        arrays are copied into TensorFlow once, here; batches are slices.

        Args:
            split: "train", "val", "test" or a Split.
            batch_size: default: the design's training batch size.
            shuffle: default: True for the training split only.
            seed: the shuffle seed; default: the design's training seed.
        """
        import tensorflow as tf

        is_train = split == "train"
        data = self.split(split) if isinstance(split, str) else split
        batch_size = batch_size or self.design.training.batch_size
        targets, weights = self.keras_targets(data)
        ds = tf.data.Dataset.from_tensor_slices((data.x, targets, weights))
        if is_train if shuffle is None else shuffle:
            seed = self.design.training.seed if seed is None else seed
            ds = ds.shuffle(min(max(data.n, 1), SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def prepare(design: Design, dataset: Dataset, seed: int = 0, val: float = 0.15, test: float = 0.15) -> Prepared:
    """Split a dataset for a design: seeded, stratified on the first classification head where possible.

    Raises:
        DataError: the design does not fit the data (missing columns, wrong shapes), or too few rows.
    """
    check_fractions(val, test)
    if dataset.kind == "table":
        return _prepare_table(design, dataset, seed, val, test)
    return _prepare_tensor(design, dataset, seed, val, test)


def check_fractions(val: float, test: float) -> None:
    for name, value in (("val", val), ("test", test)):
        if not 0.0 <= value < 0.5:
            raise DataError(f"{name} must be a fraction from 0 up to 0.5. Received: {name}={value}.")


# ---------------------------------------------------------------- splits

def split_indices(n: int, seed: int, val: float, test: float, strata: np.ndarray | None = None):
    """(train, val, test) row indices; within each stratum the same fractions go to each split."""
    rng = np.random.default_rng(seed)
    # Distinct strata by hashing, then sorted: the same order as np.unique's full sort, faster.
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata == s)
                                                    for s in np.sort(np.unique(strata, sorted=False))]
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in groups:
        group = rng.permutation(group)
        n_val, n_test = int(round(len(group) * val)), int(round(len(group) * test))
        if n_val + n_test >= len(group):      # a tiny group trains first
            n_val = n_test = 0
        parts[1].append(group[:n_val])
        parts[2].append(group[n_val:n_val + n_test])
        parts[0].append(group[n_val + n_test:])
    return tuple(rng.permutation(np.concatenate(p)) if p else np.arange(0) for p in parts)


def _check_rows(n_train: int, n: int) -> None:
    if n_train < 1 or n < 3:
        raise DataError(f"only {n} row(s) to split into training, validation and test data. "
                        "Use a file with more rows.")


def _classification_head(design: Design) -> Head | None:
    return next((h for h in design.heads if head_kind(h) != "regression"), None)


# ----------------------------------------------------------------- tables

def _prepare_table(design: Design, dataset: Dataset, seed: int, val: float, test: float) -> Prepared:
    if not isinstance(design.input, TableInput):
        raise DataError(f"the design takes an array of shape {tuple(design.input.shape)}, but {dataset.name!r} is "
                        "a table. Suggest a design from the table's columns, or load the template's data.")
    frame = dataset.frame
    _check_design_columns(design, dataset)
    names = model_input_names(design.input)
    columns = design.input.columns
    pool = None
    if len(frame) >= PARALLEL_ROWS:
        from concurrent.futures import ThreadPoolExecutor

        release_memory()     # what profiling freed: the splits' arrays start from a lower peak
        if len(columns) > 1:
            pool = ThreadPoolExecutor(cores())
    try:
        # Large tables: a thread per core (numpy and Arrow let go of the GIL). Category codes (hashing
        # text, the slow part) start while this thread encodes the targets and splits the rows.
        codes = {c.name: pool.submit(_small_codes, frame[c.name], c) for c in columns
                 if c.kind == "categorical"} if pool else {}
        targets = {h.name: encode_target(frame[h.target], h) for h in design.heads}
        stratify = _classification_head(design)
        strata = _strata(*targets[stratify.name]) if stratify else None
        idx = split_indices(len(frame), seed, val, test, strata)
        _check_rows(len(idx[0]), len(frame))

        # Each column is cut into the splits on its own: one full-length temporary per thread at a time.
        def encode(column):
            known = codes.pop(column.name).result() if column.name in codes else None
            return names[column.name], encode_column(frame[column.name], column, idx, known)

        encoded = list(pool.map(encode, columns)) if pool else [encode(column) for column in columns]
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    splits = [Split({}, {}, {}, len(rows)) for rows in idx]
    for name, parts in encoded:
        for split, values in zip(splits, parts):
            split.x[name] = values
    del encoded
    for split, rows in zip(splits, idx):
        split.y.update({name: value[rows] for name, (value, _) in targets.items()})
        split.sample_weight.update({name: weight[rows] for name, (_, weight) in targets.items()})
    return Prepared(design, *splits, kind="table", input_names=names,
                    stratified_on=stratify.name if stratify else None)


def _check_design_columns(design: Design, dataset: Dataset) -> None:
    columns = set(dataset.columns)
    for c in design.input.columns:
        if c.name not in columns:
            raise DataError(f"the design's input column {c.name!r} is not in {dataset.name!r}. "
                            "Suggest the design again from this data, or remove that column from the input.")
    for h in design.heads:
        if not h.target:
            raise DataError(f"head {h.name!r} has no target column, so there is nothing to train it on. "
                            "Set its target to a column, or remove the head.")
        if h.target not in columns:
            raise DataError(f"head {h.name!r} predicts column {h.target!r}, which is not in {dataset.name!r}. "
                            "Choose one of its columns as the target, or remove the head.")


def _strata(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    labels = y.reshape(len(y), -1)
    labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
    return np.where(weight > 0, labels.astype(np.int64), -1)   # rows without the label form their own group


def encode_column(series, column, rows=None, codes=None):
    """One input column as the model takes it: float32 (n, 1) with NaN, or UTF-8 bytes (n, 1).

    With ``rows`` (a list of index arrays), one such array per list entry, taking those rows.
    ``codes``: the categorical column's ``_codes``, if already worked out.
    """
    if column.kind in ("date", "text"):        # issue 12: date parts and raw text (builder.data.dates, .text)
        values = feature_values(series, column)
        return values if rows is None else [values[r] for r in rows]
    if column.kind == "numeric":
        values = _numbers(series)
        check_finite(values, f"input column {column.name!r}", unit="data row")
        if rows is None:
            return values.reshape(-1, 1)
        return [values[r].reshape(-1, 1) for r in rows]
    if codes is None:
        codes = _codes(series, list(column.vocabulary))
    lookup = np.array([v.encode("utf-8") for v in column.vocabulary] + [b""])
    if rows is None:
        return lookup[codes].reshape(-1, 1)
    return [np.take(lookup, codes[r]).reshape(-1, 1) for r in rows]   # the rows' codes first: one bytes copy


def _small_codes(series, column) -> np.ndarray:
    """``_codes`` in the smallest integer type that holds them (a vocabulary has at most a few hundred values)."""
    codes = _codes(series, list(column.vocabulary))
    return codes.astype(np.min_scalar_type(len(column.vocabulary)), copy=False)


def _numbers(series) -> np.ndarray:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    return series.to_numpy(dtype=np.float32, na_value=np.nan)


def _codes(series, values: list[str]) -> np.ndarray:
    """Index of each value in ``values``; missing or unknown -> len(values). Vectorised in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc


    text = pa.array(as_text(series))      # Arrow-backed text: the same buffers, no copy
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = text.cast(pa.large_string())
    codes = pc.index_in(text, value_set=pa.array(values, type=text.type))
    codes = codes.fill_null(len(values))
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks() if codes.num_chunks != 1 else codes.chunk(0)
    return codes.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def encode_target(series, head: Head) -> tuple[np.ndarray, np.ndarray]:
    """(target array, weight array) for one head; weight 0 where the target is missing or unknown."""
    kind = head_kind(head)
    if kind == "regression":
        y = _numbers(series).reshape(-1, 1)
        check_finite(y[:, 0], f"the target column {head.target!r} of head {head.name!r}", unit="data row")
        if head.output.units != 1:
            raise DataError(f"head {head.name!r} has {head.output.units} output units but its target "
                            f"{head.target!r} is one number per row. Set units to 1.")
        missing = np.isnan(y[:, 0])
        return np.where(np.isnan(y), np.float32(0), y), (~missing).astype(np.float32)
    classes = list(head.classes) or _classes(series)
    codes = _codes(series, classes)
    known = codes < len(classes)
    codes = np.where(known, codes, 0)
    weight = known.astype(np.float32)
    if kind == "binary":
        if len(classes) != 2:
            raise DataError(f"head {head.name!r} is binary but its target {head.target!r} has {len(classes)} "
                            "classes. Make it multiclass, or choose a two-valued column.")
        return codes.astype(np.float32).reshape(-1, 1), weight
    if head.loss == "categorical_crossentropy":   # one-hot labels, as this loss expects
        return np.eye(len(classes), dtype=np.float32)[codes], weight
    return codes.astype(np.int32), weight


def _classes(series) -> list[str]:

    return sorted(category_values(series))


# ----------------------------------------------------------------- tensors

def _prepare_tensor(design: Design, dataset: Dataset, seed: int, val: float, test: float) -> Prepared:
    if isinstance(design.input, TableInput):
        raise DataError(f"the design takes table columns, but {dataset.name!r} holds arrays of shape "
                        f"{tuple(dataset.x.shape[1:])}. Start from the {dataset.template or 'matching'} template.")
    if tuple(design.input.shape) != tuple(dataset.x.shape[1:]):
        raise DataError(f"the design's input shape is {tuple(design.input.shape)} but {dataset.name!r} holds "
                        f"samples of shape {tuple(dataset.x.shape[1:])}. Set the input shape to "
                        f"{list(dataset.x.shape[1:])}.")
    if dataset.x.dtype.kind not in "biuf":
        raise DataError(f"x in {dataset.name!r} holds {dataset.x.dtype} values, not numbers. Save the samples "
                        "as a numeric array (float32).")
    check_finite(dataset.x, f"x in {dataset.name!r}", unit="sample")
    targets = {h.name: _tensor_target(dataset, h) for h in design.heads}
    stratify = _classification_head(design)
    strata = _strata(targets[stratify.name], np.ones(len(dataset.x))) if stratify else None
    idx = split_indices(len(dataset.x), seed, val, test, strata)
    _check_rows(len(idx[0]), len(dataset.x))
    splits = [Split(dataset.x[rows], {k: v[rows] for k, v in targets.items()},
                    {k: np.ones(len(rows), np.float32) for k in targets}, len(rows)) for rows in idx]
    return Prepared(design, *splits, kind="tensor", stratified_on=stratify.name if stratify else None)


def _tensor_target(dataset: Dataset, head: Head) -> np.ndarray:
    key = head.target if head.target in dataset.y else head.name
    if key not in dataset.y:
        raise DataError(f"head {head.name!r} has no data in {dataset.name!r}, which has targets for "
                        f"{', '.join(map(repr, dataset.y))}. Name the head after one of them, or set its target.")
    y = dataset.y[key]
    units = head.output.units
    check_tensor_target(y, head, key)
    if head.loss == "sparse_categorical_crossentropy" and y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1).astype(np.int32)           # one-hot -> class index, as this loss expects
    elif head.loss == "categorical_crossentropy" and (y.ndim == 1 or y.shape[1] == 1):
        y = np.eye(units, dtype=np.float32)[y.reshape(-1).astype(np.int64)]
    width = 1 if y.ndim == 1 else y.shape[-1]
    want = 1 if head.loss == "sparse_categorical_crossentropy" else units
    if width != want:
        raise DataError(f"head {head.name!r} has {units} output units but its data {key!r} has {width} "
                        f"values per sample. Set units to {width}.")
    return y


# ---------------------------------------------------------------- predict

def model_inputs_from_frame(design: Design, frame) -> dict[str, Any]:
    """Raw column values keyed by Keras input name, as a saved model takes them (for ``model.predict``).

    Numbers are float32 with NaN for missing; text is a ``tf.string`` tensor
    with missing values as "" (Keras' numpy path does not accept string arrays).
    """
    import tensorflow as tf

    names = model_input_names(design.input)
    inputs = {}
    for column in design.input.columns:
        series = frame[column.name]
        if column.kind == "date":
            inputs[names[column.name]] = feature_values(series, column)
        elif column.kind == "text":
            inputs[names[column.name]] = tf.constant(feature_values(series, column))
        elif column.kind == "numeric":
            inputs[names[column.name]] = _numbers(series).reshape(-1, 1)
        else:
            text = as_text(series).fillna("").to_numpy(dtype=object)
            inputs[names[column.name]] = tf.constant(text.reshape(-1, 1).tolist(), dtype=tf.string)
    return inputs
