"""What a user takes away: a runnable training script, the design JSON, the history as CSV.

The script is the code ``codegen`` writes for the model, followed by the
lines that load the data (a CSV for a table design, an ``.npz`` for a tensor
design), turn each head's target into what its loss expects, fit with the
design's training settings and save the model and its history.  It needs
only keras, numpy (and pandas for a CSV), never this package, so it runs
anywhere those are installed::

    python train_penguins.py --data penguins.csv --epochs 20 --out model.keras
"""

from __future__ import annotations

import csv
import io
import math
from typing import Mapping, Sequence

from ..model.codegen import compile_code, model_code
from ..data.writer import NPZ_INPUT_KEY, dataset_bytes
from ..design.spec import Design, Head, TableInput, head_kind


def script_name(design: Design) -> str:
    """A file name for the script: ``train_<design name>.py``."""
    cleaned = "".join(c if c.isalnum() else "_" for c in design.name.lower()).strip("_")
    return f"train_{cleaned or 'model'}.py"


def training_script(design: Design, data_file: str | None = None) -> str:
    """The design as a standalone Python script that loads data, trains and saves the model.

    Args:
        design: a checked design.
        data_file: the default for ``--data`` (the file the user trained on), if known.
    """
    from . import feature_script as features    # issue 12: dates, text, pixel images, windows

    table = isinstance(design.input, TableInput)
    csv_data = features.reads_csv(design)
    default_data = data_file or ("data.csv" if csv_data else "data.npz")
    lines = [
        *_docstring(f"{design.name}: train the multi-output Keras model designed in the multi-output model designer.",
                    f"Usage: python {script_name(design)} --data {default_data} [--epochs N] [--batch-size B] "
                    "[--out model.keras] [--history history.csv]"),
        "",
        "import argparse",
        "import csv",
        "",
        "import numpy as np",
        *(["import pandas as pd"] if csv_data else []),
        "import tensorflow as tf",
        *model_code(design),
        *compile_code(design),
        "",
        *_settings_code(design, default_data),
        "",
        *(_table_loader_code(design) if table else
          features.tensor_loader_code(design) if csv_data else _npz_loader_code()),
        *(features.column_helpers(design) if table else []),
        "",
        *_target_code(),
        "",
        *_main_code(design),
    ]
    return "\n".join(lines) + "\n"


def _docstring(title: str, usage: str) -> list[str]:
    # The design's name is free text: quotes, backslashes or line breaks could end a docstring
    # early and turn the rest into code, so anything unusual goes through repr().
    if title.isprintable() and '"' not in title and "\\" not in title:
        return ['"""' + title, "", usage, '"""']
    return [repr(title), f"# {usage}"]


def _settings_code(design: Design, default_data: str) -> list[str]:
    t = design.training
    heads = [_head_setup(h) for h in design.heads]
    return [
        "# Training settings from the design; the command line can override the first three",
        f"DATA = {default_data!r}",
        f"EPOCHS = {t.epochs!r}",
        f"BATCH_SIZE = {t.batch_size!r}",
        f"VALIDATION_SPLIT = {t.validation_split!r}",
        f"EARLY_STOPPING_PATIENCE = {t.early_stopping_patience!r}  # 0: off",
        f"SEED = {t.seed!r}",
        "# Per head: the target column, its kind, its classes and how its loss wants the target encoded",
        "HEADS = [",
        *[f"    {h!r}," for h in heads],
        "]",
    ]


def _head_setup(head: Head) -> dict:
    kind = head_kind(head)
    if kind == "regression":
        encoding = "number"
    elif head.loss == "categorical_crossentropy":
        encoding = "one_hot"
    elif head.loss == "sparse_categorical_crossentropy":
        encoding = "index"
    else:
        encoding = "flag"        # binary_crossentropy: 0 or 1 per output unit
    return {"name": head.name, "target": head.target or head.name, "kind": kind, "encoding": encoding,
            "units": head.output.units, "classes": list(head.classes)}


def _table_loader_code(design: Design) -> list[str]:
    from ..model.preprocessing import layer_names   # the Keras input name of each CSV column
    from . import feature_script as features

    names = layer_names(design.input)
    columns = {c.name: (names[c.name], c.kind) for c in design.input.columns}
    return [
        "# CSV column -> (model input name, kind); the model itself normalises and one-hot encodes them",
        f"COLUMNS = {columns!r}",
        "",
        "",
        "def load_data(path):",
        "    frame = pd.read_csv(path)",
        "    missing = [c for c in list(COLUMNS) + [h['target'] for h in HEADS] if c not in frame.columns]",
        "    if missing:",
        "        raise SystemExit(f'{path} has no column(s) {missing}')",
        "    x = {}",
        "    for column, (name, kind) in COLUMNS.items():",
        *features.column_load_lines(),
        "        if kind == 'numeric':",
        "            x[name] = pd.to_numeric(frame[column], errors='coerce').to_numpy('float32').reshape(-1, 1)",
        "        else:  # missing values become '' , which the lookup maps to its out-of-vocabulary slot",
        "            x[name] = frame[column].fillna('').astype(str).to_numpy(dtype=object).reshape(-1, 1)",
        "    targets = {h['name']: frame[h['target']].to_numpy() for h in HEADS}",
        "    return x, targets",
        "",
        "",
        "def fit_preprocessing(x, rows):",
        "    \"\"\"Set each Normalization layer's mean and variance from the training rows (NaNs left out).\"\"\"",
        "    for column, (name, kind) in COLUMNS.items():",
        *features.column_fit_lines(),
        "        if kind == 'numeric':",
        "            values = x[name][rows]",
        "            values = values[~np.isnan(values)]",
        "            model.get_layer(f'{name}_norm').adapt(values.reshape(-1, 1) if len(values) else np.zeros((1, 1)))",
    ]


def _npz_loader_code() -> list[str]:
    return [
        "",
        "def load_data(path):",
        f"    # {NPZ_INPUT_KEY!r} holds the inputs; each head's target is stored under the head's name",
        "    arrays = np.load(path)",
        "    missing = [h['name'] for h in HEADS if h['name'] not in arrays]",
        "    if missing:",
        f"        raise SystemExit(f'{{path}} has no array(s) {{missing}}; it has {{list(arrays)}}')",
        f"    return arrays[{NPZ_INPUT_KEY!r}].astype('float32'), {{h['name']: arrays[h['name']] for h in HEADS}}",
    ]


def _target_code() -> list[str]:
    # Rows with no target for a head (a blank cell, an unknown class) get weight 0 for that head,
    # so they still train the other heads.
    return [
        "",
        "def to_float(values):",
        "    \"\"\"Numbers as float64, NaN where a cell is blank or not a number.\"\"\"",
        "    if values.dtype.kind in 'iuf':",
        "        return values.astype('float64')",
        "    out = np.full(values.shape, np.nan)",
        "    for i, value in np.ndenumerate(values):",
        "        try:",
        "            out[i] = float(value)",
        "        except (TypeError, ValueError):",
        "            pass",
        "    return out",
        "",
        "",
        "def encode_target(values, head):",
        "    \"\"\"(target array as the head's loss expects it, sample weight: 0 where the target is missing).\"\"\"",
        "    values = np.asarray(values)",
        "    if head['kind'] == 'regression':",
        "        numbers = to_float(values)",
        "        known = ~np.isnan(numbers.reshape(len(numbers), -1)).any(axis=1)",
        "        numbers = np.nan_to_num(numbers).astype('float32')",
        "        return numbers.reshape(len(numbers), -1), known.astype('float32')",
        "    if values.ndim == 2 and values.shape[1] > 1:  # already one-hot or one flag per unit",
        "        index, known = values.argmax(axis=1), np.ones(len(values), bool)",
        "    elif head['classes'] and values.dtype.kind not in 'iuf':",
        "        lookup = {c: i for i, c in enumerate(head['classes'])}",
        "        index = np.array([lookup.get(str(v), -1) if v == v else -1 for v in values.ravel()])",
        "        known = index >= 0",
        "    else:",
        "        numbers = to_float(values).ravel()",
        "        known = ~np.isnan(numbers)",
        "        index = np.nan_to_num(numbers).astype(int)",
        "    index = np.where(known, index, 0)",
        "    if head['encoding'] == 'one_hot':",
        "        target = np.eye(head['units'], dtype='float32')[index]",
        "    elif head['encoding'] == 'index':",
        "        target = index.astype('int32')",
        "    elif values.ndim == 2 and values.shape[1] > 1:",
        "        target = values.astype('float32')",
        "    else:",
        "        target = index.astype('float32').reshape(-1, 1)",
        "    return target, known.astype('float32')",
    ]


def _main_code(design: Design) -> list[str]:
    from .feature_script import reads_csv, split_lines

    table = reads_csv(design)      # table, image or window input: preprocessing fitted on the training rows
    return [
        "",
        "def batches(x, y, weights, rows, batch_size, shuffle=False):",
        "    \"\"\"A tf.data pipeline over some rows: (inputs, one target per head, one sample weight per head).",
        "",
        "    Rows with no target for a head weigh 0 for that head, so they still train the others.",
        "    tf.data rather than NumPy arrays because text columns (strings) only enter Keras this way.",
        "    \"\"\"",
        "    inputs = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]",
        "    data = tf.data.Dataset.from_tensor_slices((inputs, tuple(t[rows] for t in y), tuple(w[rows] for w in weights)))",
        "    if shuffle:",
        "        data = data.shuffle(len(rows), seed=SEED)",
        "    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)",
        "",
        "",
        "def write_history(history, path):",
        "    keys = list(history)",
        "    with open(path, 'w', newline='') as f:",
        "        writer = csv.writer(f)",
        "        writer.writerow(['epoch', *keys])",
        "        for epoch, row in enumerate(zip(*history.values()), 1):",
        "            writer.writerow([epoch, *row])",
        "",
        "",
        "def main(argv=None):",
        "    parser = argparse.ArgumentParser(description=__doc__)",
        "    parser.add_argument('--data', default=DATA)",
        "    parser.add_argument('--epochs', type=int, default=EPOCHS)",
        "    parser.add_argument('--batch-size', type=int, default=BATCH_SIZE)",
        "    parser.add_argument('--out', default='model.keras')",
        "    parser.add_argument('--history', default='history.csv')",
        "    args = parser.parse_args(argv)",
        "    keras.utils.set_random_seed(SEED)",
        "    x, raw_targets = load_data(args.data)",
        "    encoded = [encode_target(raw_targets[h['name']], h) for h in HEADS]",
        "    y = tuple(target for target, _ in encoded)",
        "    weights = tuple(weight for _, weight in encoded)",
        "    # Shuffle once, then hold out the last VALIDATION_SPLIT of the rows for validation",
        *(split_lines(design) or ["    order = np.random.default_rng(SEED).permutation(len(y[0]))"]),
        "    n_validation = int(len(order) * VALIDATION_SPLIT)",
        "    train, validation = order[:len(order) - n_validation], order[len(order) - n_validation:]",
        *(["    fit_preprocessing(x, train)"] if table else []),
        "    callbacks = []",
        "    if EARLY_STOPPING_PATIENCE and n_validation:",
        "        callbacks.append(keras.callbacks.EarlyStopping(patience=EARLY_STOPPING_PATIENCE, restore_best_weights=True))",
        "    history = model.fit(batches(x, y, weights, train, args.batch_size, shuffle=True), epochs=args.epochs,",
        "                        validation_data=batches(x, y, weights, validation, args.batch_size) if n_validation else None,",
        "                        callbacks=callbacks, verbose=2)",
        "    model.save(args.out)",
        "    write_history(history.history, args.history)",
        "    print(f'saved {args.out} and {args.history}')",
        "",
        "",
        "if __name__ == '__main__':",
        "    main()",
    ]


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
    writer.writerow(["epoch", *keys])
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
    from .feature_script import reads_csv

    return dataset is not None and (dataset.kind == "table") == reads_csv(design)


def data_file_name(design: Design, dataset=None) -> str:
    """What the data file is called next to the script: the dataset's name when it fits the design
    (``penguins.csv``, ``seed-multi-regression.npz``), else ``data.csv`` or ``data.npz``."""
    from .feature_script import reads_csv

    extension = ".csv" if reads_csv(design) else ".npz"
    if not dataset_fits(design, dataset):
        return "data" + extension
    stem = dataset.name.rsplit("/", 1)[-1]
    return stem if stem.lower().endswith(extension) else stem + extension


def requirements(design: Design) -> str:
    """The packages the script imports, in words."""
    from .feature_script import reads_csv

    return "keras, tensorflow, numpy" + (" and pandas" if reads_csv(design) else "")


def data_file_bytes(dataset) -> bytes:
    """The dataset as the script reads it: a CSV with the original column names, or an ``.npz``
    with ``x`` and one array per head."""
    return dataset_bytes(dataset)


def file_stem(design: Design) -> str:
    """A file name stem from the design's name: ``my model!`` -> ``my_model``."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in design.name).strip("_") or "model"
