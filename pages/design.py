"""Design page: the model graph is the workspace; the inspector beside it edits the selected node.

Layout only.  The canvas component (``components/canvas``) sends one action at
a time; ``builder.session.canvas`` applies it as one undoable edit before the
page draws.  The inspector (``components/inspector.py``) holds the selected
node's registry-generated widgets and a button for every canvas action.
"""

import streamlit as st

from builder.design.templates import TEMPLATE_NAMES, describe
from builder.report.files import design_json
from builder import session
from builder.session import canvas
from components.canvas import draw_canvas
from components.inspector import FLASH, attempt, inspector
from pages import run_inside_shell

run_inside_shell()

ss = st.session_state


def on_canvas_action() -> None:
    attempt(canvas.apply_pending, ss)


def on_upload() -> None:
    uploaded = ss.get("design.upload")
    if uploaded is not None:
        attempt(session.load_json, ss, uploaded.getvalue())


def toolbar() -> None:
    choices = session.start_choices(ss)
    if ss.get("start.source") not in choices:
        ss["start.source"] = choices[0]
    start, go = st.columns([4, 1], vertical_alignment="bottom")
    start.selectbox("Start from", choices, key="start.source",
                    format_func=lambda c: c if c not in TEMPLATE_NAMES else f"{c} (template)",
                    help="a seed template, the data's suggestion, or an empty canvas; Undo brings back the old design")
    go.button("Start", key="start.go", on_click=lambda: attempt(session.start_from, ss, ss["start.source"]))
    if ss.get("start.source") in TEMPLATE_NAMES:
        st.caption(describe(ss["start.source"]))
    design = session.current(ss)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Undo", key="undo", icon=":material/undo:", disabled=not session.can_undo(ss),
                  on_click=attempt, args=(session.undo, ss))
        st.button("Redo", key="redo", icon=":material/redo:", disabled=not session.can_redo(ss),
                  on_click=attempt, args=(session.redo, ss))
        st.download_button("Download JSON", design_json(design), file_name=f"{design.name}.json",
                           mime="application/json", key="design.download", on_click="ignore",
                           icon=":material/download:")
    with st.expander("Upload a design JSON"):
        st.file_uploader("Design file", type=["json"], key="design.upload", on_change=on_upload,
                         help="a file saved with Download JSON; a file with problems is refused and "
                              "the current design stays")


def summary(report) -> None:
    params, verdict = st.columns(2)
    params.metric("Total parameters", f"{report.total_params:,}")
    verdict.metric("Design", session.status_line(ss))
    for p in report.problems:
        (st.error if p.severity == "error" else st.warning)(f"**{p.location}**: {p.message}")
    st.dataframe(report.table(), hide_index=True, width="stretch")


# ----------------------------------------------------------- the page

session.ensure(ss)
on_canvas_action()        # an action put in the session by a test or a callback that has not run yet
st.header("Design")
for message in ss.pop(FLASH, []):
    st.error(message)
toolbar()
design, report = session.current(ss), session.report(ss)
graph_col, inspector_col = st.columns([3, 2], gap="medium")
with graph_col:
    draw_canvas(canvas.canvas_data(ss), on_canvas_action)
with inspector_col:
    with st.container(border=True, key="inspector"):
        inspector(design, report)
summary(report)
