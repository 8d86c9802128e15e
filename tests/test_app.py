"""The shell: navigation, the sidebar's facts, the URL, and no TensorFlow on the first page's path."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builder.session import runs

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
    at.button(key="add.Conv2D").click().run()
    assert ":red[1 error]" in sidebar_text(at)


def test_sidebar_shows_the_training_state_once_a_run_exists():
    at = AppTest.from_file(APP, default_timeout=30)
    live = runs.LiveRun(["species"], epochs=10)
    live.add({"type": "progress", "epoch": 3, "epochs": 10, "step": 1, "steps": 4, "eta": 2.0, "logs": {"loss": 1.0}})
    at.session_state[runs.LIVE[runs.RUN]] = live
    at.run()
    assert "Training:** epoch 3/10 · step 1/4 · 2 s left" in sidebar_text(at)


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
