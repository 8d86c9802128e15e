"""The session's design: the current one, its undo history, the selection and the URL text.

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

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ..design.spec import Design, from_url, parse_design, to_url
from ..design.validate import Report, analyse, load_design
from ..errors import DesignError, Problem

DESIGN, HISTORY, DATASET, ROLES, KINDS, SELECTED = "design", "history", "dataset", "roles", "kinds", "selected"
TRUNK = "trunk"
HISTORY_LIMIT = 100          # the issue asks for at least 50 undo steps
State = MutableMapping[str, Any]


@dataclass
class History:
    """Designs before (``undo``) and after (``redo``) the current one, newest last."""

    undo: list[Design] = field(default_factory=list)
    redo: list[Design] = field(default_factory=list)


def scratch_design() -> Design:
    """The empty canvas: a 10-number input, no trunk yet, one regression head."""
    return parse_design({
        "name": "my_model",
        "input": {"kind": "tensor", "shape": [10]},
        "trunk": [],
        "heads": [{"name": "output1", "output": {"units": 1, "activation": "linear"},
                   "loss": "mse", "metrics": ["mae"], "kind": "regression"}],
    })


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


def load_json(state: State, raw: str | bytes) -> Design:
    """Replace the design by an uploaded one, only if it parses and checks clean.

    Raises ``DesignError`` with every problem; the current design stays.
    """
    design = load_design(raw)
    state[SELECTED] = None
    return commit(state, design)


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
