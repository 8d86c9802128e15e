"""The design spec: one pydantic schema for the whole model a user sketches.

A design is plain data (strings, numbers, lists of them) so it round-trips
through JSON, the URL and the generated code.  Layer models are generated
from the registry, one per layer type, and joined into a union picked by
their ``type`` key: a layer's fields are exactly its Keras constructor
arguments, unknown keys are rejected, bounds are checked on entry.

Parsing turns every pydantic error into a :class:`Problem` that names the
place in words, so users never read pydantic's own vocabulary.
"""

from __future__ import annotations

import base64
import json
import keyword
import reprlib
import zlib
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Discriminator, Field, Tag, ValidationError, create_model

from ..errors import DesignError, Problem
from .inputs import (  # noqa: F401  (the input kinds are part of the spec's public names)
    INPUT_KINDS, ImageInput, Strict, TableColumn, TableInput, TensorInput, WindowInput,
)
from .registry import REGISTRY, LayerType, Param

SPEC_VERSION = 1
MAX_LAYERS = 200            # trunk and branches together; checked before Keras sees anything
MAX_HEADS = 16
MAX_PARAMS = 50_000_000     # about 200 MB of float32 weights, before optimizer state
MAX_DESIGN_BYTES = 1_000_000
ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"

LOSSES = (
    "mse", "mae", "huber", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy",
)
METRICS = ("mae", "mse", "accuracy", "auc", "precision", "recall")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax", "relu", "tanh", "softplus")
HEAD_KINDS = ("regression", "binary", "multiclass")
CLASSIFICATION_LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")


# ------------------------------------------------------------------- layers

def _annotation(p: Param) -> Any:
    if p.kind == "choice":
        return Literal[p.choices]
    if p.kind == "shape":
        return Annotated[list[Annotated[int, Field(ge=p.low, le=p.high)]], Field(min_length=1, max_length=4)]
    return {"int": int, "float": float, "bool": bool}[p.kind]


def _layer_model(t: LayerType) -> type[Strict]:
    fields: dict[str, Any] = {
        "type": (Literal[t.name], ...),
        "id": (str, Field(pattern=ID_PATTERN)),
    }
    for p in t.params:
        bounds = {} if p.kind in ("shape", "choice", "bool") else {"ge": p.low, "le": p.high}
        default = Field(default_factory=lambda d=p.default: list(d)) if p.kind == "shape" else Field(p.default, **bounds)
        fields[p.name] = (_annotation(p), default)
    return create_model(t.name, __base__=Strict, **fields)


LAYER_MODELS: dict[str, type[Strict]] = {name: _layer_model(t) for name, t in REGISTRY.items()}
Layer = Annotated[Union[tuple(LAYER_MODELS.values())], Field(discriminator="type")]


def layer_params(layer: BaseModel) -> dict:
    """The Keras constructor arguments of a layer: everything but type and id."""
    return layer.model_dump(exclude={"type", "id"})


def new_layer(type_name: str, layer_id: str, **params: Any) -> BaseModel:
    return LAYER_MODELS[type_name](type=type_name, id=layer_id, **params)


# -------------------------------------------------------------------- input

def _input_kind(value: Any) -> str:
    # A bare {"shape": [...]} is a tensor input, as in the reference document.
    kind = value.get("kind", "tensor") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in INPUT_KINDS else "unknown"


Input = Annotated[
    Union[Annotated[TensorInput, Tag("tensor")], Annotated[TableInput, Tag("table")],
          Annotated[ImageInput, Tag("image")], Annotated[WindowInput, Tag("window")]],
    Discriminator(_input_kind, custom_error_type="input_kind",
                  custom_error_message="input kind must be 'tensor', 'table', 'image' or 'window'"),
]


# -------------------------------------------------------------------- heads

class Output(Strict):
    units: int = Field(1, ge=1, le=100_000)
    activation: Literal[OUTPUT_ACTIVATIONS] = "linear"


class Head(Strict):
    """One output branch: its own layers, output layer, loss and metrics."""

    name: str = Field(pattern=ID_PATTERN)
    branch_from: str | None = None          # a trunk layer id, "input", or None for the last trunk layer
    layers: list[Layer] = Field(default_factory=list, max_length=MAX_LAYERS)
    output: Output = Field(default_factory=Output)
    loss: Literal[LOSSES] = "mse"
    loss_weight: float = Field(1.0, ge=0.0, le=1000.0)
    metrics: list[Literal[METRICS]] = Field(default_factory=list, max_length=len(METRICS))
    target: str | None = Field(None, max_length=200)
    kind: Literal[HEAD_KINDS] | None = None
    classes: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=1000)
    class_weight: Literal["none", "balanced"] = "none"   # multi-task: this head's sample weights only


def head_kind(head: Head) -> str:
    """'regression', 'binary' or 'multiclass': the head's own kind, else what its loss implies."""
    if head.kind:
        return head.kind
    if head.loss == "binary_crossentropy":
        return "binary"
    return "multiclass" if head.loss in CLASSIFICATION_LOSSES else "regression"


class Training(Strict):
    optimizer: Literal[OPTIMIZERS] = "adam"
    learning_rate: float = Field(0.001, ge=1e-6, le=10.0)
    batch_size: int = Field(32, ge=1, le=65536)
    epochs: int = Field(10, ge=1, le=10_000)
    validation_split: float = Field(0.2, ge=0.0, le=0.5)
    early_stopping_patience: int = Field(0, ge=0, le=1000)   # 0: off
    seed: int = Field(0, ge=0, le=2**31 - 1)
    # Multi-task tools(builder/train/balancing.py, interference.py, report/comparison.py).
    balancing: Literal["fixed", "uncertainty", "dwa"] = "fixed"
    interference: Literal["auto", "on", "off"] = "auto"    # auto: on for designs with two heads or more
    interference_every: int = Field(0, ge=0, le=100_000)   # steps between readings; 0: once per epoch
    compare_seeds: int = Field(3, ge=1, le=10)
    compare_epochs: int = Field(20, ge=1, le=10_000)


def bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """(lowest, highest) value the spec allows for a numeric field, for widgets that must agree with it."""
    low = high = None
    for rule in model.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


class Design(Strict):
    """A whole model: one input, a shared trunk, several heads."""

    version: Literal[SPEC_VERSION] = SPEC_VERSION
    name: str = Field("untitled", max_length=200)
    input: Input
    trunk: list[Layer] = Field(default_factory=list, max_length=MAX_LAYERS)
    heads: list[Head] = Field(default_factory=list, max_length=MAX_HEADS)
    training: Training = Field(default_factory=Training)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.input.shape)

    def all_layers(self):
        """Every (location, layer) pair, trunk first, then each head's own layers."""
        for i, layer in enumerate(self.trunk):
            yield trunk_location(i, layer.type), layer
        for head in self.heads:
            for j, layer in enumerate(head.layers):
                yield head_location(head.name, j, layer.type), layer

    def head(self, name: str) -> Head:
        return next(h for h in self.heads if h.name == name)


def trunk_location(index: int, type_name: str) -> str:
    return f"trunk step {index + 1} ({type_name})"


def head_location(name: str, index: int | None = None, type_name: str | None = None) -> str:
    where = f"head {name!r}"
    return where if index is None else f"{where}, layer {index + 1} ({type_name})"


def is_python_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


# ------------------------------------------------------------ parsing & I/O

def parse_design(data: str | bytes | dict) -> Design:
    """Parse JSON text (or an already-decoded dict) into a Design.

    Raises:
        DesignError: listing every problem, each with its location in words.
    """
    if isinstance(data, (str, bytes)):
        if len(data) > MAX_DESIGN_BYTES:
            raise DesignError([Problem("design", f"the file is {len(data):,} bytes; the limit is "
                                                 f"{MAX_DESIGN_BYTES:,}. A design is a small JSON file: check you picked the right one.")])
        try:
            data = json.loads(data)
        except RecursionError:
            raise DesignError([Problem("design", "the JSON is nested too deeply to be a design. "
                                                 "Upload a file saved by this app or written by `python -m builder template`.")]) from None
        except (ValueError, UnicodeDecodeError) as e:
            raise DesignError([Problem("design", f"this is not valid JSON ({_json_error(e)}). "
                                                 "Upload a file saved by this app or written by `python -m builder template`.")]) from None
    if not isinstance(data, dict):
        raise DesignError([Problem("design", f"a design must be a JSON object with input, trunk and heads. "
                                             f"Received: {type(data).__name__}.")])
    try:
        return Design.model_validate(data)
    except ValidationError as e:
        raise DesignError([_problem(err, data) for err in e.errors()]) from None
    except RecursionError:
        raise DesignError([Problem("design", "the design is nested too deeply. "
                                             "Upload a file saved by this app.")]) from None


def _json_error(e: ValueError) -> str:
    # Python refuses integers of thousands of digits with advice meant for programmers.
    if not isinstance(e, (json.JSONDecodeError, UnicodeDecodeError)) and "digits" in str(e):
        return "a number in it has thousands of digits"
    return str(e)


def to_url(design: Design) -> str:
    """Compressed, URL-safe text for ``st.query_params``."""
    raw = zlib.compress(design.model_dump_json().encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_url(text: str) -> Design:
    try:
        # validate=True: a link with characters outside the alphabet is damaged, not silently shortened
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_DESIGN_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError("too large")
        if not inflater.eof:              # a link cut short inflates to the start of the JSON only
            raise ValueError("truncated")
    except (ValueError, zlib.error):
        raise DesignError([Problem("link", "the design in this link is damaged or truncated. "
                                           "Ask for the link again, or start from a template.")]) from None
    return parse_design(data)


# ----------------------------------------------------- pydantic -> Problem

_KIND_WORDS = {
    "int_type": "a whole number", "int_parsing": "a whole number", "float_type": "a number",
    "float_parsing": "a number", "bool_type": "true or false", "string_type": "text",
    "list_type": "a list", "dict_type": "an object", "model_type": "an object",
    "model_attributes_type": "an object", "int_from_float": "a whole number",
}


def _received(value: Any) -> str:
    try:
        text = repr(value)
    except RecursionError:   # a deeply nested object handed in as a dict, not as JSON text
        text = _SHALLOW.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_SHALLOW = reprlib.Repr()
_SHALLOW.maxlevel = 8


def _location(loc: tuple, data: dict) -> tuple[str, str | None, str | None]:
    """Turn a pydantic error location into (place in words, field name, node id)."""
    loc = list(loc)
    if loc[:1] == ["trunk"] and len(loc) >= 2 and isinstance(loc[1], int):
        i = loc[1]
        raw = _get(data, "trunk", i)
        type_name = loc[2] if len(loc) > 2 and isinstance(loc[2], str) and loc[2] in REGISTRY else _raw_type(raw)
        rest = loc[3:] if type_name == (loc[2] if len(loc) > 2 else None) else loc[2:]
        return trunk_location(i, type_name), _field(rest), _raw_id(raw)
    if loc[:1] == ["heads"] and len(loc) >= 2 and isinstance(loc[1], int):
        j = loc[1]
        raw_head = _get(data, "heads", j)
        name = raw_head.get("name") if isinstance(raw_head, dict) and isinstance(raw_head.get("name"), str) else None
        head_words = f"head {_received(name)}" if name else f"head {j + 1}"   # cut: a name may be huge
        if loc[2:3] == ["layers"] and len(loc) >= 4 and isinstance(loc[3], int):
            raw = _get(raw_head, "layers", loc[3]) if isinstance(raw_head, dict) else None
            type_name = loc[4] if len(loc) > 4 and loc[4] in REGISTRY else _raw_type(raw)
            rest = loc[5:] if len(loc) > 4 and loc[4] == type_name else loc[4:]
            return f"{head_words}, layer {loc[3] + 1} ({type_name})", _field(rest), _raw_id(raw)
        return head_words, _field(loc[2:]), name
    if loc and loc[0] == "input":
        rest = [x for x in loc[1:] if x not in INPUT_KINDS]
        if rest[:1] == ["columns"] and len(rest) >= 2 and isinstance(rest[1], int):
            return f"input column {rest[1] + 1}", _field(rest[2:]), "input"
        return "input", _field(rest), "input"
    return ("training" if loc[:1] == ["training"] else "design"), _field(loc[1:] if loc[:1] == ["training"] else loc), None


def _get(data: Any, key: str, index: int) -> Any:
    items = data.get(key) if isinstance(data, dict) else None
    return items[index] if isinstance(items, list) and index < len(items) else None


def _raw_type(raw: Any) -> str:
    t = raw.get("type") if isinstance(raw, dict) else None
    return t if isinstance(t, str) and len(t) <= 40 else "layer"


def _raw_id(raw: Any) -> str | None:
    i = raw.get("id") if isinstance(raw, dict) else None
    return i if isinstance(i, str) else None


def _field(rest: list) -> str | None:
    # List positions are kept ("shape[0]"): "shape=0" would misquote a list the user wrote.
    text = ""
    for x in rest:
        if isinstance(x, int):
            text += f"[{x}]" if text else ""
        elif not x.startswith(("function-", "literal[")):
            text += f".{x}" if text else x
    return text or None


def _problem(err: dict, data: dict) -> Problem:
    where, name, node = _location(err["loc"], data)
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = f" Received: {name}={_received(value)}." if name else f" Received: {_received(value)}."
    label = f"{name} " if name else ""
    if kind in ("less_than_equal", "less_than"):
        msg = f"{label}must be at most {ctx.get('le', ctx.get('lt'))}.{got} Use a smaller value."
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        msg = f"{label}must be {'at least' if kind == 'greater_than_equal' else 'more than'} {bound}.{got}"
    elif kind in _KIND_WORDS:
        msg = f"{label}must be {_KIND_WORDS[kind]}.{got}"
    elif kind == "literal_error":
        msg = f"{label}must be one of {ctx.get('expected')}.{got}"
    elif kind == "extra_forbidden":
        msg = f"unknown setting {name!r}. {_allowed(err['loc'], data)}"
    elif kind == "invalid_key":   # only from Python callers: JSON keys are always text
        msg = f"setting names must be text. Received: {_received(value)}."
    elif kind == "missing":
        msg = f"{label}is missing. Add it to the design."
    elif kind == "union_tag_invalid":
        tag = ctx.get("tag")
        msg = (f"unknown {'layer type' if 'layers' in err['loc'] or 'trunk' in err['loc'] else 'kind'} "
               f"{_received(tag)}. Expected one of: {ctx.get('expected_tags')}.")
    elif kind == "union_tag_not_found":
        msg = f"has no {ctx.get('discriminator')}. Say which kind it is, for example \"type\": \"Dense\"."
    elif kind == "too_long":
        msg = (f"{label}has {ctx.get('actual_length'):,} items; the limit is {ctx.get('max_length')}. "
               "Remove some to fit the limit.")
    elif kind == "too_short":
        msg = f"{label}needs at least {ctx.get('min_length')} item(s)."
    elif kind == "string_pattern_mismatch":
        msg = (f"{label}must use only letters, digits and _, not start with a digit, and be "
               f"at most 64 characters.{got}")
    elif kind == "string_too_long":
        msg = f"{label}is longer than {ctx.get('max_length')} characters. Shorten it."
    else:
        msg = f"{label}{err['msg']}.{got}"
    return Problem(where, msg, "error", node)


def _allowed(loc: tuple, data: dict) -> str:
    type_name = next((x for x in loc if isinstance(x, str) and x in REGISTRY), None)
    if type_name:
        names = [p.name for p in REGISTRY[type_name].params]
        return f"{type_name} takes: {', '.join(['id', 'type', *names])}."
    return "Remove it; it is not part of a design."
