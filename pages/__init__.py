"""What every page shares: the shell guard, the server's training service and the editing pages' helpers.

This file is no page: Streamlit's legacy ``pages/`` discovery skips
``__init__.py`` (and only it and dot-files), so a helper module here is never
listed.  A ``_name.py`` would be.
"""

import runpy
from pathlib import Path

import streamlit as st

from builder.errors import DataError, DesignError

SHELL_FLAG = "_shell_running"     # app.py sets it while a page runs inside it
APP = Path(__file__).resolve().parent.parent / "app.py"


def run_inside_shell() -> None:
    """Run the shell (navigation, sidebar, URL restore) around the page, unless it already is.

    Streamlit's legacy pages/ mode runs a URL such as /design directly,
    without app.py, on a freshly started server's first run; the shell then
    runs the page itself, and this run stops.
    """
    if not st.session_state.get(SHELL_FLAG):
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()


@st.cache_resource(show_spinner=False)
def training_service():
    """The server-wide training service, started on first use with a warm worker.

    One per server process on purpose: its workers and its cap on concurrent runs are
    shared by every session.  Tests replace this function with a fake service.
    """
    from builder.train import TrainingService

    return TrainingService().warm()


def attempt(flash: str, action, *args) -> bool:
    """Run an edit; a refused edit becomes messages under ``flash`` for the page to show, never a traceback."""
    try:
        action(*args)
        return True
    except DesignError as e:
        st.session_state[flash] = [str(p) for p in e.problems]
    except DataError as e:
        st.session_state[flash] = [str(e)]
    return False


def bind(key: str, value) -> None:
    """Show the design's value in the widget ``key`` (set before the widget is drawn)."""
    ss = st.session_state
    if key not in ss or ss[key] != value:
        ss[key] = value


FIT_FLASH = "_fit_flash"


def fit_banner() -> None:
    """The one banner every page shows while the data and the design do not fit, with the action that fixes it."""
    from builder.session import mismatch

    ss = st.session_state
    for message in ss.pop(FIT_FLASH, []):
        st.error(message)
    found = mismatch.for_session(ss)
    if found is None:
        return
    text, action = st.columns([6, 1], vertical_alignment="center")
    text.warning(str(found), icon=":material/link_off:")
    action.button(found.button, key="fit_fix", type="primary", on_click=attempt,
                  args=(FIT_FLASH, mismatch.fix, ss, found))
