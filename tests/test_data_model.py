"""Preprocessing inside the model, save/load with safe_mode, and learnable built-in data (TensorFlow)."""

from pathlib import Path

import numpy as np
import pytest

from builder.model.build import build_model, compile_model
from builder.model.codegen import to_python
from builder.data import fit_preprocessing, load_builtin, model_inputs_from_frame, prepare, read_csv, suggest_design
from builder.design.templates import template

DATA = Path(__file__).parent / "data"
PENGUIN_TARGETS = ["species", "sex", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins():
    return load_builtin("penguins")


def test_encoded_width_is_the_spec_width(keras, penguins):
    design = suggest_design(penguins, PENGUIN_TARGETS)
    model = build_model(design)
    # 4 numeric columns x 2 + island (3 values + out-of-vocabulary) = 12
    assert design.input.shape == [12]
    assert model.get_layer("features").output.shape == (None, 12)
    assert model.get_layer("dense_1").kernel.shape == (12, 64)
    assert sorted(model.input) == ["bill_depth_mm", "bill_length_mm", "flipper_length_mm", "island", "year"]


def test_generated_code_builds_the_same_model(keras, penguins):
    design = suggest_design(read_csv(DATA / "awkward_names.csv"), ["Species (label)", "Body Mass (g)"])
    built = build_model(design)
    namespace: dict = {}
    exec(compile(to_python(design), "generated.py", "exec"), namespace)
    generated = namespace["model"]
    assert [layer.name for layer in generated.layers] == [layer.name for layer in built.layers]
    assert [w.shape for w in generated.weights] == [w.shape for w in built.weights]
    assert generated.count_params() == built.count_params()
    assert generated.get_layer("ile_name_onehot").get_config()["vocabulary"] == ["Biscoe", "Dream"]


def test_penguin_model_trains_saves_and_loads_safely_on_raw_rows(keras, penguins, tmp_path):
    design = suggest_design(penguins, PENGUIN_TARGETS)
    prepared = prepare(design, penguins, seed=0)
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    norm = model.get_layer("bill_length_mm_norm")
    train_values = prepared.train.x["bill_length_mm"]
    assert float(np.asarray(norm.mean).ravel()[0]) == pytest.approx(float(np.nanmean(train_values)), rel=1e-5)
    compile_model(model, design)
    history = model.fit(prepared.to_tf("train", batch_size=32), epochs=8, verbose=0).history
    for head in PENGUIN_TARGETS:
        assert history[f"{head}_loss"][-1] < history[f"{head}_loss"][0]
    path = tmp_path / "penguins.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)

    rows = penguins.frame.head(5).copy()
    rows.loc[0, "bill_length_mm"] = np.nan            # missing number -> imputed, with its indicator
    rows.loc[1, "island"] = np.nan                     # missing category -> out of vocabulary
    rows.loc[2, "island"] = "Atlantis"                 # unseen category -> out of vocabulary
    raw = model_inputs_from_frame(design, rows)
    before, after = model.predict(raw, verbose=0), loaded.predict(raw, verbose=0)
    for a, b in zip(before, after):
        assert not np.isnan(a).any()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert before[0].shape == (5, 3) and before[1].shape == (5, 1)


@pytest.mark.parametrize("name, rows, epochs", [
    ("seed-multi-regression", 1000, 12),
    ("seed-image-class-reg", 600, 5),
    ("seed-sequence-two-heads", 400, 6),
])
def test_every_template_learns_its_builtin_data(keras, name, rows, epochs):
    keras.utils.set_random_seed(0)
    design = template(name)
    dataset = load_builtin(name, rows=rows, seed=0)
    prepared = prepare(design, dataset, seed=0)
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    compile_model(model, design)
    train = prepared.to_tf("train", batch_size=32)
    start = model.evaluate(prepared.to_tf("train", batch_size=256), verbose=0, return_dict=True)
    model.fit(train, epochs=epochs, verbose=0)
    end = model.evaluate(prepared.to_tf("train", batch_size=256), verbose=0, return_dict=True)
    for head in design.heads:
        key = f"{head.name}_loss"
        assert end[key] < 0.6 * start[key], (key, start[key], end[key])


@pytest.mark.parametrize("target", ["species", "sex"])
def test_a_one_head_design_trains_from_to_tf(keras, penguins, target):
    design = suggest_design(penguins, [target])
    prepared = prepare(design, penguins)
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    compile_model(model, design)
    history = model.fit(prepared.to_tf("train"), validation_data=prepared.to_tf("val"), epochs=2, verbose=0).history
    assert np.isfinite(history["val_loss"]).all()
