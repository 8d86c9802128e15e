"""Column profiles: the kind of each column, its missing and distinct counts, and a default role.

Counts use the whole column (they are cheap and vectorised); the slower guesses
(does this text hold numbers or dates?) look at a sample, so profiling a
million rows costs a fraction of reading them.
"""

from __future__ import annotations

import re
from typing import Iterable

from .dataset import ColumnProfile
from .parallel import PARALLEL_ROWS, map_columns, row_sample

MAX_CATEGORIES = 50        # more distinct values than this is not a category (and not a class target)
MAX_VALUE_LENGTH = 200     # longest category value a design may hold
MOSTLY = 0.9               # a text column whose sample is >= 90% numbers is numeric with junk
ID_NAME = re.compile(r"(^|[^a-z])(id|uuid|key|index)([^a-z]|$)", re.IGNORECASE)
DATE_LIKE = re.compile(r"^\s*\d{1,4}[-/.:]\d{1,2}([-/.:]\d{1,4})?")


WIDE_COLUMNS = 500         # frames from this many columns profile their plain number columns all at once


def _profile_wide(frame, text: set[str]) -> list[ColumnProfile]:
    """Thousands of columns: missing and distinct counts of the float columns as one 2-D array operation.

    Per column, pandas' overhead (~1 ms) dominates for short, wide files: 10,000 columns took 20 s.
    A column whose counts call for a closer look (constant, two values, maybe an ID) and every column
    of another type get the per-column profile.
    """
    import numpy as np

    floats = [name for name, dtype in frame.dtypes.items() if dtype.kind == "f" and name not in text]
    quick: dict[str, ColumnProfile] = {}
    if floats:
        values = np.sort(frame[floats].to_numpy(dtype=np.float64), axis=0)    # NaNs sort last
        present = (~np.isnan(values)).sum(axis=0)
        changes = values[1:] != values[:-1]
        within = np.arange(len(values) - 1)[:, None] < (present - 1)[None, :]
        distinct = (changes & within).sum(axis=0) + (present > 0)
        for name, n, d in zip(floats, present.tolist(), distinct.tolist()):
            if d > 2 and not (d == n and n >= 20):
                quick[name] = ColumnProfile(name, "numeric", len(values) - n, d, f"numeric: {n:,} numbers")
    ints = [name for name, dtype in frame.dtypes.items() if dtype.kind in "iu" and name not in text]
    for name, d in _small_int_distinct(frame, ints).items():
        if d > 2 and not (d == len(frame) and d >= 20):     # whole numbers are never missing
            quick[name] = ColumnProfile(name, "numeric", 0, d, f"numeric: {len(frame):,} numbers")
    return [quick.get(name) or profile_column(name, frame[name], name in text) for name in frame.columns]


SMALL_INT_SPAN = 65_536    # whole numbers within this range are counted with bincount, not hashed


def _count_small_ints(values, low: int, high: int) -> int | None:
    """Distinct whole numbers in ``values`` (min ``low``, max ``high``) when they span under SMALL_INT_SPAN
    (pixels, counts, codes): counting beats hashing ~20x. None for a wider span."""
    import numpy as np

    if high - low >= SMALL_INT_SPAN:
        return None
    return int(np.count_nonzero(np.bincount(values - low if low else values)))


def _small_int_distinct(frame, names: list[str], block: int = 64) -> dict[str, int]:
    """Distinct counts of narrow whole-number columns, from numpy blocks of columns: pandas' own per-column
    steps cost more than the counting."""
    import numpy as np

    out = {}
    for start in range(0, len(names), block):
        chunk = names[start:start + block]
        values = frame[chunk].to_numpy(dtype=np.int64)
        if not len(values):
            continue
        lows, highs = values.min(axis=0).tolist(), values.max(axis=0).tolist()
        for i, (name, low, high) in enumerate(zip(chunk, lows, highs)):
            if (distinct := _count_small_ints(values[:, i], low, high)) is not None:
                out[name] = distinct
    return out


def profile_frame(frame, text: Iterable[str] = ()) -> list[ColumnProfile]:
    """One ColumnProfile per column, in column order.

    ``text`` names columns already found not to hold numbers (``numeric_junk``
    returned None), so that check is not made twice.

    Large frames are profiled a column per thread: the heavy steps (hashing
    for distinct counts, value counts) run in numpy and Arrow without the GIL.
    """
    columns, text = list(frame.columns), set(text)
    if len(columns) >= WIDE_COLUMNS and len(frame) < PARALLEL_ROWS:
        return _profile_wide(frame, text)
    if len(frame) < PARALLEL_ROWS or len(columns) < 2:
        return [profile_column(name, frame[name], name in text) for name in columns]
    return map_columns(lambda name: profile_column(name, frame[name], name in text), columns)


def profile_column(name: str, series, text: bool = False) -> ColumnProfile:
    """The profile of one column; ``text``: it is known not to hold numbers (skips that check)."""
    import pandas as pd

    missing = int(series.isna().sum())
    present = len(series) - missing
    if present == 0:
        return ColumnProfile(name, "empty", missing, 0, "every value is missing, so it is left out", "ignore")
    if pd.api.types.is_bool_dtype(series.dtype):
        return _categorical(name, series, missing, "binary")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return _datetime(name, series, missing)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _numeric(name, series, missing, present)
    return _text(name, series, missing, present, text)


def _numeric(name: str, series, missing: int, present: int, note: str = "") -> ColumnProfile:
    distinct = count_distinct(series)
    if distinct == 1:
        return ColumnProfile(name, "numeric", missing, 1, f"constant: every value is {_first(series)}, "
                             "so it carries no information and is left out", "ignore")
    if distinct == 2:
        return _categorical(name, series, missing, "binary", note)
    if distinct == present and present >= 20 and _looks_like_id(name, series):
        return ColumnProfile(name, "id", missing, distinct, "ID: a different whole number on every row, "
                             "which tells the model nothing it can generalise; left out", "ignore")
    return ColumnProfile(name, "numeric", missing, distinct, f"numeric: {present:,} numbers{note}")


def count_distinct(series) -> int:
    """Distinct non-missing values; numpy's hash-based unique is about 2x faster than pandas' for numbers."""
    import numpy as np

    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu" and len(series):
        values = series.to_numpy()
        if (distinct := _count_small_ints(values, int(values.min()), int(values.max()))) is not None:
            return distinct
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
        values = series.to_numpy()
        distinct = len(np.unique(values, sorted=False))     # NaNs count as one value: no filtered copy
        return distinct - 1 if values.dtype.kind == "f" and np.isnan(values).any() else distinct
    return int(series.nunique())


def _looks_like_id(name: str, series) -> bool:
    """Whole numbers named like an ID, or counting up by one (a row number); sorted measurements are not IDs."""
    values = series.dropna()
    if not bool((values % 1 == 0).all()):
        return False
    if ID_NAME.search(name):
        return True
    from .text import counts_rows   # issue 12: a row counter (1..n, or any constant step) is an ID

    return counts_rows(values.to_numpy())


def _text(name: str, series, missing: int, present: int, text: bool = False) -> ColumnProfile:
    junk = None if text else numeric_junk(series)
    if junk is not None:
        count, examples = junk
        import pandas as pd
        numbers = pd.to_numeric(series, errors="coerce")
        note = (f"; {count:,} value(s) that are not numbers (such as {examples}) are treated as missing. "
                "Fix them in the file if they are real values") if count else ""
        return _numeric(name, numbers, int(numbers.isna().sum()), int(numbers.notna().sum()), note)
    if _looks_like_dates(series):
        return _datetime(name, series, missing)
    counts = series.value_counts(dropna=True)    # one pass gives both the distinct count and the values
    distinct = len(counts)
    if distinct == 1:
        return ColumnProfile(name, "categorical", missing, 1, f"constant: every value is {_first(series)!r}, "
                             "so it carries no information and is left out", "ignore")
    from .text import is_free_text, text_profile   # issue 12: free text becomes a text input

    if is_free_text(series, distinct, present):
        return text_profile(name, series, missing, distinct)
    values = category_values(series, counts) if distinct <= MAX_CATEGORIES else []
    if any(len(v) > MAX_VALUE_LENGTH for v in values):
        return ColumnProfile(name, "text", missing, distinct, f"free text: some values are longer than "
                             f"{MAX_VALUE_LENGTH} characters, too long for a category; left out", "ignore")
    if distinct == 2:
        return _categorical(name, series, missing, "binary", values=values)
    rarely_repeats = distinct > 0.5 * present and present >= 20
    if distinct <= MAX_CATEGORIES and not rarely_repeats:
        return _categorical(name, series, missing, "categorical", values=values)
    if rarely_repeats:
        return ColumnProfile(name, "id", missing, distinct, f"ID: {distinct:,} different values in {present:,} rows, "
                             "so values rarely repeat and there is nothing to learn from; left out", "ignore")
    return ColumnProfile(name, "text", missing, distinct, f"too many categories: {distinct:,} different values, "
                         f"more than the {MAX_CATEGORIES} a category may have; left out", "ignore")


def _categorical(name: str, series, missing: int, kind: str, note: str = "", values=None) -> ColumnProfile:
    values = values or category_values(series)
    shown = ", ".join(values[:5]) + (", ..." if len(values) > 5 else "")
    return ColumnProfile(name, kind, missing, len(values), f"{kind}: {len(values)} values ({shown}){note}",
                         "input", values)


def _datetime(name: str, series, missing: int) -> ColumnProfile:
    distinct = int(series.nunique())
    from .dates import date_parts   # issue 12: a date becomes its parts (year, month, cycles...)

    parts = date_parts(row_sample(series))
    return ColumnProfile(name, "datetime", missing, distinct, f"dates{' and times' if 'hour' in parts else ''}: "
                         f"the model takes {len(parts)} numbers from each ({', '.join(parts[:5])}, ...)")


def category_values(series, counts=None) -> list[str]:
    """Distinct values as text, most frequent first (ties in text order), as the model's vocabulary sees them."""
    import pandas as pd

    if counts is None:     # count first, then turn only the distinct values into text
        counts = series.value_counts(dropna=True)
    texts = as_text(pd.Series(counts.index, dtype=series.dtype))
    pairs = sorted(zip(texts.astype(str), counts.to_numpy()), key=lambda kv: (-kv[1], kv[0]))
    return list(dict.fromkeys(text for text, _ in pairs))   # 1 and "1" in one column are one value to the model


def as_text(series):
    """Values as the strings a StringLookup compares: whole numbers without '.0'."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return series.map({True: "true", False: "false"})
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna()
        if (values % 1 == 0).all():
            return series.astype("Int64").astype("string")
    if isinstance(series.dtype, pd.StringDtype):
        return series                                   # already text (Arrow-backed): no copy
    return series.astype("string")


def numeric_junk(series) -> tuple[int, str] | None:
    """(count, examples) if a text column is mostly numbers with a few that are not; else None."""
    import pandas as pd

    sample = row_sample(series).dropna()
    if len(sample) == 0:
        sample = series.dropna()     # mostly missing: look at every value there is
    if len(sample) == 0:
        return None
    if float(pd.to_numeric(sample[:200], errors="coerce").notna().mean()) < 0.5:
        return None     # plainly text: skip parsing the whole sample
    if float(pd.to_numeric(sample, errors="coerce").notna().mean()) < MOSTLY:
        return None
    values = series.dropna()
    bad = values[pd.to_numeric(values, errors="coerce").isna()]
    examples = ", ".join(repr(v) for v in bad.astype(str).unique()[:3])
    return int(len(bad)), examples


def _looks_like_dates(series) -> bool:
    import warnings

    import pandas as pd

    sample = row_sample(series).dropna().astype(str)[:2000]
    if not sample.str.match(DATE_LIKE).mean() >= MOSTLY:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas warns when it guesses a format per element
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return float(parsed.notna().mean()) >= MOSTLY


def _first(series):
    return series.dropna().iloc[0]


COLUMNS_PER_PAGE = 50


def find_columns(profile: list[ColumnProfile], query: str = "", page: int = 1,
                 per_page: int = COLUMNS_PER_PAGE) -> tuple[list[ColumnProfile], int]:
    """One page of the columns whose name contains ``query`` (any case), and how many match in all.

    A file may have thousands of columns; the Data page lists one page of them, so drawing it
    costs the same for 10 columns or 10,000.

    >>> cols = [ColumnProfile(f"c{i}", "numeric", 0, 5, "") for i in range(120)]
    >>> [c.name for c in find_columns(cols, "c11")[0]], find_columns(cols, page=3)[1]
    (['c11', 'c110', 'c111', 'c112', 'c113', 'c114', 'c115', 'c116', 'c117', 'c118', 'c119'], 120)
    """
    needle = query.strip().lower()
    matches = [c for c in profile if needle in c.name.lower()] if needle else profile
    pages = max(1, -(-len(matches) // per_page))
    page = min(max(1, page), pages)
    return matches[(page - 1) * per_page: page * per_page], len(matches)
