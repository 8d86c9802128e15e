"""In a real browser (issue 12): upload a pixel CSV, see the sample grid, apply, train two epochs; upload a
daily series, set the window W and horizon H, apply, train two epochs."""

from browser_support import app_url, browser, goto, page, wait_idle  # noqa: F401  (fixtures)
from feature_files import digits_frame, weather_frame, write
from test_browser_train import _click, _open, _set_number, _wait_for_progress

RUN_TIMEOUT_MS = 180_000      # a cold worker imports TensorFlow first


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(f"Read {path.name}.").wait_for(timeout=60_000)
    wait_idle(page)


def _make_target(page, column: str) -> None:
    box = page.locator(f".st-key-role-{column}").get_by_test_id("stSelectbox")
    if "target" in box.inner_text():      # the upload may already suggest it as a target
        return
    box.scroll_into_view_if_needed()
    box.click()
    page.keyboard.type("target")        # the selectbox filters its options as one types
    page.keyboard.press("Enter")
    wait_idle(page)


def _apply_and_train(page) -> None:
    _click(page, "data.apply")
    page.get_by_text("Applied:").wait_for()
    _open(page, "Train")
    _set_number(page, "Epochs", 2)
    _click(page, "train_start")
    _wait_for_progress(page, "finished in", timeout=RUN_TIMEOUT_MS)


def test_pixel_csv_grid_apply_and_train(page, app_url, tmp_path):
    goto(page, app_url)
    _upload(page, write(digits_frame(300), tmp_path / "digits.csv"))
    page.get_by_text("images of 28 x 28 x 1").wait_for()
    images = page.locator("main img")
    images.nth(15).wait_for()                                                  # the sample grid
    assert images.count() == 16
    _make_target(page, "label")
    _make_target(page, "thickness")
    _apply_and_train(page)


def test_series_set_window_and_horizon_apply_and_train(page, app_url, tmp_path):
    goto(page, app_url)
    _upload(page, write(weather_frame(300), tmp_path / "weather.csv"))
    _make_target(page, "weather")
    _make_target(page, "temp")
    page.get_by_text("Rows are time steps").click()
    wait_idle(page)
    _set_number(page, "window W (rows)", 12)
    _set_number(page, "horizon H (steps ahead)", 2)
    _apply_and_train(page)
