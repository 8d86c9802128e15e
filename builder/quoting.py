"""The one place where user text leaves the app: in generated code, in a file name, in a spreadsheet cell.

Names of designs, columns, classes and uploaded files are free text. Each
place they can reach has exactly one function here:

- :func:`quoted`: a Python literal for generated code (scripts, snippets,
  model code). Only ever as a value (``NAME = 'text'``), never spliced into a
  docstring or comment, so no text can end a string early and become code.
- :func:`file_stem`: a file name offered for download.
- :func:`spreadsheet_cell`: a text cell of an exported CSV, so a spreadsheet
  never runs it as a formula.

Example:
    >>> print(quoted("it's"))
    "it's"
    >>> file_stem("../my model!.csv")
    'my_model_csv'
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")   # what spreadsheets read as the start of a formula
CELL_GUARD = "'"                                    # the prefix spreadsheets show as "this is text"
MAX_STEM = 80


def quoted(value: Any) -> str:
    """``value`` as a Python literal that evaluates back to it and can never be more than a literal.

    Strings, numbers, booleans, None and (nested) lists, tuples and dicts of
    them. Non-finite floats become ``float('nan')``/``float('inf')``.

    Raises:
        TypeError: anything else (a value that has no safe literal).
    """
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(quoted(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(quoted(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no safe literal for a {type(value).__name__}. Received: {value!r:.80}")


def file_stem(text: str, default: str = "model") -> str:
    """A file name stem from free text: ASCII letters, digits, ``-`` and ``_``; never empty or hidden.

    It also names the Keras model, so one rule serves downloads and the model's ``name``.

    ``my model!`` -> ``my_model``; ``Größe`` -> ``Grosse``; ``../x`` -> ``x``.
    """
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^0-9A-Za-z_-]+", "_", text).strip("_-")[:MAX_STEM].strip("_-")
    return stem or default


def spreadsheet_cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text: one leading ``'`` where it would start a formula.

    Only text goes through here; numbers (``-3.5`` in a numeric column) stay numbers.
    The exported training script strips the guard again (``CELL_GUARD``), so values read back unchanged.
    """
    return CELL_GUARD + text if text.startswith(FORMULA_STARTS) or text.startswith(CELL_GUARD) else text


def unguarded(text: str) -> str:
    """The inverse of :func:`spreadsheet_cell`."""
    return text[1:] if text.startswith(CELL_GUARD) else text
