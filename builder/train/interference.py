"""The task-interference meter: do the heads pull the shared trunk the same way?

Every epoch (or every ``interference_every`` steps), on one fixed probe batch (held-out rows when
there are some; ``probe_rows`` of them), each head's loss gradient with respect to the shared trunk's weights is taken separately.
The meter reports the cosine similarity of each pair of those gradients (+1: the heads agree,
0: they ignore each other, below 0: they pull in opposite directions) and each head's share of the
trunk's gradient norm (after its loss weight).  ``reading`` turns the latest values into one sentence;
``branch_advice`` proposes a design edit the user may apply (never applied here).

The callback imports Keras (and TensorFlow or JAX) inside functions; ``reading`` and ``branch_advice`` are pure Python.
"""

from __future__ import annotations

import math
import time
from typing import Callable

PROBE_ROWS = 256
MIN_PROBE_ROWS = 32
CONFLICT_BELOW = -0.1       # a pair whose cosine stays below this pulls in opposite directions
AGREE_ABOVE = 0.5


def probe_rows(train_rows: int) -> int:
    """Rows of the probe batch: a sixteenth of the training rows, 32 to 256. Each reading costs about a
    forward and one backward pass per head over the probe, so this keeps the meter near 5% of an epoch
    on small data sets (256 rows of 1,000 cost 19% of a convolutional epoch) and exact enough on large ones."""
    return max(MIN_PROBE_ROWS, min(PROBE_ROWS, train_rows // 16))


def enabled(design, training=None) -> bool:
    """On for two heads or more unless switched off; ``on`` still needs two heads to compare."""
    training = training or design.training
    return len(design.heads) > 1 and training.interference != "off"


def pair_key(a: str, b: str) -> str:
    return f"{a}|{b}"


def pairs(heads: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(heads) for b in heads[i + 1:]]


# --------------------------------------------------------------- reading

def reading(cosine: dict[str, float], share: dict[str, float]) -> str:
    """One sentence for the user about the latest meter values.

    Example:
        >>> reading({"price|category": -0.4}, {"price": 0.6, "category": 0.4})
        "'price' and 'category' pull the shared layers in opposite directions (cosine -0.40): try branching 'category' earlier."
    """
    if not cosine:
        return "The meter needs two heads or more to compare."
    key, worst = min(cosine.items(), key=lambda kv: kv[1])
    a, b = key.split("|", 1)
    if worst < CONFLICT_BELOW:
        weaker = min((a, b), key=lambda h: share.get(h, 0.0))
        return (f"{a!r} and {b!r} pull the shared layers in opposite directions (cosine {worst:.2f}): "
                f"try branching {weaker!r} earlier.")
    top = max(share, key=share.get) if share else None
    dominant = (f" {top!r} drives {share[top]:.0%} of the trunk's updates." if top and share[top] > 0.8
                and len(share) > 1 else "")
    if worst > AGREE_ABOVE:
        return f"The heads agree on how to change the shared layers (lowest cosine {worst:.2f}): sharing helps them." + dominant
    return (f"The heads mostly ignore each other in the shared layers (lowest cosine {worst:.2f}, "
            f"{a!r} and {b!r}): little help, little harm." + dominant)


def branch_advice(design, cosine: dict[str, float], share: dict[str, float]):
    """(sentence, edited design) moving the weaker head of the worst conflicting pair one trunk layer earlier.

    Returns None when no pair conflicts or the head already branches from the input.
    """
    if not cosine:
        return None
    key, worst = min(cosine.items(), key=lambda kv: kv[1])
    if worst >= CONFLICT_BELOW:
        return None
    a, b = key.split("|", 1)
    name = min((a, b), key=lambda h: share.get(h, 0.0))
    head = design.head(name)
    ids = [layer.id for layer in design.trunk]
    current = head.branch_from or (ids[-1] if ids else "input")
    if current == "input" or current not in ids:
        return None
    at = ids.index(current)
    earlier = ids[at - 1] if at > 0 else "input"
    heads = [h.model_copy(update={"branch_from": earlier}) if h.name == name else h for h in design.heads]
    where = "the input" if earlier == "input" else f"trunk layer {earlier!r}"
    sentence = f"Branch {name!r} from {where} instead of {current!r}: one shared layer less."
    return sentence, design.model_copy(update={"heads": heads})


def latest(events: list[dict]) -> dict | None:
    """The last ``interference`` event of a run, or None."""
    return next((e for e in reversed(events) if e.get("type") == "interference"), None)


# ------------------------------------------------------------ measuring

def trunk_variables(model, design) -> list:
    """The trainable variables of the shared trunk's layers (named by their design ids)."""
    names = {layer.id for layer in design.trunk}
    return [v for layer in model.layers if layer.name in names for v in layer.trainable_variables]


def probe_batch(design, split, rows: int = PROBE_ROWS, scaling: dict | None = None):
    """The first ``rows`` rows: x, targets (standardised as the model learns them) and sample weights in head order."""
    import numpy as np

    from ..data.scaling import standardised

    n = min(rows, int(split.n))

    def cut(value):
        return {k: np.asarray(v)[:n] for k, v in value.items()} if isinstance(value, dict) else np.asarray(value)[:n]

    x = cut(split.x)
    targets = standardised(split.y, scaling) if scaling else split.y
    y = [np.asarray(targets[h.name])[:n] for h in design.heads]
    weights = split.sample_weight or {}
    w = [np.asarray(weights[h.name], "float32")[:n] if h.name in weights else np.ones(n, "float32")
         for h in design.heads]
    return x, y, w


def gradient_function(model, design, variables) -> Callable:
    """A compiled function: probe batch -> (cosine matrix, per-head trunk gradient norms), on the backend
    the model trains on (Keras reads its backend once per process)."""
    import keras

    losses = [keras.losses.get(h.loss) for h in design.heads]
    if keras.backend.backend() == "jax":
        return _jax_gradient_function(model, losses, variables)
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def measure(x, ys, ws):
        with tf.GradientTape(persistent=True) as tape:
            head_losses = _head_losses(losses, model(x, training=False), ys, ws)
        flat = []
        for loss in head_losses:
            grads = tape.gradient(loss, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            flat.append(tf.concat([tf.reshape(g, [-1]) for g in grads], axis=0))
        del tape
        return _cosine_and_norms(tf.stack(flat))

    return measure


def _jax_gradient_function(model, losses: list, variables: list) -> Callable:
    """The same measure on JAX: each head's loss is differentiated with respect to the trunk's weights
    through ``stateless_call``, so training's own state is only read, never changed."""
    import jax
    import jax.numpy as jnp

    position = {id(v): i for i, v in enumerate(model.trainable_variables)}
    trunk = [position[id(v)] for v in variables]

    def head_losses(trunk_values, trainable, non_trainable, x, ys, ws):
        values = list(trainable)
        for i, value in zip(trunk, trunk_values):
            values[i] = value
        predictions, _ = model.stateless_call(values, non_trainable, x, training=False)
        return jnp.stack(_head_losses(losses, predictions, ys, ws))

    @jax.jit
    def measure(trainable, non_trainable, x, ys, ws):
        jacobian = jax.jacrev(head_losses)([trainable[i] for i in trunk], trainable, non_trainable, x, ys, ws)
        return _cosine_and_norms(jnp.concatenate([j.reshape(j.shape[0], -1) for j in jacobian], axis=1))

    def call(x, ys, ws):
        model.jax_state_sync()    # mid-epoch, Keras on JAX holds the weights outside the variables
        return measure([v.value for v in model.trainable_variables],
                       [v.value for v in model.non_trainable_variables], x, ys, ws)

    return call


def _head_losses(losses: list, predictions, ys, ws) -> list:
    """Each head's sample-weighted mean loss (Keras ops: TensorFlow and JAX alike)."""
    from keras import ops

    if not isinstance(predictions, (list, tuple)):
        predictions = [predictions]
    return [ops.sum(fn(y, p) * w) / ops.maximum(ops.sum(w), 1.0) for fn, y, p, w in zip(losses, ys, predictions, ws)]


def _cosine_and_norms(g):
    """Cosine similarity between every pair of rows of ``g`` (one flattened gradient per head), and norms."""
    from keras import ops

    norms = ops.norm(g, axis=1)
    return ops.matmul(g, ops.transpose(g)) / ops.maximum(norms[:, None] * norms[None, :], 1e-12), norms


def summarise(heads: list[str], cos, norms, weights: dict[str, float]) -> tuple[dict, dict]:
    """(cosine per pair, share of the weighted trunk gradient norm per head) as plain floats."""
    cosine = {pair_key(a, b): round(float(cos[i][j]), 4)
              for i, a in enumerate(heads) for j, b in enumerate(heads) if j > i}
    scaled = [float(n) * weights.get(h, 1.0) for h, n in zip(heads, norms)]
    total = sum(scaled) or 1.0
    share = {h: round(s / total, 4) for h, s in zip(heads, scaled)}
    return cosine, share


def meter_callback(model, design, split, every: int, steps_per_epoch: int, emit, run_id: str,
                   weights: Callable[[], dict], train_rows: int, extra: dict | None = None,
                   scaling: dict | None = None):
    """A Keras callback that emits an ``interference`` event every epoch, or every ``every`` steps.

    ``split``: the rows the probe batch is cut from; ``train_rows``: the training split's size, which sets
    the probe's (``probe_rows``)."""
    import keras
    import numpy as np

    from .events import event

    heads = [h.name for h in design.heads]
    variables = trunk_variables(model, design)
    # A model kept for the next run of its design (train/reuse.py) keeps its traced measure too.  On the model
    # itself: the measure refers to its model, so a table keyed weakly by models would keep every model alive.
    measure = getattr(model, "_builder_interference_measure", None)
    if measure is None:
        measure = gradient_function(model, design, variables)
        model._builder_interference_measure = measure
    x, ys, ws = probe_batch(design, split, rows=probe_rows(train_rows), scaling=scaling)

    class InterferenceCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch, self.next_step = 0, every

        def _read(self, at: float) -> None:
            if not variables:
                return
            started = time.perf_counter()
            cos, norms = measure(x, ys, ws)
            cosine, share = summarise(heads, np.asarray(cos), np.asarray(norms), weights())
            if not all(math.isfinite(v) for v in cosine.values()):
                return
            emit(event("interference", run_id, at=round(at, 4), cosine=cosine, share=share,
                       sentence=reading(cosine, share), seconds=round(time.perf_counter() - started, 5),
                       **(extra or {})))

        def on_train_begin(self, logs=None):
            # Trace (and compile) the measure before the first step, not after the first epoch: the
            # first reading of an LSTM design takes about a second on JAX, and a run pays it once either
            # way, so it belongs to the start-up the page shows as "starting", not to a training epoch.
            if variables:
                np.asarray(measure(x, ys, ws)[0])

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if every <= 0:
                return
            done = self.epoch * steps_per_epoch + min(batch + 1, steps_per_epoch)
            if done >= self.next_step:
                self.next_step = done + every
                self._read(done / max(steps_per_epoch, 1))

        def on_epoch_end(self, epoch, logs=None):
            if every <= 0:
                self._read(float(epoch + 1))

    return InterferenceCallback()
