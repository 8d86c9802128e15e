"""Results page: each head on the held-out test split, the run history, and "does sharing help?"."""

import streamlit as st

from builder import DataError, DesignError, session
from builder.report import figures

from builder.report import metrics

from builder.session import runs
from builder.report.metrics import ClassificationResult
import pages
from pages import run_inside_shell

run_inside_shell()

st.header("Results")
ss = st.session_state
runs.sync(ss)
finished = runs.history(ss)


def one_run(run) -> None:
    """Each head of one run on the held-out test split."""
    if run.state == "error":
        st.error(run.message or "This run failed before it finished.")
    try:
        per_head = metrics.test_results(run.design, run.result)
    except (DesignError, DataError, ValueError) as e:
        st.error(f"These results cannot be scored: {e}")
        per_head = {}
    if not per_head:
        if run.state != "error":
            st.info("No test results for this run: it was stopped before any epoch ended, or it is older than "
                    f"the last {runs.KEEP_RESULTS} runs, whose test predictions are kept.")
        return
    st.subheader("Each head on the test split")
    for tab, (name, result) in zip(st.tabs(list(per_head)), per_head.items()):
        with tab:
            st.caption(f"{result.n} test samples with a target")
            values = result.metrics()
            for column, (label, value) in zip(st.columns(len(values)), values.items()):
                column.metric(label, metrics.format_metric(label, value))
            if isinstance(result, ClassificationResult):
                left, right = st.columns([3, 2])
                left.plotly_chart(figures.confusion_figure(result), key=f"confusion_{name}")
                right.dataframe(metrics.per_class_rows(result), hide_index=True)
            else:
                st.plotly_chart(figures.scatter_figure(result), key=f"scatter_{name}")


def run_history(finished, run) -> None:
    """Earlier runs' curves together, and what changed in the design from each run to the next."""
    st.subheader("Run history")
    st.caption("Each run's validation loss by epoch (training loss where a run had no validation split).")
    heads = [h.name for h in run.design.heads]
    st.plotly_chart(figures.runs_figure(heads, [(r.label, figures.series_from_history(r.history)) for r in finished]),
                    key="runs_figure")
    for before, after in zip(finished, finished[1:]):
        changes = metrics.design_changes(before.design, after.design)
        with st.expander(f"{before.label} -> {after.label}: {len(changes)} change(s)", expanded=after is run):
            st.markdown("\n".join(f"- {line}" for line in changes) if changes else "Same design and settings.")


if finished:
    labels = [f"{r.label} ({r.state})" for r in finished]
    chosen = st.selectbox("Run", range(len(finished)), index=len(finished) - 1, format_func=labels.__getitem__)
    one_run(finished[chosen])
    run_history(finished, finished[chosen])
else:
    st.info("Train first: results on the held-out test split appear here after a run on the Train page.")

# ------------------------------------------------------------- sharing
st.subheader("Does sharing help?")
st.caption("Trains the current design, then each head alone with the same trunk architecture and the same "
           "budget, and compares their test metrics.")
design = session.current(ss)
dataset = ss.get("dataset")
comparison = runs.sync(ss, runs.SHARING)
busy = comparison is not None and comparison.active
left, right = st.columns(2)
if left.button("Compare with each head trained alone", disabled=busy or dataset is None, key="sharing_start"):
    try:
        runs.start_sharing(ss, pages.training_service(), design, dataset)
        st.rerun()       # redraw the buttons and poll the comparison
    except (DesignError, DataError) as e:
        st.error(str(e))
if right.button("Stop the comparison", disabled=not busy, key="sharing_stop"):
    runs.stop(ss, runs.SHARING)
if dataset is None:
    st.info("Pick a dataset on the Data page to run the comparison.")


@st.fragment(run_every=0.5 if comparison is not None and comparison.active else None)
def comparison_view():
    live = runs.sync(ss, runs.SHARING)
    if live is None:
        return
    if live.active:
        st.progress(live.fraction(), text=live.progress_text())
        return
    if live.state == "error":
        st.error(live.message or "The comparison failed.")
        return
    table = metrics.sharing_rows(live.design, live.result)
    if table:
        st.dataframe(table, hide_index=True)
    else:
        st.info("The comparison was stopped before every head had trained alone.")
    if busy:        # it has just ended: redraw the buttons
        st.rerun()


comparison_view()
