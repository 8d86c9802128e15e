"""Building and compiling: the reference models exactly, branching, limits, and Keras errors re-worded."""

import dataclasses

import numpy as np
import pytest

from builder import DesignError, template
from builder.model.build import build_model, compile_model
from builder.design.registry import REGISTRY
from builder.design.spec import parse_design
from builder.design.validate import analyse


def inbound(model) -> dict[str, list[str]]:
    """For each layer, the names of the layers feeding it (the model's wiring)."""
    return {
        layer.name: [t._keras_history.operation.name for node in layer._inbound_nodes for t in node.input_tensors]
        for layer in model.layers
    }


def classes(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def per_layer_params(model) -> list[int]:
    return [layer.count_params() for layer in model.layers]


# ------------------------------------------- the reference document, by hand

def reference_multi_regression(keras):
    from keras.layers import Dense, Input

    input_layer = Input(shape=(10,))
    dense1 = Dense(64, activation="relu")(input_layer)
    dense2 = Dense(32, activation="relu")(dense1)
    output1 = Dense(1)(dense2)
    output2 = Dense(1)(dense2)
    output3 = Dense(1)(dense2)
    return keras.Model(inputs=input_layer, outputs=[output1, output2, output3])


def reference_image_class_reg(keras):
    from keras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D

    input_layer = Input(shape=(32, 32, 3))
    conv1 = Conv2D(32, (3, 3), activation="relu")(input_layer)
    pool1 = MaxPooling2D((2, 2))(conv1)
    conv2 = Conv2D(64, (3, 3), activation="relu")(pool1)
    pool2 = MaxPooling2D((2, 2))(conv2)
    flat = Flatten()(pool2)
    dense_class = Dense(128, activation="relu")(flat)
    output_class = Dense(10, activation="softmax")(dense_class)
    dense_reg = Dense(64, activation="relu")(flat)
    output_reg = Dense(1)(dense_reg)
    return keras.Model(inputs=input_layer, outputs=[output_class, output_reg])


def reference_sequence_two_heads(keras):
    from keras.layers import LSTM, Dense, Input

    input_layer = Input(shape=(100, 50))
    lstm_layer = LSTM(128)(input_layer)
    dense1 = Dense(64, activation="relu")(lstm_layer)
    output1 = Dense(50, activation="linear")(dense1)
    dense2 = Dense(64, activation="relu")(lstm_layer)
    output2 = Dense(20, activation="softmax")(dense2)
    return keras.Model(inputs=input_layer, outputs=[output1, output2])


REFERENCES = {
    "seed-multi-regression": (reference_multi_regression, 2_883),
    "seed-image-class-reg": (reference_image_class_reg, 463_307),
    "seed-sequence-two-heads": (reference_sequence_two_heads, 112_710),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_template_is_the_reference_model(keras, name):
    by_hand, expected_params = REFERENCES[name]
    reference = by_hand(keras)
    model = build_model(template(name))

    assert classes(model) == classes(reference)
    assert per_layer_params(model) == per_layer_params(reference)
    assert model.count_params() == reference.count_params() == expected_params
    assert analyse(template(name)).total_params == expected_params
    assert [tuple(t.shape) for t in model.outputs] == [tuple(t.shape) for t in reference.outputs]
    activations = [layer.get_config().get("activation") for layer in model.layers]
    assert activations == [layer.get_config().get("activation") for layer in reference.layers]


# ------------------------------------------------------------------ building

def test_outputs_come_in_head_order_named_after_the_heads(keras):
    design = template("seed-image-class-reg")
    model = build_model(design)
    assert model.output_names == ["output_class", "output_reg"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 10), (None, 1)]
    assert model.name == "image_class_reg"
    predictions = model(np.zeros((2, 32, 32, 3), dtype="float32"))
    assert [tuple(p.shape) for p in predictions] == [(2, 10), (2, 1)]


def test_accepts_json_text_and_dicts(keras):
    design = template("seed-multi-regression")
    assert build_model(design.to_json()).count_params() == 2_883
    assert build_model(design.model_dump()).count_params() == 2_883


def test_model_name_is_made_safe(keras):
    data = template("seed-multi-regression").model_dump()
    data["name"] = "my model! (v2)"
    assert build_model(data).name == "my_model_v2"      # the one cleaner that also names downloads
    data["name"] = "!!!"
    assert build_model(data).name == "model"


def test_branching_from_the_middle_of_the_trunk(keras):
    design = parse_design({
        "input": {"shape": [12]},
        "trunk": [{"type": "Dense", "id": "a", "units": 16}, {"type": "Dense", "id": "b", "units": 8},
                  {"type": "Dense", "id": "c", "units": 4}],
        "heads": [
            {"name": "early", "branch_from": "a", "layers": [{"type": "Dense", "id": "e1", "units": 3}]},
            {"name": "middle", "branch_from": "b", "output": {"units": 2}},
            {"name": "late"},
            {"name": "raw", "branch_from": "input"},
        ],
    })
    model = build_model(design)
    assert inbound(model) == {
        "input": [], "a": ["input"], "b": ["a"], "c": ["b"], "e1": ["a"],
        "early": ["e1"], "middle": ["b"], "late": ["c"], "raw": ["input"],
    }
    assert model.output_names == ["early", "middle", "late", "raw"]
    assert model.count_params() == analyse(design).total_params == (
        (12 * 16 + 16) + (16 * 8 + 8) + (8 * 4 + 4) + (16 * 3 + 3) + (3 + 1) + (8 * 2 + 2) + (4 + 1) + (12 + 1))


def test_shared_trunk_is_shared_not_copied(keras):
    model = build_model(template("seed-sequence-two-heads"))
    assert [layer.name for layer in model.layers].count("lstm_layer") == 1
    assert inbound(model)["dense1"] == inbound(model)["dense2"] == ["lstm_layer"]


def test_invalid_design_is_refused_with_every_error(keras):
    data = {"input": {"shape": [10]}, "trunk": [{"type": "LSTM", "id": "rnn"}], "heads": [{"name": "class"}]}
    with pytest.raises(DesignError) as caught:
        build_model(data)
    assert [p.location for p in caught.value.problems] == ["head 'class'", "trunk step 1 (LSTM)"]


def test_parameter_limit_is_enforced_before_keras_allocates(keras, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("Keras was asked to build a model over the size limit")

    monkeypatch.setattr("builder.model.build.model_inputs", must_not_run)
    monkeypatch.setattr("builder.model.build.instantiate", must_not_run)
    data = {"input": {"shape": [64, 64, 4]}, "trunk": [{"type": "Flatten", "id": "flat"},
                                                       {"type": "Dense", "id": "huge", "units": 16384}],
            "heads": [{"name": "y"}]}
    with pytest.raises(DesignError) as caught:
        build_model(data)
    assert [str(p) for p in caught.value.problems] == [
        "design: the model has 268,468,225 parameters; the limit is 50,000,000. "
        "Use fewer units or filters, or pool before Flatten."]


# -------------------------------------------------- Keras' own errors re-worded

def test_keras_error_the_pure_checks_missed_points_at_the_layer(keras, monkeypatch):
    # Pretend the registry's shape rule for Conv2D is wrong, so only Keras notices the 1-D input.
    lenient = dataclasses.replace(REGISTRY["Conv2D"], output_shape=lambda shape, params: (1, 1, params["filters"]),
                                  count_params=lambda shape, params: 0)
    monkeypatch.setitem(REGISTRY, "Conv2D", lenient)
    data = {"input": {"shape": [10]}, "trunk": [{"type": "Dense", "id": "d"}, {"type": "Conv2D", "id": "conv"}],
            "heads": [{"name": "y"}]}
    assert analyse(parse_design(data)).ok
    with pytest.raises(DesignError) as caught:
        build_model(data)
    [problem] = caught.value.problems
    assert problem.location == "trunk step 2 (Conv2D)"
    assert problem.node == "conv"
    assert problem.message.startswith("Keras cannot build Conv2D here: ")
    assert problem.message.endswith("Check the shape it receives in the summary table.")
    assert "Traceback" not in problem.message and "\n" not in problem.message


def test_keras_error_in_a_branch_points_at_the_head_layer(keras, monkeypatch):
    lenient = dataclasses.replace(REGISTRY["LSTM"], output_shape=lambda shape, params: (params["units"],))
    monkeypatch.setitem(REGISTRY, "LSTM", lenient)
    data = {"input": {"shape": [10]}, "heads": [{"name": "y", "layers": [{"type": "LSTM", "id": "rnn", "units": 4}]}]}
    with pytest.raises(DesignError) as caught:
        build_model(data)
    assert caught.value.problems[0].location == "head 'y', layer 1 (LSTM)"
    assert caught.value.problems[0].message.startswith("Keras cannot build LSTM here: ")


def test_keras_error_joining_the_model_is_a_design_error(keras, monkeypatch):
    # Skip validation (as if a rule were missing): an output named like the input clashes in Keras.
    monkeypatch.setattr("builder.model.build.as_design", lambda design: design)
    design = parse_design({"input": {"shape": [3]}, "heads": [{"name": "input"}]})
    with pytest.raises(DesignError) as caught:
        build_model(design)
    [problem] = caught.value.problems
    assert problem.location == "design"
    assert problem.message.startswith("Keras cannot join the layers into a model: The name \"input\" is used 2 times")


# ----------------------------------------------------------------- compiling

def test_compile_uses_a_loss_weight_and_metrics_per_head(keras):
    data = template("seed-image-class-reg").model_dump()
    data["heads"][1]["loss_weight"] = 0.5
    data["training"] = {"optimizer": "rmsprop", "learning_rate": 0.01}
    design = parse_design(data)
    model = build_model(design)
    compile_model(model, design)
    config = model.get_compile_config()
    assert config["loss"] == {"output_class": "categorical_crossentropy", "output_reg": "mse"}
    assert config["loss_weights"] == {"output_class": 1.0, "output_reg": 0.5}
    assert config["weighted_metrics"] == {"output_class": ["accuracy"], "output_reg": ["mae"]}
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


@pytest.mark.parametrize("optimizer, class_name", [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD")])
def test_compile_picks_the_optimizer(keras, optimizer, class_name):
    design = template("seed-multi-regression")
    model = build_model(design)
    compile_model(model, design, design.training.model_copy(update={"optimizer": optimizer, "learning_rate": 0.1}))
    assert type(model.optimizer).__name__ == class_name
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)


def test_history_reports_a_loss_per_head(keras):
    data = template("seed-multi-regression").model_dump()
    data["heads"][0]["metrics"] = ["mae", "auc"]
    design = parse_design(data)
    model = build_model(design)
    compile_model(model, design)
    x = np.random.default_rng(0).normal(size=(16, 10)).astype("float32")
    y = {head.name: np.zeros((16, 1), dtype="float32") for head in design.heads}
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0).history
    assert {"loss", "output1_loss", "output2_loss", "output3_loss", "output1_mae", "output1_auc",
            "output2_mae", "output3_mae"} <= set(history)


def test_trunk_tail_that_feeds_no_head_is_left_out_as_analyse_says(keras):
    design = parse_design({"input": {"shape": [5]},
                           "trunk": [{"type": "Dense", "id": "a", "units": 4}, {"type": "Dense", "id": "tail"}],
                           "heads": [{"name": "y", "branch_from": "a"}]})
    model = build_model(design)
    assert "tail" not in [layer.name for layer in model.layers]
    assert model.count_params() == analyse(design).total_params == (5 * 4 + 4) + (4 + 1)


def test_a_design_checked_by_the_page_is_not_analysed_again_before_training(monkeypatch):
    from builder.model import build
    from builder.train import memory

    design = template("seed-multi-regression")
    report = analyse(design)

    def must_not_run(_):
        raise AssertionError("analysed twice")

    monkeypatch.setattr(build, "analyse", must_not_run)
    monkeypatch.setattr(memory, "analyse", must_not_run)
    assert build.as_design(design, report) is design
    assert memory.check_memory(design, report=report, available=2**40) > 0
