"""Saving the model while it trains, so a run that has to be killed still leaves its weights.

A worker that stops answering (stuck in a kernel, suspended, out of memory)
is killed by the service after a grace period; the run then ends "stopped"
with the last model saved here.  Saving is throttled: at the end of an epoch,
at most once every ``CHECKPOINT_EVERY_S`` seconds, through a temporary file
and ``os.replace`` so the file on disk is always a whole model.  Imports
Keras: workers and the CLI only.
"""

from __future__ import annotations

import os
import time

import keras

CHECKPOINT_EVERY_S = float(os.environ.get("BUILDER_CHECKPOINT_EVERY_S", 10))


class Checkpoint(keras.callbacks.Callback):
    """Save the model to ``path`` at an epoch's end, at most every ``every`` seconds (the first epoch always)."""

    def __init__(self, path: str, every: float = CHECKPOINT_EVERY_S):
        super().__init__()
        self.path, self.every = path, every
        self.last = None

    def on_epoch_end(self, epoch, logs=None):
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        save_atomically(self.model, self.path)


def save_atomically(model, path: str) -> None:
    """``model.save(path)`` through a temporary ``.keras`` file next to it: never a half-written model."""
    folder, name = os.path.split(path)
    partial = os.path.join(folder, f".{name}.{os.getpid()}.partial.keras")
    try:
        model.save(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
