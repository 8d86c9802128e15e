"""What the app trains is what the exported script trains: same splits, targets, scaling, settings, results.

Each case trains one design twice with the same seed and epochs: once with the
app's engine (the worker's code path) and once by running the exported script
on the data file the Export page offers. Every head's test metric must agree
within 0.1% (relative): they agree to float precision, with the same splits,
shuffles and steps. TensorFlow; a few seconds per case.
"""

import json
import runpy
import subprocess
import sys

import numpy as np
import pytest

from builder.data import load_builtin, prepare, suggest_design
from builder.data import dataset_bytes
from builder.report.files import data_file_name
from builder.report.script import training_script
from builder.report.metrics import evaluate
from builder.design.templates import template
from builder.data import read_csv
from feature_files import digits_frame, notes_frame, weather_frame


def _csv(frame, name: str, targets: list[str], features: dict | None = None):
    """A design suggested for a CSV the test generates, and the dataset as the app reads the upload."""
    dataset = read_csv(frame.to_csv(index=False).encode(), name=name)
    return suggest_design(dataset, targets, features=features), dataset


def _with(design, **training):
    return design.model_copy(update={"training": design.training.model_copy(update=training)})


CASES = {
    "penguins": lambda: (suggest_design(load_builtin("penguins"), ["species", "sex", "body_mass_g"]),
                         load_builtin("penguins"), 12),
    "seed-multi-regression": lambda: (template("seed-multi-regression"),
                                      load_builtin("seed-multi-regression", rows=1200, seed=0), 8),
    "uncertainty-weighting": lambda: (_with(template("seed-multi-regression"), balancing="uncertainty"),
                                      load_builtin("seed-multi-regression", rows=1200, seed=0), 8),
    # one CSV of each feature kind: a date and a comment column, pixel columns, a series cut into windows
    "dates-and-text": lambda: (*_csv(notes_frame(400), "notes.csv", ["status", "score"],
                                     {"text_mode": "tf_idf", "max_tokens": 30}), 8),
    "pixels": lambda: (*_csv(digits_frame(300), "digits.csv", ["label", "thickness"]), 3),
    "windows": lambda: (*_csv(weather_frame(400), "weather.csv", ["weather", "temp"],
                              {"window": {"window": 10, "horizon": 1}}), 8),
}


def _engine_metrics(design, dataset) -> dict[str, float]:
    from builder.train import engine

    done = engine.train(design, dataset, None, lambda event: None, lambda: False)
    assert done["type"] == "finished", done.get("message")
    results = evaluate(design, done["test_targets"], done["test_predictions"], done["test_weights"])
    return {name: _headline(result) for name, result in results.items()}


def _headline(result) -> float:
    return result.mae if hasattr(result, "mae") else result.accuracy


def _script_metrics(design, dataset, tmp_path) -> dict[str, float]:
    data = data_file_name(design, dataset)
    (tmp_path / data).write_bytes(dataset_bytes(dataset))
    (tmp_path / "train.py").write_text(training_script(design, data))
    done = subprocess.run([sys.executable, "train.py", "--metrics", "metrics.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    return {head: next(iter(values.values())) for head, values in metrics.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_reaches_the_apps_test_metrics(keras, case, tmp_path):
    design, dataset, epochs = CASES[case]()
    design = design.model_copy(update={"training": design.training.model_copy(update={"epochs": epochs, "seed": 3})})
    app = _engine_metrics(design, dataset)
    script = _script_metrics(design, dataset, tmp_path)
    print(case, "app", app, "script", script)
    assert set(app) == set(script) == {h.name for h in design.heads}
    for head in app:
        assert script[head] == pytest.approx(app[head], rel=1e-3), (head, app[head], script[head])


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_splits_and_encodes_the_rows_the_app_does(case, tmp_path):
    design, dataset, _ = CASES[case]()
    data = tmp_path / data_file_name(design, dataset)
    data.write_bytes(dataset_bytes(dataset))
    (tmp_path / "train.py").write_text(training_script(design, data.name))
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="imported")   # defines functions, trains nothing
    x, raw = script["load_data"](str(data))
    encoded = [script["encode_target"](raw[h.name], h_setup) for h, h_setup in zip(design.heads, script["HEADS"])]
    y, weights = [t for t, _ in encoded], [w for _, w in encoded]
    rows = script["split_rows"](len(weights[0]), script["strata"](y, weights))
    prepared = prepare(design, dataset, seed=design.training.seed, val=design.training.validation_split, test=0.15)
    for split, part in zip((prepared.train, prepared.val, prepared.test), rows):
        assert split.n == len(part)
        for head, target, weight in zip(design.heads, y, weights):
            np.testing.assert_array_equal(split.y[head.name], target[part])
            np.testing.assert_array_equal(split.sample_weight[head.name], weight[part])
        for name, values in (split.x.items() if isinstance(x, dict) else [("input", split.x)]):
            if values.dtype.kind in "fiu":     # numbers, date parts, pixels, windows (text is checked by training)
                np.testing.assert_array_equal(values, (x[name] if isinstance(x, dict) else x)[part], err_msg=name)
    mean, spread = script["fit_scale"](y[-1][rows[0]], weights[-1][rows[0]])
    scale = prepared.target_scaling[design.heads[-1].name]
    assert np.allclose(mean, scale.mean) and spread == pytest.approx(scale.scale)
