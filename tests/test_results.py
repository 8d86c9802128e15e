"""Per-head test metrics on tiny arrays with known answers, and run-to-run design changes."""


import numpy as np
import pytest

from builder import parse_design, template
from builder.report.metrics import (
    ClassificationResult, RegressionResult, as_class_indices, design_changes, evaluate, evaluate_head,
    head_kind, metrics_table, regression_metrics,
)


def _head(**fields):
    base = {"name": "h", "output": {"units": 1, "activation": "linear"}, "loss": "mse"}
    base.update(fields)
    design = parse_design({"input": {"shape": [3]}, "heads": [base]})
    return design.heads[0]


def test_regression_metrics_match_hand_computed_values():
    result = regression_metrics("price", np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    assert isinstance(result, RegressionResult)
    assert result.n == 4
    assert result.mae == pytest.approx(0.5)
    assert result.rmse == pytest.approx(1.0)            # sqrt(4 / 4)
    assert result.r2 == pytest.approx(1 - 4 / 5)          # residual 4, spread 5
    assert result.metrics() == {"MAE": result.mae, "RMSE": result.rmse, "R²": result.r2}


def test_regression_accepts_column_vectors_and_averages_r2_over_units():
    actual = np.array([[0.0, 1.0], [2.0, 3.0]])
    perfect_then_mean = np.array([[0.0, 2.0], [2.0, 2.0]])   # unit 1 exact (R² 1), unit 2 the mean (R² 0)
    result = regression_metrics("v", actual, perfect_then_mean)
    assert result.r2 == pytest.approx(0.5)
    assert regression_metrics("c", np.array([[1.0], [2.0]]), np.array([1.0, 2.0])).r2 == pytest.approx(1.0)


def test_regression_with_a_constant_target_does_not_divide_by_zero():
    assert regression_metrics("k", np.ones(3), np.ones(3)).r2 == 1.0
    assert regression_metrics("k", np.ones(3), np.zeros(3)).r2 == 0.0


def test_regression_scatter_is_capped_for_the_browser():
    result = regression_metrics("big", np.arange(10_000.0), np.arange(10_000.0))
    assert len(result.actual) == len(result.predicted) == 2000
    assert result.n == 10_000


def test_multiclass_from_integer_targets_gives_labelled_confusion_and_per_class_scores():
    head = _head(output={"units": 3, "activation": "softmax"}, loss="sparse_categorical_crossentropy",
                 kind="multiclass", classes=["Adelie", "Chinstrap", "Gentoo"])
    actual = np.array([0, 0, 1, 2, 2, 2])
    probabilities = np.eye(3)[[0, 1, 1, 2, 2, 0]]
    result = evaluate_head(head, actual, probabilities)
    assert isinstance(result, ClassificationResult)
    assert result.labels == ["Adelie", "Chinstrap", "Gentoo"]
    assert result.confusion.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.precision == pytest.approx([0.5, 0.5, 1.0])
    assert result.recall == pytest.approx([0.5, 1.0, 2 / 3])
    assert [row["support"] for row in result.per_class()] == [2, 1, 3]


def test_one_hot_targets_decode_like_integer_targets():
    head = _head(output={"units": 3, "activation": "softmax"}, loss="categorical_crossentropy")
    actual = np.eye(3)[[0, 1, 2]]
    result = evaluate_head(head, actual, np.eye(3)[[0, 1, 1]])
    assert head_kind(head) == "multiclass"
    assert result.confusion.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    assert result.labels == ["0", "1", "2"]
    assert result.precision[2] is None          # never predicted: precision is undefined, not 0


def test_binary_sigmoid_probabilities_are_split_at_one_half():
    head = _head(output={"units": 1, "activation": "sigmoid"}, loss="binary_crossentropy", classes=["female", "male"])
    result = evaluate_head(head, np.array([[0.0], [1.0], [1.0], [0.0]]), np.array([[0.2], [0.7], [0.4], [0.6]]))
    assert head_kind(head) == "binary"
    assert result.labels == ["female", "male"]
    assert result.confusion.tolist() == [[1, 1], [1, 1]]
    assert result.accuracy == 0.5


def test_class_index_decoding():
    assert as_class_indices(np.array([0, 2, 1])).tolist() == [0, 2, 1]
    assert as_class_indices(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist() == [1, 0]
    assert as_class_indices(np.array([0.2, 0.9])).tolist() == [0, 1]


def test_evaluate_takes_the_list_predict_returns_in_head_order():
    design = template("seed-multi-regression")
    y = {h.name: np.arange(4.0) for h in design.heads}
    results = evaluate(design, y, [np.arange(4.0)] * 3)
    assert list(results) == ["output1", "output2", "output3"]
    assert all(r.mae == 0 for r in results.values())
    rows = metrics_table(results)
    assert rows[0] == {"head": "output1", "metric": "MAE", "value": 0.0}


def test_design_changes_names_each_change_in_words():
    old = template("seed-multi-regression")
    data = old.model_dump()
    data["trunk"][1]["units"] = 64
    data["heads"].append({**data["heads"][0], "name": "sex"})
    data["heads"] = [h for h in data["heads"] if h["name"] != "output3"]
    data["training"]["learning_rate"] = 0.01
    new = parse_design(data)
    lines = design_changes(old, new)
    assert "trunk step 2 (Dense): units 32 -> 64" in lines
    assert "head 'sex' added" in lines
    assert "head 'output3' removed" in lines
    assert "training: learning_rate 0.001 -> 0.01" in lines
    assert design_changes(old, old) == []


def test_inserting_a_layer_reads_as_one_addition():
    old = template("seed-multi-regression")
    data = old.model_dump()
    data["trunk"].insert(1, {"type": "Dropout", "id": "drop", "rate": 0.2})
    lines = design_changes(old, parse_design(data))
    assert lines == ["trunk step 2 (Dropout) added (drop)"]


def test_head_layer_and_output_changes():
    old = template("seed-image-class-reg")
    data = old.model_dump()
    data["heads"][1]["layers"][0]["units"] = 32
    data["heads"][1]["loss_weight"] = 0.5
    lines = design_changes(old, parse_design(data))
    assert "head 'output_reg': loss_weight 1.0 -> 0.5" in lines
    assert "head 'output_reg', layer 1 (Dense): units 64 -> 32" in lines
