"""Where the multi-task tools join a run: class weights, loss balancing, the interference meter.

``fit_model`` in ``engine`` makes two calls: ``with_class_weights`` on the splits before fitting and
``callbacks`` after compiling.  Imports Keras inside functions (workers and the CLI only).
"""

from __future__ import annotations

from . import balancing, class_weights, interference


def with_class_weights(design, prepared):
    return class_weights.apply(design, prepared)


def callbacks(model, design, training, prepared, steps: int, emit, run_id: str, extra: dict | None = None,
              scaling: dict | None = None) -> list:
    """Install the chosen balancing on ``model`` and return the Keras callbacks of the multi-task tools.

    ``scaling``: the regression heads' target standardisation the model trains with (``data.scaling``).
    """
    import keras

    out = []
    balancer = None
    if balancing.is_balanced(design, training):
        if keras.backend.backend() != "tensorflow":
            # The backend choice keeps balanced runs on TensorFlow; only a process started on another
            # backend gets here, and training with fixed weights instead would not be what was asked.
            from ..errors import DesignError, Problem
            from .backend import label

            raise DesignError([Problem("training settings", f"{balancing.METHODS[training.balancing].split(':')[0]} "
                                       f"needs Keras on TensorFlow, and this process runs Keras on "
                                       f"{label(keras.backend.backend())}. Unset KERAS_BACKEND (or set "
                                       "BUILDER_KERAS_BACKEND=tensorflow), or choose fixed weights.")])
        balancer = balancing.Balancer(design, training)
        balancer.install(model, interference.probe_batch(design, prepared.train, rows=8, scaling=scaling))
        out.append(balancing.weights_callback(balancer, emit, run_id, extra))
    # Held-out rows when there are some: on the training rows, near a minimum the heads' pulls on the trunk
    # cancel out by construction, which would read as a conflict between heads that share one target.
    probe = prepared.val if getattr(prepared.val, "n", 0) else prepared.train
    if interference.enabled(design, training) and getattr(probe, "n", 0):
        fixed = {h.name: h.loss_weight for h in design.heads}
        weights = balancer.effective_weights if balancer is not None else (lambda: fixed)
        out.append(interference.meter_callback(model, design, probe, training.interference_every, steps,
                                               emit, run_id, weights, getattr(prepared.train, "n", 0), extra,
                                               scaling))
    return out
