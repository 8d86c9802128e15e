"""In a real browser: a workspace survives a refresh and a server restart; a refresh mid-run reattaches and
Stop still works; a CSV uploaded without Apply shows the banner and turns Train off."""

from urllib.parse import parse_qs, urlparse

import pytest

from browser_support import browser, free_port, page, start_server, stop_server, wait_healthy, wait_idle  # noqa: F401
from builder.data.builtin import PENGUINS_CSV

RUN_TIMEOUT_MS = 180_000           # a cold worker imports TensorFlow first


@pytest.fixture
def server(tmp_path):
    """A server on a fixed port and data folder, restartable: ``server.restart()``."""
    class Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"BUILDER_DATA_DIR": str(tmp_path / "workspaces")}

        def start(self):
            self.process = start_server(self.port, extra_env=self.env)
            wait_healthy(self.url, self.process)

        def restart(self):
            stop_server(self.process)
            self.start()

    running = Server()
    running.start()
    try:
        yield running
    finally:
        stop_server(running.process)


def _click(page, key: str) -> None:
    page.locator(f".st-key-{key.replace('.', '-')} button").first.click()
    wait_idle(page)


def _open(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    wait_idle(page)


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text(f"Read {path.name}.").wait_for()
    wait_idle(page)


def _progress(page, words: str, timeout: int = RUN_TIMEOUT_MS) -> None:
    page.locator('[data-testid="stProgress"]', has_text=words).wait_for(timeout=timeout)


def _sidebar(page) -> str:
    return page.get_by_test_id("stSidebar").inner_text()


def _facts(page) -> list[str]:
    """The sidebar's dataset and design lines."""
    return [line for line in _sidebar(page).splitlines() if line.startswith(("Dataset:", "Design:"))]


def _everything_is_back(page, url: str, facts: list[str], design: str) -> None:
    """The upload, the design, the run and its curves, on the Results page of the same link."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    assert _facts(page) == facts
    _open(page, "Results")
    page.get_by_text("Each head on the test split").wait_for()        # the run's test metrics
    page.locator(".legendtext", has_text=f"run 1 · birds · {design}").first.wait_for()
    legend = page.locator('[data-testid="stPlotlyChart"] .legendtext').all_text_contents()
    assert f"run 1 · birds · {design}: species validation" in legend, legend


def test_the_workspace_survives_refresh_and_restart_and_a_refresh_mid_run_can_stop(page, server, tmp_path):
    birds = tmp_path / "birds.csv"
    birds.write_bytes(PENGUINS_CSV.read_bytes())
    page.goto(server.url)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    _upload(page, birds)
    role = page.locator(".st-key-role-species")
    role.scroll_into_view_if_needed()                  # rows below the fold are drawn when scrolled to
    role.locator('[data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="target", exact=True).click()
    wait_idle(page)
    _click(page, "data.apply")
    page.get_by_text("Applied: 1 head(s) (species)").wait_for()

    _open(page, "Train")
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("2")
    epochs.press("Enter")
    wait_idle(page)
    _click(page, "train_start")
    _progress(page, "finished in")
    wait_idle(page)
    link = page.url
    assert len(parse_qs(urlparse(link).query)["w"][0]) >= 22       # an unguessable workspace id
    facts = _facts(page)
    assert "Dataset: birds (344 rows)" in facts, facts
    design = facts[1].split("Design: ", 1)[1].split(" — ")[0]

    page.reload()                                                    # a refresh: all back
    _everything_is_back(page, link, facts, design)
    server.restart()                                                 # a restarted server: all back
    _everything_is_back(page, link, facts, design)

    # A refresh mid-run finds the run again, and Stop reaches it.
    _open(page, "Train")
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("400")
    epochs.press("Enter")
    wait_idle(page)
    _click(page, "train_start")
    _progress(page, "step")
    page.reload()
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    _progress(page, "step", timeout=30_000)
    assert "epoch" in _sidebar(page)
    _click(page, "train_stop")
    _progress(page, "stopped", timeout=30_000)

    # Another CSV uploaded without Apply: one banner, and Train is off.
    weather = tmp_path / "weather.csv"
    weather.write_text("date,precipitation,temp_max,weather\n" + "2012-01-01,0.0,12.8,drizzle\n" * 30)
    _open(page, "Data")
    _upload(page, weather)
    banner = page.get_by_text("which 'weather' does not have")
    banner.first.wait_for()
    alert = page.get_by_test_id("stAlert").filter(has_text="does not have")
    assert "Apply roles on the Data page" in alert.inner_text()
    _open(page, "Train")
    assert page.get_by_test_id("stAlert").filter(has_text="which 'weather' does not have").count() == 1
    wait_idle(page)
    assert page.locator(".st-key-train_start button").first.is_disabled()


def test_a_huge_broken_link_gets_the_apps_message_not_http_400(page, server):
    import http.client

    page.goto(server.url)                      # any first page view sets the server's request limits
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    garbage = "A" * 300_000
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", f"/?d={garbage}")
    assert connection.getresponse().status == 200
    # A new browser context: the first view's keep-alive connections were opened before the limit was raised.
    page = page.context.browser.new_context().new_page()
    page.goto(f"{server.url}/?d={garbage}")
    page.get_by_text("the design in this link is damaged or truncated").wait_for()
    wait_idle(page)
    assert len(parse_qs(urlparse(page.url).query)["d"][0]) <= 8000     # the URL now holds a design that works
