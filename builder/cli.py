"""``python -m builder``: the designer without a browser, for scripts and CI.

Every failure a user can cause prints plain messages and exits non-zero
(2 for a bad design or bad data); it never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DataError, DesignError
from .templates import TEMPLATE_NAMES, describe, template
from .validate import analyse, load_design
from .spec import parse_design

EXIT_BAD_INPUT = 2


def whole_number(text: str) -> int:
    """argparse type: ``12``, or a float that is a whole number (``1e9``), so the caller's bounds decide.

    Raises:
        argparse.ArgumentTypeError: not a whole number (argparse prints it and exits 2).
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value.is_integer():
        raise argparse.ArgumentTypeError(f"must be a whole number. Received: {text!r}")
    return int(value)


def _read_design(path: str):
    try:
        text = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"cannot read the design file {path!r}: {e.strerror}. Check the path.") from None
    return parse_design(text)


def cmd_templates(args) -> int:
    for name in TEMPLATE_NAMES:
        print(f"{name:26} {describe(name)}")
    return 0


def cmd_template(args) -> int:
    try:
        print(template(args.name).to_json())
    except KeyError as e:
        print(e.args[0], file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def cmd_summary(args) -> int:
    report = analyse(_read_design(args.design))
    for p in report.problems:
        print(f"{p.severity}: {p}", file=sys.stderr if p.severity == "error" else sys.stdout)
    if not report.ok:
        return EXIT_BAD_INPUT
    print(report.summary_text())
    return 0


def cmd_code(args) -> int:
    from .codegen import to_python

    design = load_design(_read_design(args.design).model_dump())
    print(to_python(design), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m builder", description="Design multi-output Keras models.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("templates", help="list the templates").set_defaults(run=cmd_templates)
    t = sub.add_parser("template", help="print a template design as JSON")
    t.add_argument("name")
    t.set_defaults(run=cmd_template)
    s = sub.add_parser("summary", help="layer table with output shapes and parameter counts")
    s.add_argument("design")
    s.set_defaults(run=cmd_summary)
    c = sub.add_parser("code", help="print the design as Python (Keras functional API)")
    c.add_argument("design")
    c.set_defaults(run=cmd_code)
    from .data.cli import register as data_commands
    from .train.cli import register as train_commands

    data_commands(sub)
    train_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except DesignError as e:
        for problem in e.problems:
            print(f"{problem.severity}: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
