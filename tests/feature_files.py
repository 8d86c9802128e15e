"""CSV files for issue 12's features, generated here (nothing downloaded): a daily weather-like series,
28x28 digit-like images in pixel columns, and a table with a date, a comment and a row counter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WEATHER = ("dry", "rain", "storm")
GOOD = "quick friendly helpful clean tidy polite prompt".split()
BAD = "late broken rude dirty slow missing damaged".split()
FILLER = "the a parcel order item was very really quite delivery".split()


def weather_frame(days: int = 400, seed: int = 0) -> pd.DataFrame:
    """Daily rows: the next day's temperature follows today's, tomorrow's weather follows today's humidity."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    temp = 10 + 8 * np.sin(2 * np.pi * t / 365.25) + np.cumsum(rng.normal(0, 0.4, days)) * 0.2
    humidity = np.clip(60 + 25 * np.sin(t / 3.0) + rng.normal(0, 5, days), 5, 100)
    pressure = 1013 + np.cumsum(rng.normal(0, 1, days)) * 0.3
    weather = np.where(np.roll(humidity, 1) > 75, "storm", np.where(np.roll(humidity, 1) > 55, "rain", "dry"))
    return pd.DataFrame({"date": pd.date_range("2021-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
                         "temp": temp.round(2), "humidity": humidity.round(1), "pressure": pressure.round(1),
                         "weather": weather})


def digits_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """28x28 grey images: digit k is a bar at a position set by k; 'thickness' is its stroke width (1-4)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, rows)
    thickness = rng.integers(1, 5, rows)
    images = rng.integers(0, 30, (rows, 28, 28))
    for i, (k, w) in enumerate(zip(labels, thickness)):
        top = 2 + 2 * k
        if k % 2:
            images[i, 4:24, top:top + w] = 255          # odd digits: upright strokes
        else:
            images[i, top:top + w, 4:24] = 255          # even digits: flat strokes
    frame = pd.DataFrame(images.reshape(rows, 784), columns=[f"pixel{i}" for i in range(784)])
    frame.insert(0, "label", labels)
    frame.insert(1, "thickness", thickness)
    return frame


def notes_frame(rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """A row counter, a date, a numeric measure, a free-text comment; predict 'status' and 'score'."""
    rng = np.random.default_rng(seed)
    good = rng.random(rows) < 0.5
    words = [" ".join(rng.choice(GOOD if g else BAD, 2).tolist() + rng.choice(FILLER, 3).tolist()) for g in good]
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, rows), unit="D")
    measure = rng.normal(0, 1, rows)
    score = 3 * measure + 2 * np.sin(2 * np.pi * dates.day_of_year / 365.25) + rng.normal(0, 0.3, rows)
    return pd.DataFrame({"Sample Number": np.arange(1, rows + 1), "Date Egg": dates.strftime("%Y-%m-%d"),
                         "measure": measure.round(3), "Comments": words,
                         "status": np.where(good, "ok", "complaint"), "score": score.round(3)})


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path
