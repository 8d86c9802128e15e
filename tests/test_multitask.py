"""Multi-task tools on synthetic data, trained in this process (issue 13).

Loss balancing, the interference meter, per-head class weights and the seed-aware comparison.
Small models and few epochs; no timing assertions.
"""

import numpy as np

from builder.data.dataset import Dataset
from builder.design.spec import parse_design
from builder.report import comparison
from builder.report.metrics import evaluate

ROWS = 1200


def features(rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype("float32")
    t = (x @ np.array([1.0, -2.0, 0.5, 1.5], dtype="float32"))[:, None]
    return rng, x, t


def design(heads, trunk, **training):
    return parse_design({
        "input": {"shape": [4]}, "trunk": trunk,
        "heads": [{"name": n, "loss": "mse", **extra} for n, extra in heads.items()],
        "training": {"epochs": 12, "batch_size": 32, "learning_rate": 0.01, **training}})


def train(d, x, y, tmp_path=None):
    from builder.train import engine

    events = []
    path = str(tmp_path / "model.keras") if tmp_path else None
    last = engine.train(d, Dataset("synthetic", "tensor", x=x, y=y), None, events.append, lambda: False,
                        model_path=path)
    assert last["type"] == "finished", last.get("message")
    return events, last


def readings(events, pair, last=3):
    values = [e["cosine"][pair] for e in events if e["type"] == "interference"]
    return float(np.mean(values[-last:]))


DENSE = [{"type": "Dense", "id": "shared", "units": 16, "activation": "relu"}]


def test_uncertainty_weighting_gives_the_noisy_head_less_weight_and_saves_a_plain_model(tmp_path):
    import keras

    rng, x, t = features()
    y = {"clean": t + 0.1 * rng.normal(size=t.shape).astype("float32"),
         "noisy": t + 1.0 * rng.normal(size=t.shape).astype("float32")}
    d = design({"clean": {}, "noisy": {}}, DENSE, balancing="uncertainty", epochs=20, interference="off")
    events, last = train(d, x, y, tmp_path)
    weights = [e["weights"] for e in events if e["type"] == "balancing"]
    assert weights[0] == {"clean": 1.0, "noisy": 1.0}
    assert weights[-1]["noisy"] < weights[-1]["clean"]
    assert len(last["history"]["loss"]) == 20 and "noisy_loss" in last["history"]
    model = keras.saving.load_model(last["model_path"], safe_mode=True)   # no custom objects to name
    assert type(model).__name__ == "Functional" and model.output_names == ["clean", "noisy"]


def test_dynamic_weight_average_reweighs_each_epoch_and_keeps_the_total_weight():
    from builder.train.balancing import dwa_weights

    assert dwa_weights([1.0, 1.0], []) == [1.0, 1.0]
    slow, fast = dwa_weights([0.9, 0.5], [1.0, 1.0])      # head 1's loss fell less: it gets more weight
    assert slow > 1.0 > fast and abs(slow + fast - 2.0) < 1e-9
    rng, x, t = features(600)
    d = design({"a": {}, "b": {}}, DENSE, balancing="dwa", epochs=4, interference="off")
    events, _ = train(d, x, {"a": t, "b": 10 * np.sin(t)})
    weights = [e["weights"] for e in events if e["type"] == "balancing"]
    assert len(weights) == 5 and weights[-1] != weights[1]
    assert abs(sum(weights[-1].values()) - 2.0) < 1e-4


def test_interference_meter_sees_agreement_and_conflict():
    rng, x, t = features()
    noisy = t + rng.normal(size=t.shape).astype("float32")
    # Two heads predicting one target through a narrow shared layer: both converge to the one best readout
    # of its four features, so they pull the trunk the same way (0.99 for seeds 0-2 here). Through a wide
    # layer each head keeps its own readout of redundant features, and the cosine stays near the cosine
    # of the two readouts (0.2-0.6): the heads do change different weights.
    narrow = [{"type": "Dense", "id": "shared", "units": 4, "activation": "tanh"}]
    events, _ = train(design({"a": {}, "b": {}}, narrow, epochs=30, learning_rate=0.03), x,
                      {"a": noisy, "b": noisy.copy()})
    same = readings(events, "a|b")
    assert same > 0.8
    assert "agree" in [e for e in events if e["type"] == "interference"][-1]["sentence"]
    assert "opposite directions" not in [e for e in events if e["type"] == "interference"][-1]["sentence"]
    # A target and its negation, each kept as its positive part, through one ReLU unit: it can carry
    # only one sign, so the heads pull the shared weights in opposite directions.
    relu_unit = [{"type": "Dense", "id": "shared", "units": 1, "activation": "relu"}]
    events, _ = train(design({"up": {}, "down": {}}, relu_unit), x, {"up": np.maximum(t, 0), "down": np.maximum(-t, 0)})
    assert readings(events, "up|down") < -0.3 < same
    last = [e for e in events if e["type"] == "interference"][-1]
    assert "opposite directions" in last["sentence"] and abs(sum(last["share"].values()) - 1.0) < 1e-3


def test_balanced_class_weights_raise_the_rare_class_recall_and_leave_other_heads_alone():
    from builder.data import prepare
    from builder.train import class_weights

    rng, x, t = features(2000, seed=3)
    rare = (t[:, 0] + 0.5 * rng.normal(size=len(t)) > 3.2).astype("float32")[:, None]     # about 7% ones
    assert 0.03 < rare.mean() < 0.15
    y = {"flag": rare, "value": t}
    trunk = [{"type": "Dense", "id": "shared", "units": 8, "activation": "relu"}]

    def flag_design(weighting):
        return design({"flag": {"loss": "binary_crossentropy", "output": {"units": 1, "activation": "sigmoid"},
                                "kind": "binary", "class_weight": weighting}, "value": {"loss_weight": 0.5}},
                      trunk, epochs=8, learning_rate=0.003, interference="off")

    balanced = flag_design("balanced")
    prepared = prepare(balanced, Dataset("synthetic", "tensor", x=x, y=y), seed=0, val=0.2)
    weighted = class_weights.apply(balanced, prepared)
    np.testing.assert_array_equal(weighted.train.sample_weight["value"], prepared.train.sample_weight["value"])
    flags = prepared.train.y["flag"][:, 0]
    assert weighted.train.sample_weight["flag"][flags == 1].min() > 5 * weighted.train.sample_weight["flag"][flags == 0].max()
    assert balanced.head("value").loss_weight == 0.5 and class_weights.head_weights(balanced, prepared.train).keys() == {"flag"}

    recall = {}
    for weighting in ("none", "balanced"):
        d = flag_design(weighting)
        _, last = train(d, x, y)
        result = evaluate(d, last["test_targets"], last["test_predictions"], last["test_weights"])["flag"]
        recall[weighting] = next(r for r in result.per_class() if r["class"] in ("1", 1))["recall"]
    assert recall["balanced"] > recall["none"]


def test_identical_models_with_different_seeds_show_no_clear_difference():
    from builder.data import prepare
    from builder.train import engine

    rng, x, t = features(600)
    y = {"a": t + 0.3 * rng.normal(size=t.shape).astype("float32")}
    d = design({"a": {"metrics": ["mae"]}}, DENSE, epochs=5, interference="off")
    prepared = prepare(d, Dataset("synthetic", "tensor", x=x, y=y), seed=0, val=0.2)
    predictions = []
    for seed in range(6):
        training = d.training.model_copy(update={"seed": seed})
        model, _ = engine.fit_model(d, prepared, training, lambda e: None, lambda: False)
        predictions.append(engine.predict_test(model, d, prepared, 32))
    sharing = {"multi": predictions[:3], "single": predictions[3:]}
    table = comparison.rows(d, sharing, prepared.test.y, prepared.test.sample_weight)
    assert table and all(row["verdict"] == comparison.NO_CLEAR_DIFFERENCE for row in table), table
    assert all(row["seeds"] == 3 and "±" in row["multi-task"] for row in table)
