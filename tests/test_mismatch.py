"""The one rule for "the data and the design do not fit": what is wrong and the one action that fixes it."""

import pandas as pd

from builder.data import load_builtin, read_csv
from builder.data.suggest import suggest_design
from builder.session.mismatch import APPLY_ROLES, LOAD_TEMPLATE_DATA, USE_DATA_DESIGN, matching_template, mismatch
from builder.design.templates import template

PENGUINS = load_builtin("penguins")
PENGUIN_DESIGN = suggest_design(PENGUINS, ["species", "body_mass_g"])
WEATHER = read_csv(pd.DataFrame({"date": ["2012-01-01", "2012-01-02"] * 20, "precipitation": [0.0, 10.9] * 20,
                                 "temp_max": [12.8, 10.6] * 20, "weather": ["drizzle", "rain"] * 20})
                   .to_csv(index=False).encode(), name="seattle-weather.csv")


def test_fitting_data_or_no_data_shows_nothing():
    assert mismatch(PENGUIN_DESIGN, PENGUINS) is None
    assert mismatch(PENGUIN_DESIGN, None) is None
    tensor = load_builtin("seed-multi-regression", rows=20)
    assert mismatch(template("seed-multi-regression"), tensor) is None


def test_a_new_csv_without_apply_names_the_missing_column_and_says_apply_roles():
    found = mismatch(PENGUIN_DESIGN, WEATHER)
    assert found.action == APPLY_ROLES
    assert "column 'island'" in found.problem and "'seattle-weather' does not have" in found.problem
    assert "Apply roles on the Data page" in str(found)


def test_a_head_whose_target_is_gone_is_named():
    design = suggest_design(WEATHER, ["weather"], inputs=["precipitation"])
    narrower = read_csv(b"precipitation,temp_max\n1,2\n3,4\n", name="two.csv")
    assert "head 'weather' predicts column 'weather'" in mismatch(design, narrower).problem


def test_a_template_picked_after_the_table_loads_asks_for_the_templates_data():
    design = template("seed-image-class-reg")
    assert matching_template(design) == "seed-image-class-reg"
    later = mismatch(design, PENGUINS, design_is_newer=True)
    assert later.action == LOAD_TEMPLATE_DATA and later.template == "seed-image-class-reg"
    assert "arrays of shape (32, 32, 3)" in later.problem and "is a table" in later.problem
    assert mismatch(design, PENGUINS, design_is_newer=False).action == APPLY_ROLES   # the table came last


def test_template_data_with_a_table_design_offers_the_datas_own_design():
    data = load_builtin("seed-multi-regression", rows=20)
    found = mismatch(PENGUIN_DESIGN, data)
    assert found.action == USE_DATA_DESIGN and found.template == "seed-multi-regression"
    assert "holds arrays of shape (10,)" in found.problem
    other = mismatch(template("seed-sequence-two-heads"), data, design_is_newer=True)
    assert other.action == LOAD_TEMPLATE_DATA and other.template == "seed-sequence-two-heads"
