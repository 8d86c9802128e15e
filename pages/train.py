"""Train page: training settings, Train and Stop, live progress and a loss curve per head."""

import streamlit as st

from builder import DataError, DesignError, session
import pages
from builder.data.scaling import LOSS_WEIGHT_NOTE
from builder.design.spec import OPTIMIZERS, Head, Training, bounds
from builder.report import figures, multitask_figures
from builder.session import mismatch, multitask, runs
from pages import run_inside_shell

run_inside_shell()

st.header("Train")
ss = st.session_state
design = session.current(ss)
report = session.report(ss)
dataset = ss.get("dataset")
live = runs.sync(ss)
active = live is not None and live.active

# ------------------------------------------------------------ settings
t = design.training
with st.container(border=True):
    st.markdown("**Settings** (saved with the design)")
    c = st.columns(4)
    settings = {
        "optimizer": c[0].selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index(t.optimizer), key="train_optimizer"),
        "learning_rate": c[1].number_input("Learning rate", *bounds(Training, "learning_rate"), value=t.learning_rate,
                                           step=1e-4, format="%g", key="train_learning_rate"),
        "batch_size": int(c[2].number_input("Batch size", *bounds(Training, "batch_size"), value=t.batch_size,
                                            key="train_batch_size")),
        "epochs": int(c[3].number_input("Epochs", *bounds(Training, "epochs"), value=t.epochs, key="train_epochs")),
    }
    c = st.columns(3)
    settings["validation_split"] = c[0].slider("Validation split", *bounds(Training, "validation_split"), t.validation_split, step=0.05,
                                               key="train_validation_split")
    settings["early_stopping_patience"] = int(c[1].number_input(
        "Early stopping patience (epochs, 0 = off)", *bounds(Training, "early_stopping_patience"), value=t.early_stopping_patience,
        key="train_patience"))
    settings["seed"] = int(c[2].number_input("Seed", *bounds(Training, "seed"), value=t.seed, key="train_seed"))
    st.markdown("**Loss weight per head** (the total loss is their weighted sum)")
    st.caption(LOSS_WEIGHT_NOTE)
    c = st.columns(min(len(design.heads), 4) or 1)
    names = [h.name for h in design.heads]   # a link may repeat a name (validation refuses it): keys stay unique
    weights = {h.name: c[i % len(c)].number_input(h.name, *bounds(Head, "loss_weight"), value=h.loss_weight,
                                                  step=0.1, format="%g", key=f"train_weight_{h.name}"
                                                  + ("" if names.index(h.name) == i else f"_{i}"))
               for i, h in enumerate(design.heads)}
    # Multi-task tools: loss balancing, the interference meter, per-head class weights.
    c = st.columns(3)
    methods = multitask.balancing_choices()
    tools = {"balancing": c[0].selectbox("Loss balancing", list(methods), index=list(methods).index(t.balancing),
                                         format_func=lambda m: methods[m].split(":")[0], key="train_balancing"),
             "interference": c[1].selectbox("Interference meter", list(multitask.METER_CHOICES),
                                            index=list(multitask.METER_CHOICES).index(t.interference),
                                            format_func=multitask.METER_CHOICES.get, key="train_meter"),
             "interference_every": int(c[2].number_input("Meter every N steps (0 = each epoch)",
                                                         *bounds(Training, "interference_every"),
                                                         value=t.interference_every, key="train_meter_every"))}
    st.caption(methods[tools["balancing"]])
    choices = list(multitask.CLASS_WEIGHT_CHOICES)
    class_weights = {name: st.selectbox(f"Class weights of {name!r}", choices, key=f"train_class_weight_{name}",
                                        index=choices.index(design.head(name).class_weight),
                                        format_func=multitask.CLASS_WEIGHT_CHOICES.get)
                     for name in multitask.classification_heads(design)}

try:
    edited = multitask.with_settings(session.with_training(design, settings, weights), tools, class_weights)
    if edited != design:
        design = session.commit(ss, edited)
        report = session.report(ss)
except DesignError as e:
    st.error(str(e))

# ------------------------------------------------------------ controls
if not report.ok:
    st.error("Fix the design before training (Design page):\n\n" + "\n".join(f"- {p}" for p in report.errors))
if dataset is None:
    st.info("Pick or upload a dataset on the Data page: training needs data.")
misfit = mismatch.for_session(ss)       # the banner above says it; Train stays off until it is fixed
left, right, _ = st.columns([1, 1, 4])
if left.button("Train", type="primary", disabled=active or not report.ok or dataset is None or misfit is not None,
               key="train_start", help=f"Train is off: {misfit.problem}" if misfit else None):
    try:
        runs.start_run(ss, pages.training_service(), design, dataset, report)
        st.rerun()       # redraw with the live view polling
    except (DesignError, DataError) as e:
        st.error(str(e))
if right.button("Stop", disabled=not active, key="train_stop"):
    runs.stop(ss)
if misfit is not None:
    st.caption(f"Train is off until the data and the design fit: {misfit.problem}")
if report.ok:
    st.caption(f"Backend: {runs.planned_backend(design)}. Set BUILDER_KERAS_BACKEND to force one.")
if report.ok and dataset is not None and misfit is None and not active:
    pages.training_service().get_ready(design, dataset, report=report)    # Train then starts without tracing


# ------------------------------------------------------------ live view
@st.fragment(run_every=0.5 if active else None)
def live_view():
    current = runs.sync(ss)
    if current is None:
        st.caption("Press Train to start. The curves update while it trains.")
        return
    st.progress(current.fraction(), text=current.progress_text())
    if current.backend:
        st.caption(f"{'Trained' if current.done else 'Training'} on {current.backend}.")
    if current.state == "error":
        st.error(current.message or "Training failed.")
    elif current.state == "stopped":
        st.info("Stopped: the weights and history trained so far are kept (see Results and Export).")
    earlier = runs.earlier_runs(ss, current)
    show_earlier = st.checkbox("Show earlier runs", value=True, key="train_show_earlier") if earlier else False
    st.caption("Loss per head and the weighted total, by epoch: solid lines training, dashed validation"
               + (", dotted earlier runs." if show_earlier else "."))
    loss_figure, metric_figure = figures.live_figures(ss, current, earlier if show_earlier else [])
    st.plotly_chart(loss_figure, key="train_loss_figure")
    if metric_figure is not None:
        st.caption("Each head's metrics, by epoch: solid training, dashed validation.")
        st.plotly_chart(metric_figure, key="train_metric_figure")
    multitask_view(current)
    if active and current.done:
        st.rerun()       # the run has just ended: enable Train again and stop polling


def multitask_view(current):
    """Each head's effective weight, and the interference meter with its reading and advice."""
    weights = multitask.weight_series(current)
    if weights:
        st.plotly_chart(multitask_figures.weights_figure(weights), key="train_weights_figure")
    cosine, share = multitask.meter_series(current)
    if not cosine:
        return
    st.markdown(f"**Task interference:** {multitask.meter_reading(current)}")
    st.plotly_chart(multitask_figures.meter_figure(cosine, share), key="train_meter_figure")
    tip = multitask.advice(current, session.current(ss))
    if tip is not None and st.button(f"Apply: {tip[0]}", key="train_apply_advice", disabled=current.active):
        multitask.apply_advice(ss, tip[1])
        st.rerun()


live_view()
