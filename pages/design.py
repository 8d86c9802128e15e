"""Design page: the trunk and branch editors, the live diagram, the summary and every problem.

Layout only. Every change goes through a ``builder.session.design`` function called
from a widget callback (callbacks run before the script, so the page then
draws the design as it now is).  Widgets hold copies of design values: before
a widget is drawn its session value is set from the design, which makes undo,
redo and uploads show up in every widget without per-widget bookkeeping.
"""

import streamlit as st

from builder import session
from builder.design.diagram import to_dot
from builder.report.script import design_json
from builder.design.registry import REGISTRY, by_category
from builder.design.spec import TensorInput, layer_params
from builder.design.templates import TEMPLATE_NAMES, describe
from builder.session.params import HEAD_PARAMS, Widget, from_widget, head_value, parse_shape, to_widget, widget_for
from pages import bind, run_inside_shell
from pages import attempt as attempt_or_flash

run_inside_shell()

ss = st.session_state
FLASH = "_design_flash"


# ----------------------------------------------------------- plumbing

def attempt(action, *args) -> None:
    """Run an edit; a refused edit becomes a message on the page, never a traceback."""
    attempt_or_flash(FLASH, action, *args)


class Keys:
    """Widget keys from layer ids and head names, kept unique even if a link repeats an id."""

    def __init__(self):
        self.seen: set[str] = set()

    def __call__(self, *parts) -> str:
        key = ".".join(str(p) for p in parts)
        n, unique = 1, key
        while unique in self.seen:
            n += 1
            unique = f"{key}#{n}"
        self.seen.add(unique)
        return unique


keys = Keys()


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


# ----------------------------------------------------------- callbacks

def on_param(key: str, where: str, layer_id: str, param) -> None:
    attempt(lambda: session.set_param(ss, where, layer_id, param.name, from_widget(param, ss[key])))


def on_head_param(key: str, head: str, param) -> None:
    attempt(lambda: session.set_head_field(ss, head, param.name, from_widget(param, ss[key])))


def on_rename(key: str, head: str) -> None:
    attempt(session.rename_head, ss, head, ss[key])


def on_branch(key: str, head: str) -> None:
    attempt(session.set_head_field, ss, head, "branch_from", ss[key])


def on_pick(where: str, layer_id: str, index: int) -> None:
    session.select(ss, where, layer_id)
    ss["palette.where"], ss["palette.at"] = where, index + 1    # new layers go after the one picked


def on_add(type_name: str) -> None:
    where, at = ss.get("palette.where", session.TRUNK), ss.get("palette.at")
    attempt(lambda: session.add_layer(ss, where, type_name, at))
    if isinstance(at, int):
        ss["palette.at"] = at + 1


def on_move(where: str, layer_id: str, offset: int) -> None:
    attempt(session.move_layer, ss, where, layer_id, offset)


def on_input_shape() -> None:
    attempt(lambda: session.set_input_shape(ss, parse_shape(ss["input.shape"], "input shape")))


def on_upload() -> None:
    uploaded = ss.get("design.upload")
    if uploaded is not None:
        attempt(session.load_json, ss, uploaded.getvalue())


# ----------------------------------------------------------- sections

def toolbar() -> None:
    choices = session.start_choices(ss)
    if ss.get("start.source") not in choices:
        ss["start.source"] = choices[0]
    start, go, undo, redo, down = st.columns([4, 1.2, 1, 1, 2], vertical_alignment="bottom")
    start.selectbox("Start from", choices, key="start.source",
                    format_func=lambda c: c if c not in TEMPLATE_NAMES else f"{c} (template)",
                    help="a seed template, the data's suggestion, or an empty canvas; Undo brings back the old design")
    go.button("Start", key="start.go", on_click=lambda: attempt(session.start_from, ss, ss["start.source"]))
    undo.button("Undo", key="undo", icon=":material/undo:", disabled=not session.can_undo(ss),
                on_click=attempt, args=(session.undo, ss))
    redo.button("Redo", key="redo", icon=":material/redo:", disabled=not session.can_redo(ss),
                on_click=attempt, args=(session.redo, ss))
    design = session.current(ss)
    down.download_button("Download JSON", design_json(design), file_name=f"{design.name}.json",
                         mime="application/json", key="design.download", on_click="ignore",
                         icon=":material/download:")
    if ss.get("start.source") in TEMPLATE_NAMES:
        st.caption(describe(ss["start.source"]))
    with st.expander("Upload a design JSON"):
        st.file_uploader("Design file", type=["json"], key="design.upload", on_change=on_upload,
                         help="a file saved with Download JSON; a file with problems is refused and "
                              "the current design stays")


def input_editor(design) -> None:
    if isinstance(design.input, TensorInput):
        bind("input.shape", ", ".join(str(d) for d in design.input.shape))
        st.text_input("Input shape (per sample)", key="input.shape", on_change=on_input_shape,
                      help="for example 10 for a vector, 32, 32, 3 for colour images, 100, 50 for sequences")
    else:
        names = ", ".join(c.name for c in design.input.columns)
        st.markdown(f"**Input:** {len(design.input.columns)} CSV columns ({names}). Change them on the Data page.")


def layer_rows(where: str, layers, report) -> None:
    """One button per layer (click to edit it); the picked layer's editor opens right below it."""
    chosen = session.selected_layer(ss)
    nodes = {n.id: n for n in report.nodes}
    for i, layer in enumerate(layers):
        node = nodes.get(layer.id)
        shape = node and node.shape
        label = f"{i + 1}. {layer.type}  {REGISTRY[layer.type].key_params(layer_params(layer))}"
        label += f"  →  {tuple(shape) if shape else '?'}"
        if node is not None and node.problem:
            label += "  ⚠"
        is_chosen = chosen is not None and chosen[0] == where and chosen[1].id == layer.id
        st.button(label, key=keys("pick", where, layer.id), width="stretch",
                  type="primary" if is_chosen else "secondary", on_click=on_pick, args=(where, layer.id, i),
                  help=node.problem if node is not None and node.problem else REGISTRY[layer.type].description)
        if is_chosen:
            layer_editor(where, layer, i, len(layers), node)


def layer_editor(where: str, layer, index: int, count: int, node) -> None:
    with st.container(border=True):
        st.markdown(f"**{layer.type}** `{layer.id}` — {REGISTRY[layer.type].description}")
        if node is not None and node.problem:
            st.error(node.problem)
        params = REGISTRY[layer.type].params
        columns = st.columns(min(3, max(1, len(params))))
        for n, param in enumerate(params):
            key = keys("layer", layer.id, param.name)
            bind(key, to_widget(param, getattr(layer, param.name)))
            with columns[n % len(columns)]:
                draw_widget(widget_for(param), key, on_param, (key, where, layer.id, param))
        up, down, twin, remove = st.columns(4)
        up.button("Up", key=keys("up", layer.id), disabled=index == 0, width="stretch",
                  on_click=on_move, args=(where, layer.id, -1))
        down.button("Down", key=keys("down", layer.id), disabled=index == count - 1, width="stretch", on_click=on_move, args=(where, layer.id, 1))
        twin.button("Duplicate", key=keys("dup", layer.id), width="stretch",
                    on_click=attempt, args=(session.duplicate_layer, ss, where, layer.id))
        remove.button("Delete", key=keys("del", layer.id), width="stretch",
                      on_click=attempt, args=(session.delete_layer, ss, where, layer.id))


def palette(design) -> None:
    """Layer types by category, each with its description; 'Add to' and 'Position' say where."""
    places = session.layer_places(design)
    if ss.get("palette.where") not in places:
        ss["palette.where"] = session.TRUNK
    where = ss["palette.where"]
    layers = design.trunk if where == session.TRUNK else design.head(where).layers
    if not isinstance(ss.get("palette.at"), int) or not 0 <= ss["palette.at"] <= len(layers):
        ss["palette.at"] = len(layers)
    with st.container(border=True):
        st.markdown("**Add a layer**")
        place, position = st.columns(2)
        place.selectbox("Add to", places, key="palette.where",
                        format_func=lambda w: "the shared trunk" if w == session.TRUNK else f"head {w}")
        position.selectbox("Position", list(range(len(layers) + 1)), key="palette.at",
                           format_func=lambda k: "at the start" if k == 0 else
                           f"after {k}. {layers[k - 1].type} ({layers[k - 1].id})")
        categories = by_category()
        for tab, types in zip(st.tabs([c.capitalize() for c in categories]), categories.values()):
            with tab:
                for layer_type in types:
                    button, text = st.columns([2, 3], vertical_alignment="center")
                    button.button(layer_type.name, key=f"add.{layer_type.name}", width="stretch", on_click=on_add, args=(layer_type.name,),
                                  help=layer_type.description)
                    text.caption(layer_type.description)


def head_editor(design, head, report) -> None:
    problems = [p for p in report.problems if p.node == head.name]
    flag = " ⚠" if problems else ""
    title = f"Head **{head.name}** — {head.loss}, {head.output.units} unit(s), {head.output.activation}{flag}"
    with st.expander(title, expanded=True):
        base = keys("head", head.name)
        name_col, branch_col = st.columns(2)
        bind(f"{base}.name", head.name)
        name_col.text_input("Name", key=f"{base}.name", on_change=on_rename, args=(f"{base}.name", head.name),
                            help="letters, digits and _; the loss is reported as <name>_loss")
        choices = session.branch_choices(design)
        value = head.branch_from or ""
        if value not in choices:
            choices.append(value)      # a removed layer: keep it visible so its error can be fixed
        bind(f"{base}.branch", value)
        branch_col.selectbox("Branches from", choices, key=f"{base}.branch", on_change=on_branch,
                             args=(f"{base}.branch", head.name),
                             format_func=lambda c: "the end of the trunk" if c == "" else c,
                             help="the trunk layer whose output this head reads")
        if head.target:
            classes = f", {len(head.classes)} classes" if head.classes else ""
            st.caption(f"Target column **{head.target}** ({head.kind or 'kind not set'}{classes})")
        if head.layers:
            st.caption("Hidden layers of this branch (add more with 'Add to' in the palette)")
            layer_rows(head.name, head.layers, report)
        columns = [*st.columns(3), *st.columns([1, 2, 1])]     # metrics get room for their chips
        for n, param in enumerate(HEAD_PARAMS):
            key = f"{base}.{param.name}"
            bind(key, to_widget(param, head_value(head, param.name)))
            with columns[n]:
                draw_widget(widget_for(param), key, on_head_param, (key, head.name, param))
        for p in problems:
            (st.error if p.severity == "error" else st.warning)(p.message)
        st.button("Remove head", key=f"{base}.remove", icon=":material/delete:",
                  on_click=attempt, args=(session.remove_head, ss, head.name))


def graph_and_summary(design, report) -> None:
    chosen = session.selected_layer(ss)
    st.graphviz_chart(to_dot(report, chosen[1].id if chosen else None))
    params, verdict = st.columns(2)
    params.metric("Total parameters", f"{report.total_params:,}")
    verdict.metric("Design", session.status_line(ss))
    for p in report.problems:
        (st.error if p.severity == "error" else st.warning)(f"**{p.location}**: {p.message}")
    st.dataframe(report.table(), hide_index=True, width="stretch")


# ----------------------------------------------------------- the page

session.ensure(ss)
st.header("Design")
for message in ss.pop(FLASH, []):
    st.error(message)
toolbar()
design, report = session.current(ss), session.report(ss)
edit_col, view_col = st.columns([5, 6], gap="large")
with edit_col:
    input_editor(design)
    st.subheader("Shared trunk")
    if not design.trunk:
        st.caption("No trunk layers yet: add one from the palette below.")
    layer_rows(session.TRUNK, design.trunk, report)
    palette(design)
    st.subheader("Heads")
    for head in design.heads:
        head_editor(design, head, report)
    st.button("Add head", key="head.add", icon=":material/add:", on_click=attempt, args=(session.add_head, ss))
with view_col:
    graph_and_summary(design, report)
