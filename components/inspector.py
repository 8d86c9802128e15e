"""The Design page's inspector: the selected node's settings, drawn from the registry, and its actions as buttons.

Every canvas action also exists here as a button, for keyboard and
screen-reader users.  Each widget shows a copy of a design value (``bind``
sets it before drawing) and its callback makes one edit through
``builder.session`` or ``builder.session.canvas``; a refused edit becomes a
message under ``FLASH``.
"""

from __future__ import annotations

import streamlit as st

from builder.design.registry import REGISTRY, by_category
from builder.design.spec import TensorInput
from builder import session
from builder.session import canvas
from builder.session.params import HEAD_PARAMS, Widget, from_widget, head_value, parse_shape, to_widget, widget_for
from pages import attempt as attempt_or_flash
from pages import bind

ss = st.session_state
FLASH = "_design_flash"
TYPE_NAMES = [t.name for types in by_category().values() for t in types]


def attempt(action, *args) -> None:
    """Run an edit; a refused edit becomes a message on the page, never a traceback."""
    attempt_or_flash(FLASH, action, *args)


def act(**action) -> None:
    """A canvas action triggered by an inspector button: the same code path as the canvas."""
    attempt(canvas.apply_action, ss, action)


def draw_widget(spec: Widget, key: str, on_change, args: tuple) -> None:
    """One generic widget from a registry-derived description; no per-layer code."""
    common = dict(key=key, help=spec.help, on_change=on_change, args=args)
    if spec.kind in ("int", "float"):
        st.number_input(spec.label, min_value=spec.min_value, max_value=spec.max_value, step=spec.step,
                        format=spec.format, **common)
    elif spec.kind == "toggle":
        st.toggle(spec.label, **common)
    elif spec.kind == "select":
        st.selectbox(spec.label, spec.options, **common)
    elif spec.kind == "multiselect":
        st.multiselect(spec.label, spec.options, **common)
    else:
        st.text_input(spec.label, **common)


def on_param(key: str, where: str, layer_id: str, param) -> None:
    attempt(lambda: session.set_param(ss, where, layer_id, param.name, from_widget(param, ss[key])))


def on_head_param(key: str, head: str, param) -> None:
    attempt(lambda: session.set_head_field(ss, head, param.name, from_widget(param, ss[key])))


def on_rename(key: str, head: str) -> None:
    if attempt_or_flash(FLASH, session.rename_head, ss, head, ss[key]):
        canvas.select_node(ss, f"{ss[key].strip()}/{canvas.OUTPUT_KEY}")


def on_input_shape() -> None:
    attempt(lambda: session.set_input_shape(ss, parse_shape(ss["input.shape"], "input shape")))


def insert_picker(chain: str, index: int, label: str) -> None:
    """The palette for keyboard users: a layer type and an Insert button (same refusals as the canvas)."""
    pick, go = st.columns([3, 2], vertical_alignment="bottom")
    pick.selectbox(label, TYPE_NAMES, key="insert.type", help="the layer type to insert; "
                   + "; ".join(f"{t.name}: {t.description}" for t in REGISTRY.values() if t.name in ("Dense", "Conv2D")))
    go.button("Insert", key="insert.go", icon=":material/add:",
              on_click=lambda: act(op="insert", chain=chain, index=index, type=ss["insert.type"]))


def problems_of(report, node_id: str) -> None:
    for p in report.problems:
        if p.node == node_id:
            (st.error if p.severity == "error" else st.warning)(p.message)


def layer_inspector(where: str, layer, index: int, count: int, report) -> None:
    node = next((n for n in report.nodes if n.id == layer.id), None)
    place = "the trunk" if where == session.TRUNK else f"head {where}"
    st.markdown(f"**{layer.type}** `{layer.id}` in {place}")
    st.caption(REGISTRY[layer.type].description)
    if node is not None:
        st.markdown(f"Output **{node.shape and tuple(node.shape)}** · **{node.params:,}** parameters")
    problems_of(report, layer.id)
    for param in REGISTRY[layer.type].params:
        key = f"layer.{layer.id}.{param.name}"
        bind(key, to_widget(param, getattr(layer, param.name)))
        draw_widget(widget_for(param), key, on_param, (key, where, layer.id, param))
    node_key = f"{where}/{layer.id}"
    with st.container(horizontal=True):
        st.button("Move up", key=f"up.{layer.id}", disabled=index == 0,
                  on_click=lambda: act(op="move", node=node_key, index=index - 1))
        st.button("Move down", key=f"down.{layer.id}", disabled=index == count - 1,
                  on_click=lambda: act(op="move", node=node_key, index=index + 1))
        st.button("Duplicate", key=f"dup.{layer.id}", on_click=lambda: act(op="duplicate", node=node_key))
        st.button("Delete", key=f"del.{layer.id}", on_click=lambda: act(op="delete", node=node_key))
        if where == session.TRUNK:
            st.button("Add a head here", key=f"branch.{layer.id}", on_click=lambda: act(op="branch", node=node_key),
                      help="a new head that branches from this layer")
    insert_picker(where, index + 1, "Insert after this layer")


def head_inspector(design, head, report) -> None:
    st.markdown(f"**Head** `{head.name}` (its output layer)")
    if head.target:
        classes = f", {len(head.classes)} classes" if head.classes else ""
        st.caption(f"Target column {head.target} ({head.kind or 'kind not set'}{classes})")
    node = next((n for n in report.nodes if n.role == "output" and n.head == head.name), None)
    if node is not None:
        st.markdown(f"Output **{node.shape and tuple(node.shape)}** · **{node.params:,}** parameters")
    problems_of(report, head.name)
    base = f"head.{head.name}"
    bind(f"{base}.name", head.name)
    st.text_input("Name", key=f"{base}.name", on_change=on_rename, args=(f"{base}.name", head.name),
                  help="letters, digits and _; the loss is reported as <name>_loss")
    choices = session.branch_choices(design)
    value = head.branch_from or ""
    if value not in choices:
        choices.append(value)      # a removed layer: keep it visible so its error can be fixed
    bind(f"{base}.branch", value)
    st.selectbox("Branches from", choices, key=f"{base}.branch", format_func=lambda c: c or "the end of the trunk",
                 on_change=lambda: attempt(session.set_head_field, ss, head.name, "branch_from", ss[f"{base}.branch"]),
                 help="the trunk layer whose output this head reads (or drag its attachment on the canvas)")
    for param in HEAD_PARAMS:
        key = f"{base}.{param.name}"
        bind(key, to_widget(param, head_value(head, param.name)))
        draw_widget(widget_for(param), key, on_head_param, (key, head.name, param))
    st.button("Delete head", key=f"{base}.remove", icon=":material/delete:",
              on_click=lambda: act(op="delete", node=f"{head.name}/{canvas.OUTPUT_KEY}"))
    insert_picker(head.name, len(head.layers), "Insert a layer before the output")


def input_inspector(design) -> None:
    st.markdown("**Input**")
    if isinstance(design.input, TensorInput):
        bind("input.shape", ", ".join(str(d) for d in design.input.shape))
        st.text_input("Input shape (per sample)", key="input.shape", on_change=on_input_shape,
                      help="for example 10 for a vector, 32, 32, 3 for colour images, 100, 50 for sequences")
    else:
        names = ", ".join(c.name for c in design.input.columns)
        st.markdown(f"{len(design.input.columns)} CSV columns ({names}). Change them on the Data page.")
    st.button("Add a head here", key="branch.input", on_click=lambda: act(op="branch", node="input"),
              help="a new head that reads the input directly")
    insert_picker(session.TRUNK, 0, "Insert at the start of the trunk")


def inspector(design, report) -> None:
    """The selected node's settings and actions; with nothing selected, how to start."""
    chosen = canvas.selected_node(ss)
    chain, node_id = canvas.parse_key(chosen) if chosen else (None, None)
    if chosen == "input":
        input_inspector(design)
    elif node_id == canvas.OUTPUT_KEY:
        head_inspector(design, design.head(chain), report)
    elif chosen:
        layers = design.trunk if chain == session.TRUNK else design.head(chain).layers
        index = next(i for i, layer in enumerate(layers) if layer.id == node_id)
        layer_inspector(chain, layers[index], index, len(layers), report)
    else:
        st.markdown("**Nothing selected**")
        st.caption("Click a box on the canvas (or Tab to it and use the arrow keys) to edit it here. "
                   "Press + on an edge to insert a layer, ↳ on a trunk layer to add a head.")
        insert_picker(session.TRUNK, len(design.trunk), "Add to the end of the trunk")
        st.button("Add head", key="head.add", icon=":material/add:", on_click=attempt, args=(session.add_head, ss))
