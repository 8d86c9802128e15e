"""Date and time columns -> numbers a model can use: year, month, day, weekday, day of year, their cycles, hour.

Parsing text into dates cannot happen inside a Keras model, so each date
column becomes one float input of its parts (NaN where the date is missing);
normalisation and the missing indicator are inside the model
(``builder.model.features``).  ``script_code()`` gives the same expansion as
standalone code for the exported training script.
"""

from __future__ import annotations

import warnings

import numpy as np

DATE_PARTS = ("year", "month", "day", "weekday", "yearday",
              "month_sin", "month_cos", "weekday_sin", "weekday_cos", "yearday_sin", "yearday_cos")
TIME_PARTS = ("hour", "hour_sin", "hour_cos")
# part -> (field of pandas' .dt, period of its cycle or None); day of year and weekday count from 1 and 0.
FIELDS = {"year": ("year", None), "month": ("month", 12), "day": ("day", None), "weekday": ("day_of_week", 7),
          "yearday": ("day_of_year", 365.25), "hour": ("hour", 24)}


def parse_dates(series):
    """The column as pandas datetimes; values that are not dates become NaT."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas warns when it guesses a format per element
        return pd.to_datetime(series, errors="coerce", format="mixed")


def date_parts(series) -> list[str]:
    """The parts a column yields: the date parts, plus the hour parts when any value has a time of day."""
    parsed = parse_dates(series).dropna()
    timed = bool(len(parsed)) and bool((parsed.dt.hour != 0).any() or (parsed.dt.minute != 0).any())
    return list(DATE_PARTS + (TIME_PARTS if timed else ()))


def expand_dates(series, parts: list[str]) -> np.ndarray:
    """float32 (n, len(parts)): each part of each date, NaN where the date is missing or unreadable.

    Self-contained (FIELDS, numpy, pandas): ``script_code`` copies it into the exported script.
    """
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas warns when it guesses a format per element
        parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    out = np.empty((len(series), len(parts)), np.float32)
    for i, part in enumerate(parts):
        base, _, wave = part.partition("_")
        field, period = FIELDS[base]
        values = getattr(parsed.dt, field).to_numpy(dtype=np.float64, na_value=np.nan)
        if wave:
            values = (np.sin if wave == "sin" else np.cos)(2 * np.pi * values / period)
        out[:, i] = values
    return out


def describe_parts(name: str, parts: list[str]) -> str:
    """``"date -> date_year, date_month, ..."``: the numbers the saved model takes for a date column."""
    return f"{name} -> {', '.join(f'{name}_{p}' for p in parts)}"


def set_statistics(layer, values: np.ndarray) -> None:
    """Per-feature mean and variance of ``values`` (rows x features), NaNs left out, into a Normalization layer."""
    values = values.reshape(-1, values.shape[-1]).astype(np.float64)
    present = np.isfinite(values)
    count = present.sum(axis=0)
    filled = np.where(present, values, 0.0)
    mean = np.divide(filled.sum(axis=0), count, out=np.zeros(values.shape[1]), where=count > 0)
    var = np.divide((np.where(present, values - mean, 0.0) ** 2).sum(axis=0), count,
                    out=np.ones(values.shape[1]), where=count > 0)
    var = np.where(var > 0, var, 1.0)
    layer.adapt_mean.assign(np.broadcast_to(mean, layer.adapt_mean.shape).astype(np.float32))
    layer.adapt_variance.assign(np.broadcast_to(var, layer.adapt_variance.shape).astype(np.float32))
    layer.count.assign(int(count.min()) if len(count) else 0)
    layer.finalize_state()




def script_code() -> str:
    """``expand_dates``, its table and ``set_statistics``, as standalone code for the exported training script."""
    import inspect

    return (f"import warnings\n\nFIELDS = {FIELDS!r}\n\n\n{inspect.getsource(expand_dates)}\n\n"
            f"{inspect.getsource(set_statistics)}")
