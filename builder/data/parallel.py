"""Shared helpers for big tables: a column per thread, a fixed row sample, and giving memory back.

The heavy steps (hashing, value counts, parsing) run in numpy and Arrow without the GIL, so threads
give real parallelism here.  Imports nothing else of ``builder``; numpy and pyarrow load when used.
"""

from __future__ import annotations

import functools
import os
from typing import Callable, Iterable, TypeVar

PARALLEL_ROWS = 100_000    # tables from this many rows are profiled and encoded a column per thread
SAMPLE_ROWS = 20_000       # rows used for guesses about text columns

T = TypeVar("T")


def cores() -> int:
    """The CPU cores this process may use (its affinity, where the system says)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def map_columns(work: Callable[[str], T], columns: Iterable[str]) -> list[T]:
    """``[work(c) for c in columns]``, a column per thread; results in column order."""
    from concurrent.futures import ThreadPoolExecutor

    columns = list(columns)
    with ThreadPoolExecutor(max(1, min(len(columns), cores()))) as pool:
        return list(pool.map(work, columns))


def row_sample(series):
    """About SAMPLE_ROWS rows at random positions (fixed seed); pandas' sample() shuffles every row, which costs more."""
    if len(series) <= SAMPLE_ROWS:
        return series
    return series.iloc[_sample_rows(len(series))]


@functools.lru_cache(maxsize=4)
def _sample_rows(n: int):
    """The sample's row positions for a column of n rows: the same for every column, so worked out once."""
    import numpy as np

    rows = np.unique(np.random.default_rng(0).integers(0, n, SAMPLE_ROWS))
    rows.flags.writeable = False
    return rows


def release_memory() -> None:
    """Hand memory freed after a big read back to the system, so the next steps start from a lower peak.

    Arrow's pool keeps freed blocks for reuse, and glibc keeps freed heap
    memory (numpy's mid-sized arrays land there) until it is trimmed.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)   # glibc only; elsewhere there is nothing to call
    except (OSError, AttributeError):
        pass
