"""The model graph as Graphviz DOT text, drawn from ``validate.analyse``'s report.

Input at the top, the shared trunk in one box, then one box per head with its
own layers and its output.  Every node shows its type, key parameters, output
shape and parameter count; a trunk layer that several heads branch from is
marked as a fork; a node with an error is red and carries the message; the
layer being edited has a thick blue outline.  The page hands the text to
``st.graphviz_chart``, which lays it out in the browser, so no graphviz
binary is needed.
"""

from __future__ import annotations

import html
import textwrap
from collections import Counter

from .registry import fmt_shape
from .validate import INPUT_ID, Node, Report

ERROR_FILL, ERROR_LINE = "#fde2e2", "#c62828"
SELECTED_LINE = "#1565c0"
FILL = {"input": "#e8f0fe", "trunk": "#ffffff", "branch": "#ffffff", "output": "#e6f4ea"}
MESSAGE_WIDTH = 42


def to_dot(report: Report, selected: str | None = None) -> str:
    """DOT text for the whole graph; ``selected`` is the id of the node to highlight."""
    names = _Names(report.nodes)
    children = Counter(names.parent_of(i) for i in range(len(report.nodes)))
    lines = [
        "digraph model {",
        '  graph [rankdir=TB, nodesep=0.25, ranksep=0.3, fontname="Helvetica", fontsize=11];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
        '  edge [color="#777777", arrowsize=0.7];',
    ]
    trunk = [i for i, n in enumerate(report.nodes) if n.role in ("input", "trunk")]
    lines += _cluster("trunk", "shared trunk", [i for i in trunk if report.nodes[i].role == "trunk"],
                      report, names, children, selected)
    for i in trunk:
        if report.nodes[i].role == "input":
            lines.append(_node_line(i, report.nodes[i], names, children, selected))
    for h, head in enumerate(report.design.heads):
        members = [i for i, n in enumerate(report.nodes) if n.head == head.name and n.role in ("branch", "output")]
        lines += _cluster(f"head_{h}", f"head {head.name}  ·  {head.loss} × {head.loss_weight:g}",
                          members, report, names, children, selected)
    for i in range(len(report.nodes)):
        parent = names.parent_of(i)
        if parent is not None:
            lines.append(f"  n{parent} -> n{i};")
    lines.append("}")
    return "\n".join(lines)


class _Names:
    """Maps nodes to DOT names by position, resolving parents as ``validate._walk`` does.

    Ids are not trusted to be unique (a design may still have that error), so
    DOT names are positions; a parent id is looked up first among the head's
    own earlier nodes, then among the input and trunk (first occurrence).
    """

    def __init__(self, nodes: list[Node]):
        self.nodes = nodes
        self.trunk_first: dict[str, int] = {}
        for i, n in enumerate(nodes):
            if n.role in ("input", "trunk"):
                self.trunk_first.setdefault(n.id, i)

    def parent_of(self, i: int) -> int | None:
        node = self.nodes[i]
        if node.parent is None:
            return None
        if node.role in ("branch", "output"):
            for j in range(i - 1, -1, -1):
                other = self.nodes[j]
                if other.head == node.head and other.role == "branch" and other.id == node.parent:
                    return j
        return self.trunk_first.get(node.parent)


def _cluster(name, title, members, report, names, children, selected) -> list[str]:
    if not members:
        return []
    lines = [f"  subgraph cluster_{name} {{",
             f'    label="{_dot_escape(title)}"; style="rounded,dashed"; color="#9e9e9e"; fontsize=10;']
    lines += ["  " + _node_line(i, report.nodes[i], names, children, selected) for i in members]
    lines.append("  }")
    return lines


def _node_line(i: int, node: Node, names: _Names, children: Counter, selected: str | None) -> str:
    attrs = {"label": f"<{node_label(node, fork=children[i])}>", "fillcolor": f'"{FILL[node.role]}"'}
    if node.role == "output":
        attrs["shape"] = '"box"'
        attrs["style"] = '"rounded,filled,bold"'
    if node.problem:
        attrs["fillcolor"] = f'"{ERROR_FILL}"'
        attrs["color"] = f'"{ERROR_LINE}"'
        attrs["penwidth"] = "2"
    if selected is not None and node.id == selected:
        attrs["color"] = f'"{SELECTED_LINE}"'
        attrs["penwidth"] = "3.5"
    body = ", ".join(f"{k}={v}" for k, v in attrs.items())
    return f"  n{i} [{body}];"


def node_label(node: Node, fork: int = 0) -> str:
    """An HTML-like label: bold type (and id), key parameters, shape and parameter count."""
    if node.id == INPUT_ID and node.role == "input":
        title = "<b>Input</b>"
    elif node.role == "output":
        title = f"<b>{_h(node.id)}</b> (output)"
    else:
        title = f'<b>{_h(node.type)}</b> <font color="#666666">{_h(node.id)}</font>'
    rows = [title]
    if node.role == "output":
        rows.append(_h(f"Dense, {node.label}"))
    elif node.label:
        rows.append(_h(node.label))
    shape = fmt_shape(node.shape) if node.shape else "?"
    size = f" · {node.params:,} params" if node.params else ""
    rows.append(_h(f"→ {shape}{size}"))
    if fork > 1:
        rows.append(f'<font color="#6a1b9a">fork: {fork} branches</font>')
    if node.problem:
        wrapped = textwrap.wrap(node.problem, MESSAGE_WIDTH)[:6]
        rows += [f'<font color="{ERROR_LINE}" point-size="9">{_h(line)}</font>' for line in wrapped]
    return "<br/>".join(rows)


def _h(text: str) -> str:
    return html.escape(str(text), quote=True)


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
