"""Browser fixtures for tests that drive the real app: a live server and a Chromium page.

Usage, in any test module under tests/ (pytest puts this folder on sys.path)::

    from browser_support import app_url, browser, page, wait_idle, goto  # noqa: F401  (fixtures)

    def test_something(page, app_url):
        goto(page, app_url, "design")          # opens http://127.0.0.1:<port>/design, waits for the run
        page.get_by_role("button", name="Add head").click()
        wait_idle(page)

Fixtures:
    ``app_url`` (module scope): starts ``streamlit run app.py --server.headless true
    --server.address 127.0.0.1 --server.port <free port>`` from the repository root, waits for
    its health check, yields ``"http://127.0.0.1:<port>"`` and stops the server afterwards.
    ``browser`` (module scope): Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``)
    through Playwright; browsers are never downloaded.
    ``page`` (function scope): a fresh 1400x1000 page (new context, so no shared state).

Where Chromium or Playwright is missing, tests using these fixtures are skipped
with a visible reason (``pytest -rs`` lists it); they never pass silently.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
]
SERVER_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str | None:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return path if path and os.access(path, os.X_OK) else None


def start_server(port: int, app: str = "app.py", extra_env: dict | None = None) -> subprocess.Popen:
    """Start ``streamlit run`` in the repository root; returns the process (caller stops it)."""
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = SERVER_START_TIMEOUT) -> float:
    """Poll the health endpoint; returns seconds waited. Fails with the server's stderr if it died."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"streamlit did not answer {url} within {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server and what it started (training workers): it leads its own process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    process = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright Python package (pip install -r requirements.txt)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def wait_idle(page, start_ms: int = 1_000, timeout_ms: int = 15_000) -> None:
    """Wait until the script run a click started has finished.

    The app root carries the script state (as in Streamlit's own end-to-end
    tests).  A run starts a moment after the click, so first wait for it to
    start (a fast run may already be over: then the wait ends after
    ``start_ms``), then for a connected app that is not running.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]',
                               timeout=start_ms, state="attached")
    except PlaywrightTimeout:
        pass
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]'
                           '[data-test-connection-state="CONNECTED"]', timeout=timeout_ms, state="attached")


def goto(page, app_url: str, path: str = "", query: str = "") -> None:
    """Open a page of the app (``path`` is a st.Page url_path) and wait for its first run."""
    page.goto(f"{app_url}/{path}{'?' + query if query else ''}")
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
