"""Results page: each head on the held-out test split, the run history, and "does sharing help?"."""

import streamlit as st

import pages
from builder import DataError, DesignError, session
from builder.report import comparison, figures, metrics
from builder.report.metrics import ClassificationResult
from builder.session import multitask, runs
from pages import run_inside_shell

run_inside_shell()

st.header("Results")
ss = st.session_state
runs.sync(ss)
for notice in runs.notices(ss):          # models dropped to keep the workspace under its size limit
    st.warning(notice, icon=":material/delete_sweep:")
every_run = runs.history(ss)
show_all = st.toggle("Show runs on every data set", key="results_all_data",
                     help="off: only the runs made on the data set now loaded")
finished = every_run if show_all else runs.for_dataset(ss, every_run)
if len(finished) < len(every_run):
    st.caption(f"{len(every_run) - len(finished)} run(s) on other data sets are hidden; the switch shows them.")


def one_run(run) -> None:
    """Each head of one run on the held-out test split."""
    if run.state == "error":
        st.error(run.message or "This run failed before it finished.")
    if getattr(run.result, "problem", None) is None:
        getattr(run.result, "arrays", lambda: None)()       # read the stored test arrays, to report a bad file
    if problem := getattr(run.result, "problem", None):
        st.warning(problem)
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
    st.plotly_chart(figures.runs_figure(heads, [(r.title, figures.series_from_history(r.history)) for r in finished]),
                    key="runs_figure")
    for before, after in zip(finished, finished[1:]):
        if before.design is None or after.design is None:
            continue
        changes = metrics.design_changes(before.design, after.design)
        with st.expander(f"{before.title} -> {after.title}: {len(changes)} change(s)", expanded=after is run):
            st.markdown("\n".join(f"- {line}" for line in changes) if changes else "Same design and settings.")


if finished:
    labels = [f"{r.title} ({r.state})" for r in finished]
    pick, drop = st.columns([5, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Run", range(len(finished)), index=len(finished) - 1, format_func=labels.__getitem__,
                            key="results_run")
    drop.button("Delete run", key="results_delete", icon=":material/delete:", on_click=runs.delete,
                args=(ss, finished[chosen].number), help="removes this run, its curves and its trained model")
    one_run(finished[chosen])
    if finished[chosen].design is not None:
        run_history(finished, finished[chosen])
else:
    st.info("Train first: results on the held-out test split appear here after a run on the Train page."
            + ("" if show_all or not every_run else " Runs on other data sets are hidden; the switch shows them."))

# ------------------------------------------------------------- sharing
st.subheader("Does sharing help?")
st.caption("Trains the current design, then each head alone with the same trunk architecture and the same "
           "budget, each with several seeds, and compares their test metrics (mean ± spread over seeds).")
design = session.current(ss)
dataset = ss.get("dataset")
c = st.columns(2)      # the comparison's own budget, saved with the design
budget = {"compare_seeds": int(c[0].number_input("Seeds per model", 1, 10, design.training.compare_seeds,
                                                 key="sharing_seeds")),
          "compare_epochs": int(c[1].number_input("Epochs per training", 1, 10_000, design.training.compare_epochs,
                                                  key="sharing_epochs"))}
try:
    design = session.commit(ss, multitask.with_settings(design, budget, {}))
except DesignError as e:
    st.error(str(e))
last = every_run[-1].result if every_run else None
st.info("Cost: " + comparison.cost(design, design.training, comparison.seconds_per_epoch(last)))
sharing_live = runs.sync(ss, runs.SHARING)
busy = sharing_live is not None and sharing_live.active
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


@st.fragment(run_every=0.5 if busy else None)
def comparison_view():
    live = runs.sync(ss, runs.SHARING)
    if live is not None and live.active:
        st.progress(live.fraction(), text=live.progress_text())
        return
    shown = runs.latest_comparison(ss)          # the latest one on the data set now loaded
    if shown is not None and shown.state == "error":
        st.error(shown.message or "The comparison failed.")
    elif shown is not None:
        table = comparison.rows_for(shown.design, shown.result)
        if table:
            st.caption(f"Ran on {shown.title}. A verdict names a winner only when the ranges mean ± spread "
                       "do not overlap.")
            st.dataframe(table, hide_index=True)
        else:
            st.info("The comparison was stopped before every head had trained alone.")
    if busy:        # it has just ended: redraw the buttons
        st.rerun()


comparison_view()
