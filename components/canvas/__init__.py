"""The model canvas as a Streamlit custom component (components v2), drawn from plain files in this folder.

``draw_canvas`` mounts it with the data ``builder.session.canvas.canvas_data``
returns; the component answers with one action at a time in its ``action``
state, which ``builder.session.canvas.apply_pending`` applies as one undoable
edit.  CSS and JavaScript (``canvas.js`` then ``palette.js``) are read from this folder and inlined: nothing is
built with Node and nothing is fetched from the internet.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from builder.session import canvas as actions

HERE = Path(__file__).resolve().parent
HEIGHT_PX = 600
# Canvas and inspector side by side where both have room; below 800 px of content (1024 px with the
# sidebar open) the inspector wraps under the canvas instead of squeezing its labels.
WORKSPACE_CSS = """<style>
[data-testid="stHorizontalBlock"]:has(.st-key-inspector) { flex-wrap: wrap; }
[data-testid="stHorizontalBlock"]:has(.st-key-inspector) > [data-testid="stColumn"]:first-child { min-width: 460px; }
[data-testid="stHorizontalBlock"]:has(.st-key-inspector) > [data-testid="stColumn"]:last-child { min-width: 320px; }
</style>"""

_component = st.components.v2.component(
    "builder_canvas",
    css=(HERE / "canvas.css").read_text(encoding="utf-8"),
    js="\n".join((HERE / name).read_text(encoding="utf-8") for name in ("canvas.js", "palette.js")),
)


def draw_canvas(data: dict, on_action, height: int = HEIGHT_PX):
    """Mount the canvas under ``actions.KEY``; ``on_action`` runs (before the page) when it sends one."""
    st.html(WORKSPACE_CSS)
    return _component(key=actions.KEY, data=data, default={"action": None}, height=height,
                      on_action_change=on_action)
