"""The layer registry: one entry per Keras layer type.

An entry says everything the rest of the project needs about a layer type:
its parameters (named exactly as the Keras constructor's arguments, with
type, default, bounds and choices), a one-line description for learners, the
shapes it accepts, how its output shape and parameter count follow from its
input shape, and the Keras call that builds it.  The spec, the editor widgets,
validation, the diagram, building and code generation all read this table, so
adding a layer type is one entry here and nothing else.

Shapes here are per sample (no batch dimension) and everything is pure
Python: the designer can check and draw a model without importing Keras.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

ACTIVATIONS = (
    "linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu",
    "swish", "leaky_relu", "softplus",
)
PADDINGS = ("valid", "same")
CATEGORIES = ("core", "convolution", "pooling", "recurrent", "normalisation", "reshaping")

Shape = tuple[int, ...]


class ShapeProblem(ValueError):
    """A layer cannot take the shape it receives; the message says why and what to do."""


@dataclass(frozen=True)
class Param:
    """One constructor argument of a layer type.

    ``kind`` is one of ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` or
    ``"shape"`` (a list of positive ints).  ``positional`` arguments are
    written without their keyword in generated code, as in ``Dense(64)``.
    """

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    positional: bool = False


@dataclass(frozen=True)
class Call:
    """A Keras constructor call: ``cls(*args, **kwargs)``; args may nest calls.

    Building instantiates it from ``keras.layers``; code generation prints it.
    One description serves both, so the code and the model cannot drift apart.
    """

    cls: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LayerType:
    name: str
    category: str
    description: str
    params: tuple[Param, ...]
    output_shape: Callable[[Shape, dict], Shape]
    count_params: Callable[[Shape, dict], int] = lambda shape, p: 0
    call: Callable[[dict], Call] | None = None

    def defaults(self) -> dict:
        return {p.name: (list(p.default) if isinstance(p.default, (list, tuple)) else p.default) for p in self.params}

    def keras_call(self, params: dict) -> Call:
        if self.call is not None:
            return self.call(params)
        return Call(self.name, (), {p.name: params[p.name] for p in self.params})

    def key_params(self, params: dict) -> str:
        """A short label of the parameters that matter most, for diagrams."""
        shown = [p for p in self.params if p.positional or p.name in ("activation", "return_sequences")]
        parts = []
        for p in shown:
            value = params.get(p.name, p.default)
            if p.kind == "bool":
                if value:
                    parts.append(p.name)
            elif p.name != "activation" or value != "linear":
                parts.append(f"{p.name}={_short(value)}")
        return ", ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- shape rules

def _need_rank(shape: Shape, ranks: tuple[int, ...], what: str, fix: str) -> None:
    if len(shape) not in ranks:
        raise ShapeProblem(
            f"needs {what} but receives shape {fmt_shape(shape)} ({len(shape)}-D per sample). {fix}"
        )


def fmt_shape(shape: Shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _window(n: int, size: int, stride: int, padding: str, what: str) -> int:
    if padding == "same":
        return math.ceil(n / stride)
    if n < size:
        raise ShapeProblem(
            f"{what} of {size} is larger than its input's {n} steps. "
            "Use a smaller size, padding='same', or remove a pooling layer before it."
        )
    return (n - size) // stride + 1


def _dense_shape(shape: Shape, p: dict) -> Shape:
    return shape[:-1] + (p["units"],)     # Dense acts on the last axis of any shape


def _conv_shape(rank: int):
    def rule(shape: Shape, p: dict) -> Shape:
        _need_rank(shape, (rank + 1,), _SPATIAL[rank], _SPATIAL_FIX[rank])
        spatial = tuple(_window(n, p["kernel_size"], p["strides"], p["padding"], "kernel_size") for n in shape[:-1])
        return spatial + (p["filters"],)
    return rule


def _pool_shape(rank: int):
    def rule(shape: Shape, p: dict) -> Shape:
        _need_rank(shape, (rank + 1,), _SPATIAL[rank], _SPATIAL_FIX[rank])
        size = p["pool_size"]
        return tuple(_window(n, size, size, p["padding"], "pool_size") for n in shape[:-1]) + shape[-1:]
    return rule


def _global_pool_shape(rank: int):
    def rule(shape: Shape, p: dict) -> Shape:
        _need_rank(shape, (rank + 1,), _SPATIAL[rank], _SPATIAL_FIX[rank])
        return shape[-1:]
    return rule


_SPATIAL = {
    1: "a 2-D input per sample (steps, channels)",
    2: "a 3-D input per sample (height, width, channels)",
}
_SPATIAL_FIX = {
    1: "Give the input a (steps, features) shape, or add a Reshape before it.",
    2: "Put it before Flatten, give the input an image shape such as (32, 32, 3), or add a Reshape before it.",
}


def _recurrent_shape(shape: Shape, p: dict) -> Shape:
    _need_rank(shape, (2,), "a 2-D input per sample (timesteps, features)",
               "Give the input a (timesteps, features) shape, add a Reshape, or set return_sequences=True on the recurrent layer before it.")
    units = p["units"] * (2 if p.get("merge_mode") == "concat" else 1)
    return (shape[0], units) if p["return_sequences"] else (units,)


def _rnn_params(gates: int, bias_per_gate: int):
    def count(shape: Shape, p: dict) -> int:
        d, u = shape[-1], p["units"]
        return gates * (u * (d + u) + bias_per_gate * u)
    return count


_RNN_COUNTS = {"LSTM": _rnn_params(4, 1), "GRU": _rnn_params(3, 2), "SimpleRNN": _rnn_params(1, 1)}


def _flatten_shape(shape: Shape, p: dict) -> Shape:
    return (math.prod(shape),)


def _reshape_shape(shape: Shape, p: dict) -> Shape:
    target = list(p["target_shape"])
    size = math.prod(shape)
    if target.count(-1) > 1:
        raise ShapeProblem(f"target_shape {target} has more than one -1; at most one size can be inferred.")
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if known == 0 or size % known:
            raise ShapeProblem(f"cannot reshape {size} values ({fmt_shape(shape)}) into target_shape {target}. "
                               f"The known sizes must divide {size}.")
        target[target.index(-1)] = size // known
    elif known != size:
        raise ShapeProblem(f"cannot reshape {size} values ({fmt_shape(shape)}) into target_shape {target} "
                           f"({known} values). Choose sizes whose product is {size}.")
    return tuple(target)


def _embedding_shape(shape: Shape, p: dict) -> Shape:
    _need_rank(shape, (1,), "a 1-D input per sample (a sequence of integer token ids)",
               "Put Embedding first, on an input of shape (sequence_length,).")
    return shape + (p["output_dim"],)


def _same(shape: Shape, p: dict) -> Shape:
    return shape


def _bidirectional_call(p: dict) -> Call:
    inner = Call(p["layer"], (p["units"],), {"return_sequences": p["return_sequences"]})
    return Call("Bidirectional", (inner,), {"merge_mode": p["merge_mode"]})


# ------------------------------------------------------------ the parameters

def _units(default: int = 32, high: int = 16384) -> Param:
    return Param("units", "int", default, 1, high, help="number of outputs (neurons)", positional=True)


def _activation(default: str = "linear") -> Param:
    return Param("activation", "choice", default, choices=ACTIVATIONS, help="function applied to each output")


_FILTERS = Param("filters", "int", 32, 1, 2048, help="number of feature maps", positional=True)
_KERNEL = Param("kernel_size", "int", 3, 1, 31, help="size of the sliding window", positional=True)
_STRIDES = Param("strides", "int", 1, 1, 8, help="step between windows")
_PADDING = Param("padding", "choice", "valid", choices=PADDINGS, help="'same' keeps the size; 'valid' shrinks it")
_POOL = Param("pool_size", "int", 2, 1, 16, help="size of the pooling window (also its stride)", positional=True)
_RETURN_SEQ = Param("return_sequences", "bool", False, help="output every timestep, not only the last")
_RNN_DROPOUT = Param("dropout", "float", 0.0, 0.0, 0.9, help="fraction of inputs dropped in training")
_EPSILON = Param("epsilon", "float", 0.001, 1e-7, 1.0, help="small constant that avoids division by zero")


def _conv(rank: int) -> LayerType:
    name = f"Conv{rank}D"
    what = "sequences (steps, channels)" if rank == 1 else "images (height, width, channels)"
    return LayerType(
        name, "convolution", f"Slides learned filters over {what} to detect local patterns.",
        (_FILTERS, _KERNEL, _STRIDES, _PADDING, _activation("relu")),
        _conv_shape(rank),
        lambda s, p, r=rank: p["kernel_size"] ** r * s[-1] * p["filters"] + p["filters"],
    )


def _pool(kind: str, rank: int) -> LayerType:
    verb = "largest" if kind == "Max" else "average"
    return LayerType(
        f"{kind}Pooling{rank}D", "pooling",
        f"Shrinks {'sequences' if rank == 1 else 'images'} by keeping the {verb} value of each window.",
        (_POOL, _PADDING), _pool_shape(rank),
    )


def _global_pool(kind: str, rank: int) -> LayerType:
    verb = "maximum" if kind == "Max" else "average"
    over = "all timesteps" if rank == 1 else "the whole image"
    return LayerType(
        f"Global{kind}Pooling{rank}D", "pooling",
        f"Takes the {verb} of each channel over {over}, giving one vector.",
        (), _global_pool_shape(rank),
    )


def _recurrent(name: str, description: str) -> LayerType:
    return LayerType(
        name, "recurrent", description,
        (_units(64), _RETURN_SEQ, _RNN_DROPOUT), _recurrent_shape, _RNN_COUNTS[name],
    )


_TYPES = [
    LayerType(
        "Dense", "core", "Fully connected layer: every output is a weighted sum of every input.",
        (_units(), _activation("relu"), Param("use_bias", "bool", True, help="add a learned offset")),
        _dense_shape, lambda s, p: s[-1] * p["units"] + (p["units"] if p["use_bias"] else 0),
    ),
    LayerType(
        "Dropout", "core", "Randomly zeroes a fraction of values while training, to reduce overfitting.",
        (Param("rate", "float", 0.2, 0.0, 0.95, help="fraction of values dropped", positional=True),), _same,
    ),
    LayerType(
        "Activation", "core", "Applies a function such as relu or tanh to every value.",
        (Param("activation", "choice", "relu", choices=ACTIVATIONS, positional=True),), _same,
    ),
    LayerType(
        "Embedding", "core", "Turns integer token ids into learned dense vectors.",
        (Param("input_dim", "int", 1000, 1, 1_000_000, help="vocabulary size", positional=True),
         Param("output_dim", "int", 32, 1, 4096, help="size of each vector", positional=True)),
        _embedding_shape, lambda s, p: p["input_dim"] * p["output_dim"],
    ),
    LayerType(
        "BatchNormalization", "normalisation",
        "Rescales each feature using batch statistics, which often speeds up training.",
        (Param("momentum", "float", 0.99, 0.0, 1.0, help="how slowly the running statistics move"), _EPSILON),
        _same, lambda s, p: 4 * s[-1],
    ),
    LayerType(
        "LayerNormalization", "normalisation",
        "Rescales the features of each sample to zero mean and unit variance.",
        (_EPSILON,), _same, lambda s, p: 2 * s[-1],
    ),
    LayerType(
        "Flatten", "reshaping", "Unrolls a multi-dimensional input into one long vector.", (), _flatten_shape,
    ),
    LayerType(
        "Reshape", "reshaping", "Rearranges the values into a new shape with the same number of values.",
        (Param("target_shape", "shape", [1, -1], -1, 100_000, help="new shape per sample; one size may be -1",
               positional=True),),
        _reshape_shape,
    ),
    _conv(1), _conv(2),
    _pool("Max", 1), _pool("Max", 2), _pool("Average", 1), _pool("Average", 2),
    _global_pool("Average", 1), _global_pool("Average", 2), _global_pool("Max", 1), _global_pool("Max", 2),
    _recurrent("LSTM", "Long short-term memory: reads a sequence step by step and remembers long-range patterns."),
    _recurrent("GRU", "Gated recurrent unit: a lighter LSTM that reads a sequence step by step."),
    _recurrent("SimpleRNN", "The plainest recurrent layer; it forgets quickly on long sequences."),
    LayerType(
        "Bidirectional", "recurrent", "Runs an LSTM or GRU forwards and backwards and joins both readings.",
        (Param("layer", "choice", "LSTM", choices=("LSTM", "GRU"), help="the recurrent layer to wrap"),
         _units(64), _RETURN_SEQ,
         Param("merge_mode", "choice", "concat", choices=("concat", "sum", "mul", "ave"),
               help="how the two directions are joined")),
        _recurrent_shape, lambda s, p: 2 * _RNN_COUNTS[p["layer"]](s, p), _bidirectional_call,
    ),
]

REGISTRY: dict[str, LayerType] = {t.name: t for t in _TYPES}


def layer_type(name: str) -> LayerType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"Invalid type: {name!r}, expected one of: {sorted(REGISTRY)}") from None


def by_category() -> dict[str, list[LayerType]]:
    """Layer types grouped for the palette, in the order of CATEGORIES."""
    return {c: [t for t in _TYPES if t.category == c] for c in CATEGORIES}
