"""Entry point: `streamlit run app.py`. Navigation, the sidebar, the workspace and the URL.

Each page view belongs to a workspace (``?w=``, see ``builder.session.workspace``):
a refresh, a second tab or a restarted server restores it.  Nothing here
imports TensorFlow: the first page must render within 2 s of the server
starting.  The training worker is warmed in the background after the page is drawn.
"""

import gc
import os
import sys
import threading
import time

import streamlit as st

from builder import session
from builder.session import link, persist, runs
from pages import SHELL_FLAG, fit_banner    # pages run the shell around themselves when it is not set

ss = st.session_state
DATA_PARAM = "data"
WARM_DELAY_S = 2.0
MAX_REQUEST_HEAD_BYTES = 4 * 2**20     # a pasted link up to 4 MB reaches the app and gets its message


@st.cache_resource(show_spinner=False)
def allow_long_links() -> bool:
    """Let an over-long link reach the app (which explains it) instead of the web server's bare HTTP 400.

    Streamlit serves through uvicorn's h11 protocol, which refuses a request
    head over 16 KB; the limit is read per connection, so raising it here
    holds for every later request to this server.
    """
    try:
        from uvicorn.protocols.http import h11_impl
    except ImportError:
        return False
    h11_impl.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE = MAX_REQUEST_HEAD_BYTES
    return True


APP_NAME = "Multi-output model designer"
st.set_page_config(page_title=APP_NAME, layout="wide")
allow_long_links()
query = st.query_params
first_visit = not (query.get(link.DESIGN) or query.get(link.DESIGN_KEY) or query.get(DATA_PARAM))
# The workspace brings back everything of an earlier view; a shared link's design is applied on top.
link_problems = persist.open_workspace(ss, query.get(link.WORKSPACE), first_visit)
session.ensure(ss)
runs.adopt(ss)
link_problems += link.restore(ss, query.get(link.DESIGN), query.get(link.DESIGN_KEY))
if data_problem := session.restore_dataset(ss, query.get(DATA_PARAM)):
    link_problems.append(data_problem)

nav = st.navigation([
    st.Page("pages/data.py", title="Data", url_path="data", default=True, icon=":material/table:"),
    st.Page("pages/design.py", title="Design", url_path="design", icon=":material/account_tree:"),
    st.Page("pages/train.py", title="Train", url_path="train", icon=":material/play_circle:"),
    st.Page("pages/results.py", title="Results", url_path="results", icon=":material/insights:"),
    st.Page("pages/export.py", title="Export", url_path="export", icon=":material/download:"),
])


def sidebar() -> None:
    with st.sidebar:
        st.markdown(f"### {APP_NAME}")
        st.caption("data → design → train → results → export")   # how it works, on the first page too
        st.markdown(f"**Dataset:** {session.dataset_line(ss)}")
        design = session.current(ss)
        verdict = session.status_line(ss)
        st.markdown(f"**Design:** {design.name} — {':green' if verdict == 'valid' else ':red'}[{verdict}]")
        st.markdown(f"**Total params:** {session.report(ss).total_params:,}")
        training_status()
        st.button("New workspace", key="workspace_new", icon=":material/add:", on_click=persist.new_workspace,
                  args=(ss,), help="start over with the built-in data; this workspace stays under its own link")
        st.caption("This page's link is the key to this workspace: keep it to come back, share it to share it.")


def training_status() -> None:
    """The same words as the Train page's progress line, polled while a run is under way."""
    live = ss.get(runs.LIVE[runs.RUN])
    active = live is not None and live.active

    @st.fragment(run_every=0.5 if active else None)
    def status() -> None:
        current = runs.sync(ss)
        if current is not None:
            st.markdown(f"**Training:** {current.progress_text()}")
        if active and current is not None and current.done:
            st.rerun()      # the run has just ended: every page redraws with it

    status()


@st.cache_resource(show_spinner=False)
def warm_training() -> threading.Thread:
    """Start the training service (its worker imports TensorFlow) once per server, off the script thread.

    Importing TensorFlow takes seconds; the worker process does it while the
    user looks at the first page, so it is ready by the time they press Train.
    The service itself is the server-wide one the Train page uses.
    """
    def warm() -> None:
        # Wait for the first page to be drawn: on a small machine the worker's TensorFlow import
        # would otherwise compete with the browser for the CPU.  Nobody presses Train this soon.
        time.sleep(WARM_DELAY_S)
        import pages

        pages.training_service()

    thread = threading.Thread(target=warm, name="warm-training", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def heap_freezer() -> dict:
    return {"modules": 0}


def freeze_library_heap() -> None:
    """Keep Streamlit's per-run clean-up cheap once TensorFlow is in this process.

    After every run Streamlit calls ``keras.backend.clear_session()`` and
    ``gc.collect(2)``; each walks TensorFlow's few million objects, about
    250 ms here.  ``gc.freeze()`` moves the objects alive now (imported
    libraries, mostly) out of the collector's sight, so both take
    microseconds.  Done again only when many more modules have loaded.
    """
    if "keras" not in sys.modules:
        return
    seen = heap_freezer()
    if len(sys.modules) > seen["modules"] + 100:
        seen["modules"] = len(sys.modules)
        gc.freeze()


freeze_library_heap()
sidebar()
for problem in link_problems:
    st.error(problem)
fit_banner()
ss[SHELL_FLAG] = True
try:
    nav.run()
finally:
    ss.pop(SHELL_FLAG, None)
    persist.save(ss)         # also when a page stops early (st.stop, st.rerun): nothing done is lost
# Keep the URL in step with the workspace and the design, so a refresh or a shared link restores it exactly.
wanted = link.params(ss)
for name in (link.WORKSPACE, link.DESIGN, link.DESIGN_KEY):
    if name not in wanted and name in st.query_params:
        del st.query_params[name]
    elif name in wanted and st.query_params.get(name) != wanted[name]:
        st.query_params[name] = wanted[name]
if (builtin := ss.get(session.BUILTIN_KEY)) and st.query_params.get(DATA_PARAM) != builtin:
    st.query_params[DATA_PARAM] = builtin     # uploads stay out of the URL: only built-ins can be reloaded
elif not builtin and DATA_PARAM in st.query_params:
    del st.query_params[DATA_PARAM]
if os.environ.get("BUILDER_WARM_TRAINING", "1") != "0":     # tests and benchmarks of the UI turn it off
    warm_training()
