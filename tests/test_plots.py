"""Figures: one subplot per head plus the total, named traces, heatmap and scatter."""

import numpy as np

from builder.report.figures import (
    TOTAL, confusion_figure, loss_figure, metric_figure, refresh, runs_figure, scatter_figure, series_from_history,
)
from builder.report.metrics import classification_metrics, regression_metrics

HEADS = ["species", "mass", "sex"]
HISTORY = {
    "loss": [3.0, 2.0], "val_loss": [3.5, 2.5],
    **{f"{h}_loss": [1.0, 0.5] for h in HEADS}, **{f"val_{h}_loss": [1.2, 0.7] for h in HEADS},
    "species_accuracy": [0.5, 0.8], "val_species_accuracy": [0.4, 0.7], "mass_mae": [1.0, 0.6],
}


def _titles(figure):
    return [a.text for a in figure.layout.annotations]


def _trace_axes(figure, name):
    trace = next(t for t in figure.data if t.name == name)
    return trace.xaxis, trace.yaxis


def test_loss_figure_has_one_subplot_per_head_plus_the_total_with_a_train_and_validation_pair():
    figure = loss_figure(HEADS, series_from_history(HISTORY))
    assert _titles(figure) == ["species loss", "mass loss", "sex loss", f"{TOTAL} loss"]
    names = [t.name for t in figure.data]
    for panel in HEADS + [TOTAL]:
        assert f"{panel} train" in names and f"{panel} validation" in names
    assert len(figure.data) == 2 * (len(HEADS) + 1)
    # each head's pair lives in its own subplot
    assert _trace_axes(figure, "species train") == _trace_axes(figure, "species validation")
    assert _trace_axes(figure, "species train") != _trace_axes(figure, "mass train")
    assert list(next(t for t in figure.data if t.name == "mass validation").y) == [1.2, 0.7]


def test_series_from_history_numbers_epochs_from_one():
    assert series_from_history({"loss": [3, 2]}) == {"loss": ([1, 2], [3.0, 2.0])}


def test_a_one_head_model_uses_keras_unprefixed_keys():
    figure = loss_figure(["price"], series_from_history({"loss": [1.0], "val_loss": [2.0]}))
    names = [t.name for t in figure.data]
    assert names == ["price train", "price validation", f"{TOTAL} train", f"{TOTAL} validation"]


def test_live_points_within_an_epoch_are_drawn_at_fractional_epochs():
    series = {"species_loss": ([0.25, 0.5], [1.0, 0.9])}
    figure = loss_figure(HEADS, series)
    assert list(figure.data[0].x) == [0.25, 0.5]


def test_earlier_runs_are_overlaid_and_labelled():
    earlier = [("run 1", series_from_history(HISTORY))]
    figure = loss_figure(HEADS, series_from_history(HISTORY), earlier=earlier)
    names = [t.name for t in figure.data]
    assert "run 1: species validation" in names
    assert "run 1: total (weighted) validation" in names
    assert len(figure.data) == 3 * (len(HEADS) + 1)


def test_metric_figure_has_a_subplot_per_head_with_metrics():
    figure = metric_figure({"species": ["accuracy"], "mass": ["mae"], "sex": []}, series_from_history(HISTORY))
    assert _titles(figure) == ["species metrics", "mass metrics"]
    names = [t.name for t in figure.data]
    assert names == ["species accuracy train", "species accuracy validation", "mass mae train"]
    assert metric_figure({"a": []}, {}) is None


def test_confusion_heatmap_is_labelled_with_class_names():
    result = classification_metrics("species", np.array([0, 1, 1]), np.array([0, 1, 0]), ["Adelie", "Gentoo"])
    figure = confusion_figure(result)
    heatmap = figure.data[0]
    assert list(heatmap.x) == ["Adelie", "Gentoo"] and list(heatmap.y) == ["Adelie", "Gentoo"]
    assert [list(row) for row in heatmap.z] == [[1, 0], [1, 1]]
    assert "species" in figure.layout.title.text


def test_scatter_has_predictions_and_the_diagonal():
    result = regression_metrics("mass", np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.5]))
    figure = scatter_figure(result)
    assert [t.name for t in figure.data] == ["mass predictions", "perfect prediction"]
    assert list(figure.data[1].x) == [1.0, 3.0]


def test_runs_figure_draws_each_run_per_head():
    runs = [("run 1", series_from_history(HISTORY)), ("run 2", series_from_history(HISTORY))]
    figure = runs_figure(HEADS, runs)
    names = [t.name for t in figure.data]
    assert names.count("run 2: sex validation") == 1
    assert len(figure.data) == 2 * (len(HEADS) + 1)


def test_a_live_figure_has_every_curve_from_the_start_and_refresh_fills_them():
    figure = loss_figure(HEADS, {}, live=True)
    assert len(figure.data) == 2 * (len(HEADS) + 1)
    assert all(len(t.x) == 0 for t in figure.data)
    refresh(figure, {"sex_loss": ([0.5, 1.0], [0.9, 0.8]), "val_loss": ([1.0], [2.0])})
    sex = next(t for t in figure.data if t.name == "sex train")
    total = next(t for t in figure.data if t.name == f"{TOTAL} validation")
    assert list(sex.x) == [0.5, 1.0] and list(total.y) == [2.0]


def test_a_live_one_head_figure_uses_the_engine_prefixed_keys():
    figure = loss_figure(["price"], {}, live=True)
    assert [t.meta for t in figure.data] == ["price_loss", "val_price_loss", "loss", "val_loss"]
