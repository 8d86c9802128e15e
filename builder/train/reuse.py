"""A compiled model kept for the next run of the same design in this process, so it is not traced again.

A short run's fixed cost is mostly tracing, not training: TensorFlow builds the graph of the multi-step
train function (about 1.7 s for seed-multi-regression on this project's 2-core CPU, against 0.75 s for
six epochs of training), and JAX traces and lowers each step function (about 0.1 s each: the full batch,
the last partial batch, validation and prediction; its persistent cache in ``backend.py`` saves only
XLA's compile).  Those traced functions belong to the model object, so a worker that trains the same
design again gets the model it compiled last time back, with every variable set to what a model built
now holds (built with this run's seed: the same initial weights) and the optimizer's variables as they
were before its first step.  It then trains exactly as a new model would: same events, same metrics,
same saved ``.keras`` file (``tests/test_reuse.py``).

A trace bakes in more than the variables, so a kept model is used only when all of this matches: the
design (layers, losses, loss weights, metrics, names), the optimizer and batch size, steps per
execution, the backend, and what preprocessing layers learnt from the data (Normalization's mean and
variance, text vocabularies: a digest of the new model's non-trainable variables and vocabularies).
Loss balancing replaces the train step and distributed runs build under a strategy: those always
compile anew.  A worker's warm-up run (``worker.warm_up``) is kept too, so the first real run of the
default design starts without tracing; it is frozen with the warm state (``gc.freeze``), so once
evicted it stays allocated until the worker is recycled (one small model).

The model ``fit_model`` returns is therefore valid until the next ``fit_model`` of the same design in
the process (callers predict and save straight after fitting).  Imports Keras: workers and the CLI only.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import keras
import numpy as np

from ..data import fit_preprocessing
from ..design.spec import Design, Training
from ..model.build import build_model, compile_model
from .traces import KEEP_MODELS, UNTRACED

# Kept models hold their weights, optimizer slots and traced graphs (and count towards the worker's
# recycling threshold); KEEP_MODELS = 4 serve a "does sharing help?" comparison of three heads (the design
# and each head alone, once per seed) without tracing again.
KEEP_BYTES = 256 * 2**20       # weights and optimizer slots of all kept models together


@dataclass
class Kept:
    model: object
    optimizer_start: list[np.ndarray]     # the optimizer's variables before its first step
    nbytes: int


_kept: OrderedDict[str, Kept] = OrderedDict()


def compiled_model(design: Design, training: Training, prepared, steps_per_execution: int, strategy=None):
    """A built, preprocessed and compiled model for this run: the kept one when this design ran before."""
    from .balancing import is_balanced

    if strategy is not None:
        with strategy.scope():
            return _new(design, training, prepared, steps_per_execution)
    if is_balanced(design, training):
        return _new(design, training, prepared, steps_per_execution)
    model = build_model(design)      # with this run's seed: the initial weights a kept model takes on
    fit_preprocessing(model, design, prepared)
    key = _key(design, training, steps_per_execution, model)
    kept = _kept.pop(key, None)
    if kept is not None and _load(kept, model, training.learning_rate):
        _kept[key] = kept            # most recently used last
        return kept.model
    compile_model(model, design, training, steps_per_execution=steps_per_execution)
    # Built now rather than on the first fit: its starting state is what a kept model is reset to.
    model.optimizer.build(model.trainable_variables)
    start = [np.array(keras.ops.convert_to_numpy(v.value)) for v in model.optimizer.variables]
    nbytes = sum(a.nbytes for a in start) + sum(int(np.prod(v.shape)) * 4 for v in model.weights)
    _kept[key] = Kept(model, start, nbytes)
    _evict()
    return model


def forget() -> None:
    """Drop every kept model (their graphs and weights are freed at the next garbage collection)."""
    _kept.clear()


def kept_count() -> int:
    return len(_kept)


def _new(design: Design, training: Training, prepared, steps_per_execution: int):
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    compile_model(model, design, training, steps_per_execution=steps_per_execution)
    return model


def _key(design: Design, training: Training, steps_per_execution: int, model) -> str:
    digest = hashlib.sha256()
    digest.update(keras.backend.backend().encode())
    digest.update(design.model_dump_json(exclude={"training"}).encode())
    digest.update(training.model_dump_json(exclude=UNTRACED).encode())
    digest.update(str(steps_per_execution).encode())
    for variable in model.non_trainable_variables:     # preprocessing statistics (and seed states)
        digest.update(variable.path.encode())
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(variable.value)).tobytes())
    for layer in model._flatten_layers():
        # Text vocabularies live in TensorFlow lookup tables, which are not Keras variables.
        if hasattr(layer, "get_vocabulary"):
            digest.update(layer.name.encode())
            digest.update(repr(layer.get_vocabulary()).encode())
    return digest.hexdigest()


def _load(kept: Kept, new, learning_rate: float) -> bool:
    """Give ``kept.model`` the state of the freshly built ``new`` model; False where they do not pair up."""
    model = kept.model
    pairs = []
    if len(model.layers) != len(new.layers):
        return False
    for old_layer, new_layer in zip(model.layers, new.layers):
        if old_layer.name != new_layer.name or len(old_layer.variables) != len(new_layer.variables):
            return False
        for old, fresh in zip(old_layer.variables, new_layer.variables):
            if tuple(old.shape) != tuple(fresh.shape) or old.dtype != fresh.dtype:
                return False
            pairs.append((old, fresh))
    if len(model.optimizer.variables) != len(kept.optimizer_start):
        return False
    try:
        for old, fresh in pairs:
            old.assign(fresh.value)
        for variable, start in zip(model.optimizer.variables, kept.optimizer_start):
            variable.assign(start)
        model.optimizer.learning_rate = learning_rate     # assigns the variable, as a new optimizer holds it
    except Exception:   # e.g. a run that failed inside a step left buffers behind: compile a new model instead
        return False
    model.reset_metrics()
    model.stop_training = False
    _replay_first_build(model)
    return True


def _replay_first_build(model) -> None:
    """Make the kept model's next fit draw the random numbers a new model's first fit draws.

    A new model's first ``fit`` builds its metrics from one batch, and getting that batch starts an
    epoch of the data iterator.  On JAX that epoch draws a permutation from numpy's global generator, so
    a kept model, built already, would see every epoch in another order than a new model with the same
    seed (and than the exported script).  This starts and drops one epoch the same way, once, then builds
    as Keras would; TensorFlow's pipelines gave the same numbers with or without it, and get it too, so a
    kept model has a new one's side effects whatever the backend.
    """
    keras_build = type(model)._symbolic_build

    def symbolic_build(iterator=None, data_batch=None):
        del model.__dict__["_symbolic_build"]      # once, like the first fit of a new model
        if iterator is not None and data_batch is None:
            for _, _, data_or_iterator in iterator:     # as Trainer._symbolic_build takes its batch
                if not isinstance(data_or_iterator, (list, tuple)):
                    next(data_or_iterator)
                break
        return keras_build(model, iterator=iterator, data_batch=data_batch)

    model.__dict__["_symbolic_build"] = symbolic_build


def _evict() -> None:
    while len(_kept) > KEEP_MODELS or (len(_kept) > 1 and sum(k.nbytes for k in _kept.values()) > KEEP_BYTES):
        _kept.popitem(last=False)
