"""The shell: navigation, the sidebar's facts, the URL, and no TensorFlow on the first page's path."""

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from builder.session import runs
import pages
from fake_engine import FakeService

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def sidebar_text(at) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def test_every_page_renders_without_exception():
    at = AppTest.from_file(APP, default_timeout=30).run()
    for page in ("pages/data.py", "pages/design.py", "pages/train.py", "pages/results.py", "pages/export.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.header, f"{page} drew no header"


def test_the_first_page_names_the_app_and_says_how_it_works():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "Multi-output model designer" in sidebar_text(at)
    assert any(c.value == "data → design → train → results → export" for c in at.sidebar.caption)


def test_a_first_visit_opens_on_penguins_with_its_suggested_design():
    at = AppTest.from_file(APP, default_timeout=30).run()
    design = at.session_state["design"]
    assert at.session_state["dataset"].name == "penguins"
    assert sorted(h.target for h in design.heads) == ["body_mass_g", "sex", "species"]
    assert not at.exception


def test_sidebar_shows_dataset_design_state_and_params():
    at = AppTest.from_file(APP, default_timeout=30).run()
    text = sidebar_text(at)
    assert "Dataset:** penguins (344 rows)" in text and "valid" in text and "Total params:** 3,077" in text
    at.switch_page("pages/design.py").run()
    at.session_state["canvas"] = {"action": {"op": "select", "node": "species/@out", "nonce": 1}}   # a canvas click
    at.run()
    at.number_input(key="head.species.units").set_value(5).run()     # 3 species, 5 outputs
    assert ":red[1 error]" in sidebar_text(at)


def test_sidebar_shows_the_training_state_once_a_run_exists():
    at = AppTest.from_file(APP, default_timeout=30)
    live = runs.LiveRun(["species"], epochs=10)
    live.add({"type": "progress", "epoch": 3, "epochs": 10, "step": 1, "steps": 4, "eta": 2.0, "logs": {"loss": 1.0}})
    at.session_state[runs.LIVE[runs.RUN]] = live
    at.run()
    assert "Training:** epoch 3/10 · step 1/4 · 2 s left" in sidebar_text(at)


def test_sidebar_training_status_is_the_progress_line_and_train_clears_the_old_one(monkeypatch):
    monkeypatch.setattr(pages, "training_service", lambda: FakeService(per_poll=100))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/train.py").run()
    at.button(key="train_start").click().run()
    at.run()
    live = at.session_state["run_live"]
    assert live.done and f"Training:** {live.progress_text()}" in sidebar_text(at)
    monkeypatch.setattr(pages, "training_service", lambda: FakeService(per_poll=0))     # the next run has not started yet
    at.button(key="train_start").click().run()
    assert "Training:** starting" in sidebar_text(at)
    assert "finished" not in sidebar_text(at)


def test_the_builtin_dataset_travels_in_the_url():
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.selectbox(key="data.builtin").set_value("penguins").run()
    at.button(key="data.load").click().run()
    at.run()
    assert at.query_params["data"] == "penguins"
    fresh = AppTest.from_file(APP, default_timeout=30)
    fresh.query_params.update(at.query_params)
    fresh.run()
    assert fresh.session_state["dataset"].name == "penguins"


def test_the_shell_and_designer_never_import_tensorflow():
    code = ("import sys, builder, builder.session.design, builder.design.diagram, builder.session.params, builder.data;"
            "from builder.data import load_builtin, suggest_design; d = load_builtin('penguins');"
            "suggest_design(d, ['species']);"
            "bad = [m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_workspace_starts_over_under_a_new_link():
    at = AppTest.from_file(APP, default_timeout=30).run()
    first = at.query_params["w"]
    at.session_state["design"] = at.session_state["design"].model_copy(update={"name": "edited"})
    at.run()
    at.button(key="workspace_new").click().run()
    assert not at.exception
    assert at.query_params["w"] != first and at.session_state["design"].name == "penguins"
    old = AppTest.from_file(APP, default_timeout=30)
    old.query_params["w"] = first                   # the old workspace stays under its own link
    old.run()
    assert old.session_state["design"].name == "edited"
