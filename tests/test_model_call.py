"""The saved model is callable as the Export page says: safe_mode=True, one row keyed by the CSV's columns."""

import contextlib
import io

import numpy as np
import pytest

from builder.data import read_csv, suggest_design
from builder.report.snippet import example_row, output_meanings, predict_snippet
from builder.model.preprocessing import model_input_names

SPECIES = ["Adélie", "Gentoo", "Chinstrap"]
CSV = "Body Mass (g),Größe,île name,ratio a/b,=cmd,Species (label)\n" + "".join(
    f"{3000 + 37 * i},{1.2 + 0.01 * i:.2f},{'Dream' if i % 2 else 'Biscoe'},{0.5 + 0.013 * i:.3f},{'xy'[i % 2]},"
    f"{SPECIES[i % 3]}\n" for i in range(40))


@pytest.fixture(scope="module")
def awkward():
    dataset = read_csv(CSV.encode(), name="awkward.csv")
    design = suggest_design(dataset, ["Species (label)", "Body Mass (g)"])
    return dataset, design.model_copy(update={"training": design.training.model_copy(update={"epochs": 3})})


def test_inputs_keep_the_column_names_except_where_keras_forbids_them(awkward):
    _, design = awkward
    names = model_input_names(design.input)
    assert names["Größe"] == "Größe" and names["île name"] == "île name" and names["=cmd"] == "=cmd"
    assert names["ratio a/b"] == "ratio_a_b"        # Keras forbids '/' in a name


def test_the_exported_model_predicts_from_a_dict_keyed_by_the_csv_columns(keras, awkward, tmp_path):
    from builder.train import engine

    dataset, design = awkward
    path = str(tmp_path / "awkward.keras")
    done = engine.train(design, dataset, None, lambda event: None, lambda: False, model_path=path)
    assert done["type"] == "finished"

    model = keras.saving.load_model(path, safe_mode=True)
    assert {t.name for t in model.inputs} == {"Größe", "île name", "ratio_a_b", "=cmd"}
    row = example_row(design, dataset)
    assert row == {"Größe": 1.2, "île name": "Biscoe", "ratio a/b": 0.5, "=cmd": "x"}
    code = predict_snippet(design, path, row)
    assert "safe_mode=True" in code and "INPUT_NAMES = {'ratio a/b': 'ratio_a_b'}" in code
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "snippet.py", "exec"), namespace)
    species, mass = namespace["out"]
    assert species.shape == (1, 3) and np.isclose(species.sum(), 1.0, atol=1e-4)
    # in grams, as trained on: near the mean (about 3700 g), nowhere near standard units
    assert 1500 < float(mass[0, 0]) < 6000
    lines = printed.getvalue().splitlines()
    assert lines[0].split(" ", 1)[1] in ("Adélie", "Chinstrap", "Gentoo")
    assert lines[1].startswith("Body_Mass_g [")


def test_each_output_is_explained_with_its_class_order(awkward):
    _, design = awkward
    species, mass = output_meanings(design)
    assert species == ("output 1, head `Species_label`: one probability per class, in this order: "
                       "0: 'Adélie', 1: 'Chinstrap', 2: 'Gentoo'.")
    assert mass == "output 2, head `Body_Mass_g`: a number in the units of 'Body Mass (g)'."
