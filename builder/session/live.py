"""A run as a page draws it: the engine's events folded into curves, progress and an outcome.

The training engine streams events (plain dicts, see ``builder.train``); a
``LiveRun`` folds them, in order, into per-head series for the plots, a
progress fraction with a line of text, and the final state.  Pure Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

from ..design.spec import Design
from ..train.backend import event_text
from ..train.events import DONE_TYPES

if TYPE_CHECKING:     # the service module loads numpy and multiprocessing; only its types are needed here
    from ..train.service import RunResult

ACTIVE_STATES = ("queued", "started", "running")


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
    multitask: list = field(default_factory=list)   # "balancing" and "interference" events, in order
    phase_index: int = 0              # a comparison: which of its trainings is under way, of how many
    phases: int = 1
    backend: str = ""                 # "JAX (dense and recurrent layers train fastest on JAX)", once started

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
        elif kind in ("balancing", "interference"):
            self.multitask.append(dict(event))
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
            self.phase_index, self.phases = int(event.get("phase_index", 0)), max(1, int(event.get("phases", 1)))
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
        within = self._fractional_epoch() / self.epochs     # a comparison: all of its trainings, not one
        return max(0.0, min(1.0, (self.phase_index + min(within, 1.0)) / self.phases))

    def progress_text(self) -> str:
        """``epoch 2/10 · step 5/9 · 12 s left``, or what the run is waiting for or how it ended."""
        if self.state == "queued":     # without a place in the queue, a worker is taking it: "starting"
            return f"waiting for a free trainer (place {self.position} in the queue)" if self.position else "starting"
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
