"""Which Keras backend trains a design, and why (no Keras import here).

Keras 3 runs the same model on TensorFlow or JAX, and the saved ``.keras``
file, the exported script and the reported numbers do not depend on which one
trained it.  On this project's CPU measurements (``benchmarks/bench_backend.py``)
JAX trains dense and recurrent trunks markedly faster, and TensorFlow trains
convolutions faster; so:

- ``jax`` for a design without convolution or pooling layers whose inputs are
  numbers (JAX is installed, and no ``tf.distribute`` strategy is asked for);
- ``tensorflow`` otherwise: convolutions, string columns (``StringLookup``
  runs only inside a TensorFlow graph), distributed runs, or JAX missing.

``BUILDER_KERAS_BACKEND`` (``tensorflow`` | ``jax`` | ``auto``) or the CLI's
``--backend`` forces one.  Keras reads its backend once per process, when it is
first imported; :func:`activate` sets ``KERAS_BACKEND`` before that, and a
process that already loaded Keras keeps its backend (and says so), as does one
started with Keras' own ``KERAS_BACKEND`` set (unless the setting above forces one).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..design.spec import Design, TableInput

BACKENDS = ("tensorflow", "jax")
SETTING = "BUILDER_KERAS_BACKEND"
# Layer categories that train faster on TensorFlow's CPU kernels than on XLA's (see the module docstring).
TENSORFLOW_CATEGORIES = ("convolution", "pooling")
CACHE_DIR = Path(os.environ.get("BUILDER_JAX_CACHE", Path.home() / ".cache" / "builder" / "jax"))


@dataclass(frozen=True)
class Choice:
    """A backend and the reason for it, in words a user can read ("JAX: dense and recurrent layers ...")."""

    name: str
    reason: str
    forced: bool = False     # a setting asked for it (it wins over Keras' own KERAS_BACKEND)

    def describe(self) -> str:
        return f"{label(self.name)} ({self.reason})"


def label(name: str) -> str:
    return {"tensorflow": "TensorFlow", "jax": "JAX"}.get(name, name)


def jax_installed() -> bool:
    return importlib.util.find_spec("jax") is not None


def forced(value: str | None = None) -> str | None:
    """The backend a setting forces: ``value`` (a CLI flag) else ``BUILDER_KERAS_BACKEND``; None for auto.

    Raises:
        ValueError: an unknown backend name, repeating what was received.
    """
    value = (value or os.environ.get(SETTING) or "auto").strip().lower()
    if value == "auto":
        return None
    if value not in BACKENDS:
        raise ValueError(f"the Keras backend must be one of auto, {', '.join(BACKENDS)}. Received: {value!r}.")
    return value


def choose(design: Design, strategy: str | None = None, force: str | None = None) -> Choice:
    """The backend that trains ``design`` fastest among those that can train it."""
    reason_tf = _needs_tensorflow(design, strategy)
    try:
        wanted = forced(force)
    except ValueError as e:     # a mistyped setting must not stop training: say so and choose as usual
        choice = choose(design, strategy, "auto")
        return Choice(choice.name, f"{choice.reason}; {SETTING} ignored: {e}")
    if wanted == "jax" and (cannot := _jax_cannot(design)):
        return Choice("tensorflow", f"{cannot}; asked for JAX, which cannot run it")
    if wanted == "jax" and not jax_installed():
        return Choice("tensorflow", "asked for JAX, but it is not installed (pip install jax)")
    if wanted:
        return Choice(wanted, f"set by {SETTING} or --backend", forced=True)
    if reason_tf:
        return Choice("tensorflow", reason_tf)
    if not jax_installed():
        return Choice("tensorflow", "JAX is not installed; it trains dense and recurrent designs faster")
    return Choice("jax", "dense and recurrent layers train fastest on JAX")


def _needs_tensorflow(design: Design, strategy: str | None) -> str | None:
    """Why ``design`` trains on TensorFlow, or None: what JAX cannot run comes first, then what is faster."""
    from ..design.registry import REGISTRY

    if strategy:
        return "tf.distribute runs need TensorFlow"
    if reason := _jax_cannot(design):
        return reason
    categories = {REGISTRY[layer.type].category for _, layer in design.all_layers()}
    if categories & set(TENSORFLOW_CATEGORIES):
        return "convolutions train fastest on TensorFlow"
    return None


def _jax_cannot(design: Design) -> str | None:
    """What in ``design``'s run only TensorFlow can do, in words, or None."""
    from .balancing import is_balanced

    if isinstance(design.input, TableInput) and any(c.kind != "numeric" for c in design.input.columns):
        return "string columns are looked up inside a TensorFlow graph"
    if is_balanced(design):
        return "loss balancing trains with a TensorFlow step"
    return None


def warm_default(force: str | None = None) -> str:
    """The backend of a worker started before any design is known: the forced one, else TensorFlow
    (the default penguins design has string columns)."""
    try:
        return forced(force) or "tensorflow"
    except ValueError:
        return "tensorflow"


def event_text(event: dict) -> str:
    """Which backend trains a run and why, from its started or last event: "JAX (dense and ... JAX)"."""
    reason = event.get("backend_reason")
    return label(event["backend"]) + (f" ({reason})" if reason else "")


def loaded() -> str | None:
    """The backend Keras already runs in this process, or None when Keras is not imported yet."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None and hasattr(keras, "backend") else None


def activate(choice: Choice) -> Choice:
    """Make ``choice`` this process's backend if Keras is not loaded yet; return the backend that will train."""
    current = loaded()
    preset = os.environ.get("KERAS_BACKEND")
    if current is None and preset in BACKENDS and preset != choice.name and not choice.forced:
        return Choice(preset, f"KERAS_BACKEND is set to {preset}; {label(choice.name)} would be chosen "
                              f"because {choice.reason}")
    if current is None:
        os.environ["KERAS_BACKEND"] = choice.name
        return choice
    if current == choice.name:
        return choice
    return Choice(current, f"Keras was already loaded with {label(current)} in this process; "
                           f"{label(choice.name)} was chosen because {choice.reason}")


def configure_compilation_cache() -> None:
    """On JAX, keep compiled steps on disk: a design trained before (same shapes) starts without recompiling.

    XLA compiles every train, test and predict step on first use (seconds each on
    a small CPU); the persistent cache makes that a file read for a design the user
    has trained before, in this worker or any later one.
    """
    if loaded() != "jax":
        return
    import jax

    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
    except OSError:
        return   # no writable cache: compile every time, which is only slower
    jax.config.update("jax_compilation_cache_dir", str(CACHE_DIR))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
