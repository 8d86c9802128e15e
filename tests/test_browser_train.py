"""In a real browser: penguins -> suggested design -> train 3 epochs -> a curve pair per head -> stop a run
-> download the generated script and the data, and run the script."""

import subprocess
import sys

from browser_support import app_url, browser, goto, page, wait_idle  # noqa: F401  (fixtures)
from test_browser_design import shot

HEADS = ("species", "sex", "body_mass_g")     # the penguins dataset's suggested targets
RUN_TIMEOUT_MS = 120_000                      # a cold worker imports TensorFlow first


def _click(page, key: str) -> None:
    """Click the button with this widget key (Streamlit marks its container with class st-key-<key>)."""
    page.locator(f".st-key-{key.replace('.', '-')} button").first.click()
    wait_idle(page)


def _open(page, title: str) -> None:
    """Follow the sidebar link, so the session (dataset, design, runs) is kept."""
    page.get_by_role("link", name=title).click()
    wait_idle(page)


def _set_number(page, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_idle(page)


def _progress_text(page) -> str:
    return page.locator('[data-testid="stProgress"]').inner_text()


def _wait_for_progress(page, words: str, timeout: int = RUN_TIMEOUT_MS) -> None:
    page.locator('[data-testid="stProgress"]', has_text=words).wait_for(timeout=timeout)


def _legend(page) -> list[str]:
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".legendtext").first.wait_for()
    return chart.locator(".legendtext").all_text_contents()


def test_train_penguins_watch_curves_stop_and_run_the_exported_script(page, app_url, tmp_path):
    goto(page, app_url)          # the root is the Data page
    _click(page, "data.load")
    _click(page, "data.apply")
    wait_idle(page)

    _open(page, "Train")
    _set_number(page, "Epochs", 3)
    _click(page, "train_start")
    _wait_for_progress(page, "finished in")
    wait_idle(page)
    legend = _legend(page)
    for head in HEADS:
        assert f"{head} train" in legend and f"{head} validation" in legend, legend
    assert "total (weighted) train" in legend
    shot(page, "train")
    _open(page, "Results")
    page.get_by_text("Each head on the test split").first.wait_for()
    shot(page, "results")
    _open(page, "Train")

    # A long run, stopped part-way: it keeps what it trained
    _set_number(page, "Epochs", 500)
    _click(page, "train_start")
    _wait_for_progress(page, "step")
    _click(page, "train_stop")
    _wait_for_progress(page, "stopped", timeout=30_000)
    assert "epoch" in _progress_text(page)

    _open(page, "Export")
    shot(page, "export")
    script = _download(page, "download_script", tmp_path)
    data = _download(page, "download_data", tmp_path)
    assert data.name == "penguins.csv"
    done = subprocess.run([sys.executable, script.name, "--data", data.name, "--epochs", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "model.keras").exists() and (tmp_path / "history.csv").exists()


def _download(page, key: str, folder):
    with page.expect_download() as info:
        page.locator(f".st-key-{key} button").click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target
