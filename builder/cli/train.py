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

import json
import os
import sys
from pathlib import Path

from ..errors import DataError
from .design import read_design

EXIT_DIVERGED = 1


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
    t = sub.add_parser("train", help="train a design on a CSV or .npz file, printing each head's loss per epoch")
    t.add_argument("design", help="design JSON file")
    t.add_argument("--data", required=True, help="CSV (table designs) or .npz with x and one array per head")
    t.add_argument("--epochs", type=int, help="override the design's epochs")
    t.add_argument("--batch-size", type=int, help="override the design's batch size")
    t.add_argument("--out", help="save the trained model here (.keras)")
    t.add_argument("--history", help="save the per-epoch history here (CSV)")
    t.add_argument("--strategy", choices=("mirrored", "multiworker"), help="train under tf.distribute")
    t.set_defaults(run=cmd_train)


def cmd_train(args) -> int:
    from ..model.build import as_design

    design = as_design(read_design(args.design))
    training = _training(design, args)
    _check_out_path(args.out)
    dataset = load_data_file(args.data, design)
    # MultiWorkerMirroredStrategy must exist before TensorFlow runs anything else.
    from ..train import engine

    strategy = engine.make_strategy(args.strategy)
    chief = is_chief() if args.strategy == "multiworker" else True
    last = engine.train(design, dataset, training, print_epoch, lambda: False,
                        model_path=args.out if chief else None, strategy=strategy)
    if last["type"] == "error":
        print(f"error: {last['message']}", file=sys.stderr)
        return EXIT_DIVERGED
    if chief and args.history:
        from ..report.script import history_csv

        Path(args.history).write_text(history_csv(last["history"]))
    if chief:
        saved = [p for p in (args.out, args.history) if p]
        print(f"done: {last['epochs_run']} epochs in {last['elapsed']:.1f} s" + (f"; saved {', '.join(saved)}" if saved else ""))
    return 0


def _training(design, args):
    changes = {}
    if args.epochs is not None:
        if args.epochs < 1:
            raise DataError(f"--epochs must be at least 1. Received: {args.epochs}.")
        changes["epochs"] = args.epochs
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise DataError(f"--batch-size must be at least 1. Received: {args.batch_size}.")
        changes["batch_size"] = args.batch_size
    return design.training.model_copy(update=changes)


def _check_out_path(path: str | None) -> None:
    if path and not path.endswith(".keras"):
        raise DataError(f"--out must end in .keras (the format Keras loads with safe_mode). Received: {path!r}.")


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
    x = arrays[NPZ_INPUT_KEY]
    if tuple(x.shape[1:]) != tuple(design.input.shape):
        raise DataError(f"x has samples of shape {tuple(x.shape[1:])} but the design's input is "
                        f"{tuple(design.input.shape)}. Reshape the data or change the input shape.")
    y = {h.name: arrays[h.name] for h in design.heads}
    for head, values in y.items():
        if len(values) != len(x):
            raise DataError(f"array {head!r} has {len(values)} rows but x has {len(x)}. Each head needs one target per sample.")
    return Dataset(name=Path(path).stem, kind="tensor", x=x, y=y, source=path)


def print_epoch(ev: dict) -> None:
    if ev["type"] != "epoch":
        return
    heads = "  ".join(f"{h} {v['loss']:.4g}" for h, v in ev["heads"].items() if "loss" in v)
    val = f"  val_loss {ev['val_loss']:.4g}" if ev.get("val_loss") is not None else ""
    print(f"epoch {ev['epoch']}/{ev['epochs']}  loss {ev['loss']:.4g}  {heads}{val}", flush=True)


def is_chief() -> bool:
    """In a TF_CONFIG cluster, the chief (or worker 0 when there is no chief) writes the files."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    except ValueError:
        raise DataError("TF_CONFIG is not valid JSON. Set it as tf.distribute documents.") from None
    task = config.get("task", {})
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})
