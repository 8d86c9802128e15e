"""The training script a user takes away: it prepares the data and trains exactly as the app does.

The script is the model code ``codegen`` writes, inside ``build_model()``,
then the app's data preparation written out in plain numpy/pandas: the same
seeded, stratified train/validation/test split, the same target encoding,
weight 0 for a missing target, regression targets standardised on the
training rows (``builder.data.scaling``), and the same fit settings.  It
imports keras, tensorflow, numpy (and pandas for a CSV), never this package::

    python train_penguins.py --data penguins.csv --epochs 20 --out model.keras

Every piece of user text (design, column, class and file names) enters the
script as a value through ``builder.quoting.quoted``; the docstring and the
comments are fixed text.
"""

from __future__ import annotations

import inspect

from ..data.scaling import learns_standardised
from ..data.splits import split_indices
from ..data.writer import NPZ_INPUT_KEY
from . import multitask_script
from ..design.spec import Design, Head, TableInput, head_kind
from ..model.codegen import compile_code, model_code
from ..quoting import CELL_GUARD, file_stem, quoted

TEST_SPLIT = 0.15     # the app's held-out test share (builder.train.engine.prepare_data)
SHUFFLE_BUFFER = 10_000

HEADER = '''"""Train a multi-output Keras model designed in the multi-output model designer.

It prepares the data exactly as the designer did: the same seeded train/validation/test
split, target encoding, standardised regression targets and training settings, so the
test metrics it prints match the app's Results page for the same seed and epochs.
"""

import argparse
import csv
import json

import keras
import numpy as np
'''


def script_name(design: Design) -> str:
    """A file name for the script: ``train_<design name>.py``."""
    return f"train_{file_stem(design.name).lower()}.py"


def requirements(design: Design) -> str:
    """The packages the script imports, in words."""
    from .feature_script import reads_csv

    return "keras, tensorflow, numpy" + (" and pandas" if reads_csv(design) else "")


def training_script(design: Design, data_file: str | None = None) -> str:
    """The design as a standalone Python script that prepares the data, trains, tests and saves the model.

    Args:
        design: a checked design.
        data_file: the default for ``--data`` (the file the user trained on), if known.
    """
    from .feature_script import feature_code, reads_csv, uses_features

    table = reads_csv(design)     # table, image (pixel columns) and window (time series) designs read a CSV
    default_data = data_file or ("data.csv" if table else "data.npz")
    parts = [
        HEADER + ("import pandas as pd\n" if table else ""),
        _settings(design, default_data),
        _build_function(design),
        TABLE_CODE if table else NPZ_CODE,
        TARGET_CODE,
        SPLIT_CODE,
        FIT_CODE,
        # issue 12: after the generic code, so that its loader (and, for windows, batching) replace them
        *([feature_code(design)] if uses_features(design) else []),
        multitask_script.helper_code(design),     # class weights and loss balancing, when chosen
        MAIN_CODE.replace("PREPROCESS", "set_normalization(model, x, train)" if table else "pass  # arrays: none")
        .replace("    callbacks = []\n", "    callbacks = []\n" + multitask_script.main_code(design)),
    ]
    return "\n\n".join(part.strip("\n") + "\n" for part in parts)


def _settings(design: Design, default_data: str) -> str:
    t = design.training
    lines = [
        "# Settings from the design. The command line can override data, epochs and batch size.",
        f"DESIGN_NAME = {quoted(design.name)}",
        f"DATA = {quoted(default_data)}",
        f"EPOCHS = {quoted(t.epochs)}",
        f"BATCH_SIZE = {quoted(t.batch_size)}",
        f"VALIDATION_SPLIT = {quoted(t.validation_split)}",
        f"TEST_SPLIT = {quoted(TEST_SPLIT)}",
        f"EARLY_STOPPING_PATIENCE = {quoted(t.early_stopping_patience)}  # 0: off",
        f"SEED = {quoted(t.seed)}",
        f"SHUFFLE_BUFFER = {quoted(SHUFFLE_BUFFER)}",
        f"CELL_GUARD = {quoted(CELL_GUARD)}  # the data file starts text cells that look like formulas with it",
        f"NPZ_INPUT_KEY = {quoted(NPZ_INPUT_KEY)}",
        "# One entry per head, in the model's output order: its target, kind, classes (label i is",
        "# classes[i]), how its loss wants the target, and whether it learns on standardised targets.",
        "HEADS = [",
        *[f"    {quoted(_head_setup(h))}," for h in design.heads],
        "]",
    ]
    if isinstance(design.input, TableInput):
        from ..model.preprocessing import layer_names, model_input_names

        names, stems = model_input_names(design.input), layer_names(design.input)
        columns = {c.name: {"input": names[c.name], "kind": c.kind,
                            "norm": f"{stems[c.name]}_norm" if c.kind == "numeric" else None}
                   for c in design.input.columns}
        lines += ["# CSV column -> the model input it feeds, its kind and its Normalization layer",
                  f"COLUMNS = {quoted(columns)}"]
    return "\n".join(lines)


def _head_setup(head: Head) -> dict:
    kind = head_kind(head)
    if kind == "regression":
        encoding = "number"
    elif head.loss == "categorical_crossentropy":
        encoding = "one_hot"
    elif head.loss == "sparse_categorical_crossentropy":
        encoding = "index"
    else:
        encoding = "flag"        # binary_crossentropy: 0 or 1
    return {"name": head.name, "target": head.target or head.name, "kind": kind, "encoding": encoding,
            "units": head.output.units, "classes": list(head.classes), "standardise": learns_standardised(head)}


def _build_function(design: Design) -> str:
    body = [*model_code(design), *compile_code(design), "return model"]
    return "\n".join(["def build_model():", *[f"    {line}" if line else "" for line in body]])


TABLE_CODE = '''
def unguarded(value):
    """A text cell as the designer had it: without the guard that keeps spreadsheets from running it."""
    return value[1:] if isinstance(value, str) and value.startswith(CELL_GUARD) else value


def as_text(series):
    """Values as the text the model's StringLookup compares: whole numbers without '.0', booleans lower-case."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.map({True: "true", False: "false"})
    if pd.api.types.is_float_dtype(series.dtype) and (series.dropna() % 1 == 0).all():
        return series.astype("Int64").astype("string")
    return series.astype("string")


def load_data(path):
    """(inputs by model input name, raw targets by head name) from the CSV."""
    frame = pd.read_csv(path)  # 'NA' and blank cells are missing values
    frame = frame.rename(columns=unguarded)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column].dtype):
            frame[column] = frame[column].map(unguarded)
    missing = [c for c in list(COLUMNS) + [h["target"] for h in HEADS] if c not in frame.columns]
    if missing:
        raise SystemExit(f"{path} has no column(s) {missing}")
    x = {}
    for column, spec in COLUMNS.items():
        if spec["kind"] == "numeric":
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float32", na_value=np.nan)
        else:  # missing or unknown values go to the lookup's out-of-vocabulary slot
            values = as_text(frame[column]).fillna("").to_numpy(dtype=object)
        x[spec["input"]] = values.reshape(-1, 1)
    return x, {h["name"]: frame[h["target"]] for h in HEADS}


def set_normalization(model, x, rows):
    """Each numeric input's Normalization layer: mean and variance of the training rows, missing left out."""
    for spec in COLUMNS.values():
        if spec["norm"]:
            values = x[spec["input"]][rows].astype("float64")
            values = values[np.isfinite(values)]
            mean, var = (values.mean(), values.var()) if len(values) else (0.0, 1.0)
            layer = model.get_layer(spec["norm"])
            layer.adapt_mean.assign(np.full(layer.adapt_mean.shape, mean, "float32"))
            layer.adapt_variance.assign(np.full(layer.adapt_variance.shape, var if var > 0 else 1.0, "float32"))
            layer.count.assign(len(values))
            layer.finalize_state()


def encode_target(series, head):
    """(target as the head's loss expects it, sample weight: 0 where the target is missing or unknown)."""
    if head["kind"] == "regression":
        y = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float32", na_value=np.nan).reshape(-1, 1)
        known = ~np.isnan(y[:, 0])
        return np.where(np.isnan(y), np.float32(0), y), known.astype("float32")
    classes = head["classes"] or sorted(set(as_text(series).dropna()))
    lookup = {c: i for i, c in enumerate(classes)}
    codes = as_text(series).map(lookup).to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(codes)
    codes = np.where(known, codes, 0).astype("int64")
    if head["encoding"] == "flag":
        return codes.astype("float32").reshape(-1, 1), known.astype("float32")
    if head["encoding"] == "one_hot":
        return np.eye(len(classes), dtype="float32")[codes], known.astype("float32")
    return codes.astype("int32"), known.astype("float32")
'''

NPZ_CODE = '''
def load_data(path):
    """(the input array, each head's target array) from the .npz: NPZ_INPUT_KEY, then one array per head."""
    arrays = np.load(path)
    missing = [h["name"] for h in HEADS if h["target"] not in arrays and h["name"] not in arrays]
    if missing:
        raise SystemExit(f"{path} has no array(s) {missing}; it has {list(arrays)}")
    targets = {h["name"]: arrays[h["target"] if h["target"] in arrays else h["name"]] for h in HEADS}
    return arrays[NPZ_INPUT_KEY], targets


def encode_target(y, head):
    """(target as the head's loss expects it, sample weight 1 for every row)."""
    if head["encoding"] == "index" and y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1).astype("int32")  # one-hot -> class index
    elif head["encoding"] == "one_hot" and (y.ndim == 1 or y.shape[1] == 1):
        y = np.eye(head["units"], dtype="float32")[y.reshape(-1).astype("int64")]
    return y, np.ones(len(y), "float32")
'''

TARGET_CODE = '''
def fit_scale(y, weight):
    """(mean per unit, one spread) of a regression target over the training rows that have it."""
    values = y.reshape(len(y), -1).astype("float64")[weight > 0]
    if not len(values):
        return np.zeros(y.reshape(len(y), -1).shape[1]), 1.0
    mean = values.mean(axis=0)
    spread = float(np.sqrt(((values - mean) ** 2).mean()))
    return mean, spread if spread > 0 else 1.0


def fold_scale(model, scales):
    """After training: output = spread * standardised + mean, folded into each such head's last Dense layer."""
    for name, (mean, spread) in scales.items():
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([(kernel * spread).astype(kernel.dtype),
                                           (bias * spread + mean).astype(bias.dtype)])


def in_original_units(history, scales):
    """Keras history with standardised heads' mae/mse back in the target's units (losses stay standardised)."""
    out = {}
    for key, values in history.items():
        factor = 1.0
        for name, (_, spread) in scales.items():
            for metric, power in (("mae", 1), ("mse", 2)):
                bare = {metric, f"val_{metric}"} if len(HEADS) == 1 else set()  # one head: Keras drops the prefix
                if key in {f"{name}_{metric}", f"val_{name}_{metric}"} | bare:
                    factor = spread ** power
        out[key] = [float(v) * factor for v in values]
    return out
'''

# The app's own split function, copied into the script verbatim: one rule, so the same seed gives the same rows.
SPLIT_CODE = inspect.getsource(split_indices) + '''

def split_rows(n, strata=None):
    """(train, validation, test) row indices, exactly as the designer split them."""
    return split_indices(n, SEED, VALIDATION_SPLIT, TEST_SPLIT, strata)


def strata(y, weights):
    """The first classification head's labels (rows without one form their own group), or None."""
    for head, target, weight in zip(HEADS, y, weights):
        if head["kind"] != "regression":
            labels = target.reshape(len(target), -1)
            labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
            return np.where(weight > 0, labels.astype("int64"), -1)
    return None
'''

FIT_CODE = '''
def fit_data(x, y, weights, rows, batch_size, shuffle):
    """Keyword arguments for fit over some rows: numpy arrays for numbers, tf.data when text is in."""
    inputs = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]
    targets = [t[rows] for t in y]
    sample_weight = [w[rows] for w in weights]
    if len(HEADS) == 1:
        targets, sample_weight = targets[0], sample_weight[0]
    if all_numbers(inputs):
        return dict(x=inputs, y=targets, sample_weight=sample_weight, batch_size=batch_size, shuffle=shuffle)
    import tensorflow as tf

    if isinstance(targets, list):  # Keras pairs per-output weights with outputs by position
        targets, sample_weight = tuple(targets), tuple(sample_weight)
    data = tf.data.Dataset.from_tensor_slices((inputs, targets, sample_weight))
    if shuffle:
        data = data.shuffle(min(max(len(rows), 1), SHUFFLE_BUFFER), seed=SEED, reshuffle_each_iteration=True)
    return dict(x=data.batch(batch_size).prefetch(tf.data.AUTOTUNE), shuffle=False)


def all_numbers(inputs):
    return all(a.dtype.kind in "fiub" for a in (inputs.values() if isinstance(inputs, dict) else [inputs]))


def predict(model, x, rows, batch_size=256):
    """The model's outputs for some rows, one array per head."""
    inputs = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]
    if all_numbers(inputs):
        predicted = model.predict(inputs, batch_size=batch_size, verbose=0)
    else:  # text columns enter Keras through tf.data
        import tensorflow as tf

        predicted = model.predict(tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size), verbose=0)
    return predicted if len(HEADS) > 1 else [predicted]


def test_metrics(model, x, y, weights, rows):
    """Each head's test metric in the target's own units: MAE for regression, accuracy for classes.

    Rows without a target for a head (weight 0) do not count for that head.
    """
    if not len(rows):
        return {}
    metrics = {}
    for head, target, weight, guess in zip(HEADS, y, weights, predict(model, x, rows)):
        keep = weight[rows] > 0
        actual, guess = target[rows][keep], np.asarray(guess)[keep]
        if head["kind"] == "regression":
            metrics[head["name"]] = {"mae": float(np.abs(guess - actual.reshape(guess.shape)).mean())}
            continue
        labels = actual.reshape(len(actual), -1)
        labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
        chosen = guess.argmax(axis=1) if guess.shape[1] > 1 else (guess[:, 0] > 0.5)
        metrics[head["name"]] = {"accuracy": float((chosen.astype(int) == labels.astype(int)).mean())}
    return metrics


def write_history(history, path):
    keys = list(history)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *keys])
        for epoch, row in enumerate(zip(*history.values()), 1):
            writer.writerow([epoch, *row])
'''

MAIN_CODE = '''
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DATA, help="the data file (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--out", default="model.keras", help="where to save the trained model")
    parser.add_argument("--history", default="history.csv", help="where to write the loss and metrics per epoch")
    parser.add_argument("--metrics", default="test_metrics.json", help="where to write the test metrics")
    args = parser.parse_args(argv)

    x, raw = load_data(args.data)
    encoded = [encode_target(raw[h["name"]], h) for h in HEADS]
    y = [target for target, _ in encoded]
    weights = [weight for _, weight in encoded]
    n = len(weights[0])
    train, validation, test = split_rows(n, strata(y, weights))
    # Regression heads with a linear output learn (y - mean) / spread, from the training rows only,
    # so every head's loss starts near 1 and a loss weight means importance, not units.
    scales = {h["name"]: fit_scale(t[train], w[train]) for h, t, w in zip(HEADS, y, weights) if h["standardise"]}
    learn_y = [((t.astype("float64") - scales[h["name"]][0]) / scales[h["name"]][1]).astype("float32")
               if h["name"] in scales else t for h, t in zip(HEADS, y)]
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    model = build_model()
    PREPROCESS
    callbacks = []
    if EARLY_STOPPING_PATIENCE:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss" if len(validation) else "loss",
                                                       patience=EARLY_STOPPING_PATIENCE, restore_best_weights=True))
    validation_data = None
    if len(validation):
        v = fit_data(x, learn_y, weights, validation, args.batch_size, shuffle=False)
        validation_data = v["x"] if "y" not in v else (v["x"], v["y"], v["sample_weight"])
    history = model.fit(**fit_data(x, learn_y, weights, train, args.batch_size, shuffle=True),
                        validation_data=validation_data,
                        epochs=args.epochs, callbacks=callbacks, verbose=2)
    fold_scale(model, scales)  # the saved model predicts in the targets' own units
    model.save(args.out)
    write_history(in_original_units(history.history, scales), args.history)
    metrics = test_metrics(model, x, y, weights, test)
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    for head, values in metrics.items():
        print("test", head, ", ".join(f"{k} {v:.4g}" for k, v in values.items()))
    print(f"saved {args.out}, {args.history} and {args.metrics}")
    return metrics


if __name__ == "__main__":
    main()
'''
