"""Datasets as files: CSV for tables, .npz (``x`` plus one array per head) for arrays.

One writer serves the CLI's ``data`` command and the Export page's download,
so the file a user gets is the same either way.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np

from ..errors import DataError
from .builtin import PENGUINS_CSV, load_builtin

NPZ_INPUT_KEY = "x"   # the input array in an .npz; each head's target is stored under the head's name


def dataset_bytes(dataset) -> bytes:
    """The dataset as a file: a CSV with the original column names (missing as NA), or an ``.npz``."""
    if dataset.kind == "table":
        return dataset.frame.to_csv(index=False, na_rep="NA").encode()
    out = io.BytesIO()
    np.savez_compressed(out, **{NPZ_INPUT_KEY: dataset.x}, **dataset.y)
    return out.getvalue()


def save_builtin(name: str, out: str | Path, rows: int | None = None, seed: int = 0) -> Path:
    """Write built-in dataset ``name`` to ``out`` and return the path.

    Raises:
        DataError: unknown name, a suffix that does not fit the data, or a path that cannot be written.
    """
    dataset = load_builtin(name, rows=rows, seed=seed)
    out = Path(out)
    want = ".csv" if dataset.kind == "table" else ".npz"
    if out.suffix.lower() != want:
        what = "a table" if dataset.kind == "table" else "arrays"
        raise DataError(f"{name!r} is {what}, written as {want}. Received: --out {str(out)!r}; "
                        f"use a name ending in {want}.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if name == "penguins" and rows is None:
            shutil.copyfile(PENGUINS_CSV, out)    # the shipped file, byte for byte
        else:
            out.write_bytes(dataset_bytes(dataset))
    except OSError as e:
        raise DataError(f"cannot write {str(out)!r}: {e.strerror}. Choose another path.") from None
    return out
