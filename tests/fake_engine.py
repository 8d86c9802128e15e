"""A test double of the training service: handles that replay scripted events, no processes.

It implements the handle contract of ``builder.train.service.RunHandle`` (``poll``, ``stop``,
``status_text``, ``done``, ``result``), so page tests can drive a whole run in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np


def events_for(design, epochs: int = 2, steps: int = 4) -> list[dict]:
    """progress and epoch events in the engine's shape, losses falling over time."""
    heads = [h.name for h in design.heads]
    out = [{"type": "started", "epochs": epochs, "rows": 100}]
    for epoch in range(1, epochs + 1):
        for step in (steps // 2, steps):
            value = 1.0 / (epoch + step / steps)
            logs = {"loss": value * len(heads), **{f"{h}_loss": value for h in heads}}
            out.append({"type": "progress", "epoch": epoch, "epochs": epochs, "step": step, "steps": steps,
                        "elapsed": epoch, "eta": (epochs - epoch) * 1.0, "logs": logs})
        logs = {**logs, "val_loss": logs["loss"] * 1.1, **{f"val_{h}_loss": value * 1.1 for h in heads}}
        out.append({"type": "epoch", "epoch": epoch, "epochs": epochs, "step": steps, "steps": steps,
                    "elapsed": epoch, "eta": 0.0, "logs": logs})
    return out


def result_for(design, history: dict, model_path: str | None = None, sharing: bool = False):
    """A RunResult-like object with perfect test predictions for every head."""
    targets, predictions = {}, {}
    for head in design.heads:
        if head.loss in ("mse", "mae", "huber"):
            targets[head.name] = np.arange(6.0).reshape(-1, 1)
        elif head.output.units == 1:
            targets[head.name] = np.array([0, 1, 0, 1, 1, 0], dtype=float).reshape(-1, 1)
        else:
            targets[head.name] = np.arange(6) % head.output.units
        predictions[head.name] = _as_prediction(head, targets[head.name])
    single = {k: v * 0 for k, v in predictions.items()} if sharing else None
    return SimpleNamespace(status="finished", model_path=model_path, history=history, test_targets=targets,
                           test_predictions=predictions, test_weights={}, epochs_run=len(history.get("loss", [])),
                           sharing={"multi": predictions, "single": single} if sharing else None)


def _as_prediction(head, target):
    if head.loss in ("mse", "mae", "huber") or head.output.units == 1:
        return np.asarray(target, dtype=float)
    return np.eye(head.output.units)[target]


@dataclass
class FakeHandle:
    design: object
    kind: str = "train"
    scripted: list = field(default_factory=list)
    per_poll: int = 3
    model_path: str | None = None
    stopped: bool = False
    status: str = "queued"
    result: object = None
    fail_with: str = ""

    def poll(self) -> list[dict]:
        if self.fail_with and self.status != "error":
            self.status = "error"
            return [{"type": "started", "epochs": 2}, {"type": "error", "message": self.fail_with}]
        if self.stopped and self.status not in ("finished", "stopped"):
            self.scripted = [{"type": "stopped"}]
        batch, self.scripted = self.scripted[:self.per_poll], self.scripted[self.per_poll:]
        if not self.scripted and not self.stopped and batch and batch[-1]["type"] != "finished":
            batch.append({"type": "finished"})
        for ev in batch:
            if ev["type"] in ("finished", "stopped"):
                self.status = ev["type"]
                history = {}
                for e in events_for(self.design):
                    if e["type"] == "epoch":
                        for k, v in e["logs"].items():
                            history.setdefault(k, []).append(v)
                self.result = result_for(self.design, history, self.model_path, sharing=self.kind == "sharing")
        return batch

    def stop(self) -> None:
        self.stopped = True

    @property
    def done(self) -> bool:
        return self.status in ("finished", "stopped", "error")

    def status_text(self) -> str:
        return self.status


@dataclass
class FakeService:
    per_poll: int = 3
    model_path: str | None = None
    submitted: list = field(default_factory=list)
    fail_with: str = ""
    ready_for: list = field(default_factory=list)

    def get_ready(self, design, data, training=None, **_):
        self.ready_for.append(design)

    def submit(self, design, data, training=None, kind="train", **_):
        handle = FakeHandle(design, kind, events_for(design), self.per_poll, self.model_path, fail_with=self.fail_with)
        self.submitted.append(handle)
        return handle
