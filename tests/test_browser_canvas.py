"""In a real browser: build a two-head model only by acting on the canvas, check the design after every
action, train it, and check that no text on the Design page is cut off at 1024 and 1440 px.

Drives Debian's Chromium through Playwright against ``streamlit run app.py`` (fixtures in
browser_support.py).  The design is read back from the page's URL after each action (the ``d``
parameter is the design JSON, compressed), exactly what a refresh or a shared link would restore.
Saves docs/screenshots/design_1024.png and design_1440.png.
"""

from urllib.parse import parse_qs, urlparse

from browser_support import ROOT, app_url, browser, goto, page, wait_idle  # noqa: F401  (fixtures)

from builder.design.spec import from_url, parse_design, to_url

SHOTS = ROOT / "docs" / "screenshots"
RUN_TIMEOUT_MS = 120_000      # a cold worker imports TensorFlow first

# Every button, label and node caption whose text does not fit its box; the canvas lives in a shadow root.
TRUNCATED_JS = """() => {
  const roots = [document];
  document.querySelectorAll('*').forEach((e) => { if (e.shadowRoot) roots.push(e.shadowRoot); });
  const selector = 'button, label, [data-testid="stWidgetLabel"] p, .cv-title, .cv-line, .cv-item, .cv-hint';
  const cut = [];
  for (const root of roots) for (const e of root.querySelectorAll(selector)) {
    if (e.closest('[data-testid="stSidebarNav"]') || e.offsetParent === null) continue;
    if (e.scrollWidth > e.clientWidth) cut.push(`${e.tagName} "${e.textContent.trim().slice(0, 40)}" ${e.scrollWidth}>${e.clientWidth}`);
  }
  return cut;
}"""


def design(page):
    return from_url(parse_qs(urlparse(page.url).query)["d"][0])


def trunk(page) -> list[str]:
    return [layer.id for layer in design(page).trunk]


def until(page, check, what: str, timeout_s: float = 15.0):
    """Wait for the app to finish the run an action started and for the URL's design to pass ``check``."""
    wait_idle(page)
    deadline = 0.0
    while not check(design(page)):
        page.wait_for_timeout(100)
        deadline += 0.1
        assert deadline < timeout_s, f"{what}: the design is {design(page).to_json(indent=None)}"
    return design(page)


def node(page, key: str):
    return page.locator(f'.cv-node[data-key="{key}"]')


def insert(page, chain: str, index: int, type_name: str) -> None:
    page.locator(f'.cv-plus[data-chain="{chain}"][data-index="{index}"]').click()
    page.get_by_role("searchbox", name="Search layer types").fill(type_name)
    page.locator(f'.cv-item[data-type="{type_name}"]').click()


def drag(page, source, target, dy: float = 0.0) -> None:
    """Press on ``source``, move in steps, release over ``target`` (dy: pixels below its centre)."""
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2 + dy, steps=12)
    page.mouse.up()


def truncated(page, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(400)          # let the columns and the canvas re-flow
    return page.evaluate(TRUNCATED_JS)


def test_build_two_heads_on_the_canvas_then_train(page, app_url):  # noqa: F811
    goto(page, app_url)
    page.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name="seed-multi-regression", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-data-load button").click()
    wait_idle(page)

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Design").click()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Start from").click()
    page.get_by_role("option", name="scratch", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-start-go button").click()
    until(page, lambda d: d.name == "my_model" and not d.trunk, "start from scratch")

    # Three layers, each inserted with a "+" on the canvas and the palette.
    insert(page, "trunk", 0, "Dense")
    until(page, lambda d: [x.id for x in d.trunk] == ["dense_1"], "insert Dense")
    insert(page, "trunk", 1, "Dropout")
    until(page, lambda d: [x.id for x in d.trunk] == ["dense_1", "dropout_1"], "insert Dropout")
    insert(page, "trunk", 2, "Dense")
    d = until(page, lambda d: [x.id for x in d.trunk] == ["dense_1", "dropout_1", "dense_2"], "insert Dense")
    assert [x.type for x in d.trunk] == ["Dense", "Dropout", "Dense"]

    # A Conv2D cannot read a 10-number vector: the palette says so and nothing changes.
    page.locator('.cv-plus[data-chain="trunk"][data-index="3"]').click()
    page.get_by_role("searchbox", name="Search layer types").fill("Conv2D")
    conv = page.locator('.cv-item[data-type="Conv2D"]')
    assert conv.get_attribute("aria-disabled") == "true" and "cannot go here: Conv2D needs" in conv.inner_text()
    conv.click(force=True)              # a pointer still can: it is told why, and nothing is inserted
    page.get_by_role("alert").filter(has_text="Conv2D cannot go here").wait_for()
    page.get_by_role("button", name="Close the palette").click()
    assert trunk(page) == ["dense_1", "dropout_1", "dense_2"]

    # A branch at the second trunk layer, then its attachment dragged onto the first.
    page.get_by_role("button", name="Add a head branching from dropout_1").click()
    d = until(page, lambda d: len(d.heads) == 2, "add a branch")
    assert (d.heads[1].name, d.heads[1].branch_from) == ("output2", "dropout_1")
    drag(page, page.locator('.cv-attach[data-head="output2"]'), node(page, "trunk/dense_1"))
    until(page, lambda d: d.head("output2").branch_from == "dense_1", "re-branch to dense_1")

    # Reorder: dense_2 dragged above dense_1.
    drag(page, node(page, "trunk/dense_2"), node(page, "trunk/dense_1"), dy=-20)
    until(page, lambda d: [x.id for x in d.trunk] == ["dense_2", "dense_1", "dropout_1"], "reorder")

    # Delete with the keyboard, then undo and redo with Ctrl+Z and Ctrl+Shift+Z.
    node(page, "trunk/dropout_1").click()
    wait_idle(page)
    page.locator(".cv").press("Delete")
    until(page, lambda d: [x.id for x in d.trunk] == ["dense_2", "dense_1"], "delete")
    page.locator(".cv").press("Control+z")
    until(page, lambda d: [x.id for x in d.trunk] == ["dense_2", "dense_1", "dropout_1"], "undo")
    page.locator(".cv").press("Control+Shift+z")
    d = until(page, lambda d: [x.id for x in d.trunk] == ["dense_2", "dense_1"], "redo")
    assert [(h.name, h.branch_from) for h in d.heads] == [("output1", None), ("output2", "dense_1")]
    assert page.get_by_test_id("stException").count() == 0

    # The keyboard: an arrow moves the selection, Enter goes to the inspector's first field.
    node(page, "trunk/dense_1").click()
    wait_idle(page)
    page.locator(".cv").press("ArrowUp")
    page.locator('.cv-node.sel[data-key="trunk/dense_2"]').wait_for()
    wait_idle(page)
    page.locator(".st-key-inspector").get_by_text("dense_2").first.wait_for()
    page.locator(".cv").press("Enter")
    assert page.evaluate("() => !!document.activeElement.closest('.st-key-inspector')")

    # Nothing cut off at either width, sidebar open; the screenshots for the README.
    node(page, "trunk/dense_1").click()
    wait_idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1024, 1440):
        assert truncated(page, width) == [], f"cut-off text at {width} px, a layer selected"
        page.screenshot(path=str(SHOTS / f"design_{width}.png"))
    node(page, "output2/@out").click()                  # a head in the inspector: its loss, metrics...
    wait_idle(page)
    page.locator(".st-key-inspector").get_by_text("Branches from").wait_for()
    page.locator('.cv-plus[data-chain="output2"][data-index="0"]').click()      # ...and the palette open
    for width in (1024, 1440):
        assert truncated(page, width) == [], f"cut-off text at {width} px, a head selected, the palette open"
    page.get_by_role("button", name="Close the palette").click()

    # Train what was built.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    wait_idle(page)
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("2")
    epochs.press("Enter")
    wait_idle(page)
    page.locator(".st-key-train_start button").click()
    page.locator('[data-testid="stProgress"]', has_text="finished in").wait_for(timeout=RUN_TIMEOUT_MS)
    wait_idle(page)
    legend = page.locator('[data-testid="stPlotlyChart"]').first.locator(".legendtext").all_text_contents()
    assert "output1 train" in legend and "output2 train" in legend, legend


INSIDE_VIEW_JS = """(nodes) => {
  const view = nodes[0].closest('.cv-view').getBoundingClientRect();
  return nodes.filter((n) => {
    const r = n.getBoundingClientRect();
    return r.left < view.left - 1 || r.right > view.right + 1 || r.top < view.top - 1 || r.bottom > view.bottom + 1;
  }).length;
}"""


def test_sixty_layers_and_six_heads_fit_pan_and_zoom(page, app_url):  # noqa: F811
    trunk = [{"type": "Dense", "id": f"d{i}", "units": 16, "activation": "relu"} for i in range(60)]
    heads = [{"name": f"h{j}", "branch_from": f"d{10 * j + 9}", "layers": [{"type": "Dense", "id": f"h{j}_d", "units": 4}]}
             for j in range(6)]
    link = to_url(parse_design({"input": {"shape": [8]}, "trunk": trunk, "heads": heads}))
    goto(page, app_url, "design", f"d={link}")
    nodes = page.locator(".cv-node")
    nodes.first.wait_for()
    assert nodes.count() == 1 + 60 + 6 * 2
    assert nodes.evaluate_all(INSIDE_VIEW_JS) > 0                # readable size: not all of it at once
    page.get_by_role("button", name="Fit the whole model in view").click()
    assert nodes.evaluate_all(INSIDE_VIEW_JS) == 0               # Fit shows every box
    fitted = node(page, "trunk/d0").bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    assert node(page, "trunk/d0").bounding_box()["width"] > fitted * 1.2
    before = node(page, "trunk/d0").bounding_box()
    view = page.locator(".cv-view").bounding_box()
    page.mouse.move(view["x"] + view["width"] - 10, view["y"] + 30)     # pan: drag the empty background
    page.mouse.down()
    page.mouse.move(view["x"] + view["width"] - 110, view["y"] + 130, steps=5)
    page.mouse.up()
    after = node(page, "trunk/d0").bounding_box()
    assert (round(after["x"] - before["x"]), round(after["y"] - before["y"])) == (-100, 100)
