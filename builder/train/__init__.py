"""Training engine: worker processes that train a design and stream per-head events (no streamlit).

Importing this package never imports TensorFlow; only the worker processes
(and the headless CLI) do.

API for pages
-------------
    from builder.train import TrainingService

    @st.cache_resource                       # one per server, shared by every session
    def service():
        return TrainingService().warm()      # workers start importing TensorFlow now, in the background

    handle = service().submit(design, dataset, training=None)   # -> RunHandle; raises DesignError
    st.session_state["run"] = handle                            # (bad design, or too large for memory)

    @st.fragment(run_every=0.5)
    def live():
        for ev in handle.poll(): ...         # new event dicts, oldest first
        handle.status_text()                 # "queued, 2nd in line" | "training: epoch 3/10" | "stopping" | "finished: 10 epochs"
                                             # | "stopped after 2 epochs" | "error: head 'price' diverged ..."

    handle.stop()                            # ends within ~1 s; weights and history so far are kept
    handle.status                            # queued | starting | running | finished | stopped | error
    handle.history                           # {"loss": [...], "<head>_loss": [...], "val_<head>_mae": [...]} per epoch
    handle.points                            # within-epoch points: {"epoch": 2.25, "loss": .., "<head>_loss": ..}
    handle.progress                          # latest progress/epoch event (epoch, epochs, step, steps, eta, ...)
    handle.result                            # RunResult once finished or stopped, else None
    handle.result.test_predictions           # {head: ndarray} on the test split; .test_targets, .test_weights
    handle.result.model_path                 # .keras file, preprocessing included; .load_model() (safe_mode=True)

    # "Does sharing help?": the design, then each head alone with the same trunk and budget.
    handle = service().submit(design, dataset, kind="sharing")
    handle.result.sharing                    # {"multi": {head: pred}, "single": {head: pred}, "single_history": ...}

Event dicts (``poll()``): every event has ``type`` and ``run_id``.
  queued   place
  started  epochs, rows (train rows), val_rows, test_rows
  progress epoch (1-based), epochs, step, steps, elapsed, eta (s or None), loss (weighted total),
           heads {head: {"loss", "<metric>"}}, logs (flat Keras names); at least once a second
  epoch    as progress, plus val_loss and "val_loss"/"val_<metric>" in each head
  finished / stopped   history, epochs_run, elapsed (arrays are on handle.result)
  error    message (one line; a NaN/inf loss names the head and suggests a lower learning rate)
Sharing runs add phase ("multi-task", "head 'x' alone"), phase_index and phases to progress/epoch events.

Headless (CLI, scripts): ``builder.train.engine.train(design, data, training, emit, should_stop)`` runs
in-process (imports Keras); ``python -m builder train DESIGN.json --data FILE``.
"""

from .memory import check_memory, estimate_bytes
from .service import RunHandle, RunResult, TrainingService

__all__ = ["TrainingService", "RunHandle", "RunResult", "check_memory", "estimate_bytes"]
