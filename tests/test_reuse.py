"""Training the same design again in one worker reuses its compiled model, and trains exactly as a new one.

No timing assertions: what a user would notice is that the second run gives the same numbers and the same
saved model as a run in a fresh worker; ``benchmarks/bench_backend.py`` measures the time saved.
"""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from builder.data import load_builtin, suggest_design
from builder.design.templates import template
from builder.train.backend import jax_installed


@pytest.fixture
def engine(keras):
    from builder.train import engine, reuse

    reuse.forget()
    yield engine
    reuse.forget()


def run(engine, design, data, tmp_path, name, **training):
    training = design.training.model_copy(update=dict(dict(epochs=2), **training))
    epochs = []
    last = engine.train(design, data, training, lambda e: epochs.append(e["logs"]) if e["type"] == "epoch" else None,
                        lambda: False, model_path=str(tmp_path / f"{name}.keras"))
    assert last["type"] == "finished", last
    return last, epochs


# TensorFlow's first training in a process can differ from later ones in the 7th digit, new models and all
# (thread scheduling of its first kernels); a wrong batch order or initial weight shows in the 2nd or 3rd.
CLOSE = dict(rtol=1e-5, atol=1e-7)


def assert_same_numbers(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], **CLOSE, err_msg=key)


def assert_same_run(a, b):
    (last_a, epochs_a), (last_b, epochs_b) = a, b
    assert len(epochs_a) == len(epochs_b)
    for logs_a, logs_b in zip(epochs_a, epochs_b):
        assert_same_numbers(logs_a, logs_b)
    assert_same_numbers(last_a["history"], last_b["history"])
    assert_same_numbers(last_a["test_predictions"], last_b["test_predictions"])


def assert_same_saved_model(keras, path_a, path_b):
    a, b = keras.models.load_model(path_a), keras.models.load_model(path_b)
    for x, y in zip(a.weights + a.optimizer.variables, b.weights + b.optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **CLOSE)

    def config(path):   # shared_object_id is an object's id() in the saving process
        return re.sub(r'"shared_object_id": \d+', "", zipfile.ZipFile(path).read("config.json").decode())

    assert config(path_a) == config(path_b)


def test_a_second_run_of_a_design_reuses_its_compiled_model_and_trains_like_a_new_one(engine, keras, tmp_path):
    from builder.train import reuse

    design = template("seed-multi-regression").model_copy(deep=True)
    data = load_builtin("seed-multi-regression", rows=300)
    first = run(engine, design, data, tmp_path, "first")
    kept = reuse.kept_count()
    again = run(engine, design, data, tmp_path, "again")
    assert reuse.kept_count() == kept == 1        # the same model trained again, not a second one
    assert_same_run(first, again)
    assert_same_saved_model(keras, tmp_path / "first.keras", tmp_path / "again.keras")

    # Another seed and learning rate on the kept model: what a new worker gives for them.
    reused = run(engine, design, data, tmp_path, "reused", seed=7, learning_rate=0.01)
    assert reuse.kept_count() == 1
    reuse.forget()
    fresh = run(engine, design, data, tmp_path, "fresh", seed=7, learning_rate=0.01)
    assert_same_run(reused, fresh)
    assert first[0]["history"] != fresh[0]["history"]
    assert_same_saved_model(keras, tmp_path / "reused.keras", tmp_path / "fresh.keras")


def test_a_kept_model_is_not_reused_when_the_data_gives_other_statistics(engine, keras, tmp_path):
    """The same table design trains alike again; other training rows give Normalization other constants,
    which a traced graph holds as constants: another model."""
    from builder.train import reuse

    data = load_builtin("penguins")
    design = suggest_design(data, data.targets)
    first = run(engine, design, data, tmp_path, "seed0")
    again = run(engine, design, data, tmp_path, "again")     # string columns: batches from a tf.data pipeline
    assert reuse.kept_count() == 1
    assert_same_run(first, again)
    other_split = run(engine, design, data, tmp_path, "seed1", seed=1)     # another split: other statistics
    assert reuse.kept_count() == 2
    reuse.forget()
    fresh = run(engine, design, data, tmp_path, "fresh", seed=1)
    assert_same_run(other_split, fresh)


def test_a_rehearsed_run_trains_like_a_new_one_on_the_rehearsal_s_model(engine, keras, tmp_path):
    """What the Train page's rehearsal leaves behind (rehearsal.py): the run uses its model, same numbers."""
    from builder.train import rehearsal, reuse

    design = template("seed-multi-regression").model_copy(deep=True)
    data = load_builtin("seed-multi-regression", rows=300)
    fresh = run(engine, design, data, tmp_path, "fresh")
    reuse.forget()
    last = rehearsal.rehearse(design, data, design.training, "rehearsal1")
    assert last["type"] == "finished" and last["rehearsed"] is True
    assert reuse.kept_count() == 1
    rehearsed = run(engine, design, data, tmp_path, "rehearsed")
    assert reuse.kept_count() == 1        # the rehearsal's compiled model trained, not a second one
    assert_same_run(fresh, rehearsed)
    assert_same_saved_model(keras, tmp_path / "fresh.keras", tmp_path / "rehearsed.keras")


@pytest.mark.parametrize("name, rows", [("seed-image-class-reg", 1500),     # seconds of convolutions an epoch
                                        ("seed-multi-regression", 60000)])   # 1,500 small steps an epoch
def test_a_costly_run_is_not_rehearsed(engine, keras, name, rows):
    """Where an epoch takes seconds, tracing is a small share of the run: no rehearsal holds a worker that long."""
    from builder.train import rehearsal, reuse

    design = template(name)
    last = rehearsal.rehearse(design, load_builtin(name, rows=rows), design.training, "r")
    assert last["rehearsed"] is False
    assert reuse.kept_count() == 0


def test_a_loss_balanced_run_is_not_rehearsed(engine, keras):
    """Balancing replaces the train step on every run, so a rehearsal would leave nothing to reuse."""
    from builder.train import rehearsal, reuse

    design = template("seed-multi-regression")
    training = design.training.model_copy(update={"balancing": "uncertainty"})
    last = rehearsal.rehearse(design, load_builtin("seed-multi-regression", rows=300), training, "r")
    assert last["rehearsed"] is False
    assert reuse.kept_count() == 0


@pytest.mark.skipif(not jax_installed(), reason="JAX is not installed")
def test_a_kept_model_trains_like_a_new_one_on_jax_too():
    """JAX shuffles with numpy and traces per batch shape: the kept and rehearsed tests again, in a JAX process."""
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-m", "pytest", __file__, "-x", "-q", "-p", "no:cacheprovider",
                           "-k", "second_run_of_a_design or rehearsed_run"], env=env, capture_output=True,
                          text=True, timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
