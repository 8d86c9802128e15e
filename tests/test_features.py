"""Issue 12 in builder/: dates, free text, IDs, pixel columns and time-series windows (no TensorFlow here)."""

import numpy as np
import pandas as pd
import pytest

from builder.data import read_csv, suggest_design
from builder.data.dates import date_parts, expand_dates, script_code
from builder.data.pixels import detect_pixels, image_shape, sample_grid
from builder.data.windows import time_order, window_ends
from builder.design.inputs import WindowInput
from builder.design.spec import from_url, parse_design, to_url
from builder.errors import DataError
from feature_files import digits_frame, notes_frame, weather_frame


def dataset(frame, name="data.csv"):
    return read_csv(frame.to_csv(index=False).encode(), name=name)


def test_dates_expand_to_parts_and_cycles_with_missing_as_nan():
    series = pd.Series(["2024-03-01", None, "2024-12-31"])
    parts = date_parts(series)
    assert parts[:5] == ["year", "month", "day", "weekday", "yearday"] and "hour" not in parts
    values = expand_dates(series, parts)
    assert values.shape == (3, 11) and values.dtype == np.float32
    assert values[0, :3].tolist() == [2024, 3, 1] and np.isnan(values[1]).all()
    month_sin, month_cos = values[0, parts.index("month_sin")], values[0, parts.index("month_cos")]
    assert month_sin ** 2 + month_cos ** 2 == pytest.approx(1.0, abs=1e-6)
    assert "hour" in date_parts(pd.Series(["2024-03-01 13:30", "2024-03-02 08:00"]))


def test_exported_date_code_gives_the_same_numbers():
    namespace = {"np": np, "pd": pd}
    exec(compile(script_code(), "script", "exec"), namespace)     # our own generated code, no user input
    series = pd.Series(["2021-07-04 10:00", "junk"])
    parts = date_parts(series)
    np.testing.assert_array_equal(namespace["expand_dates"](series, parts), expand_dates(series, parts))


def test_profile_tells_text_from_ids_counters_and_categories():
    frame = notes_frame(200)
    frame["code"] = [f"A{i:04d}" for i in range(200)]
    profile = {p.name: p for p in dataset(frame).profile}
    assert (profile["Sample Number"].kind, profile["Sample Number"].role) == ("id", "ignore")
    assert (profile["code"].kind, profile["code"].role) == ("id", "ignore")
    assert (profile["Comments"].kind, profile["Comments"].role) == ("text", "input")
    assert "words per value" in profile["Comments"].reason
    assert (profile["Date Egg"].kind, profile["Date Egg"].role) == ("datetime", "input")
    assert profile["status"].kind == "binary"


def test_counter_with_a_constant_step_is_an_id_and_mostly_missing_text_is_left_out():
    frame = notes_frame(100)
    frame["Sample Number"] = np.arange(100) * 5 + 10
    frame.loc[10:, "Comments"] = None
    profile = {p.name: p for p in dataset(frame).profile}
    assert profile["Sample Number"].kind == "id"
    assert profile["Comments"].role == "ignore" and "90 of 100 values are missing" in profile["Comments"].reason


def test_text_column_with_no_words_is_one_clear_message():
    frame = notes_frame(60)
    frame["Comments"] = [f"{i} - {i * 7} ..." for i in range(60)]
    data = dataset(frame)
    data.column("Comments").kind = "text"
    with pytest.raises(DataError, match="text column 'Comments' has no words"):
        suggest_design(data, ["status"], inputs=["Comments", "measure"])


def test_design_with_dates_and_text_round_trips_json_and_url():
    design = suggest_design(dataset(notes_frame(120)), ["status", "score"], features={"max_tokens": 64,
                                                                                   "text_mode": "tf_idf"})
    comments = next(c for c in design.input.columns if c.kind == "text")
    assert (comments.max_tokens, comments.output_mode, comments.width) == (64, "tf_idf", 64)
    assert parse_design(design.to_json()) == design and from_url(to_url(design)) == design


def test_pixel_columns_are_found_and_shaped():
    assert image_shape(784) == (28, 28, 1) and image_shape(3 * 32 * 32) == (32, 32, 3) and image_shape(780) is None
    layout = detect_pixels(["label", *[f"p_{i}" for i in range(1, 785)]])
    assert (layout.prefix, layout.start, layout.shape) == ("p_", 1, (28, 28, 1))
    assert detect_pixels(["x1", "x2", "price"]) is None


def test_pixel_count_that_is_not_a_square_says_so():
    frame = digits_frame(30).drop(columns=[f"pixel{i}" for i in range(780, 784)])
    with pytest.raises(DataError, match="780 pixel columns .* are not a square number"):
        suggest_design(dataset(frame), ["label"])


def test_pixel_values_outside_0_255_name_the_place():
    frame = digits_frame(30)
    frame.loc[4, "pixel17"] = 300
    with pytest.raises(DataError, match=r"1 pixel value\(s\) .*first: 300 in column 'pixel17', row 5"):
        suggest_design(dataset(frame), ["label"])


def test_sample_grid_gives_images_with_their_labels():
    grid = sample_grid(dataset(digits_frame(20)), "label")
    assert len(grid) == 16 and grid[0][0].shape == (28, 28) and grid[0][0].dtype == np.uint8
    assert grid[0][1] == str(digits_frame(20)["label"][0])


def test_image_design_round_trips_and_keeps_pixel_columns_out_of_the_heads():
    design = suggest_design(dataset(digits_frame(40)), ["label", "thickness"], kinds={"label": "multiclass"})
    assert design.input.kind == "image" and design.input.columns[-1] == "pixel783"
    assert parse_design(design.to_json()) == design and from_url(to_url(design)) == design
    plain = suggest_design(dataset(digits_frame(40)), ["label"], features={"image": False})
    assert plain.input.kind == "table"


def test_windows_split_by_time_without_overlap():
    spec = WindowInput(columns=["a"], window=10, horizon=3, stride=2)
    train, val, test = window_ends(200, spec, 0.15, 0.15)
    assert train[0] == 9 and train[-1] + 3 < 140 and val[0] - 9 >= 140 and val[-1] + 3 < 170 and test[0] - 9 >= 170
    assert np.all(np.diff(train) == 2)


def test_window_prepare_is_a_view_of_one_table():
    from builder.data import prepare
    data = dataset(weather_frame(300))
    design = suggest_design(data, ["weather", "temp"], features={"window": {"window": 20, "horizon": 2}})
    prepared = prepare(design, data)
    train = prepared.train
    assert train.x.shape == (train.n, 20, 3) and np.shares_memory(train.x, train.values)
    end = train.ends[5]
    np.testing.assert_array_equal(train.x[5], train.values[end - 19:end + 1])
    temp = data.frame["temp"].to_numpy(np.float32)
    assert train.y["temp"][5, 0] == temp[end + 2]


@pytest.mark.parametrize("change, words", [
    (lambda f: f.drop(index=[50, 51, 52, 120]), "has 2 gap(s) (4 missing time step(s) in all)"),
    (lambda f: pd.concat([f, f.iloc[[7, 9]]]), "has 2 duplicate time(s): 2021-01-08 (row"),
])
def test_gaps_and_duplicates_in_the_time_column_say_how_many_and_where(change, words):
    frame = change(weather_frame(200)).reset_index(drop=True)
    with pytest.raises(DataError) as caught:
        time_order(frame, "date")
    assert words in str(caught.value)


def test_window_too_long_or_horizon_too_far_is_one_clear_message():
    data = dataset(weather_frame(100))
    with pytest.raises(DataError, match="window of 150 rows is longer than the series"):
        suggest_design(data, ["temp"], features={"window": {"window": 150}})
    with pytest.raises(DataError, match="horizon of 95 step"):
        suggest_design(data, ["temp"], features={"window": {"window": 10, "horizon": 95}})
