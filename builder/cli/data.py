"""CLI subcommands for data: ``suggest`` (a design from a CSV) and ``data`` (write a built-in dataset)."""

from __future__ import annotations

import math
import sys

from ..errors import DataError
from .args import whole_number


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
    s = sub.add_parser("suggest", help="print a design suggested from a CSV file's columns",
                       description="Print the suggested design JSON: a table input, a small trunk and one head "
                                   "per target column.")
    s.add_argument("csv", help="the CSV file (with a header row)")
    s.add_argument("--targets", required=True, help="target columns, comma-separated: species,sex,body_mass_g")
    s.add_argument("--inputs", help="input columns, comma-separated (default: every usable column)")
    s.add_argument("--kinds", help="override head kinds: col=regression,other=multiclass")
    s.add_argument("--max-mb", type=float, default=200, help="refuse files larger than this (default 200)")
    s.add_argument("--window", type=int, help="time-series windows of this many rows (each row a time step)")
    s.add_argument("--horizon", type=int, default=1, help="with --window: predict this many steps ahead (default 1)")
    s.add_argument("--stride", type=int, default=1, help="with --window: a window every this many rows (default 1)")
    s.add_argument("--time-column", help="with --window: the column that orders the rows (default: the first "
                                         "date column; '' for file order)")
    s.add_argument("--no-image", action="store_true", help="keep pixel columns as table columns")
    s.add_argument("--max-tokens", type=int, help="text columns: vocabulary size (default 1000)")
    s.add_argument("--text-mode", choices=("multi_hot", "tf_idf"), help="text columns: encoding (default multi_hot)")
    s.set_defaults(run=cmd_suggest)
    d = sub.add_parser("data", help="write a built-in dataset to a file (.csv for tables, .npz for arrays)")
    d.add_argument("name", help="penguins, seed-multi-regression, seed-image-class-reg or seed-sequence-two-heads")
    d.add_argument("--out", required=True, help="the file to write")
    d.add_argument("--rows", type=whole_number, help="how many rows or samples (default: the dataset's default)")
    d.add_argument("--seed", type=whole_number, default=0)
    d.set_defaults(run=cmd_data)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _kinds(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    kinds = {}
    for part in _names(text):
        column, sep, kind = part.rpartition("=")
        if not sep or not column:
            raise DataError(f"--kinds takes column=kind pairs such as price=regression. Received: {part!r}.")
        kinds[column.strip()] = kind.strip()
    return kinds


def cmd_suggest(args) -> int:
    from ..data.csvio import read_csv
    from ..data.suggest import suggest_design

    if not math.isfinite(args.max_mb) or args.max_mb <= 0:
        raise DataError(f"--max-mb must be a number of megabytes above 0. Received: {args.max_mb}.")
    dataset = read_csv(args.csv, name=args.csv, max_bytes=int(min(args.max_mb, 2**40) * 2**20))
    for warning in dataset.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    design = suggest_design(dataset, _names(args.targets) or [], _names(args.inputs), _kinds(args.kinds),
                            features=_features(args))
    print(design.to_json())
    return 0


def _features(args) -> dict:
    """Issue 12's options for ``suggest_design``: windows, images, text."""
    features = {"image": not args.no_image, "max_tokens": args.max_tokens, "text_mode": args.text_mode}
    if args.window is not None:
        features["window"] = {"window": args.window, "horizon": args.horizon, "stride": args.stride}
        if args.time_column is not None:
            features["window"]["time_column"] = args.time_column
    return features


def cmd_data(args) -> int:
    from ..data.writer import save_builtin

    path = save_builtin(args.name, args.out, rows=args.rows, seed=args.seed)
    print(f"wrote {path}", file=sys.stderr)
    return 0
