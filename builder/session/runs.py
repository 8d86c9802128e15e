"""What the Train and Results pages know about a run: its curves, progress and outcome.

The training engine streams events (plain dicts, see ``builder.train``); a
``LiveRun`` folds them, in order, into per-head series for the plots, a
progress fraction with a line of text, and the final state.  A finished run
becomes a ``RunRecord`` kept for the history overlay and the design-change
list.  Everything here is pure Python, so the pages only draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, MutableMapping

from ..data import Dataset
from ..design.spec import Design
from ..errors import DataError
from ..train.events import DONE_TYPES

if TYPE_CHECKING:     # the service module loads numpy and multiprocessing; only its types are needed here
    from ..train.service import RunHandle, RunResult, TrainingService

ACTIVE_STATES = ("queued", "started", "running")
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
    result: RunResult | None = None   # test predictions, model path, history
    phase: str = ""                   # "does sharing help?" runs: which of the trainings is under way
    recorded: int | None = None       # its number in the session's run history, once appended

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def done(self) -> bool:
        return self.state in DONE_TYPES

    def add_all(self, events: Iterable[Mapping]) -> None:
        for event in events:
            self.add(event)

    def add(self, event: Mapping) -> None:
        kind = event.get("type", "")
        self._where(event)
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
        elif kind in DONE_TYPES:
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
    """An event's losses and metrics: the engine's flat Keras-style ``logs`` (``<head>_loss``, ``val_loss``...)."""
    values = event.get("logs")
    if not isinstance(values, Mapping):
        return {}
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


# ------------------------------------------------------------ run history

@dataclass
class RunRecord:
    """A finished run kept for the history overlay: its design, settings, curves and outcome."""

    number: int
    design: Design
    history: dict[str, list[float]]
    state: str
    result: RunResult | None = None   # None for a run that failed
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


# ------------------------------------------------------- session state
# The pages keep the engine's handle under RUN (SHARING for a "does sharing help?" comparison), what
# it has streamed so far in a LiveRun under LIVE[slot], and finished runs, oldest first, under RUNS.

RUN, SHARING, RUNS = "run", "sharing", "runs"
LIVE = {RUN: "run_live", SHARING: "sharing_live"}


def begin(state: MutableMapping, slot: str, handle: RunHandle, design: Design, epochs: int) -> LiveRun:
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
            live.result = handle.result
            if live.result is not None and live.result.history:
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
    path = run.result.model_path if run is not None and run.result is not None else None
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:       # the temporary file was cleaned up: the user must train again
        return None


# ----------------------------------------------------------- submitting

def start_run(state: MutableMapping, service: TrainingService, design: Design, dataset: Dataset | None) -> LiveRun:
    """Submit a training run of ``design`` on ``dataset``; raises DesignError/DataError before queueing."""
    _check_dataset(dataset)
    handle = service.submit(design, dataset)
    return begin(state, RUN, handle, design, design.training.epochs)


def start_sharing(state: MutableMapping, service: TrainingService, design: Design,
                  dataset: Dataset | None) -> LiveRun:
    """Submit a "does sharing help?" comparison: the design, then each head alone, same budget."""
    _check_dataset(dataset)
    handle = service.submit(design, dataset, kind="sharing")
    return begin(state, SHARING, handle, design, design.training.epochs)


def _check_dataset(dataset: Dataset | None) -> None:
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first: training needs data.")
