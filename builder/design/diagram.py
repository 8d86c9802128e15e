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
    graph = _Graph(report, selected)
    lines = [
        "digraph model {",
        '  graph [rankdir=TB, nodesep=0.25, ranksep=0.3, fontname="Helvetica", fontsize=11];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
        '  edge [color="#777777", arrowsize=0.7];',
    ]
    nodes = report.nodes
    lines += [graph.node_line(i) for i, n in enumerate(nodes) if n.role == "input"]
    lines += graph.cluster("trunk", "shared trunk", [i for i, n in enumerate(nodes) if n.role == "trunk"])
    for h, head in enumerate(report.design.heads):
        members = [i for i, n in enumerate(nodes) if n.head == head.name and n.role in ("branch", "output")]
        lines += graph.cluster(f"head_{h}", f"head {head.name}", members)
    lines += [f"  n{graph.parent_of(i)} -> n{i};" for i in range(len(nodes)) if graph.parent_of(i) is not None]
    lines.append("}")
    return "\n".join(lines)


class _Graph:
    """Nodes named by position (n0, n1...), with parents resolved as ``validate._walk`` does.

    Ids are not trusted to be unique (a design may still have that error), so
    DOT names are positions; a parent id is looked up first among the head's
    own earlier nodes, then among the input and trunk (first occurrence).
    """

    def __init__(self, report: Report, selected: str | None):
        self.nodes = report.nodes
        self.selected = selected
        self.losses = {h.name: f"{h.loss} × {h.loss_weight:g}" for h in report.design.heads}
        self.trunk_first: dict[str, int] = {}
        for i, n in enumerate(self.nodes):
            if n.role in ("input", "trunk"):
                self.trunk_first.setdefault(n.id, i)
        self.children = Counter(self.parent_of(i) for i in range(len(self.nodes)))

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

    def cluster(self, name: str, title: str, members: list[int]) -> list[str]:
        if not members:
            return []
        return [f"  subgraph cluster_{name} {{",
                f'    label="{_dot_escape(title)}"; style="rounded,dashed"; color="#9e9e9e"; fontsize=10;',
                *("  " + self.node_line(i) for i in members), "  }"]

    def node_line(self, i: int) -> str:
        node = self.nodes[i]
        loss = self.losses.get(node.head, "") if node.role == "output" else ""
        attrs = {"label": f"<{node_label(node, self.children[i], loss)}>", "fillcolor": f'"{FILL[node.role]}"'}
        if node.role == "output":
            attrs["style"] = '"rounded,filled,bold"'
        if node.problem:
            attrs.update(fillcolor=f'"{ERROR_FILL}"', color=f'"{ERROR_LINE}"', penwidth="2")
        if self.selected is not None and node.id == self.selected:
            attrs.update(color=f'"{SELECTED_LINE}"', penwidth="3.5")
        return f"  n{i} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];"


def node_label(node: Node, fork: int = 0, loss: str = "") -> str:
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
        if loss:
            rows.append(_h(loss))
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
