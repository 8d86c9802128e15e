"""What a page keeps of one run: its ``RunHandle`` (events, status, Stop) and, once it ends, its ``RunResult``.

The service's event thread feeds each handle; the page polls it.  Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..design.spec import Design, Training
from . import backend as backends
from .events import DONE_TYPES, ordinal

if TYPE_CHECKING:     # the service holds handles; a handle only calls back into it
    from .service import TrainingService

MAX_PENDING_EVENTS = 2000     # events kept for a page that stopped polling (the user left the page)
MAX_POINTS = 4000             # within-epoch curve points kept per run; older ones are thinned
# Set to a file path to append one JSON line per ended run (run id, status, wall-clock time): lets an
# operator, or the load test, compare when a run ended on the server with when a page showed it.
RUN_LOG_ENV = "BUILDER_RUN_LOG"


@dataclass
class RunResult:
    """What a finished (or stopped) run gives back to the page process.

    Attributes:
        model_path: the trained model as a ``.keras`` file, preprocessing included;
            load it with ``load_model()`` (``safe_mode=True``) only when needed.
        history: Keras-style ``{"loss": [...], "<head>_loss": [...], "val_<head>_mae": [...]}``,
            one value per finished epoch, always head-prefixed.
        test_predictions / test_targets / test_weights: per head, on the held-out test split
            (a weight of 0 marks a row whose target was missing).
        sharing: for a "does sharing help?" run, ``{"multi": {head: predictions},
            "single": {head: predictions}, "single_history": {head: history}}``; else None.
    """

    run_id: str
    design: Design
    status: str
    model_path: str | None
    history: dict[str, list[float]]
    test_predictions: dict[str, np.ndarray]
    test_targets: dict[str, np.ndarray]
    test_weights: dict[str, np.ndarray] = field(default_factory=dict)
    epochs_run: int = 0
    elapsed: float = 0.0
    sharing: dict | None = None
    backend: str = ""   # the Keras backend that trained it, and why
    backend_reason: str = ""

    def load_model(self):
        """The trained Keras model (imports Keras in this process)."""
        import keras

        return keras.saving.load_model(self.model_path, safe_mode=True)


class RunHandle:
    """One run as the page sees it: poll for events, read status and history, stop it.

    Event dicts (``poll()`` returns the new ones, oldest first):
      - ``queued``: ``place`` (1 = next to start)
      - ``started``: ``epochs``, ``rows``
      - ``progress``: ``epoch`` (1-based), ``epochs``, ``step``, ``steps``, ``elapsed``, ``eta``
        (seconds or None), ``loss`` (weighted total), ``heads`` ({head: {"loss", metric...}}),
        ``logs`` (flat Keras names); at least once a second while training
      - ``epoch``: the same plus ``val_loss`` and ``val_<metric>`` inside each head
      - ``finished`` / ``stopped``: the run's result is on ``handle.result``
      - ``error``: ``message`` (one line for the user; names the head for a NaN loss)
    """

    def __init__(self, run_id: str, design: Design, training: Training, kind: str, service: "TrainingService"):
        self.run_id, self.design, self.training, self.kind = run_id, design, training, kind
        self._service = service
        self._lock = threading.Lock()
        self._pending: deque[dict] = deque(maxlen=MAX_PENDING_EVENTS)
        self._done = threading.Event()
        self.status = "queued"          # queued | starting | running | finished | stopped | error
        self.queue_place: int | None = None
        self.history: dict[str, list[float]] = {}
        self.points: list[dict] = []    # {"epoch": fractional epoch, "loss": ..., "<head>_loss": ...}
        self.progress: dict | None = None   # the latest progress or epoch event
        self.phase: str | None = None   # for a sharing run: "multi-task", "head 'x' alone"
        self.result: RunResult | None = None
        self.error: str | None = None
        self.stop_requested = False     # Stop pressed; the run is saving what it has
        self.backend: backends.Choice | None = None   # set by the service at submit

    # -- for the page
    def poll(self) -> list[dict]:
        """The events that arrived since the last call, oldest first."""
        with self._lock:
            events = list(self._pending)
            self._pending.clear()
        return events

    def stop(self) -> None:
        """Stop the run: it ends within about a second and keeps its weights and history so far."""
        self.stop_requested = True
        self._service._stop(self)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (for scripts and tests); True if it did."""
        return self._done.wait(timeout)

    def status_text(self) -> str:
        """One line for the sidebar: "queued, 2nd in line", "training: epoch 3/10", "finished: 10 epochs"."""
        p = self.progress or {}
        if self.status == "queued":
            return f"queued, {ordinal(self.queue_place)} in line" if self.queue_place else "queued"
        if self.status == "starting":
            return "starting"
        if self.status == "running" and self.stop_requested:
            return "stopping"
        if self.status == "running":
            where = f"epoch {p['epoch']}/{p['epochs']}" if p else "starting"
            return f"{'comparing' if self.kind == 'sharing' else 'training'}: " + (
                f"{self.phase}, {where}" if self.phase else where)
        if self.status in ("finished", "stopped"):
            n = self.result.epochs_run if self.result else 0
            epochs = f"{n} epoch{'s' if n != 1 else ''}"
            return f"finished: {epochs}" if self.status == "finished" else f"stopped after {epochs}"
        return f"error: {self.error}"

    # -- for the service's router thread
    def _deliver(self, ev: dict) -> None:
        with self._lock:
            kind = ev["type"]
            if kind == "queued":
                self.queue_place = ev.get("place")
            elif kind == "started":
                self.status, self.queue_place = "running", None
            elif kind in ("progress", "epoch"):
                self.status = "running"
                self.phase = ev.get("phase")
                if ev.get("phase_index", 0) == 0:     # the multi-task run's curves, not the baselines'
                    self._record(ev)
            elif kind in DONE_TYPES:
                self._finish(ev)
            self._pending.append(_light(ev))
        if kind in DONE_TYPES:
            self._done.set()
            log_end(self)

    def _record(self, ev: dict) -> None:
        self.progress = _light(ev)
        x = ev["epoch"] - 1 + ev["step"] / max(ev["steps"], 1)
        self.points.append({"epoch": round(x, 4), **{k: v for k, v in ev["logs"].items() if not k.startswith("val_")}})
        if len(self.points) > MAX_POINTS:
            del self.points[::2]
        if ev["type"] == "epoch":
            for key, value in ev["logs"].items():
                self.history.setdefault(key, []).append(value)

    def _finish(self, ev: dict) -> None:
        self.status = ev["type"]
        if ev.get("history"):
            self.history = ev["history"]
        if ev["type"] == "error":
            self.error = ev.get("message", "training failed")
        if "test_predictions" in ev:
            self.result = RunResult(
                run_id=self.run_id, design=self.design, status=ev["type"], model_path=ev.get("model_path"),
                history=self.history, test_predictions=ev["test_predictions"], test_targets=ev["test_targets"],
                test_weights=ev.get("test_weights") or {}, epochs_run=ev.get("epochs_run", 0),
                elapsed=ev.get("elapsed", 0.0), sharing=ev.get("sharing"),
                backend=ev.get("backend", ""), backend_reason=ev.get("backend_reason", ""))
            if self.result.model_path:
                # The saved model lives as long as the result: a session that drops old runs frees the disk.
                weakref.finalize(self.result, _remove_file, self.result.model_path)


def log_end(handle: RunHandle) -> None:
    path = os.environ.get(RUN_LOG_ENV)
    if not path or handle.kind == "rehearse":     # a rehearsal is not a run the user asked for
        return
    line = json.dumps({"run_id": handle.run_id, "status": handle.status, "time": time.time()})
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError:
        pass


def _remove_file(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _light(ev: dict) -> dict:
    """The event without its bulky arrays (those live on handle.result)."""
    return {k: v for k, v in ev.items()
            if k not in ("test_predictions", "test_targets", "test_weights", "sharing", "worker_retiring")}
