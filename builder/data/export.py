"""Writing a built-in dataset to a file: CSV for tables, .npz (``x`` plus one array per head) for arrays."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..errors import DataError
from .builtin import PENGUINS_CSV, load_builtin


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
        elif dataset.kind == "table":
            dataset.frame.to_csv(out, index=False, na_rep="NA")
        else:
            np.savez(out, x=dataset.x, **dataset.y)
    except OSError as e:
        raise DataError(f"cannot write {str(out)!r}: {e.strerror}. Choose another path.") from None
    return out
