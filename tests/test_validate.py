"""Validation: every rule, with the place it points at and the words the user reads."""

import pytest

from builder import DesignError, Problem, template
from builder.design.spec import MAX_LAYERS, MAX_PARAMS, parse_design
from builder.design.validate import analyse, check_design, load_design


def design(trunk=(), heads=None, shape=(10,), **extra) -> dict:
    data = {"input": {"shape": list(shape)}, "trunk": list(trunk),
            "heads": [{"name": "y"}] if heads is None else heads}
    data.update(extra)
    return data


def dense(layer_id: str, units: int = 8, **params) -> dict:
    return {"type": "Dense", "id": layer_id, "units": units, **params}


def errors(data) -> list[Problem]:
    return [p for p in check_design(data) if p.severity == "error"]


def warnings(data) -> list[Problem]:
    return [p for p in check_design(data) if p.severity == "warning"]


def the_error(data) -> Problem:
    found = errors(data)
    assert len(found) == 1, found
    return found[0]


def as_tuple(problem: Problem) -> tuple:
    return problem.location, problem.message


# ---------------------------------------------------------------- structure

def test_no_heads():
    assert as_tuple(the_error(design(heads=[]))) == (
        "design", "the design has no heads. Add at least one output branch.")


def test_duplicate_head_names():
    problem = the_error(design(heads=[{"name": "price"}, {"name": "price"}]))
    assert as_tuple(problem) == ("head 'price'", "2 heads are named 'price'. Each head needs its own name: "
                                                 "its loss is reported as <name>_loss.")
    assert problem.node == "price"


@pytest.mark.parametrize("name", ["class", "lambda", "None", "import"])
def test_keyword_head_names(name):
    assert as_tuple(the_error(design(heads=[{"name": name}]))) == (
        f"head {name!r}", f"{name!r} is a Python keyword. Choose another name, such as {name}_out.")


def test_head_cannot_take_the_inputs_name():
    assert as_tuple(the_error(design(heads=[{"name": "input"}]))) == (
        "head 'input'", "'input' is the name of the model's input. Choose another name, such as input_out.")


@pytest.mark.parametrize("name, location, received", [
    ("1st", "head '1st'", "'1st'"),
    ("sale price", "head 'sale price'", "'sale price'"),
    ("price-usd", "head 'price-usd'", "'price-usd'"),
    ("naïve", "head 'naïve'", "'naïve'"),
    ("", "head 1", "''"),
    ("x" * 65, "head '" + "x" * 56 + "...", "'" + "x" * 56 + "..."),   # long values are cut in messages
])
def test_invalid_head_names(name, location, received):
    assert as_tuple(the_error(design(heads=[{"name": name}]))) == (
        location, "name must use only letters, digits and _, not start with a digit, and be at most "
                  f"64 characters. Received: name={received}.")


def test_invalid_layer_id():
    assert as_tuple(the_error(design([dense("2nd")]))) == (
        "trunk step 1 (Dense)", "id must use only letters, digits and _, not start with a digit, and be at most "
                                "64 characters. Received: id='2nd'.")


def test_duplicate_ids_anywhere_in_the_graph():
    found = errors(design(
        [dense("a"), dense("a"), dense("input"), dense("y")],
        heads=[{"name": "y", "layers": [dense("a")]}],
    ))
    assert [as_tuple(p) for p in found] == [
        ("trunk step 2 (Dense)", "id 'a' is already used by trunk step 1 (Dense). Give every layer its own id."),
        ("trunk step 3 (Dense)", "id 'input' is already used by the input. Give every layer its own id."),
        ("trunk step 4 (Dense)", "id 'y' is already used by head 'y'. Give every layer its own id."),
        ("head 'y', layer 1 (Dense)", "id 'a' is already used by trunk step 1 (Dense). Give every layer its own id."),
    ]


def test_unknown_branch_point():
    found = the_error(design([dense("a"), dense("b")], heads=[{"name": "y", "branch_from": "c"}]))
    assert as_tuple(found) == ("head 'y'", "branch_from 'c' is not a trunk layer. "
                                           "Choose one of the trunk's layers ('a', 'b') or 'input'.")


def test_branch_point_inside_another_head_is_not_allowed():
    found = the_error(design([dense("a")], heads=[{"name": "y", "layers": [dense("h")]},
                                                  {"name": "z", "branch_from": "h"}]))
    assert found.location == "head 'z'"
    assert found.message.startswith("branch_from 'h' is not a trunk layer.")


def test_branch_point_with_empty_trunk():
    assert the_error(design(heads=[{"name": "y", "branch_from": "a"}])).message == (
        "branch_from 'a' is not a trunk layer. Choose one of the trunk's layers (none yet) or 'input'.")


def test_too_many_trunk_layers():
    found = the_error(design([dense(f"d{i}", 1) for i in range(MAX_LAYERS + 1)]))
    assert as_tuple(found) == ("design", "trunk has 201 items; the limit is 200. Remove some to fit the limit.")


def test_too_many_layers_counted_over_trunk_and_heads():
    heads = [{"name": f"h{j}", "layers": [dense(f"h{j}_{i}", 1) for i in range(13)]} for j in range(16)]
    assert as_tuple(the_error(design(heads=heads))) == (
        "design", "the design has 208 layers; the limit is 200. Remove some layers.")


def test_too_many_heads():
    found = the_error(design(heads=[{"name": f"h{j}"} for j in range(17)]))
    assert as_tuple(found) == ("design", "heads has 17 items; the limit is 16. Remove some to fit the limit.")


@pytest.mark.parametrize("layer, location, message", [
    (dense("d", 0), "trunk step 1 (Dense)", "units must be at least 1. Received: units=0."),
    (dense("d", 16385), "trunk step 1 (Dense)", "units must be at most 16384. Received: units=16385. Use a smaller value."),
    ({"type": "Dropout", "id": "d", "rate": 1.5}, "trunk step 1 (Dropout)",
     "rate must be at most 0.95. Received: rate=1.5. Use a smaller value."),
    ({"type": "Dropout", "id": "d", "rate": -0.1}, "trunk step 1 (Dropout)",
     "rate must be at least 0.0. Received: rate=-0.1."),
    ({"type": "Conv1D", "id": "d", "kernel_size": 0}, "trunk step 1 (Conv1D)",
     "kernel_size must be at least 1. Received: kernel_size=0."),
    ({"type": "Reshape", "id": "d", "target_shape": [-2, 5]}, "trunk step 1 (Reshape)",
     "target_shape[0] must be at least -1. Received: target_shape[0]=-2."),
    ({"type": "Reshape", "id": "d", "target_shape": [1, 1, 1, 1, 10]}, "trunk step 1 (Reshape)",
     "target_shape has 5 items; the limit is 4. Remove some to fit the limit."),
])
def test_parameters_out_of_bounds(layer, location, message):
    found = the_error(design([layer]))
    assert (found.location, found.message, found.node) == (location, message, "d")


@pytest.mark.parametrize("where, value, location, message", [
    ("output", {"units": 0}, "head 'y'", "output.units must be at least 1. Received: output.units=0."),
    ("loss_weight", -1.0, "head 'y'", "loss_weight must be at least 0.0. Received: loss_weight=-1.0."),
    ("loss", "hinge", "head 'y'", "loss must be one of 'mse', 'mae', 'huber', 'binary_crossentropy', "
     "'categorical_crossentropy' or 'sparse_categorical_crossentropy'. Received: loss='hinge'."),
])
def test_head_settings_out_of_bounds(where, value, location, message):
    assert as_tuple(the_error(design(heads=[{"name": "y", where: value}]))) == (location, message)


def test_training_settings_out_of_bounds():
    found = the_error(design(training={"learning_rate": 0.0}))
    assert as_tuple(found) == ("training", "learning_rate must be at least 1e-06. Received: learning_rate=0.0.")


def test_input_shape_out_of_bounds():
    assert as_tuple(the_error(design(shape=(0,)))) == ("input", "shape[0] must be at least 1. Received: shape[0]=0.")
    assert the_error(design(shape=(2, 2, 2, 2, 2))).message.startswith("shape has 5 items; the limit is 4.")


def test_unknown_keys_and_types_are_located():
    found = errors(design([{"type": "Dense", "id": "a", "size": 3}, {"type": "Attention", "id": "b"}],
                          heads=[{"name": "y", "layers": [{"type": "Lambda", "id": "c", "function": "x"}]}]))
    assert [p.location for p in found] == ["trunk step 1 (Dense)", "trunk step 2 (Attention)",
                                           "head 'y', layer 1 (Lambda)"]
    assert found[0].message == "unknown setting 'size'. Dense takes: id, type, units, activation, use_bias."
    assert found[1].message.startswith("unknown layer type 'Attention'. Expected one of: 'Dense', 'Dropout'")
    assert found[2].message.startswith("unknown layer type 'Lambda'.")


def test_wrong_types_are_located():
    found = the_error(design([{"type": "Conv2D", "id": "c", "filters": "32"}], shape=(8, 8, 3)))
    assert as_tuple(found) == ("trunk step 1 (Conv2D)", "filters must be a whole number. Received: filters='32'.")


# -------------------------------------------------------------------- shapes

def test_conv2d_after_flatten():
    found = the_error(design([{"type": "Flatten", "id": "flat"}, {"type": "Conv2D", "id": "conv"}], shape=(8, 8, 3)))
    assert as_tuple(found) == (
        "trunk step 2 (Conv2D)",
        "Conv2D needs a 3-D input per sample (height, width, channels) but receives shape (192,) (1-D per sample). "
        "Put it before Flatten, give the input an image shape such as (32, 32, 3), or add a Reshape before it.")
    assert found.node == "conv"


def test_lstm_on_a_1d_input():
    found = the_error(design([{"type": "LSTM", "id": "rnn"}]))
    assert as_tuple(found) == (
        "trunk step 1 (LSTM)",
        "LSTM needs a 2-D input per sample (timesteps, features) but receives shape (10,) (1-D per sample). "
        "Give the input a (timesteps, features) shape, add a Reshape, or set return_sequences=True on the "
        "recurrent layer before it.")


def test_second_recurrent_layer_without_return_sequences():
    found = the_error(design([{"type": "GRU", "id": "a"}, {"type": "GRU", "id": "b"}], shape=(5, 3)))
    assert found.location == "trunk step 2 (GRU)"
    assert "receives shape (64,)" in found.message and "return_sequences=True" in found.message


def test_reshape_with_the_wrong_size():
    found = the_error(design([{"type": "Reshape", "id": "r", "target_shape": [3, 3]}]))
    assert as_tuple(found) == ("trunk step 1 (Reshape)", "Reshape cannot reshape 10 values ((10,)) into target_shape "
                                                         "[3, 3] (9 values). Choose sizes whose product is 10.")


def test_reshape_that_cannot_infer_its_size():
    found = the_error(design([{"type": "Reshape", "id": "r", "target_shape": [3, -1]}]))
    assert found.message == ("Reshape cannot reshape 10 values ((10,)) into target_shape [3, -1]. "
                             "The known sizes must divide 10.")
    found = the_error(design([{"type": "Reshape", "id": "r", "target_shape": [-1, -1]}]))
    assert found.message == "Reshape target_shape [-1, -1] has more than one -1; at most one size can be inferred."


def test_kernel_larger_than_input():
    found = the_error(design([{"type": "Conv2D", "id": "c", "kernel_size": 7}], shape=(5, 5, 3)))
    assert as_tuple(found) == ("trunk step 1 (Conv2D)", "Conv2D kernel_size of 7 is larger than its input's 5 steps. "
                                                        "Use a smaller size, padding='same', or remove a pooling layer "
                                                        "before it.")


def test_kernel_larger_than_input_is_fine_with_same_padding():
    assert errors(design([{"type": "Conv2D", "id": "c", "kernel_size": 7, "padding": "same"}], shape=(5, 5, 3))) == []


def test_pooling_shrinks_below_the_next_kernel():
    trunk = [{"type": "MaxPooling1D", "id": "p", "pool_size": 4}, {"type": "Conv1D", "id": "c", "kernel_size": 5}]
    found = the_error(design(trunk, shape=(16, 2)))
    assert found.location == "trunk step 2 (Conv1D)"
    assert found.message.startswith("Conv1D kernel_size of 5 is larger than its input's 4 steps.")


def test_embedding_needs_a_sequence_of_ids():
    found = the_error(design([{"type": "Embedding", "id": "e"}], shape=(4, 3)))
    assert as_tuple(found) == ("trunk step 1 (Embedding)", "Embedding needs a 1-D input per sample (a sequence of "
                                                           "integer token ids) but receives shape (4, 3) (2-D per "
                                                           "sample). Put Embedding first, on an input of shape "
                                                           "(sequence_length,).")


def test_shape_errors_in_a_branch_point_at_the_head_layer():
    found = the_error(design([dense("a")], heads=[{"name": "y", "layers": [{"type": "GlobalMaxPooling2D", "id": "g"}]}]))
    assert found.location == "head 'y', layer 1 (GlobalMaxPooling2D)"
    assert found.message.startswith("GlobalMaxPooling2D needs a 3-D input per sample (height, width, channels) "
                                    "but receives shape (8,)")


def test_layers_after_a_shape_error_are_unknown_not_blamed():
    report = analyse(parse_design(design([{"type": "LSTM", "id": "rnn"}, dense("after")])))
    assert [p.location for p in report.errors] == ["trunk step 1 (LSTM)"]
    assert report.node("after").shape is None
    assert report.table()[2]["output shape"] == "?"
    assert report.node("rnn").problem.startswith("LSTM needs a 2-D input")


def test_every_problem_is_reported_together():
    found = errors(design([{"type": "LSTM", "id": "a"}], heads=[
        {"name": "class"}, {"name": "y", "branch_from": "zz"}, {"name": "y", "layers": [dense("a")]}]))
    assert [p.location for p in found] == ["head 'y'", "head 'class'", "head 'y', layer 1 (Dense)", "head 'y'",
                                           "trunk step 1 (LSTM)"]


# ---------------------------------------------------------------- size limits

def test_parameter_count_over_the_limit_names_the_limit():
    data = design([{"type": "Flatten", "id": "flat"}, dense("huge", 16384)], shape=(64, 64, 4))
    total = (16384 * 16384 + 16384) + (16384 + 1)
    assert total > MAX_PARAMS
    assert as_tuple(the_error(data)) == (
        "design", f"the model has {total:,} parameters; the limit is 50,000,000. "
                  "Use fewer units or filters, or pool before Flatten.")


def test_embedding_table_over_the_limit():
    data = design([{"type": "Embedding", "id": "e", "input_dim": 1_000_000, "output_dim": 4096}])
    assert the_error(data).message.startswith("the model has 4,096,004,097 parameters; the limit is 50,000,000.")


# -------------------------------------------------------------- head setups

@pytest.mark.parametrize("head, message", [
    ({"output": {"units": 1, "activation": "softmax"}, "loss": "binary_crossentropy"},
     "softmax with binary_crossentropy trains badly: softmax makes the outputs compete. Use activation 'sigmoid' "
     "for yes/no targets, or categorical_crossentropy for one-of-many."),
    ({"output": {"units": 1, "activation": "softmax"}, "loss": "mse"},
     "softmax over 1 unit always outputs 1.0. Use 'sigmoid' for a yes/no target, or more units."),
    ({"output": {"units": 1, "activation": "sigmoid"}, "loss": "mse"},
     "sigmoid with mse limits predictions to 0..1, so larger targets cannot be reached. Use activation 'linear' "
     "for regression."),
    ({"output": {"units": 1, "activation": "tanh"}, "loss": "mae"},
     "tanh with mae limits predictions to -1..1, so larger targets cannot be reached. Use activation 'linear' "
     "for regression."),
    ({"output": {"units": 3, "activation": "linear"}, "loss": "categorical_crossentropy"},
     "categorical_crossentropy expects probabilities but the output activation is 'linear'. Use activation "
     "'softmax'."),
    ({"output": {"units": 1, "activation": "relu"}, "loss": "binary_crossentropy"},
     "binary_crossentropy expects probabilities but the output activation is 'relu'. Use activation 'sigmoid'."),
    ({"loss": "mse", "metrics": ["accuracy"]},
     "accuracy means little for a regression head. Use 'mae' or 'mse' as its metric."),
    ({"loss_weight": 0.0}, "loss_weight is 0, so this head does not train. Give it a weight above 0."),
])
def test_head_setups_that_train_badly(head, message):
    found = warnings(design(heads=[{"name": "y", **head}]))
    assert message in [p.message for p in found]
    assert {p.location for p in found} == {"head 'y'"}
    assert {p.node for p in found} == {"y"}
    assert errors(design(heads=[{"name": "y", **head}])) == []


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_one_unit_softmax_with_a_categorical_loss_is_refused(loss):
    data = design(heads=[{"name": "y", "output": {"units": 1, "activation": "softmax"}, "loss": loss}])
    assert f"{loss} with 1 output unit cannot learn: one class is always certain. Set units to the number of " \
           "classes, or use binary_crossentropy with sigmoid for two classes." in [p.message for p in errors(data)]


def table(columns, heads, trunk=()) -> dict:
    return {"input": {"kind": "table", "columns": columns}, "trunk": list(trunk), "heads": heads}


NUM = {"name": "year", "kind": "numeric"}


@pytest.mark.parametrize("data, where, message", [
    (table([NUM], [{"name": "y"}], [{"type": "Dense", "id": "features", "units": 4}]), "trunk step 1 (Dense)",
     "id 'features' is the name the model gives to the layer that joins the input columns. "
     "Choose another id, such as features_1."),
    (table([NUM], [{"name": "y"}], [{"type": "Dense", "id": "year_norm", "units": 4}]), "trunk step 1 (Dense)",
     "id 'year_norm' is the name the model gives to the preprocessing layer of column 'year'. "
     "Choose another id, such as year_norm_1."),
    (table([NUM], [{"name": "year"}]), "head 'year'",
     "head name 'year' is the name the model gives to the input for column 'year'. "
     "Choose another head name, such as year_1."),
    (table([NUM, NUM], [{"name": "y"}]), "input column 'year'",
     "the column is listed 2 times among the inputs. Keep it once."),
    (table([{"name": "island", "kind": "categorical", "vocabulary": ["a", "b", "a"]}], [{"name": "y"}]),
     "input column 'island'", "the category list has 'a' more than once. Each value may appear once: remove the repeats."),
    (table([{"name": "island", "kind": "categorical", "vocabulary": ["a", "[UNK]"]}], [{"name": "y"}]),
     "input column 'island'", "the category list contains '[UNK]', which the model keeps for values it has not seen. "
                              "Rename that category."),
    (table([NUM], [{"name": "y", "classes": ["a", "a"], "output": {"units": 2, "activation": "softmax"},
                    "loss": "categorical_crossentropy"}]),
     "head 'y'", "the class list has 'a' more than once. Each value may appear once: remove the repeats."),
])
def test_designs_keras_cannot_build_are_refused_naming_the_place(data, where, message):
    assert (where, message) in [(p.location, p.message) for p in errors(data)]


@pytest.mark.parametrize("head", [
    {"output": {"units": 1, "activation": "sigmoid"}, "loss": "binary_crossentropy", "metrics": ["accuracy", "auc"]},
    {"output": {"units": 5, "activation": "softmax"}, "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
    {"output": {"units": 5, "activation": "softmax"}, "loss": "sparse_categorical_crossentropy"},
    {"output": {"units": 2, "activation": "linear"}, "loss": "huber", "metrics": ["mae"]},
])
def test_sound_heads_have_no_warnings(head):
    assert check_design(design(heads=[{"name": "y", **head}])) == []


def test_per_step_output_is_warned():
    found = warnings(design([{"type": "LSTM", "id": "rnn", "units": 4, "return_sequences": True}], shape=(9, 3)))
    assert [as_tuple(p) for p in found] == [(
        "head 'y'", "the output has shape (9, 1), one prediction per step. For one prediction per sample, add "
                    "Flatten or a global pooling layer to the branch, or set return_sequences=False.")]


def test_classes_must_match_units():
    head = {"name": "species", "kind": "multiclass", "target": "species", "classes": ["a", "b", "c"],
            "output": {"units": 2, "activation": "softmax"}, "loss": "categorical_crossentropy"}
    assert as_tuple(the_error(design(heads=[head]))) == (
        "head 'species'", "the target 'species' has 3 classes but the output has 2 units. Set units to 3.")


def test_target_cannot_also_be_an_input_column():
    table = {"kind": "table", "columns": [{"name": "mass", "kind": "numeric"}, {"name": "age", "kind": "numeric"}]}
    data = design(heads=[{"name": "mass_out", "target": "mass"}])
    data["input"] = table
    assert as_tuple(the_error(data)) == (
        "head 'mass_out'", "the target 'mass' is also an input column, so the model would see the answer. "
                           "Remove it from the inputs.")


def test_warnings_do_not_stop_loading():
    data = design(heads=[{"name": "y", "output": {"activation": "sigmoid"}, "loss": "mse"}])
    assert load_design(data).heads[0].name == "y"


def test_load_design_raises_with_errors_only():
    data = design([{"type": "LSTM", "id": "rnn"}], heads=[{"name": "y", "loss_weight": 0.0}])
    with pytest.raises(DesignError) as caught:
        load_design(data)
    assert [p.location for p in caught.value.problems] == ["trunk step 1 (LSTM)"]
    assert str(caught.value).startswith("trunk step 1 (LSTM): LSTM needs a 2-D input per sample")


# ------------------------------------------------------- report and branching

def test_report_of_a_template_matches_the_reference_counts():
    report = analyse(template("seed-image-class-reg"))
    assert report.ok and report.problems == []
    assert report.total_params == 463_307
    shapes = {row["layer"]: row["output shape"] for row in report.table()}
    assert shapes == {"input": "(32, 32, 3)", "conv1": "(30, 30, 32)", "pool1": "(15, 15, 32)",
                      "conv2": "(13, 13, 64)", "pool2": "(6, 6, 64)", "flat": "(2304,)", "dense_class": "(128,)",
                      "dense_reg": "(64,)", "output_class": "(10,)", "output_reg": "(1,)"}
    assert report.node("dense_class").params == 2304 * 128 + 128


def test_summary_text_ends_with_the_total():
    text = analyse(template("seed-multi-regression")).summary_text()
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Where", "Output", "shape", "Param", "#"]
    assert lines[-1] == "Total params: 2883"
    assert any(line.startswith("dense1 (Dense)") and line.endswith("704") for line in lines)
    assert sum(1 for line in lines if "(Dense)" in line) == 5


def test_branching_from_the_middle_of_the_trunk():
    data = design([dense("a", 16), dense("b", 8), dense("c", 4)], heads=[
        {"name": "early", "branch_from": "a", "layers": [dense("e1", 3)]},
        {"name": "late"},
        {"name": "raw", "branch_from": "input"},
    ])
    report = analyse(parse_design(data))
    assert report.ok
    parents = {n.id: n.parent for n in report.nodes}
    assert parents == {"input": None, "a": "input", "b": "a", "c": "b", "e1": "a", "early": "e1",
                       "late": "c", "raw": "input"}
    roles = {n.id: n.role for n in report.nodes}
    assert (roles["e1"], roles["early"], roles["a"], roles["input"]) == ("branch", "output", "trunk", "input")
    assert report.node("early").params == 3 * 1 + 1
    assert report.node("raw").params == 10 * 1 + 1


def test_trunk_layers_that_feed_no_head_are_warned_and_not_counted():
    data = design([dense("a", 4), dense("b", 3), dense("c", 2)], heads=[{"name": "y", "branch_from": "a"}])
    report = analyse(parse_design(data))
    assert [as_tuple(p) for p in report.warnings] == [
        ("trunk step 2 (Dense)", "'b' feeds no head, so Keras leaves it out of the model. "
                                 "Branch a head from it or a later layer, or remove it."),
        ("trunk step 3 (Dense)", "'c' feeds no head, so Keras leaves it out of the model. "
                                 "Branch a head from it or a later layer, or remove it."),
    ]
    assert report.ok
    assert report.total_params == (10 * 4 + 4) + (4 + 1)
    assert [n.id for n in report.nodes if not n.used] == ["b", "c"]
    assert "trunk step 2 (Dense) (unused)" in report.summary_text()
    assert report.summary_text().splitlines()[-1] == "Total params: 49"
