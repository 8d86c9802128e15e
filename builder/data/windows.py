"""Time-series windows: rows are time steps; each sample is the W rows up to t, each head predicts row t + H.

The table is held once, as float32 (rows x input columns).  A split's ``x``
is a strided view of it (no copy); training batches are gathered from it by
``tf.data`` (``WindowSplit.to_tf``), so memory stays near one table however
large W is.  Splits go by time: training rows first, then validation, then
test, and a window (with its target row) never crosses from one into the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..design.inputs import WindowInput
from ..design.spec import Design, Training, new_layer
from ..errors import DataError
from .parallel import release_memory
from .splits import Prepared, Split, encode_target

MAX_EXAMPLES = 3


@dataclass
class WindowSplit(Split):
    """A split of windows: ``x`` is a (n, W, F) view of ``values``; window i ends at row ``ends[i]``."""

    values: np.ndarray = None
    ends: np.ndarray = None
    window: int = 1

    def to_tf(self, heads: list[str], batch_size: int, shuffle: bool, seed: int, targets: dict | None = None):
        """(x, y, sample_weight) batches gathered from the table: one table in memory, not W copies.

        ``targets``: the heads' targets as training sees them (e.g. standardised), default ``y``.
        """
        targets = targets or self.y
        return window_batches(self.values, self.ends, self.window, [targets[h] for h in heads],
                              [self.sample_weight[h] for h in heads], batch_size, shuffle, seed)


def window_batches(values, ends, window, ys, ws, batch_size, shuffle, seed):
    """tf.data batches of (x, y, sample_weight): x[i] is rows ends[i] - window + 1 .. ends[i] of ``values``,
    gathered per batch from the one table; ``ys`` and ``ws`` hold one array per head.
    (The exported training script holds a copy of this function.)"""
    import tensorflow as tf

    values, ends = tf.constant(values), tf.constant(ends, tf.int64)
    offsets = tf.range(1 - window, 1, dtype=tf.int64)
    ys, ws = [tf.constant(a) for a in ys], [tf.constant(a) for a in ws]

    def gather(i):
        x = tf.gather(values, tf.gather(ends, i)[:, None] + offsets[None, :])
        y, w = [tf.gather(a, i) for a in ys], [tf.gather(a, i) for a in ws]
        return (x, y[0], w[0]) if len(ys) == 1 else (x, tuple(y), tuple(w))

    n = int(ends.shape[0])
    if shuffle:
        # One permutation tensor per epoch: a shuffle buffer would hold every window index as its own
        # element (about 100 bytes each), more than the table itself for a long series.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
        order = seeds.map(lambda s: tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([s, tf.constant(seed, tf.int64)])))
    else:
        order = tf.data.Dataset.from_tensors(tf.range(n, dtype=tf.int64))
    ds = order.flat_map(lambda rows: tf.data.Dataset.from_tensor_slices(rows).batch(batch_size))
    # flat_map hides the number of batches; Keras needs it to run several steps per call without losing
    # the epoch's last batches (the results then match one step per call).
    ds = ds.apply(tf.data.experimental.assert_cardinality(-(-n // batch_size)))
    # Two batches gathered ahead are plenty (gathering is ~50x faster than an LSTM step) and keep memory
    # flat; AUTOTUNE grows buffers and threads, whose memory then stays with the process.
    return ds.map(gather, num_parallel_calls=2).prefetch(2)


# ------------------------------------------------------------------ order

def time_order(frame, time_column: str) -> np.ndarray | None:
    """Row positions in time order (None: the file's order); raises on missing, duplicate or gapped times."""
    if not time_column:
        return None
    if time_column not in frame.columns:
        raise DataError(f"time column {time_column!r} is not in the file. Choose one of its columns, or none "
                        "to use the rows in file order.")
    times = _times(frame[time_column])
    missing = np.flatnonzero(np.isnan(times))
    if len(missing):
        raise DataError(f"time column {time_column!r} has {len(missing):,} missing or unreadable value(s) (first at "
                        f"row {missing[0] + 1}). Fill or remove those rows.")
    order = np.argsort(times, kind="stable")
    steps = np.diff(times[order])
    _check_duplicates(frame[time_column], order, steps, time_column)
    _check_gaps(frame[time_column], order, steps, time_column)
    return None if bool((order == np.arange(len(order))).all()) else order


def _times(series) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    from .dates import parse_dates

    parsed = parse_dates(series)
    return np.where(parsed.isna(), np.nan, parsed.to_numpy(dtype="datetime64[s]").astype(np.float64))


def _where(series, order, positions) -> str:
    shown = [f"{series.iloc[order[p + 1]]} (row {order[p + 1] + 1})" for p in positions[:MAX_EXAMPLES]]
    return ", ".join(shown) + (", ..." if len(positions) > MAX_EXAMPLES else "")


def _check_duplicates(series, order, steps, name: str) -> None:
    repeated = np.flatnonzero(steps == 0)
    if len(repeated):
        raise DataError(f"time column {name!r} has {len(repeated):,} duplicate time(s): {_where(series, order, repeated)}. "
                        "Each row must be one time step: remove or merge the duplicates.")


def _check_gaps(series, order, steps, name: str) -> None:
    if not len(steps):
        return
    usual = float(np.median(steps))
    gaps = np.flatnonzero(steps > usual * 1.5)
    if len(gaps):
        missing = int(np.sum(np.round(steps[gaps] / usual) - 1))
        raise DataError(f"time column {name!r} has {len(gaps):,} gap(s) ({missing:,} missing time step(s) in all); "
                        f"the first rows after a gap: {_where(series, order, gaps)}. "
                        "Fill the missing time steps (for example with empty values) so each row is one step.")


# ---------------------------------------------------------------- windows

def window_ends(rows: int, spec: WindowInput, val: float, test: float) -> list[np.ndarray]:
    """Last input row of each window, per split (train, val, test), by time; raises if no window fits."""
    window, horizon = spec.window, spec.horizon
    if window > rows:
        raise DataError(f"the window of {window:,} rows is longer than the series ({rows:,} rows). "
                        f"Choose a window of at most {max(1, rows // 2):,} rows.")
    if window + horizon > rows:
        raise DataError(f"a horizon of {horizon:,} step(s) ahead goes beyond the series: {window:,} rows of "
                        f"window plus {horizon:,} leave no target in {rows:,} rows. Choose a smaller horizon or window.")
    bounds = split_bounds(rows, val, test)
    parts = []
    for low, high in zip(bounds, bounds[1:]):
        # window [t - W + 1, t] and target t + H both inside [low, high)
        parts.append(np.arange(low + window - 1, high - horizon, spec.stride, dtype=np.int64))
    if not len(parts[0]):
        raise DataError(f"no window of {window:,} rows with a target {horizon:,} step(s) ahead fits in the training "
                        f"rows ({bounds[1]:,} of {rows:,}). Choose a shorter window or horizon, or use more rows.")
    return parts


def split_bounds(rows: int, val: float, test: float) -> list[int]:
    """Row boundaries by time: training rows [b0, b1), validation [b1, b2), test [b2, b3)."""
    return [0, rows - int(round(rows * (val + test))), rows - int(round(rows * test)), rows]


def window_values(frame, columns: list[str], order: np.ndarray | None) -> np.ndarray:
    """float32 (rows, columns) in time order, NaN where missing; only numeric columns can be window inputs."""
    import pandas as pd

    out = np.empty((len(frame), len(columns)), np.float32)
    for i, name in enumerate(columns):
        if name not in frame.columns:
            raise DataError(f"window input column {name!r} is not in the file. Suggest the design again.")
        series = frame[name]
        if not pd.api.types.is_numeric_dtype(series.dtype):
            raise DataError(f"window input column {name!r} holds text; window inputs must be numbers. "
                            "Make it a target or leave it out.")
        column = series.to_numpy(dtype=np.float32, na_value=np.nan)
        out[:, i] = column if order is None else column[order]
    return out


def prepare_windows(design: Design, dataset, val: float, test: float) -> Prepared:
    """Train/validation/test windows by time; ``x`` of each split is a view of one float32 table."""
    spec: WindowInput = design.input
    order = time_order(dataset.frame, spec.time_column)
    values = window_values(dataset.frame, spec.columns, order)
    targets = {}
    for head in design.heads:
        if head.target not in dataset.columns:
            raise DataError(f"head {head.name!r} predicts column {head.target!r}, which is not in the file.")
        series = dataset.frame[head.target]
        y, weight = encode_target(series if order is None else series.iloc[order].reset_index(drop=True), head)
        targets[head.name] = (y, weight)
    splits = []
    bounds = split_bounds(len(values), val, test)
    for low, high, ends in zip(bounds, bounds[1:], window_ends(len(values), spec, val, test)):
        rows = ends + spec.horizon
        # Each split holds only its own rows (a view), so tf.data copies each row into TensorFlow once.
        own = values[low:high]
        view = np.lib.stride_tricks.sliding_window_view(own, min(spec.window, len(own)), axis=0)   # no copy
        splits.append(WindowSplit(_windows(view, ends - low, spec), {k: y[rows] for k, (y, _) in targets.items()},
                                  {k: w[rows] for k, (_, w) in targets.items()}, len(ends), own, ends - low,
                                  spec.window))
    release_memory()        # the encoding's temporaries: the splits start from a lower peak
    return Prepared(design, *splits, kind="window")


def _windows(view, ends, spec: WindowInput):
    """The windows ending at ``ends`` (evenly strided): basic slicing keeps them a view, never a copy."""
    if not len(ends):
        return view[:0].swapaxes(1, 2)
    first = int(ends[0]) - spec.window + 1
    return view[first: int(ends[-1]) - spec.window + 2: spec.stride].swapaxes(1, 2)


def fit_window(model, prepared: Prepared) -> None:
    """The input Normalization's per-column statistics from the training rows only."""
    from ..model.features import WINDOW_NORM
    from .dates import set_statistics

    train = prepared.train
    last = int(train.ends[-1]) + 1 if len(train.ends) else len(train.values)
    set_statistics(model.get_layer(WINDOW_NORM), train.values[:last])


# ----------------------------------------------------------------- design

def window_design(dataset, targets: list[str], inputs: list[str], heads: list, options: dict,
                  base: Design | None) -> Design:
    """A window input over ``inputs`` (numbers), an LSTM trunk, and the given heads."""
    time_column = options.get("time_column") or ""
    columns = [c for c in inputs if c != time_column]
    try:
        spec = WindowInput(columns=columns, window=int(options.get("window", 24)),
                           horizon=int(options.get("horizon", 1)), stride=int(options.get("stride", 1)),
                           time_column=time_column)
    except ValueError as e:
        raise DataError(f"window settings are not valid: {e.errors()[0]['msg']}. Window and stride must be at "
                        "least 1, horizon at least 0, and at least one input column is needed.") from None
    time_order(dataset.frame, time_column)
    window_values(dataset.frame.head(1), columns, None)
    window_ends(len(dataset.frame), spec, 0.15, 0.15)
    trunk = [layer.model_copy() for layer in base.trunk] if base and base.input.kind == "window" else [
        new_layer("LSTM", "lstm_1", units=32), new_layer("Dense", "dense_1", units=32, activation="relu")]
    training = base.training.model_copy() if base else Training()
    return Design(name="series", input=spec, trunk=trunk, heads=heads, training=training)
