"""Session state of the designer: the current design, its undo history, and every edit.

The pages keep all of this in ``st.session_state``; every function here takes
any ``MutableMapping`` instead, so tests drive the same code with a plain dict
and no Streamlit.  A design is never mutated in place: an edit dumps it to
plain data, changes that, and parses a new ``Design``.  The old object goes on
the undo stack, which makes undo a pointer swap and keeps every edit checked by
the spec (a bad value raises ``DesignError`` and leaves the state untouched).

Session keys (shared with the other pages, see docs/ARCHITECTURE.md):
``design``, ``history``, ``dataset``, ``roles``, ``kinds``, ``selected``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError, DesignError, Problem
from ..design.registry import REGISTRY
from ..design.spec import Design, TableInput, from_url, parse_design, to_url
from ..design.templates import TEMPLATE_NAMES, template
from ..design.validate import INPUT_ID, Report, analyse, load_design

DESIGN, HISTORY, DATASET, ROLES, KINDS, SELECTED = "design", "history", "dataset", "roles", "kinds", "selected"
BUILTIN_KEY = "dataset_builtin"    # the built-in dataset's name, so a link can reload it
TRUNK = "trunk"
HISTORY_LIMIT = 100          # the issue asks for at least 50 undo steps
SCRATCH = "scratch"
SUGGESTION = "data suggestion"
ROLE_CHOICES = ("input", "target", "ignore")
TARGET_KINDS = ("regression", "binary", "multiclass")

State = MutableMapping[str, Any]


@dataclass
class History:
    """Designs before (``undo``) and after (``redo``) the current one, newest last."""

    undo: list[Design] = field(default_factory=list)
    redo: list[Design] = field(default_factory=list)


# ------------------------------------------------------------------ basics

def scratch_design() -> Design:
    """The empty canvas: a 10-number input, no trunk yet, one regression head."""
    return parse_design({
        "name": "my_model",
        "input": {"kind": "tensor", "shape": [10]},
        "trunk": [],
        "heads": [{"name": "output1", "output": {"units": 1, "activation": "linear"},
                   "loss": "mse", "metrics": ["mae"], "kind": "regression"}],
    })


DEFAULT_DATASET = "penguins"


def start_session(state: State) -> None:
    """Open a first visit on penguins with its suggested design, so Train works at once.

    Only a session with no design yet gets it; a link that carries a design
    or a dataset restores that instead (the caller skips this then).
    """
    if DESIGN in state:
        return
    from ..data import load_builtin

    set_dataset(state, load_builtin(DEFAULT_DATASET))
    state[BUILTIN_KEY] = DEFAULT_DATASET
    state[DESIGN] = suggestion(state)     # the starting point: nothing to undo yet
    ensure(state)


def ensure(state: State) -> None:
    """Fill in the keys a page needs; safe to call on every run."""
    if not isinstance(state.get(DESIGN), Design):
        state[DESIGN] = scratch_design()
    if not isinstance(state.get(HISTORY), History):
        state[HISTORY] = History()
    state.setdefault(SELECTED, None)


def current(state: State) -> Design:
    ensure(state)
    return state[DESIGN]


def report(state: State) -> Report:
    """The analysis of the current design, computed once per design object.

    The sidebar and the page both need it on every run; designs are replaced,
    never mutated, so the object identity is a safe cache key.
    """
    return per_design(state, "_report", analyse)


def per_design(state: State, key: str, compute: Callable[[Design], Any]) -> Any:
    """``compute(design)`` for the current design, kept in ``state[key]`` until the design changes."""
    design = current(state)
    cached = state.get(key)
    if cached is None or cached[0] is not design:
        cached = (design, compute(design))
        state[key] = cached
    return cached[1]


def status_line(state: State) -> str:
    """'valid', or how many errors: the sidebar's one-word verdict."""
    errors = report(state).errors
    if not errors:
        return "valid"
    return f"{len(errors)} error" + ("s" if len(errors) > 1 else "")


# ----------------------------------------------------------------- history

def commit(state: State, design: Design) -> Design:
    """Make ``design`` current, remembering the old one for undo."""
    ensure(state)
    history: History = state[HISTORY]
    old = state[DESIGN]
    if design.model_dump() == old.model_dump():
        return old           # a widget echoing its own value is not an edit
    history.undo.append(old)
    del history.undo[:-HISTORY_LIMIT]
    history.redo.clear()
    state[DESIGN] = design
    _keep_selection_valid(state)
    return design


def can_undo(state: State) -> bool:
    ensure(state)
    return bool(state[HISTORY].undo)


def can_redo(state: State) -> bool:
    ensure(state)
    return bool(state[HISTORY].redo)


def undo(state: State) -> bool:
    return _step(state, "undo", "redo")


def redo(state: State) -> bool:
    return _step(state, "redo", "undo")


def _step(state: State, source: str, target: str) -> bool:
    """Move one design from one stack to the other (undo and redo are mirror images)."""
    ensure(state)
    history: History = state[HISTORY]
    stack = getattr(history, source)
    if not stack:
        return False
    getattr(history, target).append(state[DESIGN])
    state[DESIGN] = stack.pop()
    _keep_selection_valid(state)
    return True


def edit(state: State, change: Callable[[dict], Any]) -> Any:
    """Apply ``change`` to a plain-data copy of the design and commit the result.

    Returns what ``change`` returned (a new id, say).  Raises ``DesignError``
    when the result is not a valid spec; the current design is then untouched.
    """
    data = current(state).model_dump()
    result = change(data)
    commit(state, parse_design(data))
    return result


# ----------------------------------------------------------- layer edits

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


# ------------------------------------------------------------ head edits

HEAD_FIELDS = ("branch_from", "loss", "loss_weight", "metrics", "units", "activation")


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
        if field_name in ("units", "activation"):
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


def set_name(state: State, name: str) -> None:
    def change(data: dict) -> None:
        data["name"] = name
    edit(state, change)


# ------------------------------------------------------------- selection

def select(state: State, where: str | None, layer_id: str | None = None) -> None:
    state[SELECTED] = (where, layer_id) if where and layer_id else None


def selected_layer(state: State) -> tuple[str, Any] | None:
    """(where, layer) of the layer being edited, or None."""
    chosen = state.get(SELECTED)
    if not chosen:
        return None
    where, layer_id = chosen
    design = current(state)
    layers = design.trunk if where == TRUNK else next((h.layers for h in design.heads if h.name == where), [])
    layer = next((x for x in layers if x.id == layer_id), None)
    return (where, layer) if layer is not None else None


def _keep_selection_valid(state: State) -> None:
    if state.get(SELECTED) and selected_layer(state) is None:
        state[SELECTED] = None


def layer_places(design: Design) -> list[str]:
    """Where a layer can go: the trunk, then each head's own branch."""
    return [TRUNK, *(h.name for h in design.heads)]


def branch_choices(design: Design) -> list[str]:
    """Values for a head's branch_from: '' (end of trunk), 'input', then each trunk layer id."""
    return ["", INPUT_ID, *(layer.id for layer in design.trunk)]


# ------------------------------------------------------- whole designs

def start_from(state: State, source: str) -> Design:
    """Replace the design by a template, the scratch canvas, or the data's suggestion (undoable)."""
    if source == SCRATCH:
        design = scratch_design()
    elif source == SUGGESTION:
        design = suggestion(state)
    elif source in TEMPLATE_NAMES:
        design = template(source)
    else:
        raise DesignError([Problem("design", f"unknown starting point {source!r}. "
                                             f"Choose one of: {', '.join(start_choices(state))}.")])
    state[SELECTED] = None
    return commit(state, design)


def start_choices(state: State) -> list[str]:
    choices = [SCRATCH, *TEMPLATE_NAMES]
    return choices + [SUGGESTION] if state.get(DATASET) is not None else choices


def load_json(state: State, raw: str | bytes) -> Design:
    """Replace the design by an uploaded one, only if it parses and checks clean.

    Raises ``DesignError`` with every problem; the current design stays.
    """
    design = load_design(raw)
    state[SELECTED] = None
    return commit(state, design)


# ---------------------------------------------------------------- the URL

def url_text(state: State) -> str:
    """The compressed design for the ``d`` query parameter, cached per design object."""
    return per_design(state, "_url", to_url)


def restore_from_url(state: State, text: str | None) -> list[Problem]:
    """Load the design carried by a link, once per session.

    Returns the problems of a damaged link (the current design then stays).
    A link is restored exactly, even a design that still has errors: that is
    what its author was looking at.
    """
    if not text or state.get("_restored_url") == text:
        return []
    state["_restored_url"] = text
    if text == state.get("_url", (None, None))[1]:
        return []            # our own link, written on the previous run
    try:
        design = from_url(text)
    except DesignError as e:
        return e.problems
    ensure(state)
    state[DESIGN] = design   # a restore starts the history afresh, as a reload would
    state[HISTORY] = History()
    state[SELECTED] = None
    return []


# ---------------------------------------------------------------- data

def set_dataset(state: State, dataset: Any) -> None:
    """Make ``dataset`` current; roles start from its profile, with its suggested targets marked."""
    state[DATASET] = dataset
    roles = {c.name: c.role for c in dataset.profile}
    roles.update({name: "target" for name in getattr(dataset, "targets", []) if name in roles})
    state[ROLES] = roles
    state[KINDS] = {}


def column_roles(state: State) -> dict[str, str]:
    dataset = state.get(DATASET)
    if dataset is None:
        return {}
    roles = state.setdefault(ROLES, {})
    for column in dataset.profile:
        roles.setdefault(column.name, column.role)
    return roles


def set_role(state: State, column: str, role: str) -> None:
    if role not in ROLE_CHOICES:
        raise DataError(f"role must be one of {ROLE_CHOICES}. Received: {role!r}.")
    column_roles(state)[column] = role


def set_kind(state: State, column: str, kind: str | None) -> None:
    kinds = state.setdefault(KINDS, {})
    if kind:
        if kind not in TARGET_KINDS:
            raise DataError(f"a target's kind must be one of {TARGET_KINDS}. Received: {kind!r}.")
        kinds[column] = kind
    else:
        kinds.pop(column, None)


def targets(state: State) -> list[str]:
    return [name for name, role in column_roles(state).items() if role == "target"]


def inputs(state: State) -> list[str]:
    return [name for name, role in column_roles(state).items() if role == "input"]


def suggestion(state: State, base: Design | None = None) -> Design:
    """The design the data suggests for the chosen roles (tensor datasets: their template)."""
    dataset = state.get(DATASET)
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first.")
    if getattr(dataset, "kind", "table") == "tensor":
        if getattr(dataset, "template", None) in TEMPLATE_NAMES:
            return template(dataset.template)
        raise DataError(f"the dataset {dataset.name!r} has no matching template; start from scratch.")
    chosen = targets(state)
    if not chosen:
        raise DataError("mark at least one column as a target: each target becomes a head.")
    from ..data import suggest_design   # imported here so the design page works before data lands
    kinds = {k: v for k, v in state.get(KINDS, {}).items() if k in chosen}
    if base is not None:
        # The roles decide the heads: a head whose column is no longer a target goes, even though
        # suggest_design would keep it; heads for chosen targets keep their hidden layers.
        base = base.model_copy(update={"heads": [h for h in base.heads if h.target in chosen]})
    return suggest_design(dataset, chosen, inputs=inputs(state), kinds=kinds or None, base=base)


def apply_roles(state: State) -> Design:
    """Create or update the design's input and heads from the roles, keeping the user's trunk.

    A trunk made for images or sequences (a template's) cannot read table
    columns; it is then replaced by the suggested trunk rather than refused.
    """
    design = current(state)
    if not design.trunk:
        return commit(state, suggestion(state))
    try:
        return commit(state, suggestion(state, base=design))
    except DataError:
        if isinstance(design.input, TableInput):
            raise            # the user's own table trunk: say why, change nothing
        return commit(state, suggestion(state))


# ------------------------------------------------------------- sidebar

def dataset_line(state: State) -> str:
    dataset = state.get(DATASET)
    if dataset is None:
        return "none yet: pick one on the Data page"
    return f"{dataset.name} ({dataset.rows:,} rows)"


def training_line(state: State) -> str | None:
    """The training run's own status text, once training exists (issue 5's ``run`` handle)."""
    status = getattr(state.get("run"), "status_text", None)
    return status() if callable(status) else None


def restore_dataset(state: State, name: str | None) -> str | None:
    """Reload the built-in dataset a link names, once per session; returns a message if it cannot."""
    if not name or state.get(DATASET) is not None or state.get("_restored_data") == name:
        return None
    state["_restored_data"] = name
    from ..data import BUILTIN, load_builtin
    if name not in BUILTIN:
        return f"the link names a dataset {name!r} that is not built in; pick one on the Data page."
    try:
        set_dataset(state, load_builtin(name))
    except DataError as e:
        return str(e)
    state[BUILTIN_KEY] = name
    return None
