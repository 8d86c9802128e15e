"""One truth about state: every page shows the same banner when the data and the design do not fit,
and Train is off with that reason, so no run starts only to fail."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import pages
from builder.data import read_csv
from fake_engine import FakeService

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("pages/data.py", "pages/design.py", "pages/train.py", "pages/results.py", "pages/export.py")
WEATHER = read_csv(b"date,precipitation,temp_max,weather\n2012-01-01,0.0,12.8,drizzle\n2012-01-02,10.9,10.6,rain\n"
                   * 10, name="seattle-weather.csv")


@pytest.fixture(autouse=True)
def service(monkeypatch):
    monkeypatch.setenv("BUILDER_WARM_TRAINING", "0")
    fake = FakeService(per_poll=100)
    monkeypatch.setattr(pages, "training_service", lambda: fake)
    return fake


def banners(at) -> list[str]:
    return [w.value for w in at.warning if "Data page" in w.value]


def train_button(at):
    return next(b for b in at.button if b.key == "train_start")


def test_a_new_csv_without_apply_shows_one_banner_on_every_page_and_train_is_off(service):
    at = AppTest.from_file(APP, default_timeout=30).run()          # penguins with its design: they fit
    assert banners(at) == []
    at.session_state["dataset"] = WEATHER                          # uploaded, Apply not pressed
    at.session_state["dataset_builtin"] = None
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        [banner] = banners(at)
        assert "column 'island'" in banner and "'seattle-weather' does not have" in banner, page
        assert "Apply roles on the Data page" in banner, page
    at.switch_page("pages/train.py").run()
    assert train_button(at).disabled
    assert any("Train is off until the data and the design fit" in c.value for c in at.caption)
    assert service.submitted == []


def test_the_banners_button_does_the_one_action_and_train_comes_back(service):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/design.py").run()
    at.selectbox(key="start.source").set_value("seed-image-class-reg").run()
    at.button(key="start.go").click().run()                        # a template after penguins: load its data
    [banner] = banners(at)
    assert "arrays of shape (32, 32, 3)" in banner and "Load the seed-image-class-reg data" in banner
    at.button(key="fit_fix").click().run()
    assert not at.exception
    assert banners(at) == [] and at.session_state["dataset"].name == "seed-image-class-reg"
    at.switch_page("pages/train.py").run()
    assert not train_button(at).disabled
