"""``python -m builder``: the designer without a browser, for scripts and CI.

One parser; each module here registers its own subcommands. Every failure a user can cause prints
plain messages and exits non-zero (2 for a bad design or bad data); it never prints a traceback.
May import every other package of ``builder``; nothing imports it back.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import DataError, DesignError
from . import data, design, train
from .design import EXIT_BAD_INPUT


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m builder", description="Design multi-output Keras models.")
    sub = p.add_subparsers(dest="command", required=True)
    for module in (design, data, train):
        module.register(sub)
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
