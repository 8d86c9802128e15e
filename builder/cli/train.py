"""``python -m builder train DESIGN.json --data FILE``: the training engine, headless, in this process.

FILE is a CSV for table designs (each head's ``target`` names its column) or
an ``.npz`` for tensor designs (an array ``x`` and one array per head name).
One line per epoch with every head's loss; a bad file or design exits
non-zero with one line (``DataError``/``DesignError``, printed by
``builder.cli.main``).  ``--strategy`` trains under ``tf.distribute``:
``mirrored`` over this machine's devices, ``multiworker`` over the cluster in
``TF_CONFIG`` (run the same command once per worker).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

from ..errors import DataError
from .args import whole_number
from .design import read_design

EXIT_DIVERGED = 1


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
    t = sub.add_parser("train", help="train a design on a CSV or .npz file, printing each head's loss per epoch")
    t.add_argument("design", help="design JSON file")
    t.add_argument("--data", required=True, help="CSV (table designs) or .npz with x and one array per head")
    t.add_argument("--epochs", type=whole_number, help="override the design's epochs")
    t.add_argument("--batch-size", type=whole_number, help="override the design's batch size")
    t.add_argument("--out", help="save the trained model here (.keras)")
    t.add_argument("--history", help="save the per-epoch history here (CSV)")
    t.add_argument("--strategy", choices=("mirrored", "multiworker"), help="train under tf.distribute")
    t.add_argument("--backend", choices=("auto", "tensorflow", "jax"),
                   help="Keras backend (default: BUILDER_KERAS_BACKEND, else auto: the fastest for the design)")
    t.set_defaults(run=cmd_train)


def cmd_train(args) -> int:
    from ..data.writer import check_output
    from ..model.build import as_design

    design = as_design(read_design(args.design))
    training = _training(design, args)
    _check_out_path(args.out)
    check_output(args.out, "--out")
    check_output(args.history, "--history")
    if args.strategy == "multiworker":
        read_tf_config()          # before TensorFlow reads it: a broken TF_CONFIG gets our message, not a traceback
    dataset = load_data_file(args.data, design)
    choice = _choose_backend(design, args)
    print(f"backend: {choice.describe()}", flush=True)
    # MultiWorkerMirroredStrategy must exist before TensorFlow runs anything else.
    from ..train import backend as backends, engine

    backends.configure_compilation_cache()
    # One run per process: nothing imported so far is garbage, so the engine's collection before
    # building the model need not scan TensorFlow's objects (fixed costs).
    gc.freeze()

    strategy = engine.make_strategy(args.strategy)
    chief = is_chief() if args.strategy == "multiworker" else True
    partial = partial_path(args.out) if args.out and chief else None
    try:
        last = engine.train(design, dataset, training, print_epoch, lambda: False,
                            model_path=partial, strategy=strategy)
        if last["type"] == "error":
            print(f"error: {last['message']}", file=sys.stderr)
            return EXIT_DIVERGED
        if chief:
            return _save(args, partial, last)
        return 0
    finally:
        if partial and os.path.exists(partial):
            os.remove(partial)


def _save(args, partial: str | None, last: dict) -> int:
    """Move the trained model into place and write the history, each all or nothing."""
    from ..data.writer import write_atomically
    from ..report.files import history_csv

    saved = []
    try:
        if partial:
            os.replace(partial, args.out)
            saved.append(args.out)
        if args.history:
            write_atomically(args.history, history_csv(last["history"]).encode())
            saved.append(args.history)
    except OSError as e:
        raise DataError(f"training finished but {e.filename or 'an output'!r} could not be written "
                        f"({e.strerror}). Saved so far: {', '.join(saved) or 'nothing'}.") from None
    print(f"done: {last['epochs_run']} epochs in {last['elapsed']:.1f} s" + (f"; saved {', '.join(saved)}" if saved else ""))
    return 0


def _choose_backend(design, args):
    """The Keras backend for this process (set before Keras is imported), and why."""
    from ..train import backend as backends

    return backends.activate(backends.choose(design, args.strategy, args.backend))


def _training(design, args):
    """The design's training settings with the command line's overrides, checked against the spec's bounds."""
    from ..errors import DesignError
    from ..design.spec import parse_design

    changes = {name: value for name, value in (("epochs", args.epochs), ("batch_size", args.batch_size))
               if value is not None}
    if not changes:
        return design.training
    data = design.model_dump()
    data["training"].update(changes)
    try:
        return parse_design(data).training
    except DesignError as e:
        raise DataError(" ".join(_flag_message(p.message) for p in e.problems)) from None


def _flag_message(message: str) -> str:
    """The spec's message about ``epochs`` or ``batch_size``, naming the command-line flag instead."""
    for field in ("batch_size", "epochs"):
        if message.startswith(field):
            rest = message[len(field):].replace(f"Received: {field}=", "Received: ")
            return f"--{field.replace('_', '-')}{rest}"
    return message


def _check_out_path(path: str | None) -> None:
    if path and not path.endswith(".keras"):
        raise DataError(f"--out must end in .keras (the format Keras loads with safe_mode). Received: {path!r}.")


def partial_path(path: str) -> str:
    """Where the model is saved until it is complete (same folder, so the final move is atomic)."""
    target = Path(path)
    return str(target.with_name(f".{target.stem}.partial-{os.getpid()}.keras"))


def load_data_file(path: str, design):
    """A Dataset from a CSV (table designs) or an .npz (tensor designs)."""
    from ..design.spec import TableInput

    table = isinstance(design.input, TableInput) or design.input.kind in ("image", "window")   # issue 12: CSVs
    if not Path(path).is_file():
        raise DataError(f"cannot read the data file {path!r}: no such file. Check the path.")
    if path.lower().endswith(".npz"):
        if table:
            raise DataError(f"the design reads table columns, so --data must be a CSV. Received: {path!r}.")
        return _read_npz(path, design)
    if not table:
        raise DataError(f"the design takes arrays of shape {design.input.shape}, so --data must be an .npz "
                        f"with an array 'x' and one per head. Received: {path!r}.")
    from ..data import read_csv

    return read_csv(Path(path))


def _read_npz(path: str, design):
    import numpy as np

    from ..data import NPZ_INPUT_KEY, Dataset

    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":      # an .npz is a zip archive; anything else is not one, whatever its name
        raise DataError(f"{path!r} is not an .npz file (numpy.savez writes a zip archive; this file is not one). "
                        "Save the arrays with numpy.savez.")
    try:
        arrays = np.load(path, allow_pickle=False)   # never unpickle a user's file
        names = set(arrays.files)
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read {path!r} as .npz: {e}. Save it with numpy.savez.") from None
    wanted = [NPZ_INPUT_KEY, *[h.name for h in design.heads]]
    missing = [n for n in wanted if n not in names]
    if missing:
        raise DataError(f"{path!r} has no array named {', '.join(repr(m) for m in missing)}; it needs 'x' and one "
                        f"per head ({', '.join(wanted[1:])}). Found: {', '.join(sorted(names)) or 'nothing'}.")
    loaded = {name: _npz_array(arrays, name, path) for name in wanted}
    x = loaded[NPZ_INPUT_KEY]
    if tuple(x.shape[1:]) != tuple(design.input.shape):
        raise DataError(f"x has samples of shape {tuple(x.shape[1:])} but the design's input is "
                        f"{tuple(design.input.shape)}. Reshape the data or change the input shape.")
    y = {h.name: loaded[h.name] for h in design.heads}
    for head, values in y.items():
        if len(values) != len(x):
            raise DataError(f"array {head!r} has {len(values)} rows but x has {len(x)}. Each head needs one target per sample.")
    return Dataset(name=Path(path).stem, kind="tensor", x=x, y=y, source=path)


def _npz_array(arrays, name: str, path: str):
    """One array of the archive; object arrays (Python objects, stored with pickle) are refused."""
    import zipfile

    try:
        values = arrays[name]
    except ValueError:
        raise DataError(f"array {name!r} in {path!r} holds Python objects, which are never loaded (they would "
                        "need pickle). Save numbers (or, for class labels, integers).") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"array {name!r} in {path!r} cannot be read ({e}). Save the arrays again with numpy.savez.") from None
    if values.ndim == 0:
        raise DataError(f"array {name!r} in {path!r} is a single value; it needs one entry per sample.")
    return values


def print_epoch(ev: dict) -> None:
    if ev["type"] != "epoch":
        return
    heads = "  ".join(f"{h} {v['loss']:.4g}" for h, v in ev["heads"].items() if "loss" in v)
    val = f"  val_loss {ev['val_loss']:.4g}" if ev.get("val_loss") is not None else ""
    print(f"epoch {ev['epoch']}/{ev['epochs']}  loss {ev['loss']:.4g}  {heads}{val}", flush=True)


def read_tf_config() -> dict:
    """The cluster in ``TF_CONFIG`` as a dict; a DataError when it is not a JSON object."""
    text = os.environ.get("TF_CONFIG", "{}")
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if not isinstance(config, dict) or not isinstance(config.get("task", {}), dict) \
            or not isinstance(config.get("cluster", {}), dict):
        raise DataError(f"TF_CONFIG is not a JSON object with 'cluster' and 'task'. Received: {text[:80]!r}. "
                        "Set it as tf.distribute documents, e.g. "
                        "'{\"cluster\": {\"worker\": [\"host:port\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}'.")
    return config


def is_chief() -> bool:
    """In a TF_CONFIG cluster, the chief (or worker 0 when there is no chief) writes the files."""
    config = read_tf_config()
    task = config.get("task", {})
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})
