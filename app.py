"""Entry point: `streamlit run app.py`. Navigation, the sidebar and the design's place in the URL.

Nothing here imports TensorFlow: the first page must render within 2 s of the
server starting.  The training worker is warmed in the background after the
page is drawn.
"""

import gc
import os
import sys
import threading
import time

import streamlit as st

from builder import session
from builder.session import runs
from pages import SHELL_FLAG    # pages run the shell around themselves when it is not set

ss = st.session_state
DESIGN_PARAM, DATA_PARAM = "d", "data"
WARM_DELAY_S = 2.0

st.set_page_config(page_title="Multi-output model designer", layout="wide")
if not st.query_params.get(DESIGN_PARAM) and not st.query_params.get(DATA_PARAM):
    session.start_session(ss)        # a first visit opens on penguins, ready to train
session.ensure(ss)
# A shared link or a browser refresh carries the design in the URL; restore it before any page draws.
link_problems = [str(p) for p in session.restore_from_url(ss, st.query_params.get(DESIGN_PARAM))]
if data_problem := session.restore_dataset(ss, st.query_params.get(DATA_PARAM)):
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
        st.markdown(f"**Dataset:** {session.dataset_line(ss)}")
        design = session.current(ss)
        verdict = session.status_line(ss)
        st.markdown(f"**Design:** {design.name} — {':green' if verdict == 'valid' else ':red'}[{verdict}]")
        st.markdown(f"**Total params:** {session.report(ss).total_params:,}")
        training = runs.training_line(ss)
        if training:
            st.markdown(f"**Training:** {training}")


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
ss[SHELL_FLAG] = True
try:
    nav.run()
finally:
    ss.pop(SHELL_FLAG, None)
# Keep the URL in step with the design, so a refresh or a shared link restores it exactly.
if st.query_params.get(DESIGN_PARAM) != (link := session.url_text(ss)):
    st.query_params[DESIGN_PARAM] = link
if (builtin := ss.get(session.BUILTIN_KEY)) and st.query_params.get(DATA_PARAM) != builtin:
    st.query_params[DATA_PARAM] = builtin     # uploads stay out of the URL: only built-ins can be reloaded
elif not builtin and DATA_PARAM in st.query_params:
    del st.query_params[DATA_PARAM]
if os.environ.get("BUILDER_WARM_TRAINING", "1") != "0":     # tests and benchmarks of the UI turn it off
    warm_training()
