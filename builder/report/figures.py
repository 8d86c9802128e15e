"""Plotly figures for training curves and per-head results.

Curves come in as *series*: a dict from a Keras history key (``loss``,
``val_loss``, ``<head>_loss``, ``val_<head>_<metric>``...) to a pair of lists
``(x, y)`` where x is the epoch, fractional within an epoch so live points can
be drawn before the epoch ends.  ``series_from_history`` turns a Keras
``History.history`` dict into that form.

Plotly is imported inside each function: ``import builder`` must stay fast.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, MutableMapping, Sequence

from .metrics import ClassificationResult, RegressionResult

Series = dict[str, tuple[list[float], list[float]]]
TOTAL = "total (weighted)"
MAX_COLUMNS = 3
TRAIN_DASH, VALIDATION_DASH = "solid", "dash"
# Earlier runs are drawn thin and faded so the current run stays readable.
EARLIER_OPACITY = 0.45
LIVE_FIGURES = "_run_figures"   # session key of the Train page's figures, kept between redraws
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
# Runs whose curves are identical would hide each other: each run also gets its own dash and marker.
RUN_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
RUN_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down")


def series_from_history(history: Mapping[str, Sequence[float]]) -> Series:
    """Keras ``History.history`` (one value per epoch) as series with epochs 1, 2, 3..."""
    return {key: (list(range(1, len(values) + 1)), [float(v) for v in values]) for key, values in history.items()}


def head_key(series: Mapping, heads: Sequence[str], head: str, name: str, validation: bool = False) -> str:
    """The history key of a head's loss or metric.

    Keras prefixes keys with the output name only when a model has several
    outputs, so a one-head model reports ``loss`` and ``mae``.
    """
    prefix = "val_" if validation else ""
    key = f"{prefix}{head}_{name}"
    if key not in series and len(heads) == 1 and f"{prefix}{name}" in series:
        return f"{prefix}{name}"
    return key


def _grid(n: int) -> tuple[int, int]:
    columns = min(n, MAX_COLUMNS)
    return math.ceil(n / columns), columns


def _position(index: int, columns: int) -> tuple[int, int]:
    return index // columns + 1, index % columns + 1


def _subplots(titles: Sequence[str], height_per_row: int = 260):
    from plotly.subplots import make_subplots

    rows, columns = _grid(max(len(titles), 1))
    # x is always the epoch (the page says so once); axis titles would collide with the next row's titles
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=list(titles),
                           horizontal_spacing=0.08, vertical_spacing=min(0.18, 0.45 / rows))
    figure.update_layout(height=80 + height_per_row * rows, margin=dict(l=40, r=10, t=50, b=20),
                         legend=dict(orientation="h", y=-0.12), uirevision="keep")   # zoom survives live updates
    return figure, columns


def _line(figure, series: Mapping, key: str, name: str, row: int, col: int, color: str, dash: str,
          group: str, opacity: float = 1.0, show_legend: bool = True, live: bool = False,
          symbol: str = "circle") -> bool:
    """Add one curve; with ``live``, an empty one when the key has no points yet, tagged for ``refresh``."""
    if key not in series and not live:
        return False
    import plotly.graph_objects as go

    x, y = series.get(key, ((), ()))
    figure.add_trace(go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers",
                                line=dict(color=color, dash=dash, width=2 if opacity == 1.0 else 1),
                                marker=dict(size=4 if symbol == "circle" else 7, symbol=symbol), opacity=opacity,
                                legendgroup=group, showlegend=show_legend,
                                meta=key if live else None),
                     row=row, col=col)
    return True


def _validation_or_train(series: Mapping, key: str) -> tuple[str, str]:
    """An earlier run's curve: its validation loss, or its training loss where it had no validation split."""
    return (f"val_{key}", "validation") if f"val_{key}" in series else (key, "train")


def refresh(figure, series: Mapping):
    """Put new points into a figure drawn with ``live=True``, in place.

    Rebuilding the subplots costs about 50 ms; moving the points about 3 ms,
    which keeps twice-a-second redraws from taking CPU away from training.
    """
    with figure.batch_update():
        for trace in figure.data:
            if isinstance(trace.meta, str) and trace.meta in series:
                x, y = series[trace.meta]
                trace.x, trace.y = list(x), list(y)
                trace.mode = "lines+markers" if len(x) < 30 else "lines"
    return figure


def loss_figure(heads: Sequence[str], series: Mapping, earlier: Iterable[tuple[str, Mapping]] = (),
                live: bool = False):
    """ONE figure: a subplot per head (training and validation loss) plus the weighted total.

    Args:
        heads: head names, in design order.
        series: the current run's curves (see module docstring).
        earlier: ``(label, series)`` of earlier runs, drawn faded behind the current one.
        live: draw every curve of the current run, empty ones too, so ``refresh`` can fill them later.

    Returns:
        A plotly Figure; traces are named ``"<head> train"``, ``"<head> validation"``,
        ``"total (weighted) train"``... and ``"<label>: <head> validation"`` for earlier runs.
    """
    titles = [f"{h} loss" for h in heads] + [f"{TOTAL} loss"]
    figure, columns = _subplots(titles)
    panels = [(h, head_key(series, heads, h, "loss"), head_key(series, heads, h, "loss", True)) for h in heads]
    panels.append((TOTAL, "loss", "val_loss"))
    for run_index, (label, old) in enumerate(earlier):
        color = PALETTE[2 + run_index % (len(PALETTE) - 2)]    # the first two colours mean train and validation
        for i, (panel, train_key, _) in enumerate(panels):
            key, kind = _validation_or_train(old, train_key)
            _line(figure, old, key, f"{label}: {panel} {kind}", *_position(i, columns), color, "dot",
                  group=label, opacity=EARLIER_OPACITY, symbol=RUN_SYMBOLS[1 + run_index % (len(RUN_SYMBOLS) - 1)])
    for i, (panel, train_key, validation_key) in enumerate(panels):
        row, col = _position(i, columns)
        _line(figure, series, train_key, f"{panel} train", row, col, PALETTE[0], TRAIN_DASH, group="train",
              live=live)
        _line(figure, series, validation_key, f"{panel} validation", row, col, PALETTE[1], VALIDATION_DASH,
              group="validation", live=live)
    return figure


def metric_figure(head_metrics: Mapping[str, Sequence[str]], series: Mapping, live: bool = False):
    """A subplot per head with each of its metrics, training solid and validation dashed.

    ``head_metrics`` maps each head to its metric names (``design.heads[i].metrics``);
    heads without metrics get no subplot.  Returns None when no head has a metric.
    """
    heads = list(head_metrics)
    shown = [h for h in heads if head_metrics[h]]
    if not shown:
        return None
    figure, columns = _subplots([f"{h} metrics" for h in shown])
    for i, head in enumerate(shown):
        row, col = _position(i, columns)
        for j, metric in enumerate(head_metrics[head]):
            color = PALETTE[j % len(PALETTE)]
            _line(figure, series, head_key(series, heads, head, metric), f"{head} {metric} train",
                  row, col, color, TRAIN_DASH, group=f"{head}-{metric}", live=live)
            _line(figure, series, head_key(series, heads, head, metric, True), f"{head} {metric} validation",
                  row, col, color, VALIDATION_DASH, group=f"{head}-{metric}", live=live)
    return figure


def confusion_figure(result: ClassificationResult):
    """Heatmap of the confusion matrix: rows are actual classes, columns predicted, counts written in."""
    import plotly.graph_objects as go

    labels = list(result.labels)
    counts = result.confusion.tolist()
    figure = go.Figure(go.Heatmap(z=counts, x=labels, y=labels, colorscale="Blues", text=counts,
                                  texttemplate="%{text}", hovertemplate="actual %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
                                  name=f"{result.head} confusion"))
    figure.update_layout(title=f"{result.head}: confusion matrix (accuracy {result.accuracy:.1%})",
                         xaxis_title="predicted", yaxis_title="actual", height=360,
                         yaxis=dict(autorange="reversed", type="category"), xaxis=dict(type="category"),
                         margin=dict(l=40, r=10, t=50, b=40))
    return figure


def scatter_figure(result: RegressionResult):
    """Predicted against actual values, with the diagonal a perfect head would sit on."""
    import plotly.graph_objects as go

    actual, predicted = result.actual.tolist(), result.predicted.tolist()
    low = min(actual + predicted, default=0.0)
    high = max(actual + predicted, default=1.0)
    figure = go.Figure([
        go.Scatter(x=actual, y=predicted, mode="markers", name=f"{result.head} predictions",
                   marker=dict(size=5, opacity=0.6, color=PALETTE[0])),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect prediction",
                   line=dict(color="#888", dash="dash")),
    ])
    figure.update_layout(title=f"{result.head}: predicted vs actual (R² {result.r2:.3f})",
                         xaxis_title="actual", yaxis_title="predicted", height=360,
                         margin=dict(l=40, r=10, t=50, b=40))
    return figure


def runs_figure(heads: Sequence[str], runs: Sequence[tuple[str, Mapping]]):
    """Runs side by side: per head and total, each run's validation loss (training if none).

    Every trace is named in the legend (``"<run label>: <head> validation"``), and each run has its
    own colour, dash and marker, so runs with identical curves stay distinguishable.
    """
    titles = [f"{h} loss" for h in heads] + [f"{TOTAL} loss"]
    figure, columns = _subplots(titles)
    for run_index, (label, series) in enumerate(runs):
        color = PALETTE[run_index % len(PALETTE)]
        style = dict(dash=RUN_DASHES[run_index % len(RUN_DASHES)], symbol=RUN_SYMBOLS[run_index % len(RUN_SYMBOLS)])
        keys = [head_key(series, heads, h, "loss") for h in heads] + ["loss"]
        for i, (panel, key) in enumerate(zip(list(heads) + [TOTAL], keys)):
            chosen, kind = _validation_or_train(series, key)
            _line(figure, series, chosen, f"{label}: {panel} {kind}", *_position(i, columns), color,
                  group=label, **style)
    return figure


def live_figures(cache: MutableMapping, live, earlier: list[tuple[str, dict]]):
    """(loss figure, metric figure or None) for the Train page, drawn once per run and then refreshed.

    ``live`` is a ``session.runs.LiveRun``; ``cache`` any mapping kept across redraws (the session).
    The fragment redraws twice a second; building the subplots each time would cost
    ~50 ms of the server's CPU, moving the new points in costs ~3 ms.
    """
    signature = (id(live), live.phase, tuple(label for label, _ in earlier))
    cached = cache.get(LIVE_FIGURES)
    if cached is None or cached[0] != signature:
        metrics = {h.name: h.metrics for h in live.design.heads} if live.design is not None else {}
        cached = (signature, loss_figure(live.heads, live.series, earlier, live=True),
                  metric_figure(metrics, live.series, live=True))
        cache[LIVE_FIGURES] = cached
    _, loss, metric = cached
    refresh(loss, live.series)
    if metric is not None:
        refresh(metric, live.series)
    return loss, metric
