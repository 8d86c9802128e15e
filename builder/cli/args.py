"""Argument types shared by the subcommands."""

from __future__ import annotations

import argparse


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
