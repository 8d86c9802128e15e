"""Pure parts of the multi-task tools (issue 13): verdicts, cost, the meter's sentence and advice, class weights."""

import numpy as np

from builder.design.spec import parse_design
from builder.design.templates import template
from builder.report import comparison
from builder.report.comparison import Spread, verdict
from builder.session import multitask
from builder.session.runs import LiveRun
from builder.train import class_weights, interference

DESIGN = parse_design({
    "name": "two", "input": {"shape": [4]},
    "trunk": [{"type": "Dense", "id": "first", "units": 8}, {"type": "Dense", "id": "second", "units": 4}],
    "heads": [{"name": "price"}, {"name": "kind", "kind": "binary", "loss": "binary_crossentropy",
                                  "output": {"units": 1, "activation": "sigmoid"}}],
})


def test_a_verdict_names_a_winner_only_when_the_ranges_do_not_overlap():
    assert verdict("MAE", Spread([2.316, 2.40, 2.25]), Spread([2.327, 2.29, 2.41])) == "no clear difference"
    assert verdict("MAE", Spread([1.0, 1.1, 0.9]), Spread([2.0, 2.1, 1.9])) == "sharing helps"
    assert verdict("accuracy", Spread([0.6, 0.62, 0.61]), Spread([0.9, 0.91, 0.92])) == "single-task better"
    assert verdict("MAE", Spread([2.316]), Spread([2.327])).startswith("no clear difference")


def test_the_cost_is_stated_in_models_seeds_epochs_and_time():
    training = DESIGN.training.model_copy(update={"compare_seeds": 3, "compare_epochs": 50})
    text = comparison.cost(DESIGN, training, seconds_per_epoch=0.5)
    assert text.startswith("3 models (2 heads alone + the shared design) x 3 seeds x 50 epochs = 9 trainings")
    assert "450 epochs in all" in text and "about 4 min" in text
    assert "at the last run's speed" not in comparison.cost(DESIGN, training)


def test_results_are_labelled_with_the_data_set_and_the_design():
    assert comparison.label("penguins", DESIGN) == "data set 'penguins' · design 'two' (2 heads, 2 trunk layers)"


def test_the_meter_reads_in_one_sentence_and_advises_branching_the_weaker_head_earlier():
    text = interference.reading({"price|kind": -0.4}, {"price": 0.8, "kind": 0.2})
    assert text == ("'price' and 'kind' pull the shared layers in opposite directions (cosine -0.40): "
                    "try branching 'kind' earlier.")
    assert "agree" in interference.reading({"price|kind": 0.9}, {"price": 0.5, "kind": 0.5})
    sentence, edited = interference.branch_advice(DESIGN, {"price|kind": -0.4}, {"price": 0.8, "kind": 0.2})
    assert sentence == "Branch 'kind' from trunk layer 'first' instead of 'second': one shared layer less."
    assert edited.head("kind").branch_from == "first" and edited.head("price").branch_from is None
    assert interference.branch_advice(DESIGN, {"price|kind": 0.3}, {}) is None


def test_advice_is_applied_only_on_request_as_one_undo_step():
    from builder import session

    state = {"design": DESIGN}
    live = LiveRun(["price", "kind"], 1, design=DESIGN)
    live.add({"type": "interference", "at": 1.0, "cosine": {"price|kind": -0.7}, "share": {"price": 0.9, "kind": 0.1}})
    sentence, edited = multitask.advice(live, session.current(state))
    assert session.current(state).head("kind").branch_from is None
    multitask.apply_advice(state, edited)
    assert session.current(state).head("kind").branch_from == "first"
    assert session.undo(state) and session.current(state) == DESIGN


def test_the_settings_round_trip_through_json_the_url_and_code():
    from builder.design.spec import from_url, to_url
    from builder.model.codegen import to_python

    edited = multitask.with_settings(DESIGN, {"balancing": "dwa", "interference_every": 25, "compare_seeds": 5},
                                     {"kind": "balanced"})
    assert parse_design(edited.to_json()) == edited and from_url(to_url(edited)) == edited
    assert edited.head("kind").class_weight == "balanced" and edited.training.balancing == "dwa"
    compile(to_python(edited), "model.py", "exec")


def test_balanced_class_weights_touch_only_their_own_head():
    from builder.data import Split

    y = {"price": np.arange(8.0)[:, None], "kind": np.array([0, 0, 0, 0, 0, 0, 1, 1], "float32")[:, None]}
    ones = {k: np.ones(8, "float32") for k in y}
    design = multitask.with_settings(DESIGN, {}, {"kind": "balanced"})

    import dataclasses

    @dataclasses.dataclass
    class Splits:
        train: Split

    weighted = class_weights.apply(design, Splits(Split(np.zeros((8, 4)), y, ones, 8)))
    np.testing.assert_allclose(weighted.train.sample_weight["kind"], [8 / 12] * 6 + [2.0] * 2, rtol=1e-6)
    np.testing.assert_array_equal(weighted.train.sample_weight["price"], ones["price"])
    assert class_weights.apply(template("seed-multi-regression"), Splits(Split(None, {}, {}, 0))).train.n == 0
