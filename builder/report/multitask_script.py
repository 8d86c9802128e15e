"""The exported script's share of the multi-task tools: class weights and loss balancing.

Standalone code (keras, numpy, tensorflow; never this package) that does what
``builder.train.class_weights`` and ``builder.train.balancing`` do in the app, so the script
reproduces the chosen method.  ``script.training_script`` places ``helper_code`` before ``main``
and ``main_code`` inside it, right after ``callbacks = []`` (the model is built, the rows split).
"""

from __future__ import annotations

from ..design.spec import Design, head_kind
from ..train.balancing import DWA_TEMPERATURE, UNCERTAINTY_LEARNING_RATE, is_balanced


def balanced_heads(design: Design) -> list[str]:
    return [h.name for h in design.heads if h.class_weight == "balanced" and head_kind(h) != "regression"]


def helper_code(design: Design) -> str:
    """Module-level code: the class-weight function and the balancing callback, as the design needs them."""
    parts = []
    if balanced_heads(design):
        parts.append(_CLASS_WEIGHT_CODE.format(heads=balanced_heads(design)))
    if is_balanced(design):
        parts.append(_BALANCING_CODE.format(method=design.training.balancing, temperature=DWA_TEMPERATURE,
                                            rate=UNCERTAINTY_LEARNING_RATE,
                                            weights=[h.loss_weight for h in design.heads]))
    return "\n".join(parts)


def main_code(design: Design) -> str:
    """Lines inside ``main`` after ``callbacks = []`` (4-space indented, each ending in a newline)."""
    lines = []
    if balanced_heads(design):
        lines.append("    weights = with_class_weights(y, weights, train)")
    if is_balanced(design):
        lines.append("    callbacks.append(Balancing(model, fit_data(x, learn_y, weights, train[:8], 8, shuffle=False)))")
    return "".join(line + "\n" for line in lines)


_CLASS_WEIGHT_CODE = '''

# "Balanced" class weights for these heads, from the training rows only, applied as that head's
# sample weights (Keras' class_weight does not work with several outputs): n / (classes * rows of the class).
BALANCED_CLASS_WEIGHT_HEADS = {heads!r}


def with_class_weights(y, weights, train):
    """Each listed head's training rows weighted by their class; validation and test rows untouched."""
    weights = [np.array(w, dtype='float32') for w in weights]
    for i, head in enumerate(HEADS):
        if head['name'] not in BALANCED_CLASS_WEIGHT_HEADS:
            continue
        target = np.asarray(y[i])
        classes = (target.reshape(len(target), -1)[:, 0] > 0.5).astype(int) if head['kind'] == 'binary' else (
            target.argmax(axis=1) if target.ndim == 2 and target.shape[1] > 1 else target.reshape(-1).astype(int))
        present = train[weights[i][train] > 0]
        values, counts = np.unique(classes[present], return_counts=True)
        table = dict(zip(values.tolist(), (counts.sum() / (len(values) * counts)).tolist()))
        weights[i][train] *= np.array([table.get(c, 1.0) for c in classes[train]], dtype='float32')
    return weights
'''

_BALANCING_CODE = '''

# Loss balancing between heads: {method!r}. "uncertainty" (Kendall et al. 2018) learns a log-variance s
# per head and minimises sum(w * (exp(-s) * loss + s)); "dwa" (Liu et al. 2019) sets the weights each
# epoch to K * softmax((L(t-1) / L(t-2)) / T). The extra variables stay outside the model, so the
# saved .keras file is the plain model. Written for Keras 3 with the TensorFlow backend.
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

BALANCING = {method!r}
BASE_LOSS_WEIGHTS = {weights!r}
DWA_TEMPERATURE = {temperature!r}


class Balancing(keras.callbacks.Callback):
    def __init__(self, model, first_batch):
        super().__init__()
        k = len(HEADS)
        self.base = tf.constant(BASE_LOSS_WEIGHTS, dtype='float32')
        self.log_vars = tf.Variable(tf.zeros(k), trainable=True)
        self.factors = tf.Variable(tf.ones(k), trainable=False)
        self.losses = []
        if "y" in first_batch:
            x, y, w = first_batch["x"], first_batch["y"], first_batch["sample_weight"]
        else:
            x, y, w = next(iter(first_batch["x"]))
        model._compile_loss(list(y), model(x), list(w))   # Keras builds its per-head losses lazily
        model.train_step = self.train_step

    def weights(self):
        return self.base * (tf.exp(-self.log_vars) if BALANCING == 'uncertainty' else self.factors)

    def train_step(self, data):
        x, y, sample_weight = data
        model = self.model
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            compiled, weights = model._compile_loss, self.weights()
            index = {{h['name']: i for i, h in enumerate(HEADS)}}
            saved = list(compiled._flat_losses)
            compiled._flat_losses = [e._replace(loss_weights=weights[index[e.name]]) for e in saved]
            loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            compiled._flat_losses = saved
            if BALANCING == 'uncertainty':
                loss = loss + tf.reduce_sum(self.base * self.log_vars)
            model._loss_tracker.update_state(loss, sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
        variables = list(model.trainable_weights)
        extra = [self.log_vars] if BALANCING == 'uncertainty' else []
        gradients = tape.gradient(loss, variables + extra)
        model.optimizer.apply_gradients(zip(gradients[:len(variables)], variables))
        if extra:   # plain gradient descent on the log-variances: one operation a step
            self.log_vars.assign_sub({rate!r} * gradients[-1])
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {{}}
        if BALANCING == 'dwa':
            self.losses.append([float(logs.get(h['name'] + '_loss', float('nan'))) for h in HEADS])
            if len(self.losses) > 1 and all(np.isfinite(self.losses[-2] + self.losses[-1])):
                ratios = np.array(self.losses[-1]) / np.maximum(np.array(self.losses[-2]), 1e-12)
                e = np.exp((ratios - ratios.max()) / DWA_TEMPERATURE)
                self.factors.assign((len(HEADS) * e / e.sum()).astype('float32'))
        for h, value in zip(HEADS, self.weights().numpy()):
            logs[h['name'] + '_weight'] = float(value)   # each head's effective weight, in history.csv
'''
