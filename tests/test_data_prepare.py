"""Splits, per-head targets and sample weights, and tf.data (TensorFlow only for to_tf)."""

from pathlib import Path

import numpy as np
import pytest

from builder.data import load_builtin, prepare, read_csv, suggest_design
from builder.errors import DataError
from builder.design.templates import template

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def penguins():
    return load_builtin("penguins")


@pytest.fixture(scope="module")
def design(penguins):
    return suggest_design(penguins, ["species", "sex", "body_mass_g"])


def test_splits_cover_every_row_once_and_are_seeded(penguins, design):
    p = prepare(design, penguins, seed=3)
    assert (p.train.n, p.val.n, p.test.n) == (240, 52, 52)
    assert p.train.n + p.val.n + p.test.n == penguins.rows        # no row dropped, not even with missing targets
    again = prepare(design, penguins, seed=3)
    other = prepare(design, penguins, seed=4)
    assert np.array_equal(p.train.x["bill_length_mm"], again.train.x["bill_length_mm"], equal_nan=True)
    assert not np.array_equal(p.train.x["bill_length_mm"], other.train.x["bill_length_mm"], equal_nan=True)


def test_split_is_stratified_on_the_first_classification_head(penguins, design):
    p = prepare(design, penguins, seed=0)
    assert p.stratified_on == "species"
    share = penguins.frame["species"].value_counts(normalize=True).sort_index().to_numpy()
    for split in (p.train, p.val, p.test):
        counts = np.bincount(split.y["species"], minlength=3) / split.n
        assert np.abs(counts - share).max() < 0.03


def test_inputs_are_raw_columns_by_keras_name(penguins, design):
    x = prepare(design, penguins).train.x
    assert list(x) == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "year"]
    assert x["bill_length_mm"].dtype == np.float32 and x["bill_length_mm"].shape == (240, 1)
    assert np.isnan(x["bill_length_mm"]).sum() >= 1 or np.isnan(prepare(design, penguins).val.x["bill_length_mm"]).any() \
        or np.isnan(prepare(design, penguins).test.x["bill_length_mm"]).any()
    assert set(np.unique(x["island"])) <= {b"Biscoe", b"Dream", b"Torgersen"}


def test_targets_per_head_and_missing_ones_get_weight_zero(penguins, design):
    p = prepare(design, penguins)
    everything = [p.train, p.val, p.test]
    assert p.train.y["species"].dtype == np.int32 and p.train.y["species"].shape == (240,)
    assert p.train.y["sex"].shape == (240, 1) and set(np.unique(p.train.y["sex"])) == {0.0, 1.0}
    assert p.train.y["body_mass_g"].shape == (240, 1)
    assert sum(int((s.sample_weight["sex"] == 0).sum()) for s in everything) == 11
    assert sum(int((s.sample_weight["body_mass_g"] == 0).sum()) for s in everything) == 2
    assert all((s.sample_weight["species"] == 1).all() for s in everything)
    # a row missing its sex still trains species and body mass
    row = np.flatnonzero(p.train.sample_weight["sex"] == 0)[0]
    assert p.train.sample_weight["species"][row] == 1


def test_awkward_names_stay_the_model_input_names(tmp_path):
    ds = read_csv(DATA / "awkward_names.csv")
    design = suggest_design(ds, ["Species (label)", "Body Mass (g)"])
    p = prepare(design, ds)
    assert list(p.train.x) == ["Größe", "île name", "flipper length"]     # the saved model takes the CSV's names
    assert p.input_names["île name"] == "île name"
    assert list(p.train.y) == ["Species_label", "Body_Mass_g"]


def test_unknown_categories_become_the_empty_out_of_vocabulary_value(penguins, design):
    narrowed = design.model_copy(deep=True)
    narrowed.input.columns[0].vocabulary = ["Biscoe"]
    x = prepare(narrowed, penguins).train.x["island"]
    assert set(np.unique(x)) == {b"Biscoe", b""}


def test_tensor_data_keeps_the_template_targets():
    ds = load_builtin("seed-image-class-reg", rows=100)
    p = prepare(template("seed-image-class-reg"), ds)
    assert p.kind == "tensor" and p.stratified_on == "output_class"
    assert p.train.n + p.val.n + p.test.n == 100 and 60 <= p.train.n <= 80     # per-class rounding
    n = p.train.n
    assert p.train.x.shape == (n, 32, 32, 3)
    assert p.train.y["output_class"].shape == (n, 10) and p.train.y["output_reg"].shape == (n, 1)
    assert (p.train.sample_weight["output_reg"] == 1).all()


def test_design_that_does_not_fit_the_data(penguins, design):
    with pytest.raises(DataError, match=r"the design takes an array of shape \(10,\), but 'penguins' is a table"):
        prepare(template("seed-multi-regression"), penguins)
    with pytest.raises(DataError, match=r"the design takes table columns, but 'seed-multi-regression' holds arrays"):
        prepare(design, load_builtin("seed-multi-regression", rows=20))
    raw = template("seed-multi-regression").model_dump()
    raw["input"]["shape"] = [12]
    with pytest.raises(DataError, match=r"input shape is \(12,\) but .* Set the input shape to \[10\]"):
        prepare(type(design).model_validate(raw), load_builtin("seed-multi-regression", rows=20))
    no_target = design.model_copy(update={"heads": [design.heads[0].model_copy(update={"target": None})]})
    with pytest.raises(DataError, match=r"head 'species' has no target column"):
        prepare(no_target, penguins)
    with pytest.raises(DataError, match=r"val must be a fraction from 0 up to 0\.5\. Received: val=0\.7"):
        prepare(design, penguins, val=0.7)


def test_to_tf_gives_x_y_and_per_head_weights(penguins, design):
    tf = pytest.importorskip("tensorflow")
    p = prepare(design, penguins)
    x, y, w = next(iter(p.to_tf("val", batch_size=8)))
    assert x["island"].dtype == tf.string and tuple(x["bill_length_mm"].shape) == (8, 1)
    assert list(y) == ["species", "sex", "body_mass_g"]
    assert len(w) == 3 and tuple(w[0].shape) == (8,)
    assert sum(int(b[1]["species"].shape[0]) for b in p.to_tf("train", batch_size=64)) == 240
