"""The Data page's issue-12 options in the session: time-series windows, images from pixel columns, text.

They live under one key, ``data_features``, as a plain dict of strings and numbers, and go to
``suggest_design(features=...)`` when the roles are applied.
"""

from __future__ import annotations

from ..errors import DataError
from .design import DATASET, State

FEATURES = "data_features"
ROW_ORDER = "(row order)"


def features(state: State) -> dict:
    return state.setdefault(FEATURES, {})


def set_features(state: State, window: int | None = None, horizon: int = 1, stride: int = 1,
                 time_column: str | None = None, image: bool = True, max_tokens: int | None = None,
                 text_mode: str = "multi_hot") -> dict:
    """Record the options; ``window`` None or 0 turns windows off."""
    chosen = {"image": bool(image), "text_mode": text_mode}
    if max_tokens:
        chosen["max_tokens"] = int(max_tokens)
    if window:
        if window < 1 or horizon < 0 or stride < 1:
            raise DataError(f"window and stride must be at least 1 and horizon at least 0. Received: "
                            f"window={window}, horizon={horizon}, stride={stride}.")
        chosen["window"] = {"window": int(window), "horizon": int(horizon), "stride": int(stride)}
        if time_column is not None:
            chosen["window"]["time_column"] = "" if time_column == ROW_ORDER else time_column
    state[FEATURES] = chosen
    return chosen


def time_columns(state: State) -> list[str]:
    """Choices for the column that orders the rows: date columns first, then row order."""
    dataset = state.get(DATASET)
    dates = [p.name for p in dataset.profile if p.kind == "datetime"] if dataset is not None else []
    return [*dates, ROW_ORDER]


def pixel_summary(state: State) -> tuple[str | None, list]:
    """(a line about the pixel columns or why they are no image, sample (image, label) pairs), or (None, [])."""
    from ..data.pixels import layout_of, sample_grid

    dataset = state.get(DATASET)
    layout = layout_of(dataset) if dataset is not None else None
    if layout is None:
        return None, []
    if layout.problem():
        return layout.problem(), []
    from .dataset import targets

    label = next(iter(targets(state)), None)
    h, w, c = layout.shape
    line = f"{layout.count:,} pixel columns ({layout.prefix}{layout.start}..): images of {h} x {w} x {c}, scaled to 0-1"
    try:
        return line, sample_grid(dataset, label)
    except DataError as e:
        return str(e), []


def hidden_columns(state: State) -> set[str]:
    """Pixel columns: the image stands for them on the Data page, instead of one role per pixel."""
    from ..data.pixels import layout_of

    dataset = state.get(DATASET)
    layout = layout_of(dataset) if dataset is not None else None
    return set(layout.columns) if layout is not None and features(state).get("image", True) else set()


def has_text(state: State) -> bool:
    dataset = state.get(DATASET)
    return dataset is not None and any(p.kind == "text" for p in dataset.profile)
