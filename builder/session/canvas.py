"""The Design page's canvas: what it is given to draw, and what its actions do to the design.

The canvas component (``components/canvas``) sends one action at a time as
its ``action`` state: ``{"op": ..., "nonce": ...}``.  ``apply_pending`` turns
each new one into exactly one call of the edit functions in ``builder.session`` (``design`` and ``edits``),
so every canvas action is one undo step and is checked by the spec like any
other edit.  A test (or AppTest) can put an action into the same session key
and get the same result without a browser.

Nodes are named by keys (see ``builder.design.layout``): ``"input"``,
``"<chain>/<layer id>"`` and ``"<head>/@out"`` for a head's output.
"""

from __future__ import annotations

from ..design.layout import OUTPUT_KEY, TRUNK, Layout, layout, refusals
from ..design.registry import REGISTRY, by_category
from ..design.spec import head_location, trunk_location
from ..design.validate import INPUT_ID
from ..errors import DesignError, Problem
from . import design, edits
from .design import State

KEY = "canvas"              # the component's key: its state holds the last action it sent
DONE = "_canvas_done"       # the nonce of the last action applied, so a rerun never repeats it
NODE = "canvas_node"        # the key of the selected node
SEEN = "_canvas_seen"       # this session has looked for actions before
OPS = ("select", "insert", "branch", "rebranch", "move", "delete", "duplicate", "undo", "redo")


# ----------------------------------------------------------- node keys

def parse_key(key: str) -> tuple[str, str | None]:
    """'input' -> ('input', None); 'trunk/dense_1' -> ('trunk', 'dense_1'); 'price/@out' -> ('price', '@out')."""
    if key == INPUT_ID:
        return INPUT_ID, None
    chain, _, node_id = str(key).partition("/")
    if not chain or not node_id:
        raise DesignError([Problem("canvas", f"there is no node {key!r} in the design. Pick a node on the canvas.")])
    return chain, node_id.split("#")[0]


def _layout(state: State) -> Layout:
    return design.per_design(state, "_layout", lambda _: layout(design.report(state)))


def selected_node(state: State) -> str | None:
    """The selected node's key, or None once that node is gone (after an undo, say)."""
    key = state.get(NODE)
    if key and any(box.key == key for box in _layout(state).boxes):
        return key
    return None


def select_node(state: State, key: str | None) -> None:
    state[NODE] = key
    chain, node_id = parse_key(key) if key else (None, None)
    design.select(state, chain if node_id not in (None, OUTPUT_KEY) else None, node_id)


# ----------------------------------------------------------- drawing data

def palette() -> list[dict]:
    """Layer types by category, each ``[name, one-line description]``."""
    return [{"category": c, "types": [[t.name, t.description] for t in types]} for c, types in by_category().items()]


def canvas_data(state: State) -> dict:
    """Everything the component draws: boxes, edges, "+" slots, the palette and what it refuses where."""
    drawn = _layout(state)
    data = drawn.to_data()
    data.update(selected=selected_node(state), undo=design.can_undo(state), redo=design.can_redo(state),
                palette=palette(), refused=_refusals(state, drawn))
    return data


def _refusals(state: State, drawn: Layout) -> dict:
    return design.per_design(state, "_refusals", lambda d: refusals({s.shape for s in drawn.slots}, design.report(state)))


def refusal(state: State, chain: str, index: int, type_name: str) -> str | None:
    """Why ``type_name`` cannot be inserted at ``chain``/``index``, or None when it can."""
    drawn = _layout(state)
    slot = next((s for s in drawn.slots if s.chain == chain and s.index == index), None)
    if slot is None:
        return None
    return _refusals(state, drawn).get(slot.shape, {}).get(type_name)


# ----------------------------------------------------------- actions

def pending(state: State) -> dict | None:
    """The component's latest action if it has not been applied yet."""
    value = state.get(KEY)
    action = value.get("action") if isinstance(value, dict) else None
    if not isinstance(action, dict) or action.get("nonce") is None or action.get("nonce") == state.get(DONE):
        return None
    return action


def apply_pending(state: State) -> dict | None:
    """Apply the latest action once; returns it (None when there was none). Raises ``DesignError``.

    An action already there the first time a session looks was sent to an earlier session: after a
    server restart the browser hands its component state to the new one, and replaying that action
    would insert or delete a second time.  It is marked done instead.
    """
    action = pending(state)
    first_look = SEEN not in state
    state[SEEN] = True
    if action is None or first_look:
        if action is not None:
            state[DONE] = action["nonce"]
        return None
    state[DONE] = action["nonce"]       # marked first: a refused action must not be retried on every rerun
    apply_action(state, action)
    return action


def apply_action(state: State, action: dict) -> None:
    """One canvas action, one edit (one undo step). Raises ``DesignError`` with the reason when refused."""
    try:
        _apply(state, action)
    except DesignError:
        raise
    except (KeyError, TypeError, ValueError):        # a malformed action, never a traceback
        raise DesignError([Problem("canvas", f"the canvas sent an action this page cannot read: {action!r}. "
                                             "Reload the page and try again.")]) from None


def _apply(state: State, action: dict) -> None:
    op = action.get("op")
    if op not in OPS:
        raise DesignError([Problem("canvas", f"unknown canvas action {op!r}. Expected one of: {', '.join(OPS)}.")])
    if op == "undo":
        design.undo(state)
    elif op == "redo":
        design.redo(state)
    elif op == "select":
        select_node(state, action.get("node") or None)
    elif op == "insert":
        insert(state, str(action.get("chain")), int(action.get("index", 0)), str(action.get("type")))
    elif op == "branch":
        add_branch(state, action["node"])
    elif op == "rebranch":
        rebranch(state, str(action.get("head")), action["node"])
    elif op == "move":
        chain, layer_id = _layer(action["node"])
        edits.move_layer_to(state, chain, layer_id, int(action.get("index", 0)))
    elif op == "delete":
        delete(state, action["node"])
    elif op == "duplicate":
        chain, layer_id = _layer(action["node"])
        select_node(state, f"{chain}/{edits.duplicate_layer(state, chain, layer_id)}")


def insert(state: State, chain: str, index: int, type_name: str) -> str:
    """Insert a layer where a "+" was pressed, unless its shape rules refuse the shape arriving there."""
    if type_name not in REGISTRY:
        raise DesignError([Problem("canvas", f"unknown layer type {type_name!r}. Pick one from the palette.")])
    reason = refusal(state, chain, index, type_name)
    if reason:
        where = trunk_location(index, type_name) if chain == TRUNK else head_location(chain, index, type_name)
        raise DesignError([Problem(where, f"cannot go here: {reason}")])
    layer_id = edits.add_layer(state, chain, type_name, index)
    select_node(state, f"{chain}/{layer_id}")
    return layer_id


def add_branch(state: State, node: str) -> str:
    """Add a head that branches from a trunk node (or the input); select its output."""
    chain, node_id = parse_key(node)
    if chain not in (INPUT_ID, TRUNK):
        raise DesignError([Problem("canvas", "a head can branch only from the input or a trunk layer.")])
    head = edits.add_head(state, branch_from=node_id or INPUT_ID)
    select_node(state, f"{head}/{OUTPUT_KEY}")
    return head


def rebranch(state: State, head: str, node: str) -> None:
    """Attach a head to another trunk node (dragging its attachment)."""
    chain, node_id = parse_key(node)
    if chain not in (INPUT_ID, TRUNK):
        raise DesignError([Problem(head_location(head), "drop the head's attachment on the input or a trunk layer.")])
    edits.set_head_field(state, head, "branch_from", node_id or INPUT_ID)


def delete(state: State, node: str) -> None:
    """Delete a layer, or a whole head when its output is deleted; select the node above it."""
    chain, node_id = parse_key(node)
    if chain == INPUT_ID:
        raise DesignError([Problem("input", "the input cannot be deleted: every model reads one. "
                                            "Change its shape in the inspector instead.")])
    before = _above(state, node)
    if node_id == OUTPUT_KEY:
        edits.remove_head(state, chain)
    else:
        edits.delete_layer(state, chain, node_id)
    select_node(state, before if before and any(b.key == before for b in _layout(state).boxes) else None)


def _above(state: State, node: str) -> str | None:
    edges = _layout(state).edges
    return next((parent for parent, child in edges if child == node), None)


def _layer(node: str) -> tuple[str, str]:
    chain, node_id = parse_key(node)
    if chain == INPUT_ID or node_id == OUTPUT_KEY:
        raise DesignError([Problem("canvas", "only layers can be moved or duplicated; pick a layer.")])
    return chain, node_id
