"""The URL holds the workspace and a short design; a long design goes by its workspace key; a broken or
over-long link gets the app's own message and the current design stays."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder.design.spec import parse_design, to_url
from builder.design.templates import template
from builder.session import design as session_design
from builder.session import link, persist
from builder.session.workspace import Workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def wide_design(columns: int = 400):
    """A valid design whose compressed text is far past the link limit (400 categorical columns)."""
    data = {"name": "wide", "input": {"kind": "table", "columns": [
        {"name": f"c{i}", "kind": "categorical", "vocabulary": [f"v{i}_{j}_{'x' * (i % 7)}" for j in range(40)]}
        for i in range(columns)]}, "trunk": [{"type": "Dense", "id": "d1", "units": 8}],
        "heads": [{"name": "y", "target": "target", "kind": "regression", "loss": "mse", "metrics": ["mae"]}]}
    return parse_design(data)


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    monkeypatch.setenv("BUILDER_WARM_TRAINING", "0")


def test_a_short_design_travels_in_the_link_and_a_long_one_by_its_key(tmp_path):
    state: dict = {}
    ws = persist.attach(state, Workspace.create(root=tmp_path))
    session_design.commit(state, template("seed-multi-regression"))
    short = link.params(state)
    assert short["w"] == ws.id and "d" in short and "dk" not in short
    session_design.commit(state, wide := wide_design())
    assert len(to_url(wide)) > link.MAX_LINK_CHARS
    long = link.params(state)
    assert "d" not in long and len(long["dk"]) < 100
    other: dict = {}
    persist.attach(other, Workspace.open(ws.id, root=tmp_path))
    assert link.restore(other, None, long["dk"]) == [] and session_design.current(other) == wide


def test_a_key_this_server_does_not_have_is_explained(tmp_path):
    state: dict = {}
    persist.attach(state, Workspace.create(root=tmp_path))
    before = session_design.current(state)
    [message] = link.restore(state, None, "0" * 24)
    assert "kept in a workspace this server does not have" in message
    assert session_design.current(state) is before


@pytest.mark.parametrize("garbage", ["not a design", "A" * 200_000, "eJz" + "." * 400_000])
def test_a_broken_or_huge_d_shows_the_apps_message_and_keeps_the_page(garbage):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["d"] = garbage
    at.run()
    assert not at.exception
    assert any("damaged or truncated" in e.value for e in at.error)
    assert len(at.query_params["d"]) <= link.MAX_LINK_CHARS       # the URL now holds a design that works


def test_the_app_writes_a_long_design_as_its_key_and_a_refresh_brings_it_back():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.session_state["design"] = wide_design()
    at.run()
    assert "dk" in at.query_params and "d" not in at.query_params
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params.update(at.query_params)
    fresh.run()
    assert not fresh.exception and fresh.session_state["design"].name == "wide"
