"""Built-in datasets and suggested designs (no TensorFlow needed)."""

import subprocess
import sys
import json
from pathlib import Path

import numpy as np
import pytest

from builder.cli import main
from builder.data import BUILTIN, describe_builtin, load_builtin, read_csv, suggest_design
from builder.errors import DataError
from builder.design.templates import template
from builder.design.validate import analyse

DATA = Path(__file__).parent / "data"
PENGUIN_TARGETS = ["species", "sex", "body_mass_g"]


def test_importing_builder_data_loads_no_tensorflow_keras_or_streamlit():
    code = ("import sys, builder, builder.data, builder.model.preprocessing; "
            "print([m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "[]", out.stderr


# ------------------------------------------------------------- built-ins

@pytest.mark.parametrize("name", [n for n in BUILTIN if n != "penguins"])
def test_synthetic_data_has_the_template_shapes(name):
    ds = load_builtin(name, rows=16)
    design = template(name)
    assert ds.kind == "tensor" and ds.template == name
    assert ds.x.shape == (16, *design.input.shape) and ds.x.dtype == np.float32
    assert list(ds.y) == [h.name for h in design.heads]
    for head in design.heads:
        assert ds.y[head.name].shape == (16, head.output.units)
        if head.loss == "categorical_crossentropy":          # one-hot, as the loss expects
            assert set(np.unique(ds.y[head.name])) == {0.0, 1.0}
            assert (ds.y[head.name].sum(axis=1) == 1).all()


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_data_is_deterministic_from_the_seed(name):
    a, b, c = load_builtin(name, rows=20, seed=1), load_builtin(name, rows=20, seed=1), load_builtin(name, rows=20, seed=2)
    if a.kind == "table":
        assert a.frame.equals(b.frame) and not a.frame.equals(c.frame)
    else:
        assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)
    assert describe_builtin(name)


def test_default_sizes():
    assert load_builtin("penguins").rows == 344
    assert load_builtin("seed-multi-regression").rows == 5000
    assert load_builtin("seed-image-class-reg").rows == 2000
    assert load_builtin("seed-sequence-two-heads").rows == 1000


def test_unknown_builtin_and_bad_rows():
    with pytest.raises(DataError, match=r"no built-in dataset named 'iris'\. Choose one of: penguins, "):
        load_builtin("iris")
    with pytest.raises(DataError, match=r"rows must be between 1 and 100,000\. Received: rows=0\."):
        load_builtin("penguins", rows=0)


def test_images_are_drawn_shapes_with_their_size():
    ds = load_builtin("seed-image-class-reg", rows=200)
    bright = (ds.x.max(axis=3) > 0.45).sum(axis=(1, 2))          # shape pixels; the background is below 0.1
    assert (bright > 10).all()
    assert np.corrcoef(bright, ds.y["output_reg"][:, 0])[0, 1] > 0.5   # bigger shapes, larger target
    assert abs(ds.y["output_reg"].std() - 1) < 0.2


# ------------------------------------------------------------- suggestion

@pytest.fixture(scope="module")
def penguins():
    return load_builtin("penguins")


def test_penguin_suggestion_is_a_valid_design(penguins):
    design = suggest_design(penguins, PENGUIN_TARGETS)
    assert analyse(design).ok
    assert [c.name for c in design.input.columns] == ["island", "bill_length_mm", "bill_depth_mm",
                                                      "flipper_length_mm", "year"]
    assert design.input.columns[0].vocabulary == ["Biscoe", "Dream", "Torgersen"]
    assert [(layer.id, layer.units) for layer in design.trunk] == [("dense_1", 64), ("dense_2", 32)]
    species, sex, mass = design.heads
    assert (species.kind, species.output.units, species.output.activation, species.loss, species.metrics,
            species.classes) == ("multiclass", 3, "softmax", "sparse_categorical_crossentropy", ["accuracy"],
                                 ["Adelie", "Chinstrap", "Gentoo"])
    assert (sex.kind, sex.output.units, sex.output.activation, sex.loss, sex.metrics, sex.classes) == (
        "binary", 1, "sigmoid", "binary_crossentropy", ["accuracy", "auc"], ["female", "male"])
    assert (mass.kind, mass.output.units, mass.output.activation, mass.loss, mass.metrics) == (
        "regression", 1, "linear", "mse", ["mae"])
    assert mass.loss_weight == 1.0      # grams are standardised in training, so no unit-balancing weight
    assert [h.target for h in design.heads] == PENGUIN_TARGETS


def test_inputs_and_kinds_can_be_chosen(penguins):
    design = suggest_design(penguins, ["species", "year"], inputs=["bill_length_mm", "island"],
                            kinds={"year": "multiclass"})
    assert [c.name for c in design.input.columns] == ["bill_length_mm", "island"]
    assert design.heads[1].kind == "multiclass" and design.heads[1].classes == ["2007", "2008", "2009"]


def test_base_design_keeps_its_trunk_and_head_layers(penguins):
    base = suggest_design(penguins, ["species", "sex"])
    base = base.model_copy(update={"trunk": base.trunk[:1]})
    changed = base.heads[0].model_copy(update={"loss_weight": 2.0})
    base = base.model_copy(update={"heads": [changed, base.heads[1]]})
    design = suggest_design(penguins, ["species", "body_mass_g"], base=base)
    assert [layer.id for layer in design.trunk] == ["dense_1"]
    assert [h.name for h in design.heads] == ["species", "body_mass_g", "sex"]   # sex kept: not replaced
    assert design.heads[0].loss_weight == 2.0
    assert analyse(design).ok


def test_base_with_an_image_trunk_is_refused_clearly(penguins):
    with pytest.raises(DataError, match=r"the current design's trunk does not fit a table input: .*Suggest again"):
        suggest_design(penguins, ["species"], base=template("seed-image-class-reg"))


def test_tensor_dataset_suggests_its_template():
    design = suggest_design(load_builtin("seed-multi-regression", rows=10), ["output1"])
    assert design == template("seed-multi-regression")


def test_awkward_names_work_as_inputs_and_targets():
    ds = read_csv(DATA / "awkward_names.csv")
    design = suggest_design(ds, ["Species (label)", "Body Mass (g)"])
    assert [h.name for h in design.heads] == ["Species_label", "Body_Mass_g"]
    assert [h.target for h in design.heads] == ["Species (label)", "Body Mass (g)"]
    assert [c.name for c in design.input.columns] == ["Größe", "île name", "flipper length"]
    assert analyse(design).ok


def test_head_names_are_unique_python_names():
    ds = read_csv(b"class,Class,x y,x-y,dense_1\n" + b"".join(
        f"a{i % 3},b{i % 2},{i % 5},{i % 7},{i}.5\n".encode() for i in range(40)))
    design = suggest_design(ds, ["class", "Class", "x y", "x-y"])
    assert [h.name for h in design.heads] == ["class_", "Class", "x_y", "x_y_2"]
    assert "dense_1" not in [layer.id for layer in design.trunk]       # an input column is named dense_1
    assert analyse(design).ok


TARGET_ERRORS = [
    ("single_class.csv", ["label"], None, r"target 'label' has a single class \(every value is 'same'\), so there "
                                          r"is nothing to predict\. Choose another target"),
    ("many_classes.csv", ["code"], None, r"target 'code' has 60 different values; a classification target may have "
                                         r"at most 50 classes\. .* leave it out"),
    ("many_classes.csv", ["amount"], {"amount": "multiclass"}, r"target 'amount' has 60 different values; .* If its "
                                                                r"values are amounts, use it as a regression target"),
    ("kinds.csv", ["colour"], {"colour": "regression"}, r"target 'colour' holds text, so it cannot be a regression"),
    ("kinds.csv", ["colour"], {"colour": "binary"}, r"target 'colour' has 4 classes, not 2, so it cannot be binary"),
    ("kinds.csv", ["missing"], None, r"target column 'missing' is not in 'kinds'\. Its columns are: 'id', 'when'"),
    ("kinds.csv", [], None, r"choose at least one target column"),
    ("kinds.csv", ["when"], None, r"target 'when' holds dates\. Predict a number derived from them"),
    ("kinds.csv", ["amount"], {"amount": "ordinal"}, r"kind for target 'amount' must be one of regression, binary, "
                                                      r"multiclass\. Received: 'ordinal'"),
]


@pytest.mark.parametrize("name, targets, kinds, message", TARGET_ERRORS)
def test_bad_targets_give_one_clear_message(name, targets, kinds, message):
    with pytest.raises(DataError, match=message):
        suggest_design(read_csv(DATA / name), targets, kinds=kinds)


def test_bad_inputs_give_one_clear_message():
    ds = read_csv(DATA / "kinds.csv")
    with pytest.raises(DataError, match=r"column 'amount' is both an input and a target"):
        suggest_design(ds, ["amount"], inputs=["amount", "colour"])
    with pytest.raises(DataError, match=r"column 'id' cannot be an input: ID: .* Leave it out"):
        suggest_design(ds, ["amount"], inputs=["id"])
    with pytest.raises(DataError, match=r"no input columns are left once the targets are taken out"):
        suggest_design(read_csv(b"a,b\n1,x\n2,y\n3,x\n"), ["a", "b"])


# --------------------------------------------------------------------- CLI

def test_cli_suggest_prints_the_design(capsys):
    assert main(["suggest", str(Path(__file__).parents[1] / "builder/data/penguins.csv"),
                 "--targets", "species,sex,body_mass_g", "--inputs", "island,bill_length_mm"]) == 0
    design = json.loads(capsys.readouterr().out)
    assert [h["name"] for h in design["heads"]] == PENGUIN_TARGETS
    assert [c["name"] for c in design["input"]["columns"]] == ["island", "bill_length_mm"]


def test_cli_suggest_bad_target_exits_2(capsys):
    assert main(["suggest", str(DATA / "single_class.csv"), "--targets", "label"]) == 2
    assert "has a single class" in capsys.readouterr().err


def test_cli_data_writes_csv_and_npz(tmp_path):
    assert main(["data", "penguins", "--out", str(tmp_path / "p.csv")]) == 0
    assert read_csv(tmp_path / "p.csv").rows == 344
    assert main(["data", "seed-sequence-two-heads", "--out", str(tmp_path / "s.npz"), "--rows", "8"]) == 0
    with np.load(tmp_path / "s.npz") as saved:
        assert sorted(saved.files) == ["output1", "output2", "x"]
        assert saved["x"].shape == (8, 100, 50) and saved["output2"].shape == (8, 20)


def test_cli_data_wrong_suffix_exits_2(tmp_path, capsys):
    assert main(["data", "seed-image-class-reg", "--out", str(tmp_path / "i.csv")]) == 2
    assert "use a name ending in .npz" in capsys.readouterr().err


def test_long_text_values_are_not_categories_or_classes():
    ds = read_csv(("a,b,c\n" + "".join(f"{i % 5},{'x' * 250 if i % 2 else 'y'},{i % 3}\n" for i in range(40))).encode())
    assert ds.column("b").kind == "text" and ds.column("b").role == "ignore"
    with pytest.raises(DataError, match=r"target 'b' has class names longer than 200 characters"):
        suggest_design(ds, ["b"])


def test_cli_suggest_kinds_and_bad_kinds(capsys):
    path = str(Path(__file__).parents[1] / "builder/data/penguins.csv")
    assert main(["suggest", path, "--targets", "year,species", "--kinds", "year=multiclass"]) == 0
    design = json.loads(capsys.readouterr().out)
    assert design["heads"][0]["kind"] == "multiclass" and design["heads"][0]["classes"] == ["2007", "2008", "2009"]
    assert main(["suggest", path, "--targets", "species", "--kinds", "species"]) == 2
    assert "--kinds takes column=kind pairs such as price=regression. Received: 'species'" in capsys.readouterr().err


def test_whole_number_class_codes_under_a_class_name_become_classes_and_amounts_stay_numbers():
    rng = np.random.default_rng(0)
    digit = rng.integers(0, 10, 300)
    frame = {"label": digit, "class_id": digit % 4, "rooms": rng.integers(1, 8, 300), "x": rng.normal(size=300)}
    import pandas as pd

    dataset = read_csv(pd.DataFrame(frame).to_csv(index=False).encode(), name="codes.csv")
    heads = {h.name: h for h in suggest_design(dataset, ["label", "class_id", "rooms"]).heads}
    assert (heads["label"].kind, heads["label"].output.units) == ("multiclass", 10)
    assert heads["class_id"].kind == "multiclass"
    assert heads["rooms"].kind == "regression"          # a count of rooms is an amount, whatever its values
    forced = suggest_design(dataset, ["label"], kinds={"label": "regression"}).heads[0]
    assert forced.kind == "regression"                  # the user's choice wins
