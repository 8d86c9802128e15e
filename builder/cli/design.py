"""CLI subcommands for designs: ``templates``, ``template``, ``summary``, ``code``; and ``read_design``."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import DataError
from ..design.templates import TEMPLATE_NAMES, describe, template
from ..design.validate import analyse, load_design
from ..design.spec import parse_design

EXIT_BAD_INPUT = 2


def read_design(path: str):
    """The design in a JSON file, parsed by the spec (raises DataError for an unreadable file)."""
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
    report = analyse(read_design(args.design))
    for p in report.problems:
        print(f"{p.severity}: {p}", file=sys.stderr if p.severity == "error" else sys.stdout)
    if not report.ok:
        return EXIT_BAD_INPUT
    print(report.summary_text())
    return 0


def cmd_code(args) -> int:
    from ..model.codegen import to_python

    design = load_design(read_design(args.design).model_dump())
    print(to_python(design), end="")
    return 0


def register(sub) -> None:
    """Add this module's subcommands to the `python -m builder` parser."""
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
