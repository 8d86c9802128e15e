"""The Data page's issue-12 controls through AppTest: a pixel CSV's sample grid, time-series windows, text."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from feature_files import digits_frame, notes_frame, weather_frame

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def no_training_worker(monkeypatch):
    monkeypatch.setenv("BUILDER_WARM_TRAINING", "0")


def upload(frame, name):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader(key="data.upload").set_value((name, frame.to_csv(index=False).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    return at


def test_pixel_csv_shows_images_instead_of_784_role_rows_and_applies_an_image_design():
    at = upload(digits_frame(60), "digits.csv")
    assert any("images of 28 x 28 x 1" in m.value for m in at.markdown)
    assert len(at.get("image")) == 1                               # the sample grid
    assert "role.pixel400" not in [s.key for s in at.selectbox]
    at.selectbox(key="role.label").set_value("target").run()
    at.selectbox(key="kind.label").set_value("multiclass").run()
    at.button(key="data.apply").click().run()
    design = at.session_state["design"]
    assert not at.exception and not at.error
    assert design.input.kind == "image" and design.trunk[0].type == "Conv2D"


def test_series_windows_set_w_and_h_then_apply():
    at = upload(weather_frame(200), "weather.csv")
    at.selectbox(key="role.temp").set_value("target").run()
    at.checkbox(key="data.window").check().run()
    at.number_input(key="data.window_rows").set_value(10).run()
    at.number_input(key="data.horizon").set_value(2).run()
    assert at.selectbox(key="data.time_column").value == "date"
    at.button(key="data.apply").click().run()
    assert not at.exception and not at.error
    design = at.session_state["design"]
    assert (design.input.kind, design.input.window, design.input.horizon) == ("window", 10, 2)


def test_window_longer_than_the_series_is_one_message_and_the_design_stays():
    at = upload(weather_frame(50), "weather.csv")
    before = at.session_state["design"]
    at.selectbox(key="role.temp").set_value("target").run()
    at.checkbox(key="data.window").check().run()
    at.number_input(key="data.window_rows").set_value(80).run()
    at.button(key="data.apply").click().run()
    assert [e.value for e in at.error] == [
        "the window of 80 rows is longer than the series (50 rows). Choose a window of at most 25 rows."]
    assert at.session_state["design"] == before


def test_text_vocabulary_size_goes_into_the_design():
    at = upload(notes_frame(80), "notes.csv")
    at.selectbox(key="role.status").set_value("target").run()
    at.number_input(key="data.tokens").set_value(40).run()
    at.button(key="data.apply").click().run()
    columns = {c.name: c for c in at.session_state["design"].input.columns}
    assert columns["Comments"].max_tokens == 40 and columns["Date Egg"].kind == "date"
