"""The exported script reproduces loss balancing and class weights on its own (issue 13)."""

import ast
import subprocess
import sys

import numpy as np
import pytest

from builder.design.spec import parse_design
from builder.report.script import training_script


def two_head_design(balancing):
    return parse_design({
        "input": {"shape": [4]},
        "trunk": [{"type": "Dense", "id": "shared", "units": 8, "activation": "relu"}],
        "heads": [{"name": "value", "loss": "mse"},
                  {"name": "flag", "loss": "binary_crossentropy", "kind": "binary", "class_weight": "balanced",
                   "output": {"units": 1, "activation": "sigmoid"}, "metrics": ["accuracy"]}],
        "training": {"balancing": balancing, "batch_size": 16}})


@pytest.mark.parametrize("balancing", ["fixed", "uncertainty", "dwa"])
def test_the_script_names_the_method_and_never_imports_the_builder(balancing):
    code = training_script(two_head_design(balancing))
    tree = ast.parse(code)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names} | {node.module.split(".")[0] for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom) and node.module}
    assert "builder" not in imported
    assert "BALANCED_CLASS_WEIGHT_HEADS = ['flag']" in code
    assert ("BALANCING = " + repr(balancing) in code) == (balancing != "fixed")


def test_the_script_trains_with_uncertainty_weighting_and_saves_a_plain_model(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, value=x[:, :1] * 2, flag=(x[:, 1:2] > 1.2).astype("float32"))
    (tmp_path / "train.py").write_text(training_script(two_head_design("uncertainty"), "data.npz"))
    done = subprocess.run([sys.executable, "train.py", "--epochs", "2", "--out", "model.keras",
                           "--history", "history.csv"], cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    header = (tmp_path / "history.csv").read_text().splitlines()[0].split(",")
    assert {"value_weight", "flag_weight", "value_loss", "flag_loss"} <= set(header)
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert model.output_names == ["value", "flag"]
