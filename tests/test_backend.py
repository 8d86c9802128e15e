"""Which Keras backend trains a design: the rule, the setting that forces one, and that the choice changes
nothing a user takes away (the same weights predict the same under TensorFlow and JAX)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder.data import load_builtin, suggest_design
from builder.design.templates import template
from builder.train import backend as backends

ROOT = Path(__file__).resolve().parents[1]
needs_jax = pytest.mark.skipif(not backends.jax_installed(), reason="JAX is not installed (pip install jax)")


@pytest.fixture
def auto(monkeypatch):
    monkeypatch.delenv(backends.SETTING, raising=False)
    monkeypatch.setattr(backends, "jax_installed", lambda: True)


def penguins_design():
    data = load_builtin("penguins")
    return suggest_design(data, data.targets)


@pytest.mark.parametrize("name, expected, words", [
    ("seed-multi-regression", "jax", "dense and recurrent"),
    ("seed-sequence-two-heads", "jax", "dense and recurrent"),
    ("seed-image-class-reg", "tensorflow", "convolutions"),
])
def test_each_template_gets_the_backend_measured_fastest_for_it(auto, name, expected, words):
    choice = backends.choose(template(name))
    assert choice.name == expected and words in choice.reason


def test_loss_balancing_keeps_a_design_on_tensorflow_and_the_meter_does_not(auto):
    dense = template("seed-multi-regression")            # three heads: the meter is on by default
    assert backends.choose(dense).name == "jax"
    balanced = dense.model_copy(update={"training": dense.training.model_copy(update={"balancing": "uncertainty"})})
    assert backends.choose(balanced).name == "tensorflow" and "loss balancing" in backends.choose(balanced).reason
    forced = backends.choose(balanced, force="jax")
    assert forced.name == "tensorflow" and "asked for JAX" in forced.reason


def test_string_columns_and_distributed_runs_stay_on_tensorflow(auto):
    assert "string columns" in backends.choose(penguins_design()).reason
    assert backends.choose(template("seed-multi-regression"), strategy="mirrored").name == "tensorflow"
    forced = backends.choose(penguins_design(), force="jax")
    assert forced.name == "tensorflow" and "asked for JAX" in forced.reason


def test_without_jax_everything_trains_on_tensorflow(monkeypatch):
    monkeypatch.delenv(backends.SETTING, raising=False)
    monkeypatch.setattr(backends, "jax_installed", lambda: False)
    choice = backends.choose(template("seed-multi-regression"))
    assert choice.name == "tensorflow" and "not installed" in choice.reason


def test_the_setting_forces_a_backend_and_a_typo_is_named_not_fatal(auto, monkeypatch):
    monkeypatch.setenv(backends.SETTING, "tensorflow")
    assert backends.choose(template("seed-multi-regression")) == backends.Choice(
        "tensorflow", f"set by {backends.SETTING} or --backend", forced=True)
    assert backends.choose(template("seed-image-class-reg"), force="jax").name == "jax"
    monkeypatch.setenv(backends.SETTING, "jaxx")
    choice = backends.choose(template("seed-multi-regression"))
    assert choice.name == "jax" and "Received: 'jaxx'" in choice.reason


def test_a_process_with_keras_loaded_keeps_its_backend_and_says_why(auto, keras):
    choice = backends.activate(backends.Choice("jax", "dense and recurrent layers train fastest on JAX"))
    assert choice.name == keras.backend.backend() == "tensorflow"
    assert "already loaded with TensorFlow" in choice.reason


PREDICT_UNDER = """
import json, sys
import numpy as np, keras
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
out = model.predict(np.load(sys.argv[2]), verbose=0)
out = out if isinstance(out, list) else [out]
np.savez(sys.argv[3], *[np.asarray(o) for o in out])
print(keras.backend.backend())
"""


@needs_jax
@pytest.mark.parametrize("name", ["seed-multi-regression", "seed-sequence-two-heads", "seed-image-class-reg"])
def test_the_same_weights_predict_the_same_under_tensorflow_and_jax(keras, tmp_path, name):
    from builder.model.build import build_model

    design = template(name)
    keras.utils.set_random_seed(1)
    model = build_model(design)
    x = load_builtin(name, rows=16).x.astype("float32")
    expected = model.predict(x, verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", PREDICT_UNDER, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                           str(tmp_path / "out.npz")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "jax"
    got = np.load(tmp_path / "out.npz")
    for i, want in enumerate(expected):
        np.testing.assert_allclose(got[f"arr_{i}"], want, rtol=1e-4, atol=1e-5)


@needs_jax
def test_loss_balancing_in_a_process_started_on_jax_is_one_clear_message(tmp_path):
    design = template("seed-multi-regression")
    design = design.model_copy(update={"training": design.training.model_copy(update={"balancing": "uncertainty"})})
    (tmp_path / "d.json").write_text(design.to_json())
    data = load_builtin("seed-multi-regression", rows=120)
    np.savez(tmp_path / "d.npz", x=data.x, **data.y)
    env = {k: v for k, v in os.environ.items() if k != backends.SETTING}
    done = subprocess.run([sys.executable, "-m", "builder", "train", str(tmp_path / "d.json"), "--data",
                           str(tmp_path / "d.npz"), "--epochs", "1", "--out", str(tmp_path / "m.keras")],
                          cwd=ROOT, env=dict(env, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert ("uncertainty weighting (Kendall et al. 2018) needs Keras on TensorFlow, and this process runs Keras "
            "on JAX") in done.stderr
    assert not (tmp_path / "m.keras").exists()


@needs_jax
def test_cli_says_which_backend_trained_and_the_flag_forces_one(tmp_path):
    design = template("seed-multi-regression")
    (tmp_path / "d.json").write_text(design.to_json())
    data = load_builtin("seed-multi-regression", rows=120)
    np.savez(tmp_path / "d.npz", x=data.x, **data.y)
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", backends.SETTING)}
    printed = {}
    for flag in ("auto", "tensorflow"):
        done = subprocess.run([sys.executable, "-m", "builder", "train", str(tmp_path / "d.json"), "--data",
                               str(tmp_path / "d.npz"), "--epochs", "1", "--backend", flag,
                               "--out", str(tmp_path / f"{flag}.keras")],
                              cwd=ROOT, env=dict(env, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        printed[flag] = done.stdout
    assert "backend: JAX (dense and recurrent layers train fastest on JAX)" in printed["auto"]
    assert f"backend: TensorFlow (set by {backends.SETTING} or --backend)" in printed["tensorflow"]
    assert all("epoch 1/1" in text for text in printed.values())
    assert (tmp_path / "auto.keras").is_file() and (tmp_path / "tensorflow.keras").is_file()


@needs_jax
def test_a_design_trained_on_each_backend_saves_a_model_that_predicts_what_was_reported(monkeypatch, keras):
    """One service, one worker at a time: a dense design trains on JAX, penguins (strings) on TensorFlow;
    each saved .keras, loaded here under TensorFlow, gives the test predictions the run reported."""
    from builder.data import prepare
    from builder.train import TrainingService
    from builder.train.engine import predict_test

    monkeypatch.delenv(backends.SETTING, raising=False)
    dense = template("seed-multi-regression")        # three heads: the interference meter reads on JAX too
    runs = [(dense, load_builtin("seed-multi-regression", rows=200), "jax"),
            (penguins_design(), load_builtin("penguins"), "tensorflow")]
    service = TrainingService(max_concurrent=1, warm_workers=0)
    try:
        for design, data, expected in runs:
            training = design.training.model_copy(update={"epochs": 2, "batch_size": 16})
            handle = service.submit(design, data, training)
            assert handle.backend.name == expected
            assert handle.wait(300), handle.status_text()
            events = handle.poll()
            started = next(e for e in events if e["type"] == "started")
            assert started["backend"] == expected and started["backend_reason"] == handle.backend.reason
            meter = [e for e in events if e["type"] == "interference"]
            assert len(meter) == (2 if len(design.heads) > 1 else 0) and all(-1.0 <= v <= 1.0 for e in meter for v in e["cosine"].values())
            result = handle.result
            assert handle.status == "finished" and result.backend == expected
            prepared = prepare(design, data, seed=training.seed, val=training.validation_split)
            again = predict_test(result.load_model(), design, prepared, training.batch_size)
            for head in design.heads:
                np.testing.assert_allclose(again[head.name], result.test_predictions[head.name], rtol=1e-4, atol=1e-4)
    finally:
        service.shutdown()


def test_on_tensorflow_the_engine_feeds_the_batches_fit_would_so_the_exported_script_trains_the_same(keras):
    """The engine hands fit Keras' own array pipeline with tf.data's autotuning off (no pause between
    epochs); the batches, their order and so every weight stay those of ``fit(x=arrays)``, which the
    exported script calls."""
    from builder.data import prepare
    from builder.model.build import build_model, compile_model
    from builder.data import fit_preprocessing
    from builder.train import engine

    design = template("seed-image-class-reg")
    data = load_builtin("seed-image-class-reg", rows=150)
    prepared = prepare(design, data, seed=0, val=0.0, test=0.0)
    x, y, weights = engine.split_for_fit(design, prepared.train)

    def trained(fit_args):
        keras.backend.clear_session()
        keras.utils.set_random_seed(3)      # before the pipeline is made: its shuffle takes the seed then
        model = build_model(design)
        fit_preprocessing(model, design, prepared)
        compile_model(model, design, steps_per_execution=2)
        history = model.fit(**fit_args(), epochs=3, verbose=0).history
        return model.get_weights(), history["loss"]

    ours, our_loss = trained(lambda: engine.fit_arguments(design, prepared.train, 16, True, 0))
    theirs, their_loss = trained(lambda: dict(x=x, y=y, sample_weight=weights, batch_size=16, shuffle=True))
    assert our_loss == their_loss and len(our_loss) == 3
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    args = engine.fit_arguments(design, prepared.train, 16, True, 0)
    assert set(args) == {"x", "shuffle"} and not args["x"].options().autotune.enabled
