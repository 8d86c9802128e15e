"""Turning a checked design into a Keras functional model, and compiling it.

Keras is imported inside these functions, never at module level, so
``import builder`` stays fast.  Every layer call is wrapped: if Keras refuses
a shape that ``validate`` let through, its message comes back as a
``DesignError`` that points at the layer, never as a traceback.
"""

from __future__ import annotations

from typing import Any

from ..errors import DesignError, Problem
from ..quoting import file_stem
from ..design.registry import REGISTRY, Call
from ..design.spec import Design, Head, TableInput, Training, head_location, layer_params, trunk_location
from ..design.validate import INPUT_ID, Report, analyse, branch_point, load_design

# Metric names in the spec -> how Keras is given them.  Classes rather than
# strings where the string form is ambiguous or unsupported.
METRIC_CLASSES = {"auc": "AUC", "precision": "Precision", "recall": "Recall"}


def as_design(design: Design | dict | str, report: Report | None = None) -> Design:
    """Accept a Design, a dict or JSON text; check it; raise DesignError if it has errors.

    ``report``: the design's analysis when the caller already has it (it is not made twice).
    """
    if isinstance(design, Design):
        report = report if report is not None and report.design is design else analyse(design)
        if not report.ok:
            raise DesignError(report.problems)
        return design
    return load_design(design)


def instantiate(keras: Any, call: Call, name: str | None = None):
    """Build the Keras layer a registry ``Call`` describes."""
    args = [instantiate(keras, a) if isinstance(a, Call) else a for a in call.args]
    kwargs = dict(call.kwargs)
    if name is not None:
        kwargs["name"] = name
    return getattr(keras.layers, call.cls)(*args, **kwargs)


def make_layer(keras: Any, layer) -> Any:
    return instantiate(keras, REGISTRY[layer.type].keras_call(layer_params(layer)), layer.id)


def _apply(keras: Any, layer, x, where: str):
    try:
        return make_layer(keras, layer)(x)
    except Exception as e:   # Keras raises ValueError, TypeError or backend errors for bad shapes
        raise DesignError([Problem(where, f"Keras cannot build {layer.type} here: {_first_line(e)} "
                                          "Check the shape it receives in the summary table.", node=layer.id)]) from None


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text if len(text) < 300 else text[:297] + "..."


def model_inputs(keras: Any, design: Design):
    """(inputs for keras.Model, the tensor the trunk starts from)."""
    if isinstance(design.input, TableInput):
        from .preprocessing import keras_inputs   # preprocessing layers for CSV columns
        return keras_inputs(keras, design.input)
    if design.input.kind in ("image", "window"):    # issue 12: scaling/normalisation inside the model
        from .features import tensor_input
        return tensor_input(keras, design.input, INPUT_ID)
    x = keras.Input(shape=tuple(design.input.shape), name=INPUT_ID)
    return x, x


def build_model(design: Design | dict | str):
    """Build the uncompiled ``keras.Model`` of a design.

    Outputs come in head order; each output layer is named after its head,
    so ``fit`` reports ``<head>_loss`` for each.

    Raises:
        DesignError: the design has errors, or Keras refused a layer.

    Example:
        >>> model = build_model(template("seed-multi-regression"))
        >>> model.count_params()
        2883
    """
    design = as_design(design)
    import keras

    inputs, x = model_inputs(keras, design)
    tensors = {INPUT_ID: x}
    for i, layer in enumerate(design.trunk):
        x = _apply(keras, layer, x, trunk_location(i, layer.type))
        tensors[layer.id] = x
    outputs = [head_output(keras, design, head, tensors) for head in design.heads]
    try:
        return keras.Model(inputs, outputs, name=model_name(design))
    except Exception as e:   # e.g. two layers with one name, if a rule in validate misses it
        raise DesignError([Problem("design", f"Keras cannot join the layers into a model: {_first_line(e)} "
                                             "Check the ids and head names.")]) from None


def head_output(keras: Any, design: Design, head: Head, tensors: dict):
    y = tensors[branch_point(design, head)]
    for j, layer in enumerate(head.layers):
        y = _apply(keras, layer, y, head_location(head.name, j, layer.type))
    try:
        return keras.layers.Dense(head.output.units, activation=head.output.activation, name=head.name)(y)
    except Exception as e:
        raise DesignError([Problem(f"{head_location(head.name)}, output", f"Keras cannot build the output "
                                   f"Dense here: {_first_line(e)} Check the shape it receives in the summary table.",
                                   node=head.name)]) from None


def model_name(design: Design) -> str:
    """The Keras model's name: the design's name cleaned as file names are (``builder.quoting.file_stem``)."""
    return file_stem(design.name)


def make_metric(keras: Any, name: str):
    return getattr(keras.metrics, METRIC_CLASSES[name])(name=name) if name in METRIC_CLASSES else name


def compile_model(model, design: Design, training: Training | None = None, **compile_kwargs) -> None:
    """Compile with one loss, weight and metric list per head, keyed by head name."""
    import keras

    training = training or design.training
    optimizer = keras.optimizers.get(
        {"class_name": training.optimizer, "config": {"learning_rate": training.learning_rate}})
    model.compile(
        optimizer=optimizer,
        loss={h.name: h.loss for h in design.heads},
        loss_weights={h.name: h.loss_weight for h in design.heads},
        # weighted: a row whose target is missing has sample weight 0 for that head, and plain
        # `metrics` would still count it (Keras applies sample weights to weighted_metrics only).
        weighted_metrics={h.name: [make_metric(keras, m) for m in h.metrics] for h in design.heads},
        **compile_kwargs,
    )
