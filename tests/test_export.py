"""Export: the runnable training script really trains and saves; design JSON and history CSV round-trip."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder import parse_design, template
from builder.data import dataset_bytes
from builder.report.files import data_file_name, design_json, history_csv
from builder.report.script import script_name, training_script

ROOT = Path(__file__).resolve().parents[1]


def _run_script(tmp_path, code: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train_model.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script), *args, "--epochs", "1", "--out", "model.keras",
                           "--history", "history.csv"], cwd=tmp_path, capture_output=True, text=True, timeout=240)


def test_script_is_valid_python_named_after_the_design():
    design = template("seed-multi-regression")
    ast.parse(training_script(design))
    assert script_name(design) == "train_multi_regression.py"


def test_tensor_script_trains_one_epoch_on_an_npz_and_saves_a_loadable_model(tmp_path):
    design = template("seed-multi-regression")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(64, 10)),
             **{h.name: rng.normal(size=(64, 1)) for h in design.heads})
    done = _run_script(tmp_path, training_script(design, "data.npz"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "model.keras").stat().st_size > 0
    header = (tmp_path / "history.csv").read_text().splitlines()[0]
    assert header.startswith("epoch,") and "output1_loss" in header and "val_output3_loss" in header

    import keras
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert model.output_names == ["output1", "output2", "output3"]


PENGUINS = {
    "name": "penguins",
    "input": {"kind": "table", "columns": [
        {"name": "island", "kind": "categorical", "vocabulary": ["Biscoe", "Dream", "Torgersen"]},
        {"name": "bill_length_mm", "kind": "numeric"}, {"name": "flipper_length_mm", "kind": "numeric"}]},
    "trunk": [{"type": "Dense", "id": "shared", "units": 8, "activation": "relu"}],
    "heads": [
        {"name": "species", "target": "species", "kind": "multiclass", "classes": ["Adelie", "Chinstrap", "Gentoo"],
         "output": {"units": 3, "activation": "softmax"}, "loss": "sparse_categorical_crossentropy",
         "metrics": ["accuracy"]},
        {"name": "sex", "target": "sex", "kind": "binary", "classes": ["female", "male"],
         "output": {"units": 1, "activation": "sigmoid"}, "loss": "binary_crossentropy"},
        {"name": "mass", "target": "body_mass_g", "kind": "regression", "loss": "mse"},
    ],
}


def test_table_script_trains_on_the_penguins_csv_with_missing_targets(tmp_path):
    (tmp_path / "penguins.csv").write_bytes((ROOT / "builder" / "data" / "penguins.csv").read_bytes())
    done = _run_script(tmp_path, training_script(parse_design(PENGUINS), "penguins.csv"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "model.keras").stat().st_size > 0
    header = (tmp_path / "history.csv").read_text().splitlines()[0].split(",")
    assert {"species_loss", "val_sex_loss", "mass_loss", "species_accuracy"} <= set(header)


def test_missing_array_exits_with_a_one_line_message(tmp_path):
    design = template("seed-multi-regression")
    np.savez(tmp_path / "data.npz", x=np.zeros((4, 10)))
    done = _run_script(tmp_path, training_script(design), "--data", "data.npz")
    assert done.returncode != 0
    assert "has no array(s) ['output1', 'output2', 'output3']" in done.stderr


def test_design_json_loads_back_to_the_same_design():
    design = template("seed-image-class-reg")
    assert parse_design(design_json(design)) == design


def test_history_csv_has_an_epoch_column_and_totals_first():
    text = history_csv({"a_loss": [1.0, 0.5], "val_loss": [2.0, 1.0], "loss": [1.5, 0.7], "val_a_loss": [2.0]})
    assert text.splitlines() == [
        "epoch,loss,val_loss,a_loss,val_a_loss",
        "1,1.5,2.0,1.0,2.0",
        "2,0.7,1.0,0.5,",
    ]
    assert history_csv({}) == "epoch\n"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_history_csv_writes_non_finite_losses_readably(value):
    assert history_csv({"loss": [value]}).splitlines()[1] == f"1,{value}"


def test_the_data_file_is_named_after_a_dataset_that_fits_the_design():
    from builder.data import load_builtin

    tensor = template("seed-multi-regression")
    table = parse_design(PENGUINS)
    assert data_file_name(tensor, load_builtin("seed-multi-regression", rows=10)) == "seed-multi-regression.npz"
    assert data_file_name(table, load_builtin("penguins")) == "penguins.csv"
    assert data_file_name(table, load_builtin("seed-multi-regression", rows=10)) == "data.csv"
    assert data_file_name(tensor) == "data.npz"


def test_the_npz_offered_for_download_is_what_the_script_reads(tmp_path):
    from builder.data import load_builtin

    dataset = load_builtin("seed-multi-regression", rows=10)
    (tmp_path / "d.npz").write_bytes(dataset_bytes(dataset))
    arrays = np.load(tmp_path / "d.npz")
    assert sorted(arrays) == ["output1", "output2", "output3", "x"]
    assert arrays["x"].shape == (10, 10)


@pytest.mark.parametrize("name", ['quote"""s', "back\\slash", "two\nlines"])
def test_a_hostile_design_name_never_becomes_code_in_the_script(name):
    design = template("seed-multi-regression").model_copy(update={"name": name})
    module = ast.parse(training_script(design))
    assert name not in ast.get_docstring(module)       # the docstring is fixed text; the name is a value
    names = [node.value.value for node in module.body
             if isinstance(node, ast.Assign) and node.targets[0].id == "DESIGN_NAME"]
    assert names == [name]
