"""Under load: eight browser sessions press Train at once on one server, and every page sees its run end.

Marked ``load`` (run it alone with ``pytest -m load tests/test_load_train.py -s``); ``make test`` leaves it
out and ``make load`` runs it.  The server writes one line per ended run (``BUILDER_RUN_LOG``), so the test
compares when each run ended on the server with when its page showed "finished", without the page having
to be reloaded or clicked.  Peak memory of the server with its workers, and of Chromium, is printed.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from browser_support import CHROMIUM_ARGS, chromium_path, free_port, start_server, stop_server, wait_healthy

pytestmark = pytest.mark.load

SESSIONS = int(os.environ.get("LOAD_SESSIONS", 8))
EPOCHS = 3
PAGE_LAG_LIMIT_S = 30.0           # liveness: a page that stops polling never catches up, however long we wait
OVERALL_TIMEOUT_S = 600.0


class PeakMemory:
    """Samples the resident memory of a process tree in the background; ``peak_mb`` is the highest total."""

    def __init__(self, pid: int):
        import psutil

        self._root = psutil.Process(pid)
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.5):
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak_mb = max(self.peak_mb, total / 2**20)
            except psutil.Error:
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=2)


def _ended_runs(log_path) -> dict[str, float]:
    """run id -> wall-clock time the server saw it end."""
    if not log_path.exists():
        return {}
    ends = {}
    for line in log_path.read_text().splitlines():
        entry = json.loads(line)
        ends[entry["run_id"]] = entry["time"]
    return ends


def _open_train_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/train")          # a first visit opens on penguins with its suggested design
    page.locator(".st-key-train_start button").wait_for()
    field = page.get_by_label("Epochs", exact=True)
    field.fill(str(EPOCHS))
    field.press("Enter")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
    return page


def _progress(page) -> str:
    try:
        return page.locator('[data-testid="stProgress"]').first.inner_text(timeout=1000)
    except Exception:          # noqa: BLE001 -- not drawn yet, or mid-redraw: read again next round
        return ""


def test_eight_sessions_press_train_at_once_and_every_page_sees_its_run_end(tmp_path):
    path = chromium_path()
    if path is None:
        pytest.skip("the load test needs Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    log_path = tmp_path / "runs.jsonl"
    port = free_port()
    server = start_server(port, extra_env={"BUILDER_RUN_LOG": str(log_path)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        with PeakMemory(server.pid) as server_memory, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
            with PeakMemory(browser_pid(browser) or server.pid) as browser_memory:
                pages = [_open_train_page(browser, url) for _ in range(SESSIONS)]
                for page in pages:            # as close to "at once" as one driver thread gets
                    page.locator(".st-key-train_start button").click()
                pressed = time.time()
                shown: dict[int, float] = {}
                texts: dict[int, str] = {}
                while len(shown) < SESSIONS and time.time() - pressed < OVERALL_TIMEOUT_S:
                    for i, page in enumerate(pages):
                        if i not in shown:
                            texts[i] = _progress(page)
                            if "finished" in texts[i]:
                                shown[i] = time.time()
                    ends = _ended_runs(log_path)
                    if len(ends) == SESSIONS and time.time() - max(ends.values()) > PAGE_LAG_LIMIT_S + 5:
                        break              # every run ended long ago: a page still waiting is stuck
                    pages[0].wait_for_timeout(250)
                stuck_views = {i: _describe(page) for i, page in enumerate(pages) if i not in shown}
                browser.close()
        ends = _ended_runs(log_path)
        print(f"\nload: {SESSIONS} sessions x {EPOCHS} epochs; runs ended on the server "
              f"{min(ends.values()) - pressed:.1f}..{max(ends.values()) - pressed:.1f} s after the presses"
              if ends else "\nload: no run ended on the server")
        assert len(ends) == SESSIONS and all(v for v in ends.values()), ends
        # Which run is whose page is not visible from outside; order statistics still bound each page:
        # if every page follows its own run within L, the k-th page to show it follows the k-th end within L.
        lags = [seen - end for seen, end in zip(sorted(shown.values()), sorted(ends.values()))]
        print(f"load: pages showed 'finished' {min(shown.values()) - pressed:.1f}..{max(shown.values()) - pressed:.1f} s"
              f" after the presses; lag behind the server (k-th page vs k-th end): "
              f"{', '.join(f'{lag:.1f}' for lag in lags)} s" if shown else "load: no page showed 'finished'")
        print(f"load: peak memory: server + workers {server_memory.peak_mb:,.0f} MB, "
              f"Chromium {browser_memory.peak_mb:,.0f} MB")
        stuck = {i: stuck_views[i] for i in range(SESSIONS) if i not in shown}
        assert not stuck, f"pages that never showed 'finished' (last text): {stuck}"
        assert max(lags) <= PAGE_LAG_LIMIT_S, lags
    finally:
        stop_server(server)


def _describe(page) -> str:
    """What a stuck page shows, for the failure message: its script state and its main text."""
    try:
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state", timeout=2000)
        text = page.locator('[data-testid="stMain"]').inner_text(timeout=2000)
    except Exception as e:     # noqa: BLE001 -- a description for a failure message, never a failure itself
        return f"(unreadable: {e})"
    return f"script {state}; " + " | ".join(line for line in text.splitlines() if line.strip())[-600:]


def browser_pid(browser) -> int | None:
    """Chromium's process id, for the memory sample (Playwright does not expose it directly)."""
    import psutil

    me = psutil.Process()
    for child in me.children(recursive=True):
        try:
            if "chrom" in child.name().lower() and "--type=" not in " ".join(child.cmdline()):
                return child.pid
        except psutil.Error:
            continue
    return None
