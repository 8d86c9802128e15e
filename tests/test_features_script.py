"""Issue 12 in the exported training script: it reads the same CSV the app trained on and trains the same
model, for a table with a date and a comment, a pixel CSV and a series of windows."""

import subprocess
import sys

import pytest

from builder.data import read_csv, suggest_design
from builder.report.feature_script import saved_model_inputs
from builder.report.script import training_script
from feature_files import digits_frame, notes_frame, weather_frame, write

CASES = {
    "notes": (notes_frame, ["status", "score"], {"text_mode": "tf_idf", "max_tokens": 30}),
    "digits": (digits_frame, ["label", "thickness"], None),
    "weather": (weather_frame, ["weather", "temp"], {"window": {"window": 10, "horizon": 1}}),
}


def script_for(name, tmp_path, rows=200):
    make, targets, features = CASES[name]
    data = write(make(rows), tmp_path / f"{name}.csv")
    design = suggest_design(read_csv(data), targets, features=features)
    return design, training_script(design, data.name), data


@pytest.mark.parametrize("name", list(CASES))
def test_script_compiles_and_names_what_the_model_takes(name, tmp_path):
    design, script, _ = script_for(name, tmp_path)
    compile(script, "train.py", "exec")
    assert "import pandas as pd" in script
    words = saved_model_inputs(design)
    assert {"notes": "11 numbers from date 'Date Egg': year, month, day",
            "digits": "shape (rows, 28, 28, 1)", "weather": "shape (rows, 10, 3)"}[name] in words


@pytest.mark.parametrize("name", ["notes", "weather"])
def test_script_trains_on_the_csv_and_saves_a_safe_model(name, tmp_path):
    _, script, data = script_for(name, tmp_path, rows=300)
    (tmp_path / "train.py").write_text(script)
    done = subprocess.run([sys.executable, "train.py", "--epochs", "1"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    import keras
    keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
