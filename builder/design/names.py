"""The names the model gives a table input's own layers, decided from the design alone.

Each CSV column becomes a ``keras.Input`` named by :func:`input_names`, with a
``<name>_norm`` or ``<name>_onehot`` preprocessing layer, and ``features``
joins them.  Validation reserves these names (a layer id or head name equal
to one cannot build) and ``builder.model.preprocessing`` builds with them.
"""

from __future__ import annotations

import re
import unicodedata

from .spec import TableInput

FEATURES = "features"
MAX_NAME = 48
# Layer names derived from a column's Keras name; input names must never equal one of them.
SUFFIXES = ("_norm", "_onehot", "_text")     # _text: a text column's TextVectorization (issue 12)
RESERVED = {"input", FEATURES}
OOV_TOKEN = "[UNK]"          # StringLookup's slot for unseen values; a category may not be named so


def keras_name(column: str) -> str:
    """A Keras/Python-safe name for a column: ASCII letters, digits and single underscores.

    >>> keras_name("Body Mass (g)")
    'Body_Mass_g'
    >>> keras_name("Größe")
    'Grosse'
    """
    text = unicodedata.normalize("NFKD", column.replace("ß", "ss"))
    text = text.encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")[:MAX_NAME].rstrip("_")
    if not text:
        return "column"
    return f"c_{text}" if text[0].isdigit() else text


def input_names(columns: list[str], reserved: set[str] | frozenset = frozenset()) -> dict[str, str]:
    """Column name -> unique Keras input name, in column order.

    Names never equal one another, a derived layer name (``<name>_norm``) or
    anything in ``reserved`` (such as trunk layer ids), so Keras never sees two
    layers with one name.
    """
    taken = {n.lower() for n in RESERVED | set(reserved)}
    chosen: dict[str, str] = {}
    for column in columns:
        base = keras_name(column)
        name, n = base, 1
        while _clashes(name, taken):
            n += 1
            name = f"{base}_{n}"
        chosen[column] = name
        taken |= {name.lower(), *(f"{name}{s}".lower() for s in SUFFIXES)}
    return chosen


def _clashes(name: str, taken: set[str]) -> bool:
    # Lower-case: some file systems used when saving weights ignore case.
    return name.lower() in taken or any(f"{name}{s}".lower() in taken for s in SUFFIXES)


def layer_names(table_input: TableInput) -> dict[str, str]:
    return input_names([c.name for c in table_input.columns])


def model_input_names(table_input: TableInput) -> dict[str, str]:
    """Column name -> the saved model's input name: the column's own name wherever Keras allows it.

    Keras forbids ``/`` in a name, and an input must not share a name with
    another layer (``features``, a ``<stem>_norm``); such columns keep their
    Keras-safe stem instead, and the Export page lists the mapping.
    """
    stems = layer_names(table_input)
    taken = set(RESERVED) | {f"{stem}{s}" for stem in stems.values() for s in SUFFIXES}
    chosen: dict[str, str] = {}
    for column, stem in stems.items():
        name = column if "/" not in column and column not in taken else stem
        if name in taken:
            return stems           # a column named like another's stem: the stems alone are unique
        chosen[column] = name
        taken.add(name)
    return chosen
