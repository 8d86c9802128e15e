"""The reference document's three models, as designs users start from."""

from __future__ import annotations

from .spec import Design, parse_design


def _dense(layer_id: str, units: int, activation: str = "relu") -> dict:
    return {"type": "Dense", "id": layer_id, "units": units, "activation": activation}


def _head(name: str, units: int, activation: str, loss: str, metrics: list[str], layers=(), kind=None) -> dict:
    return {"name": name, "layers": list(layers), "output": {"units": units, "activation": activation},
            "loss": loss, "metrics": metrics, "kind": kind}


_TEMPLATES: dict[str, tuple[str, dict]] = {
    "seed-multi-regression": (
        "Three continuous values from one 10-number vector: a Dense trunk and three Dense(1) heads.",
        {
            "name": "multi_regression",
            "input": {"kind": "tensor", "shape": [10]},
            "trunk": [_dense("dense1", 64), _dense("dense2", 32)],
            "heads": [_head(f"output{i}", 1, "linear", "mse", ["mae"], kind="regression") for i in (1, 2, 3)],
        },
    ),
    "seed-image-class-reg": (
        "Classify a 32x32 colour image into 10 classes and predict a number from it, with a shared conv trunk.",
        {
            "name": "image_class_reg",
            "input": {"kind": "tensor", "shape": [32, 32, 3]},
            "trunk": [
                {"type": "Conv2D", "id": "conv1", "filters": 32, "kernel_size": 3, "activation": "relu"},
                {"type": "MaxPooling2D", "id": "pool1", "pool_size": 2},
                {"type": "Conv2D", "id": "conv2", "filters": 64, "kernel_size": 3, "activation": "relu"},
                {"type": "MaxPooling2D", "id": "pool2", "pool_size": 2},
                {"type": "Flatten", "id": "flat"},
            ],
            "heads": [
                _head("output_class", 10, "softmax", "categorical_crossentropy", ["accuracy"],
                      [_dense("dense_class", 128)], kind="multiclass"),
                _head("output_reg", 1, "linear", "mse", ["mae"], [_dense("dense_reg", 64)], kind="regression"),
            ],
        },
    ),
    "seed-sequence-two-heads": (
        "Read a sequence of 100 steps with an LSTM; predict a 50-number vector and one of 20 classes.",
        {
            "name": "sequence_two_heads",
            "input": {"kind": "tensor", "shape": [100, 50]},
            "trunk": [{"type": "LSTM", "id": "lstm_layer", "units": 128}],
            "heads": [
                _head("output1", 50, "linear", "mse", ["mae"], [_dense("dense1", 64)], kind="regression"),
                _head("output2", 20, "softmax", "categorical_crossentropy", ["accuracy"],
                      [_dense("dense2", 64)], kind="multiclass"),
            ],
        },
    ),
}

TEMPLATE_NAMES = tuple(_TEMPLATES)


def template(name: str) -> Design:
    """A fresh copy of a template design."""
    if name not in _TEMPLATES:
        raise KeyError(f"no template named {name!r}. Choose one of: {', '.join(TEMPLATE_NAMES)}.")
    return parse_design(_TEMPLATES[name][1])


def describe(name: str) -> str:
    return _TEMPLATES[name][0]
