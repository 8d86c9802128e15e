"""Datasets as files: CSV for tables, .npz (``x`` plus one array per head) for arrays.

One writer serves the CLI's ``data`` command and the Export page's download,
so the file a user gets is the same either way.  Text cells that a
spreadsheet would run as a formula (``=cmd|...``, ``+``, ``-``, ``@``) get a
leading ``'`` (``builder.quoting.spreadsheet_cell``); numbers stay numbers,
and the exported training script removes the guard, so it reads the values
the app trained on.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..quoting import spreadsheet_cell
from .builtin import PENGUINS_CSV, load_builtin

NPZ_INPUT_KEY = "x"   # the input array in an .npz; each head's target is stored under the head's name


def dataset_bytes(dataset) -> bytes:
    """The dataset as a file: a CSV with the original column names (missing as NA), or an ``.npz``."""
    if dataset.kind == "table":
        return guarded_frame(dataset.frame).to_csv(index=False, na_rep="NA").encode()
    out = io.BytesIO()
    np.savez_compressed(out, **{NPZ_INPUT_KEY: dataset.x}, **dataset.y)
    return out.getvalue()


def guarded_frame(frame):
    """A copy of ``frame`` whose text cells (and column names) cannot start a spreadsheet formula."""
    import pandas as pd

    out = frame.rename(columns=lambda c: spreadsheet_cell(str(c)))
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series.dtype) or isinstance(series.dtype, pd.StringDtype):
            out[column] = series.map(lambda v: spreadsheet_cell(v) if isinstance(v, str) else v)
    return out


def save_builtin(name: str, out: str | Path, rows: int | None = None, seed: int = 0) -> Path:
    """Write built-in dataset ``name`` to ``out`` and return the path.

    Raises:
        DataError: unknown name, a suffix that does not fit the data, or a path that cannot be written.
    """
    out = Path(out)
    check_output(str(out), "--out", make_folder=True)
    dataset = load_builtin(name, rows=rows, seed=seed)
    want = ".csv" if dataset.kind == "table" else ".npz"
    if out.suffix.lower() != want:
        what = "a table" if dataset.kind == "table" else "arrays"
        raise DataError(f"{name!r} is {what}, written as {want}. Received: --out {str(out)!r}; "
                        f"use a name ending in {want}.")
    try:
        if name == "penguins" and rows is None:
            write_atomically(out, PENGUINS_CSV.read_bytes())    # the shipped file, byte for byte
        else:
            write_atomically(out, dataset_bytes(dataset))
    except OSError as e:
        raise DataError(f"cannot write {str(out)!r}: {e.strerror}. Choose another path.") from None
    return out


def check_output(path: str | None, flag: str, make_folder: bool = False) -> None:
    """Refuse, before any work, an output path that could not be written afterwards.

    Args:
        path: the output file (None: nothing to check).
        flag: how the user named it (``--out``), for the message.
        make_folder: create a missing folder instead of refusing.

    Raises:
        DataError: the path is a folder, its folder is missing, or nothing can be written there.
    """
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise DataError(f"{flag} {path!r} is a folder. Give a file name inside it.")
    folder = target.parent
    if make_folder and not folder.exists():
        try:
            folder.mkdir(parents=True)
        except OSError as e:
            raise DataError(f"{flag} {path!r}: cannot create the folder {str(folder)!r} ({e.strerror}). "
                            "Choose a folder you can write to.") from None
    if not folder.is_dir():
        raise DataError(f"{flag} {path!r}: the folder {str(folder)!r} does not exist. Create it first.")
    try:       # the only sure test (read-only mounts, /proc, permissions): create and remove a file there
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".builder-check-"):
            pass
    except OSError as e:
        raise DataError(f"{flag} {path!r}: cannot write in the folder {str(folder)!r} ({e.strerror}). "
                        "Choose a folder you can write to.") from None


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` through a temporary file in the same folder and ``os.replace``: never a half-written file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
