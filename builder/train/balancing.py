"""Loss balancing between heads: fixed weights, uncertainty weighting, dynamic weight average.

- ``fixed``: each head's ``loss_weight`` as written in the design (Keras' own ``loss_weights``).
- ``uncertainty`` (Kendall, Gal and Cipolla 2018): one learned log-variance ``s`` per head; the total
  is ``sum(w * (exp(-s) * loss + s))``, so a head whose loss stays high (a noisy target) learns a
  larger ``s`` and a smaller effective weight ``w * exp(-s)``.
- ``dwa`` (dynamic weight average, Liu, Johns and Davison 2019): each epoch, a head whose loss fell
  slowly over the last epoch gets more weight: ``K * softmax(r / T)`` with ``r = L(t-1) / L(t-2)``, ``T = 2``.

The saved ``.keras`` file stays the plain functional model: the extra variables live here, not in
the model: uncertainty weighting trains its log-variances by plain gradient descent through a
replacement ``train_step`` set on the model *instance* (an instance attribute is not serialised);
DWA only swaps each compiled head loss weight for a variable it reassigns between epochs.  Keras' own per-head ``<head>_loss``
logs stay unweighted; ``loss`` is the balanced total.

Imports Keras/TensorFlow inside functions: workers and the CLI only.
"""

from __future__ import annotations

import math
from typing import Callable

METHODS = {
    "fixed": "fixed weights: each head's loss weight as set below",
    "uncertainty": "uncertainty weighting (Kendall et al. 2018): a learned weight per head; noisy heads get less",
    "dwa": "dynamic weight average (Liu et al. 2019): heads whose loss falls slowly get more weight each epoch",
}
DWA_TEMPERATURE = 2.0
UNCERTAINTY_LEARNING_RATE = 0.01   # gradient-descent step of the log-variances: they move by units per epochs


def is_balanced(design, training=None) -> bool:
    """True when the run uses a learned or dynamic weighting (only meaningful with two heads or more)."""
    training = training or design.training
    return training.balancing != "fixed" and len(design.heads) > 1


def dwa_weights(previous: list[float], before: list[float], temperature: float = DWA_TEMPERATURE) -> list[float]:
    """Dynamic weight average: ``K * softmax((L(t-1) / L(t-2)) / T)``; equal weights without two epochs yet.

    Example:
        >>> [round(w, 3) for w in dwa_weights([1.0, 1.0], [2.0, 1.0])]
        [0.876, 1.124]
    """
    k = len(previous)
    if not before or any(not math.isfinite(v) or v <= 0 for v in [*previous, *before]):
        return [1.0] * k
    ratios = [p / b for p, b in zip(previous, before)]
    top = max(ratios)
    exps = [math.exp((r - top) / temperature) for r in ratios]
    return [k * e / sum(exps) for e in exps]


class Balancer:
    """The per-head weights of one run and the train step that applies them."""

    def __init__(self, design, training):
        import tensorflow as tf

        self.method = training.balancing
        self.heads = [h.name for h in design.heads]
        self.base = tf.constant([h.loss_weight for h in design.heads], dtype="float32")
        k = len(self.heads)
        if self.method == "uncertainty":
            self.log_vars = tf.Variable(tf.zeros(k), trainable=True, name="balancing_log_variance")
        else:
            self.factors = tf.Variable(tf.ones(k), trainable=False, name="balancing_factor")
            self.head_weights = [tf.Variable(h.loss_weight, dtype="float32", trainable=False) for h in design.heads]
        self.loss_history: list[list[float]] = []

    # -- the weights
    def weight_tensor(self):
        import tensorflow as tf

        if self.method == "uncertainty":
            return self.base * tf.exp(-self.log_vars)
        return self.base * self.factors

    def regulariser(self):
        if self.method == "uncertainty":
            import tensorflow as tf

            return tf.reduce_sum(self.base * self.log_vars)
        return 0.0

    def effective_weights(self) -> dict[str, float]:
        """Each head's weight right now, as a plain dict for events and charts."""
        return {h: float(w) for h, w in zip(self.heads, self.weight_tensor().numpy())}

    def end_epoch(self, logs: dict) -> None:
        """DWA: next epoch's weights from the last two epochs' unweighted head losses."""
        if self.method != "dwa":
            return
        losses = [float(logs.get(f"{h}_loss", math.nan)) for h in self.heads]
        self.loss_history.append(losses)
        before = self.loss_history[-2] if len(self.loss_history) > 1 else []
        self.factors.assign(dwa_weights(losses, before))
        for variable, weight in zip(self.head_weights, self.weight_tensor().numpy()):
            variable.assign(weight)

    # -- the train step
    def install(self, model, probe) -> None:
        """Replace ``model.train_step`` (on this instance only) with one that weighs heads by ``weight_tensor``.

        ``probe`` is a few training rows ``(x, [y per head], [weight per head])``: Keras builds its
        compiled loss lazily, and the step needs that list of per-head losses when it is traced.
        """
        if model._compile_loss._flat_losses is None:
            x, ys, ws = probe
            model._compile_loss(list(ys), model(x), list(ws))
        if self.method == "dwa":
            # Weights that change only between epochs need no new train step: Keras' own step multiplies
            # each head's loss by its loss weight, which becomes a variable read each step.
            index = {h: i for i, h in enumerate(self.heads)}
            compiled = model._compile_loss
            compiled._flat_losses = [entry._replace(loss_weights=self.head_weights[index[entry.name]])
                                     if entry.name in index else entry for entry in compiled._flat_losses]
            return
        model.train_step = _balanced_train_step(model, self)


def _balanced_train_step(model, balancer: Balancer) -> Callable:
    """Keras 3's TensorFlow ``train_step`` with each head's loss weight swapped for a balancing tensor."""
    import tensorflow as tf
    from keras.src.trainers.data_adapters import data_adapter_utils

    def train_step(data):
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        extra = [balancer.log_vars] if balancer.method == "uncertainty" else []
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            with _loss_weights(model, balancer):
                loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            loss = loss + balancer.regulariser()
            batch = tf.shape(next(i for i in tf.nest.flatten(x) if i is not None))[0]
            model._loss_tracker.update_state(loss, sample_weight=batch)
        variables = list(model.trainable_weights)
        gradients = tape.gradient(loss, variables + extra)
        model.optimizer.apply_gradients(zip(gradients[:len(variables)], variables))
        if extra:
            # Plain gradient descent: the log-variances' gradient w * (1 - exp(-s) * loss) is already of
            # order one, and a second Adam (a dozen small operations a step) cost ~10% on small models.
            balancer.log_vars.assign_sub(UNCERTAINTY_LEARNING_RATE * gradients[-1])
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    return train_step


class _loss_weights:
    """Within a traced step, each compiled head loss is multiplied by the balancer's tensor, not a float."""

    def __init__(self, model, balancer: Balancer):
        self.compiled, self.balancer = model._compile_loss, balancer

    def __enter__(self):
        self.saved = list(self.compiled._flat_losses)
        import tensorflow as tf

        # One unstack rather than a slice per head: on a small model every operation of the step shows.
        weights = dict(zip(self.balancer.heads, tf.unstack(self.balancer.weight_tensor())))
        self.compiled._flat_losses = [entry._replace(loss_weights=weights[entry.name]) if entry.name in weights
                                      else entry for entry in self.saved]

    def __exit__(self, *exc):
        self.compiled._flat_losses = self.saved


def weights_callback(balancer: Balancer, emit: Callable[[dict], None], run_id: str, extra: dict | None = None):
    """A Keras callback: DWA's per-epoch update, and a ``balancing`` event with each head's weight."""
    import keras

    from .events import event

    class BalancingCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            emit(event("balancing", run_id, at=0.0, method=balancer.method,
                       weights=balancer.effective_weights(), **(extra or {})))

        def on_epoch_end(self, epoch, logs=None):
            balancer.end_epoch(logs or {})
            emit(event("balancing", run_id, at=float(epoch + 1), method=balancer.method,
                       weights=balancer.effective_weights(), **(extra or {})))

    return BalancingCallback()
