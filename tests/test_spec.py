"""The design spec: JSON and URL round trips, and hostile input that must come back as a list of problems."""

import base64
import json
import zlib

import pytest

from builder import DesignError, template
from builder.design.spec import (
    MAX_DESIGN_BYTES, Design, TableColumn, TableInput, from_url, layer_params, new_layer, parse_design, to_url,
)
from builder.design.templates import TEMPLATE_NAMES
from builder.design.validate import check_design


def minimal(**changes) -> dict:
    design = {"input": {"shape": [10]}, "trunk": [{"type": "Dense", "id": "hidden", "units": 8}],
              "heads": [{"name": "price"}]}
    design.update(changes)
    return design


def problems_of(data) -> list:
    with pytest.raises(DesignError) as caught:
        parse_design(data)
    return caught.value.problems


def only_problem(data):
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------ round trips

@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_json_round_trip(name):
    design = template(name)
    assert parse_design(design.to_json()) == design
    assert parse_design(design.to_json(indent=None).encode()) == design


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_url_round_trip_is_url_safe(name):
    design = template(name)
    link = to_url(design)
    assert from_url(link) == design
    assert set(link) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_table_input_round_trip_and_encoded_width():
    design = parse_design(minimal(input={"kind": "table", "columns": [
        {"name": "bill length (mm)", "kind": "numeric"},
        {"name": "island", "kind": "categorical", "vocabulary": ["Biscoe", "Dream", "Torgersen"]},
    ]}))
    assert isinstance(design.input, TableInput)
    # numeric: value + missing flag; categorical: one-hot plus an out-of-vocabulary slot.
    assert [c.width for c in design.input.columns] == [2, 4]
    assert design.input_shape() == (6,)
    assert parse_design(design.to_json()) == design
    assert from_url(to_url(design)) == design


def test_bare_shape_is_a_tensor_input_and_defaults_are_filled():
    design = parse_design(minimal())
    assert design.input.kind == "tensor"
    assert design.version == 1
    head = design.heads[0]
    assert (head.branch_from, head.output.units, head.output.activation, head.loss, head.loss_weight) == \
        (None, 1, "linear", "mse", 1.0)
    assert layer_params(design.trunk[0]) == {"units": 8, "activation": "relu", "use_bias": True}


def test_new_layer_fills_registry_defaults():
    layer = new_layer("Conv2D", "conv", filters=16)
    assert layer_params(layer) == {"filters": 16, "kernel_size": 3, "strides": 1, "padding": "valid",
                                   "activation": "relu"}


def test_design_is_plain_data():
    dumped = template("seed-image-class-reg").model_dump()
    assert json.loads(json.dumps(dumped)) == dumped


def test_table_column_widths():
    assert TableColumn(name="age", kind="numeric").width == 2
    assert TableColumn(name="sex", kind="categorical", vocabulary=["f", "m"]).width == 3


# ---------------------------------------------------------- hostile and malformed

def test_units_of_ten_to_the_twelve():
    problem = only_problem(minimal(trunk=[{"type": "Dense", "id": "hidden", "units": 10**12}]))
    assert problem.location == "trunk step 1 (Dense)"
    assert problem.message == "units must be at most 16384. Received: units=1000000000000. Use a smaller value."
    assert problem.node == "hidden"


def test_ten_thousand_layers_are_refused_by_count():
    layers = [{"type": "Dense", "id": f"d{i}", "units": 1} for i in range(10_000)]
    problem = only_problem(minimal(trunk=layers))
    assert problem.location == "design"
    assert problem.message == "trunk has 10,000 items; the limit is 200. Remove some to fit the limit."


TOO_DEEP = ("the JSON is nested too deeply to be a design. "
            "Upload a file saved by this app or written by `python -m builder template`.")


@pytest.mark.parametrize("junk, message", [
    ("[" * 100_000, TOO_DEEP),
    ('{"a":' * 100_000, TOO_DEEP),
    ("[" * 100_000 + "]" * 100_000, TOO_DEEP),
    ("[" * 500 + "]" * 500, "a design must be a JSON object with input, trunk and heads. Received: list."),
])
def test_deeply_nested_junk(junk, message):
    assert as_pair(only_problem(junk)) == ("design", message)


def test_deeply_nested_junk_in_a_layer():
    layer = '{"type": "Dense", "id": "d", "units": ' + "[" * 500 + "]" * 500 + "}"
    text = '{"input": {"shape": [3]}, "trunk": [' + layer + '], "heads": [{"name": "y"}]}'
    problem = only_problem(text)
    assert problem.location == "trunk step 1 (Dense)"
    assert problem.message.startswith("units must be a whole number. Received: units=[[[[")


def as_pair(problem) -> tuple[str, str]:
    return problem.location, problem.message


def test_nested_junk_inside_a_field():
    problem = only_problem(minimal(name=json.loads("[" * 500 + "]" * 500)))
    assert (problem.location, problem.message[:36]) == ("design", "name must be text. Received: name=[[")


def test_file_too_large_names_the_limit():
    problem = only_problem(" " * (MAX_DESIGN_BYTES + 1))
    assert problem.message.startswith(f"the file is {MAX_DESIGN_BYTES + 1:,} bytes; the limit is 1,000,000.")


@pytest.mark.parametrize("text, start", [
    ("", "this is not valid JSON (Expecting value"),
    ("{'input': 1}", "this is not valid JSON (Expecting property name"),
    (b"\xff\xfe\x00", "this is not valid JSON ("),
    ("null", "a design must be a JSON object with input, trunk and heads. Received: NoneType."),
    ("[1, 2]", "a design must be a JSON object with input, trunk and heads. Received: list."),
])
def test_not_a_design_at_all(text, start):
    problem = only_problem(text)
    assert problem.location == "design"
    assert problem.message.startswith(start)


CODE = "__import__('os').system('x')"


def test_code_as_layer_type_and_names_is_just_a_bad_name(monkeypatch):
    calls = []
    monkeypatch.setattr("os.system", lambda *a: calls.append(a))
    monkeypatch.setattr("builtins.eval", lambda *a, **k: calls.append(a))
    problems = problems_of(minimal(
        trunk=[{"type": CODE, "id": "x"}, {"type": "Dense", "id": CODE}],
        heads=[{"name": CODE}],
    ))
    assert [p.location for p in problems] == [f"trunk step 1 ({CODE})", "trunk step 2 (Dense)", f"head {CODE!r}"]
    assert problems[0].message.startswith(f"unknown layer type {CODE!r}. Expected one of: 'Dense', ")
    assert problems[1].message.startswith("id must use only letters, digits and _")
    assert problems[2].message.endswith(f"Received: name={CODE!r}.")
    assert calls == []


@pytest.mark.parametrize("data, location, message", [
    (minimal(input={"shape": "ten"}), "input", "shape must be a list. Received: shape='ten'."),
    (minimal(trunk="x"), "design", "trunk must be a list. Received: trunk='x'."),
    (minimal(heads={"a": 1}), "design", "heads must be a list. Received: heads={'a': 1}."),
    (minimal(trunk=[{"type": "Dense", "id": "d", "units": "64"}]), "trunk step 1 (Dense)",
     "units must be a whole number. Received: units='64'."),
    (minimal(trunk=[{"type": "Dense", "id": "d", "units": 64.0}]), "trunk step 1 (Dense)",
     "units must be a whole number. Received: units=64.0."),
    (minimal(trunk=[{"type": "Dense", "id": "d", "units": True}]), "trunk step 1 (Dense)",
     "units must be a whole number. Received: units=True."),
    (minimal(trunk=[{"type": "Dense", "id": "d", "use_bias": "yes"}]), "trunk step 1 (Dense)",
     "use_bias must be true or false. Received: use_bias='yes'."),
    (minimal(trunk=[{"type": "Dense", "id": "d", "activation": "exec"}]), "trunk step 1 (Dense)",
     "activation must be one of 'linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'gelu', "
     "'swish', 'leaky_relu' or 'softplus'. Received: activation='exec'."),
    (minimal(trunk=[7]), "trunk step 1 (layer)", "must be an object. Received: 7."),
    (minimal(trunk=[{"id": "d"}]), "trunk step 1 (layer)",
     "has no 'type'. Say which kind it is, for example \"type\": \"Dense\"."),
    (minimal(trunk=[{"type": "Dense"}]), "trunk step 1 (Dense)", "id is missing. Add it to the design."),
    (minimal(heads=[None]), "head 1", "must be an object. Received: None."),
    (minimal(heads=[{"name": "price", "loss_weight": "1"}]), "head 'price'",
     "loss_weight must be a number. Received: loss_weight='1'."),
    (minimal(heads=[{"name": "price", "metrics": "mae"}]), "head 'price'",
     "metrics must be a list. Received: metrics='mae'."),
    (minimal(input={"kind": "video", "shape": [3]}), "input",
     "input kind must be 'tensor', 'table', 'image' or 'window'. Received: {'kind': 'video', 'shape': [3]}."),
    (minimal(input={"kind": "table", "columns": [{"name": "a", "kind": "time"}]}), "input column 1",
     "kind must be one of 'numeric', 'categorical', 'date' or 'text'. Received: kind='time'."),
    (minimal(training={"optimizer": "adam", "epochs": 1.5}), "training",
     "epochs must be a whole number. Received: epochs=1.5."),
    (minimal(version=2), "design", "version must be one of 1. Received: version=2."),
])
def test_wrong_types(data, location, message):
    problem = only_problem(data)
    assert (problem.location, problem.message) == (location, message)


@pytest.mark.parametrize("data, location, message", [
    (minimal(trunk=[{"type": "Dense", "id": "d", "unitz": 3}]), "trunk step 1 (Dense)",
     "unknown setting 'unitz'. Dense takes: id, type, units, activation, use_bias."),
    (minimal(heads=[{"name": "price", "lambda": "x"}]), "head 'price'",
     "unknown setting 'lambda'. Remove it; it is not part of a design."),
    (minimal(pickle="gASVAAAA"), "design", "unknown setting 'pickle'. Remove it; it is not part of a design."),
    (minimal(input={"shape": [3], "dtype": "object"}), "input",
     "unknown setting 'dtype'. Remove it; it is not part of a design."),
])
def test_unknown_keys_are_rejected(data, location, message):
    problem = only_problem(data)
    assert (problem.location, problem.message) == (location, message)


@pytest.mark.parametrize("type_name", ["Lambda", "TFSMLayer", "dense", 5])
def test_unknown_layer_types_list_the_known_ones(type_name):
    problem = only_problem(minimal(heads=[{"name": "price", "layers": [{"type": type_name, "id": "x"}]}]))
    shown = type_name if isinstance(type_name, str) else "layer"
    assert problem.location == f"head 'price', layer 1 ({shown})"
    assert problem.message.startswith(f"unknown layer type {str(type_name)!r}. Expected one of: 'Dense', ")
    assert "'Bidirectional'" in problem.message


def test_every_problem_comes_back_at_once():
    problems = problems_of(minimal(
        name=3,
        trunk=[{"type": "Dense", "id": "a", "units": 0}, {"type": "Conv9D", "id": "b"}],
        heads=[{"name": "1st"}, {"name": "ok", "loss": "hinge"}],
    ))
    assert [p.location for p in problems] == [
        "design", "trunk step 1 (Dense)", "trunk step 2 (Conv9D)", "head '1st'", "head 'ok'"]


def test_problems_never_leak_pydantic_vocabulary():
    problems = problems_of(minimal(trunk=[{"type": "Dense", "id": "a", "units": -1, "x": 1}],
                                   heads=[{"name": "p", "output": {"units": 0, "activation": 3}}]))
    for problem in problems:
        assert "pydantic" not in problem.message and "validation error" not in problem.message


@pytest.mark.parametrize("junk", [
    None, 0, 1.5, "x", [], {}, {"input": None}, {"input": {"shape": []}}, {"input": {"shape": [0]}},
    {"input": {"shape": [10**12]}}, {"heads": [{"name": None}] * 20}, {"trunk": [[[[]]]]},
    {"input": {"kind": "table", "columns": [{"name": "", "kind": "numeric"}]}},
    '{"input": {"shape": [1e999]}}', '{"input": {"shape": [NaN]}}', '{"input": {"shape": [' + "9" * 5000 + ']}}',
    b"\x00" * 100, "\ud800",
])
def test_hostile_values_give_problems_not_exceptions(junk):
    problems = check_design(junk)
    assert problems and all(p.severity == "error" and p.location and p.message for p in problems)


def test_damaged_link():
    with pytest.raises(DesignError) as caught:
        from_url("not-a-design")
    assert [str(p) for p in caught.value.problems] == [
        "link: the design in this link is damaged or truncated. Ask for the link again, or start from a template."]


def test_link_that_inflates_past_the_limit_is_refused():
    bomb = base64.urlsafe_b64encode(zlib.compress(b" " * (MAX_DESIGN_BYTES * 3), 9)).decode()
    with pytest.raises(DesignError) as caught:
        from_url(bomb)
    assert caught.value.problems[0].location == "link"


def test_link_with_a_valid_but_bad_design_lists_its_problems():
    text = json.dumps(minimal(trunk=[{"type": "Dense", "id": "a", "units": 0}])).encode()
    link = base64.urlsafe_b64encode(zlib.compress(text)).decode()
    with pytest.raises(DesignError) as caught:
        from_url(link)
    assert str(caught.value.problems[0]) == "trunk step 1 (Dense): units must be at least 1. Received: units=0."


def test_assignment_is_validated_too():
    design = Design.model_validate(minimal())
    with pytest.raises(ValueError):
        design.heads[0].loss = "not a loss"


def test_number_with_thousands_of_digits():
    problem = only_problem('{"input": {"shape": [' + "9" * 5000 + "]}}")
    assert problem.message.startswith("this is not valid JSON (a number in it has thousands of digits). ")


def test_deeply_nested_python_objects_handed_in_as_a_dict():
    junk: list = []
    for _ in range(100_000):
        junk = [junk]
    for data, location, start in [
        (minimal(name=junk), "design", "name must be text. Received: name=[[[[[[[[["),
        (minimal(trunk=[{"type": "Dense", "id": "d", "units": junk}]), "trunk step 1 (Dense)",
         "units must be a whole number. Received: units=[[[[[[[[["),
        (minimal(input=junk), "input", "input kind must be 'tensor', 'table', 'image' or 'window'. Received: [[[[[[[[["),
    ]:
        problem = only_problem(data)
        assert problem.location == location
        assert problem.message.startswith(start)


def test_keys_that_are_not_text():
    problems = problems_of({"input": {"shape": [3]}, "heads": [{"name": "y", 7: 1}], (1, 2): 5})
    assert [as_pair(p) for p in problems] == [
        ("head 'y'", "setting names must be text. Received: 7."),
        ("design", "setting names must be text. Received: (1, 2)."),
    ]
