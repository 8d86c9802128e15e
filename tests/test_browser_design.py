"""The designer in a real browser: data, suggested design, a new trunk layer, and a refresh that keeps it.

Drives Debian's Chromium through Playwright against ``streamlit run app.py``
(fixtures in browser_support.py; skipped with the reason where Chromium is
missing).  Saves screenshots of the Data and Design pages into docs/screenshots/ for the README;
test_browser_train.py saves the Train, Results and Export pages after a real run.
"""

from urllib.parse import parse_qs, urlparse

from browser_support import ROOT, app_url, browser, goto, page, wait_idle  # noqa: F401  (fixtures)

SHOTS = ROOT / "docs" / "screenshots"
CSV = "height,weight,colour,score\n1.5,60,red,3\n1.7,70,blue,4\n1.8,80,red,5\n1.6,65,green,3\n1.9,90,blue,6\n"


def diagram_nodes(page) -> int:
    """Boxes on the Design page's canvas (a custom component; Playwright's locators pierce its shadow root)."""
    page.locator(".cv-node").first.wait_for()
    return page.locator(".cv-node").count()


def shot(page, name: str) -> None:
    """Save the page; the app scrolls inside its own container, so a tall window shows all of it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    wait_idle(page)


def design_link(page) -> str:
    return parse_qs(urlparse(page.url).query)["d"][0]


def test_penguins_to_a_design_that_survives_a_refresh(page, app_url, tmp_path):  # noqa: F811
    goto(page, app_url)

    # A real upload through the browser's file chooser.
    csv = tmp_path / "people.csv"
    csv.write_text(CSV)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    page.get_by_text("Read people.csv.").wait_for()
    wait_idle(page)

    # Pick penguins, look at its profile, apply the suggested design.
    page.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name="penguins", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Loaded penguins.").wait_for()
    wait_idle(page)
    page.get_by_text("why this kind").wait_for()          # the column profile with its reasons
    page.get_by_role("button", name="Apply roles to the design").click()
    page.get_by_text("Applied: 3 head(s)").wait_for()
    wait_idle(page)
    shot(page, "data")

    # The design page draws input, 2 trunk layers, 3 outputs; adding a Dense adds a node.
    open_page(page, "Design")
    before = diagram_nodes(page)
    assert before == 1 + 2 + 3
    page.get_by_role("button", name="Insert a layer in the trunk at position 3").click()
    page.get_by_role("searchbox", name="Search layer types").fill("Dense")
    page.locator('.cv-item[data-type="Dense"]').click()
    page.locator('.cv-node[data-key="trunk/dense_3"]').wait_for()
    wait_idle(page)
    assert diagram_nodes(page) == before + 1
    link = design_link(page)
    shot(page, "design")

    # A refresh (a new session) restores the same design from the URL.
    page.reload()
    wait_idle(page)
    assert diagram_nodes(page) == before + 1
    assert page.locator('.cv-node[data-key="trunk/dense_3"]').count() == 1
    assert design_link(page) == link
    assert page.get_by_test_id("stSidebar").get_by_text("penguins (344 rows)").count() == 1
    assert page.get_by_test_id("stException").count() == 0

    for title in ("Train", "Results", "Export"):     # their screenshots come from the training test
        open_page(page, title)
        assert page.get_by_test_id("stException").count() == 0
