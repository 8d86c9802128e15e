"""Design -> readable Python, in the reference document's style.

The code uses the functional API with one variable per layer, comments that
mark the trunk and each branch, and a compile call with a loss, weight and
metrics per head.  Layers are printed from the same registry ``Call`` that
``build.py`` instantiates, so running the code builds the same model.
"""

from __future__ import annotations

import keyword

from ..design.registry import REGISTRY, Call
from ..design.spec import Design, TableInput, layer_params
from ..design.validate import INPUT_ID, branch_point
from ..quoting import quoted

# Arguments whose value equals Keras' own default are left out, as a person would.
KERAS_DEFAULTS = {
    "use_bias": True, "strides": 1, "padding": "valid", "return_sequences": False, "dropout": 0.0,
    "momentum": 0.99, "epsilon": 0.001, "merge_mode": "concat", "activation": "linear",
}
_TAKEN = {"keras", "model", "inputs", "features", "input_layer", "np", "pd", "tf"} | set(REGISTRY)
OPTIMIZER_CLASSES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}


def var_name(node_id: str) -> str:
    """A Python variable for a node id that cannot clash with a keyword or an import."""
    if node_id == INPUT_ID:
        return "input_layer"
    return f"{node_id}_" if _reserved(node_id) else node_id


def _reserved(name: str) -> bool:
    # Dunder names (``__builtins__``, ``__name__``) change how the module itself runs.
    return keyword.iskeyword(name) or name in _TAKEN or name.startswith("__")


def variable_names(design: Design) -> dict[str, str]:
    """One distinct Python variable per node id (input, layers, heads).

    ``var_name`` alone can map two ids to one variable (``keras`` and
    ``keras_`` both become ``keras_``), which would silently rewire the
    generated model; later ids get another ``_`` until they are distinct.
    """
    ids = [INPUT_ID] + [layer.id for _, layer in design.all_layers()] + [h.name for h in design.heads]
    plain = set(ids)
    names: dict[str, str] = {}
    used: set[str] = set()
    for node_id in ids:
        name = var_name(node_id)
        while name in used or (name != node_id and name in plain):
            name += "_"
        names.setdefault(node_id, name)
        used.add(name)
    return names


def render_call(call: Call, name: str | None = None) -> str:
    positional = [p.name for t in [REGISTRY.get(call.cls)] if t for p in t.params if p.positional]
    parts, used = [], set()
    for arg in call.args:
        parts.append(render_call(arg) if isinstance(arg, Call) else quoted(arg))
    for key, value in call.kwargs.items():
        if key in positional and len(parts) == positional.index(key):
            parts.append(_literal(value))
            used.add(key)
    for key, value in call.kwargs.items():
        if key not in used and KERAS_DEFAULTS.get(key, object()) != value:
            parts.append(f"{key}={_literal(value)}")
    if name is not None:
        parts.append(f"name={quoted(name)}")
    return f"{call.cls}({', '.join(parts)})"


def _literal(value) -> str:
    return quoted(tuple(value) if isinstance(value, list) else value)


def layer_classes(design: Design) -> list[str]:
    """Keras layer classes the code needs to import, in a stable order."""
    names = {"Input", "Dense"} if not isinstance(design.input, TableInput) else {"Dense"}
    for _, layer in design.all_layers():
        call = REGISTRY[layer.type].keras_call(layer_params(layer))
        names.add(call.cls)
        names.update(a.cls for a in call.args if isinstance(a, Call))
    return sorted(names)


def model_code(design: Design) -> list[str]:
    """Lines that define ``model`` (uncompiled), with imports."""
    from .build import model_name

    lines = ["import keras", f"from keras.layers import {', '.join(layer_classes(design))}", ""]
    if isinstance(design.input, TableInput):
        from .preprocessing import input_code   # preprocessing layers for CSV columns
        lines += ["# Input: one column per model input, preprocessed inside the model", *input_code(design.input)]
        model_inputs = "inputs"
        previous = "features"
    elif design.input.kind in ("image", "window"):   # issue 12: scaling/normalisation inside the model
        from .features import tensor_input_code
        lines += ["# Input", *tensor_input_code(design.input, INPUT_ID)]
        model_inputs, previous = "input_layer", "features"
    else:
        shape = tuple(design.input.shape)
        lines += ["# Input", f"input_layer = Input(shape={quoted(shape)}, name={quoted(INPUT_ID)})"]
        model_inputs = previous = "input_layer"
    names = variable_names(design)
    tensors = {INPUT_ID: previous}
    if design.trunk:
        lines += ["", "# Shared trunk"]
    for layer in design.trunk:
        lines.append(_layer_line(layer, previous, names[layer.id]))
        previous = tensors[layer.id] = names[layer.id]
    for i, head in enumerate(design.heads, 1):
        kind = f" ({head.kind})" if head.kind else ""
        lines += ["", f"# Branch {i}: head {quoted(head.name)}{kind}, from {branch_point(design, head)}"]
        y = tensors[branch_point(design, head)]
        for layer in head.layers:
            lines.append(_layer_line(layer, y, names[layer.id]))
            y = names[layer.id]
        out = Call("Dense", (), {"units": head.output.units, "activation": head.output.activation})
        lines.append(f"{names[head.name]} = {render_call(out, head.name)}({y})")
    outputs = ", ".join(names[h.name] for h in design.heads)
    lines += ["", "# One input, one output per head",
              f"model = keras.Model(inputs={model_inputs}, outputs=[{outputs}], name={quoted(model_name(design))})"]
    return lines


def _layer_line(layer, previous: str, variable: str) -> str:
    call = REGISTRY[layer.type].keras_call(layer_params(layer))
    return f"{variable} = {render_call(call, layer.id)}({previous})"


def compile_code(design: Design) -> list[str]:
    t = design.training
    metric = {"auc": "keras.metrics.AUC(name='auc')", "precision": "keras.metrics.Precision(name='precision')",
              "recall": "keras.metrics.Recall(name='recall')"}

    def per_head(value) -> str:
        return "{" + ", ".join(f"{quoted(h.name)}: {value(h)}" for h in design.heads) + "}"

    return [
        "",
        "# A loss per head; the total loss is their weighted sum. Metrics are weighted so that a",
        "# sample whose target is missing (sample weight 0 for that head) does not count.",
        "model.compile(",
        f"    optimizer=keras.optimizers.{OPTIMIZER_CLASSES[t.optimizer]}(learning_rate={quoted(t.learning_rate)}),",
        f"    loss={per_head(lambda h: quoted(h.loss))},",
        f"    loss_weights={per_head(lambda h: quoted(h.loss_weight))},",
        f"    weighted_metrics={per_head(lambda h: '[' + ', '.join(metric.get(m, quoted(m)) for m in h.metrics) + ']')},",
        ")",
    ]


def to_python(design: Design, compile: bool = True) -> str:
    """The design as a Python module that defines (and compiles) ``model``.

    The design's name is free text, so it enters only as a value (``DESIGN_NAME``),
    through ``builder.quoting.quoted``, never into the docstring or a comment.
    """
    header = ['"""A multi-output Keras model, generated by the multi-output model designer."""', "",
              f"DESIGN_NAME = {quoted(design.name)}", ""]
    body = model_code(design) + (compile_code(design) if compile else [])
    return "\n".join(header + body) + "\n"
