"""Edits of the session's design: layers (add, move, duplicate, delete, set a parameter) and heads.

Each edit is one undo step (``design.edit``): it changes a plain-data copy and the spec checks the result.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Mapping

from ..design.registry import REGISTRY
from ..design.spec import Design, parse_design
from ..design.validate import INPUT_ID
from ..errors import DesignError, Problem
from .design import SELECTED, TRUNK, State, edit
from .params import HEAD_PARAMS, OUTPUT_FIELDS

def layer_list(data: dict, where: str) -> list[dict]:
    """The trunk's layers, or the hidden layers of the head named ``where``."""
    if where == TRUNK:
        return data["trunk"]
    return _head(data, where)["layers"]


def _head(data: dict, name: str) -> dict:
    for head in data["heads"]:
        if head["name"] == name:
            return head
    raise DesignError([Problem(f"head {name!r}", f"there is no head named {name!r}. "
                                                 "It may have been renamed or removed; pick it again.")])


def _index(layers: list[dict], layer_id: str, where: str) -> int:
    for i, layer in enumerate(layers):
        if layer["id"] == layer_id:
            return i
    raise DesignError([Problem(where, f"there is no layer {layer_id!r} here. "
                                      "It may have been removed; pick another layer.")])


def used_ids(data: dict) -> set[str]:
    ids = {INPUT_ID, *(h["name"] for h in data["heads"])}
    ids.update(layer["id"] for layer in data["trunk"])
    for head in data["heads"]:
        ids.update(layer["id"] for layer in head["layers"])
    return ids


def snake_case(type_name: str) -> str:
    """Keras' own naming: MaxPooling2D -> max_pooling2d, SimpleRNN -> simple_rnn."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])", "_", type_name).lower()


def fresh_id(taken: set[str], base: str, sep: str = "_") -> str:
    n = 1
    while f"{base}{sep}{n}" in taken:
        n += 1
    return f"{base}{sep}{n}"


def add_layer(state: State, where: str, type_name: str, index: int | None = None, **params: Any) -> str:
    """Insert a new layer (registry defaults, then ``params``) at ``index``; return its id."""
    if type_name not in REGISTRY:
        raise DesignError([Problem(where, f"unknown layer type {type_name!r}. Expected one of: {sorted(REGISTRY)}.")])

    def change(data: dict) -> str:
        layers = layer_list(data, where)
        layer_id = fresh_id(used_ids(data), snake_case(type_name))
        at = len(layers) if index is None else max(0, min(index, len(layers)))
        layers.insert(at, {"type": type_name, "id": layer_id, **REGISTRY[type_name].defaults(), **params})
        return layer_id

    layer_id = edit(state, change)
    state[SELECTED] = (where, layer_id)
    return layer_id


def move_layer(state: State, where: str, layer_id: str, offset: int) -> int:
    """Move a layer up (-1) or down (+1); return its new index. Heads keep branching by id."""
    def change(data: dict) -> int:
        layers = layer_list(data, where)
        i = _index(layers, layer_id, where)
        j = max(0, min(i + offset, len(layers) - 1))
        layers.insert(j, layers.pop(i))
        return j
    return edit(state, change)


def move_layer_to(state: State, where: str, layer_id: str, index: int) -> int:
    """Move a layer to position ``index`` of its own chain (a drag on the canvas); return the index it got."""
    def change(data: dict) -> int:
        layers = layer_list(data, where)
        layer = layers.pop(_index(layers, layer_id, where))
        at = max(0, min(index, len(layers)))
        layers.insert(at, layer)
        return at
    return edit(state, change)


def duplicate_layer(state: State, where: str, layer_id: str) -> str:
    """Insert a copy right after the layer, under a fresh id; return that id."""
    def change(data: dict) -> str:
        layers = layer_list(data, where)
        i = _index(layers, layer_id, where)
        twin = copy.deepcopy(layers[i])
        twin["id"] = fresh_id(used_ids(data), snake_case(twin["type"]))
        layers.insert(i + 1, twin)
        return twin["id"]
    new_id = edit(state, change)
    state[SELECTED] = (where, new_id)
    return new_id


def delete_layer(state: State, where: str, layer_id: str) -> None:
    """Remove a layer. Heads that branched from a removed trunk layer move to the layer before it."""
    def change(data: dict) -> None:
        layers = layer_list(data, where)
        i = _index(layers, layer_id, where)
        layers.pop(i)
        if where == TRUNK:
            fallback = layers[i - 1]["id"] if i > 0 else (INPUT_ID if layers else None)
            for head in data["heads"]:
                if head["branch_from"] == layer_id:
                    head["branch_from"] = fallback
    edit(state, change)


def set_param(state: State, where: str, layer_id: str, name: str, value: Any) -> None:
    """Set one constructor argument of a layer; the spec checks type and bounds."""
    def change(data: dict) -> None:
        layers = layer_list(data, where)
        layer = layers[_index(layers, layer_id, where)]
        if name not in layer or name in ("type", "id"):
            raise DesignError([Problem(where, f"{layer['type']} has no setting {name!r}.")])
        layer[name] = value
    edit(state, change)


HEAD_FIELDS = ("branch_from", *(param.name for param in HEAD_PARAMS))


def add_head(state: State, name: str | None = None, branch_from: str | None = None) -> str:
    """Add a regression head (one linear unit, mse); return its name."""
    def change(data: dict) -> str:
        taken = used_ids(data)
        head_name = name or fresh_id(taken, "output", sep="")   # output1, output2 as in the templates
        if head_name in taken:
            raise DesignError([Problem(f"head {head_name!r}", f"the name {head_name!r} is already used. "
                                                              "Choose another name.")])
        data["heads"].append({"name": head_name, "branch_from": branch_from, "layers": [],
                              "output": {"units": 1, "activation": "linear"}, "loss": "mse",
                              "loss_weight": 1.0, "metrics": ["mae"], "target": None, "kind": "regression",
                              "classes": []})
        return head_name
    return edit(state, change)


def remove_head(state: State, name: str) -> None:
    def change(data: dict) -> None:
        data["heads"].remove(_head(data, name))
    edit(state, change)


def rename_head(state: State, old: str, new: str) -> str:
    """Rename a head; refuses a name already used by another head or layer."""
    new = new.strip()
    if new == old:
        return old

    def change(data: dict) -> str:
        head = _head(data, old)
        if new in used_ids(data):
            raise DesignError([Problem(f"head {old!r}", f"the name {new!r} is already used. "
                                                        "Each head and layer needs its own name.")])
        head["name"] = new
        return new
    edit(state, change)
    selected = state.get(SELECTED)
    if selected and selected[0] == old:
        state[SELECTED] = (new, selected[1])
    return new


def set_head_field(state: State, name: str, field_name: str, value: Any) -> None:
    """Set one of HEAD_FIELDS; units and activation belong to the head's output layer."""
    if field_name not in HEAD_FIELDS:
        raise DesignError([Problem(f"head {name!r}", f"a head has no setting {field_name!r}.")])

    def change(data: dict) -> None:
        head = _head(data, name)
        if field_name in OUTPUT_FIELDS:
            head["output"][field_name] = value
        elif field_name == "branch_from":
            head[field_name] = value or None     # '' from the picker means "end of the trunk"
        else:
            head[field_name] = value
    edit(state, change)


def set_input_shape(state: State, shape: list[int]) -> None:
    def change(data: dict) -> None:
        if data["input"].get("kind") != "tensor":
            raise DesignError([Problem("input", "this design reads CSV columns; change them on the Data page.")])
        data["input"]["shape"] = list(shape)
    edit(state, change)


def layer_places(design: Design) -> list[str]:
    """Where a layer can go: the trunk, then each head's own branch."""
    return [TRUNK, *(h.name for h in design.heads)]


def branch_choices(design: Design) -> list[str]:
    """Values for a head's branch_from: '' (end of trunk), 'input', then each trunk layer id."""
    return ["", INPUT_ID, *(layer.id for layer in design.trunk)]


def with_training(design: Design, settings: Mapping[str, Any], loss_weights: Mapping[str, float]) -> Design:
    """The design with new training settings and head loss weights (checked by the spec).

    Raises:
        DesignError: a setting is out of bounds; the message names it and the value received.
    """
    data = design.model_dump()
    data["training"] = {**data["training"], **settings}
    for head in data["heads"]:
        if head["name"] in loss_weights:
            head["loss_weight"] = float(loss_weights[head["name"]])
    return parse_design(data)
