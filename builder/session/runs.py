"""What the Train and Results pages know about a run: its curves, progress and outcome.

The training engine streams events (plain dicts, see ``builder.train``); a
``LiveRun`` folds them, in order, into per-head series for the plots, a
progress fraction with a line of text, and the final state.  A finished run
becomes a ``RunRecord`` kept for the history overlay and the design-change
list.  Everything here is pure Python, so the pages only draw.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, MutableMapping

from ..errors import DataError
from ..design.spec import Design
from ..train.backend import event_text

ACTIVE_STATES = ("queued", "started", "running")
DONE_STATES = ("finished", "stopped", "error")
# Event keys that describe where the run is, not a loss or metric value ("total" is one: the weighted loss).
BOOKKEEPING = {"type", "epoch", "epochs", "step", "steps", "elapsed", "eta", "time", "message", "head", "hint",
               "position", "run_id", "id", "seconds", "samples", "batch_size", "result", "history"}
TOTAL_NAMES = ("total", "weighted", "loss")
KEEP_RESULTS = 10


@dataclass
class LiveRun:
    """A run as the Train page draws it, rebuilt from the engine's events."""

    heads: list[str]
    epochs: int
    design: Design | None = None      # as it was when the run started
    state: str = "queued"
    epoch: int = 0              # epochs finished
    step: int = 0
    steps: int = 0
    elapsed: float = 0.0
    eta: float | None = None
    position: int | None = None       # place in the server's queue while waiting
    message: str = ""                 # the error, or why the run stopped
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)   # epoch-end values only
    final: dict = field(default_factory=dict)   # the engine's last event, without its arrays
    result: Any = None                # the engine's RunResult: test predictions, model path, history
    phase: str = ""                   # "does sharing help?" runs: which of the trainings is under way
    recorded: int | None = None       # its number in the session's run history, once appended
    backend: str = ""                 # "JAX (dense and recurrent layers train fastest on JAX)", once started

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES

    def add_all(self, events: Iterable[Mapping]) -> None:
        for event in events:
            self.add(event)

    def add(self, event: Mapping) -> None:
        kind = event.get("type", "")
        self._where(event)
        if isinstance(event.get("backend"), str):
            self.backend = event_text(event)
        if kind == "queued":
            self.state, self.position = "queued", event.get("place", self.position)
        elif kind == "started":
            self.state, self.position = "running", None
        elif kind == "progress":
            self.state = "running"
            self._points(event, x=self._fractional_epoch(), validation=False)
        elif kind == "epoch":
            self.state = "running"
            self.step = 0                 # the next epoch has not begun a step yet
            values = logs(event)
            self._points(event, x=float(self.epoch), validation=True, values=values)
            for key, value in values.items():
                self.history.setdefault(key, []).append(value)
        elif kind in DONE_STATES:
            self.state = kind
            self.message = str(event.get("message") or "")
            self.final = dict(event)
            if isinstance(event.get("history"), Mapping) and not self.history:
                self.history = {k: [float(v) for v in vs] for k, vs in event["history"].items()}

    def _where(self, event: Mapping) -> None:
        if isinstance(event.get("phase"), str):
            if event["phase"] != self.phase:
                self.series, self.history = {}, {}     # each training of a comparison gets fresh curves
            self.phase = event["phase"]
        for name in ("step", "steps"):
            if isinstance(event.get(name), (int, float)):
                setattr(self, name, int(event[name]))
        if isinstance(event.get("epochs"), (int, float)):
            self.epochs = int(event["epochs"])
        if isinstance(event.get("elapsed"), (int, float)):
            self.elapsed = float(event["elapsed"])
        if "eta" in event:
            self.eta = event["eta"] if isinstance(event["eta"], (int, float)) else None
        if isinstance(event.get("epoch"), (int, float)):
            # "epoch" events carry the epoch just finished; progress events the one under way (1-based)
            self.epoch = int(event["epoch"]) if event.get("type") == "epoch" else int(event["epoch"]) - 1

    def _fractional_epoch(self) -> float:
        return self.epoch + (self.step / self.steps if self.steps else 0.0)

    def _points(self, event: Mapping, x: float, validation: bool, values: dict | None = None) -> None:
        for key, value in (values if values is not None else logs(event)).items():
            if key.startswith("val_") and not validation:
                continue
            xs, ys = self.series.setdefault(key, ([], []))
            if xs and xs[-1] == x:          # the epoch-end value replaces the last live point there
                ys[-1] = value
            else:
                xs.append(x)
                ys.append(value)

    def fraction(self) -> float:
        """How much of the run is done, 0..1, for the progress bar."""
        if self.state == "finished":
            return 1.0
        if not self.epochs:
            return 0.0
        return max(0.0, min(1.0, self._fractional_epoch() / self.epochs))

    def progress_text(self) -> str:
        """``epoch 2/10 · step 5/9 · 12 s left``, or what the run is waiting for or how it ended."""
        if self.state == "queued":
            place = f" (place {self.position} in the queue)" if self.position else ""
            return f"waiting for a free trainer{place}"
        if self.state == "error":
            return f"failed: {self.message}" if self.message else "failed"
        # Between epochs (step 0) the finished count is what a done run shows; mid-epoch, the one under way.
        under_way = not self.done or self.step > 0
        current_epoch = max(1, min(self.epoch + (1 if under_way else 0), self.epochs))
        parts = [self.phase] if self.phase else []
        parts.append(f"epoch {current_epoch}/{self.epochs}")
        if self.steps and (self.step or not self.done):
            parts.append(f"step {self.step}/{self.steps}")
        if self.state == "running" and self.eta is not None:
            parts.append(f"{format_seconds(self.eta)} left")
        if self.state == "stopped":
            parts.append("stopped")
        if self.state == "finished":
            parts.append(f"finished in {format_seconds(self.elapsed)}")
        return " · ".join(parts)


def format_seconds(seconds: float) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"


def logs(event: Mapping) -> dict[str, float]:
    """An event's losses and metrics as one flat Keras-style dict (``<head>_loss``, ``val_loss``...).

    Accepts the Keras ``logs`` dict as is, flat keys, or nested per-head dicts such as
    ``{"loss": {"total": 2.1, "species": 0.9}, "metrics": {"species": {"accuracy": 0.7}}}``.
    """
    if isinstance(event.get("logs"), Mapping):
        return {k: float(v) for k, v in event["logs"].items() if _number(v)}
    flat: dict[str, float] = {}
    for key, value in event.items():
        if key in BOOKKEEPING:
            continue
        if _number(value):
            flat[key] = float(value)
        elif isinstance(value, Mapping):
            flat.update(_nested(key, value))
    return flat


def _nested(key: str, value: Mapping) -> dict[str, float]:
    prefix = "val_" if key.startswith("val_") else ""
    name = key[len(prefix):]
    out = {}
    for head, inner in value.items():
        if name in ("loss", "losses") and _number(inner):
            out[f"{prefix}loss" if head in TOTAL_NAMES else f"{prefix}{head}_loss"] = float(inner)
        elif name == "metrics" and isinstance(inner, Mapping):
            out.update({f"{prefix}{head}_{metric}": float(v) for metric, v in inner.items() if _number(v)})
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ------------------------------------------------------------ run history

@dataclass
class RunRecord:
    """A finished run kept for the history overlay: its design, settings, curves and outcome."""

    number: int
    design: Design
    history: dict[str, list[float]]
    state: str
    result: Any = None                # the engine's RunResult (None for a run that failed)
    message: str = ""

    @property
    def label(self) -> str:
        return f"run {self.number}"


def record(runs: list[RunRecord], design: Design, live: LiveRun) -> RunRecord:
    """Append a finished run to the session's list, numbered from 1.

    Only the last KEEP_RESULTS runs keep their test predictions: a long session must
    not grow the server's memory run after run; older runs keep their curves.
    """
    entry = RunRecord(len(runs) + 1, design, dict(live.history), live.state, live.result, live.message)
    runs.append(entry)
    for old in runs[:-KEEP_RESULTS]:
        old.result = None
    return entry


def with_training(design: Design, settings: Mapping[str, Any], loss_weights: Mapping[str, float]) -> Design:
    """The design with new training settings and head loss weights (checked by the spec).

    Raises:
        DesignError: a setting is out of bounds; the message names it and the value received.
    """
    from ..design.spec import parse_design

    data = design.model_dump()
    data["training"] = {**data["training"], **settings}
    for head in data["heads"]:
        if head["name"] in loss_weights:
            head["loss_weight"] = float(loss_weights[head["name"]])
    return parse_design(data)


# ------------------------------------------------------- session state
# The pages keep the engine's handle under RUN (SHARING for a "does sharing help?" comparison), what
# it has streamed so far in a LiveRun under LIVE[slot], and finished runs, oldest first, under RUNS.

RUN, SHARING, RUNS = "run", "sharing", "runs"
LIVE = {RUN: "run_live", SHARING: "sharing_live"}
FIGURES = "_run_figures"


def begin(state: MutableMapping, slot: str, handle: Any, design: Design, epochs: int) -> LiveRun:
    """Remember a run the engine has just accepted; its events are read by ``sync``."""
    state[slot] = handle
    live = LiveRun([h.name for h in design.heads], epochs, design=design)
    state[LIVE[slot]] = live
    return live


def sync(state: MutableMapping, slot: str = RUN) -> LiveRun | None:
    """Fold the events the engine has sent since the last call into the slot's LiveRun.

    A run that has just ended is added to the history once (comparisons are not:
    they are a different budget).  Every page calls this, so a run that ends
    while the user is elsewhere still lands in the history.
    """
    live = state.get(LIVE[slot])
    handle = state.get(slot)
    if live is None or handle is None:
        return live
    if not live.done:
        live.add_all(handle.poll())
        if live.done:
            live.result = getattr(handle, "result", None)
            if live.result is not None and getattr(live.result, "history", None):
                live.history = dict(live.result.history)   # the engine's own record, after early stopping too
    if live.done and not live.recorded and slot == RUN:
        live.recorded = record(state.setdefault(RUNS, []), live.design, live).number
    return live


def training_line(state: MutableMapping) -> str | None:
    """The sidebar's training status: the Train page's own progress line, once a run exists."""
    live = state.get(LIVE[RUN])
    return live.progress_text() if live is not None else None


def history(state: MutableMapping) -> list[RunRecord]:
    return state.setdefault(RUNS, [])


def earlier_runs(state: MutableMapping, live: LiveRun, limit: int = 3) -> list[tuple[str, dict]]:
    """(label, series) of the last few runs with the same heads as ``live``, not counting ``live`` itself."""
    from ..report.figures import series_from_history

    same_heads = [r for r in history(state) if r.number != live.recorded and r.design is not None
                  and [h.name for h in r.design.heads] == live.heads and r.history]
    return [(r.label, series_from_history(r.history)) for r in same_heads[-limit:]]


def live_figures(state: MutableMapping, live: LiveRun, earlier: list[tuple[str, dict]]):
    """(loss figure, metric figure or None) for the Train page, drawn once per run and then refreshed.

    The fragment redraws twice a second; building the subplots each time would cost
    ~50 ms of the server's CPU, moving the new points in costs ~3 ms.
    """
    from ..report import figures

    signature = (id(live), live.phase, tuple(label for label, _ in earlier))
    cached = state.get(FIGURES)
    if cached is None or cached[0] != signature:
        metrics = {h.name: h.metrics for h in live.design.heads} if live.design is not None else {}
        cached = (signature, figures.loss_figure(live.heads, live.series, earlier, live=True),
                  figures.metric_figure(metrics, live.series, live=True))
        state[FIGURES] = cached
    _, loss, metric = cached
    figures.refresh(loss, live.series)
    if metric is not None:
        figures.refresh(metric, live.series)
    return loss, metric


def latest(state: MutableMapping) -> RunRecord | None:
    """The most recent finished (or stopped) run, after reading any new events."""
    sync(state)
    done = history(state)
    return done[-1] if done else None


def stop(state: MutableMapping, slot: str = RUN) -> None:
    handle = state.get(slot)
    if handle is not None:
        handle.stop()


def model_bytes(run: RunRecord | None) -> bytes | None:
    """The trained model's ``.keras`` file, if the run saved one."""
    path = getattr(run.result, "model_path", None) if run is not None else None
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:       # the temporary file was cleaned up: the user must train again
        return None


def test_results(design: Design, result: Any) -> dict:
    """Per-head results on the test split from the engine's RunResult (empty when there is none)."""
    from ..report.metrics import evaluate

    targets = getattr(result, "test_targets", None)
    predictions = getattr(result, "test_predictions", None)
    if not targets or not predictions or not any(len(v) for v in targets.values()):
        return {}
    return evaluate(design, targets, predictions, getattr(result, "test_weights", None) or None)


def sharing_rows(live: LiveRun) -> list[dict]:
    """Multi-task next to single-task test metrics for a finished comparison, formatted for a table."""
    from ..report.metrics import evaluate, format_metric, sharing_table

    result = live.result
    sharing = getattr(result, "sharing", None) or {}
    if not sharing.get("single") or live.design is None:
        return []
    targets, weights = result.test_targets, getattr(result, "test_weights", None) or None
    multi = evaluate(live.design, targets, sharing["multi"], weights)
    single = evaluate(live.design, targets, sharing["single"], weights)
    return [{**row, "multi-task": format_metric(row["metric"], row["multi-task"]),
             "single-task": format_metric(row["metric"], row["single-task"])}
            for row in sharing_table(multi, single)]


# ----------------------------------------------------------- the engine

_service = None
_service_lock = threading.Lock()


def service():
    """The server-wide training service, started on first use with a warm worker.

    One per server process on purpose: its workers and its cap on concurrent
    runs are shared by every session.
    """
    global _service
    with _service_lock:
        if _service is None:
            from ..train.service import TrainingService

            _service = TrainingService().warm()
        return _service


def start_run(state: MutableMapping, design: Design, dataset: Any) -> LiveRun:
    """Submit a training run of ``design`` on ``dataset``; raises DesignError/DataError before queueing."""
    _check_dataset(dataset)
    handle = service().submit(design, dataset)
    return begin(state, RUN, handle, design, design.training.epochs)


def start_sharing(state: MutableMapping, design: Design, dataset: Any) -> LiveRun:
    """Submit a "does sharing help?" comparison: the design, then each head alone, same budget."""
    _check_dataset(dataset)
    handle = service().submit(design, dataset, kind="sharing")
    return begin(state, SHARING, handle, design, design.training.epochs)


def planned_backend(design: Design) -> str:
    """The backend a Train press would use for ``design``, and why; warms a worker for it if the service runs."""
    from ..train import backend as backends

    choice = backends.choose(design)
    if _service is not None and hasattr(_service, "prewarm"):
        _service.prewarm(choice.name)
    return choice.describe()


def _check_dataset(dataset: Any) -> None:
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first: training needs data.")
