"""Where each box of the model graph sits on the Design page's canvas, in pure Python.

The input is on top, the shared trunk is a column under it; the first head that
reads the trunk's last layer continues that column, and every other head has its
own lane to the right, starting just under the node it branches from.  A
node's place depends only on the nodes above it in its own chain (and, for a
head, on its branch node and its lane), so editing one head or a parameter
further down never moves an unrelated box.  Box heights follow their own
caption, wrapped here to a fixed width, so captions are never cut off.

The canvas component draws exactly what this returns: boxes, edges and the
"+" slots where a layer can be inserted (``chain`` is ``"trunk"`` or a head's
name, ``index`` the position in that chain's layer list).
"""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass, field

from .registry import REGISTRY, ShapeProblem, fmt_shape
from .validate import INPUT_ID, Report, branch_point

TRUNK = "trunk"
NODE_W = 240          # px; the component's CSS uses the same width
LANE = 280            # px between the left edges of two lanes
LINE_H = 16           # px per caption line
PAD_H = 14            # px of vertical padding inside a box
GAP = 40              # px between two boxes of a chain: room for the "+" on the edge
WRAP = 32             # characters per caption line: 11 px monospace (6.6 px a character) in a 240 px box
OUTPUT_KEY = "@out"   # ids cannot contain '@', so a head's output key never meets a layer's


@dataclass
class Box:
    """One node of the graph as the canvas draws it."""

    key: str                  # unique: "input", "<chain>/<layer id>", "<head>/@out"
    id: str
    chain: str                # "input", "trunk" or the head's name
    index: int                # position in the chain's layers; -1 for the input and outputs
    role: str                 # input | trunk | branch | output
    type: str
    lines: list[str]          # caption lines after the title, already wrapped
    x: int
    y: int
    h: int
    w: int = NODE_W
    problem: str | None = None
    warning: str | None = None
    params: int = 0
    shape: str = "?"


@dataclass
class Slot:
    """A "+" where a layer can be inserted: ``chain`` at ``index``; ``shape`` is what it would receive."""

    chain: str
    index: int
    x: int
    y: int
    shape: str


@dataclass
class Layout:
    boxes: list[Box] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    width: int = 0
    height: int = 0

    def box(self, key: str) -> Box:
        return next(b for b in self.boxes if b.key == key)

    def to_data(self) -> dict:
        """Plain JSON-able data for the component; short keys keep a 60-layer design small."""
        return {"boxes": [asdict(b) for b in self.boxes], "edges": [list(e) for e in self.edges],
                "slots": [asdict(s) for s in self.slots], "width": self.width, "height": self.height}


def layer_key(chain: str, layer_id: str) -> str:
    return f"{chain}/{layer_id}"


def output_key(head: str) -> str:
    return f"{head}/{OUTPUT_KEY}"


def wrap(text: str) -> list[str]:
    """Caption lines of at most WRAP characters; long words are broken, nothing is dropped."""
    return textwrap.wrap(text, WRAP, break_long_words=True, break_on_hyphens=False) or [""]


def _height(lines: list[str]) -> int:
    return PAD_H + LINE_H * (1 + len(lines))       # the title line, then the caption


def _size_line(node) -> str:
    shape = fmt_shape(node.shape) if node.shape else "?"
    return f"→ {shape}" + (f" · {node.params:,} params" if node.params else "")


def layout(report: Report) -> Layout:
    """Place every node of ``report`` (from ``validate.analyse``) on the canvas."""
    design, nodes = report.design, report.nodes
    warnings = {p.node: p.message for p in report.warnings if p.node}
    out = Layout()
    by_id: dict[str, Box] = {}
    keys: set[str] = set()

    def place(node, key, chain, index, x, y, lines) -> Box:
        lines = [line for text in lines if text for line in wrap(text)]
        n, unique = 1, key
        while unique in keys:          # a design may still repeat an id (that is one of its errors)
            n += 1
            unique = f"{key}#{n}"
        keys.add(unique)
        box = Box(unique, node.id, chain, index, node.role, node.type, lines, x, y, _height(lines),
                  problem=node.problem, warning=warnings.get(node.id) if node.role != "output" else None,
                  params=node.params, shape=fmt_shape(node.shape) if node.shape else "?")
        out.boxes.append(box)
        return box

    # Report nodes come in design order: the input, the trunk, then each head's layers and its output.
    position = iter(nodes)
    node = next(position)
    top = place(node, INPUT_ID, "input", -1, 0, 0, [node.label, _size_line(node)])
    by_id[INPUT_ID] = top
    y = top.y + top.h + GAP
    out.slots.append(Slot(TRUNK, 0, 0, y - GAP // 2, top.shape))
    previous = top
    for i, layer in enumerate(design.trunk):
        node = next(position)
        box = place(node, layer_key(TRUNK, layer.id), TRUNK, i, 0, y, [layer.id, node.label, _size_line(node)])
        out.edges.append((previous.key, box.key))
        by_id.setdefault(layer.id, box)
        y = box.y + box.h + GAP
        out.slots.append(Slot(TRUNK, i + 1, 0, y - GAP // 2, box.shape))
        previous = box
    for head, lane in zip(design.heads, lanes(design)):
        x = lane * LANE
        parent = by_id.get(branch_point(design, head))
        y = (parent.y + parent.h + GAP) if parent else GAP
        if lane == 0:
            y += GAP          # under the trunk's own "+" after its last layer
        for j, layer in enumerate(head.layers):
            node = next(position)
            out.slots.append(Slot(head.name, j, x, y - GAP // 2, parent.shape if parent else "?"))
            box = place(node, layer_key(head.name, layer.id), head.name, j, x, y,
                        [layer.id, node.label, _size_line(node)])
            if parent:
                out.edges.append((parent.key, box.key))
            parent, y = box, box.y + box.h + GAP
        node = next(position)
        out.slots.append(Slot(head.name, len(head.layers), x, y - GAP // 2, parent.shape if parent else "?"))
        loss = f"{head.loss} × {head.loss_weight:g}"
        box = place(node, output_key(head.name), head.name, -1, x, y, [f"Dense, {node.label}", loss, _size_line(node)])
        if parent:
            out.edges.append((parent.key, box.key))
    out.width = max(b.x + b.w for b in out.boxes)
    out.height = max(max(b.y + b.h for b in out.boxes), max(s.y for s in out.slots) + GAP // 2)
    return out


def lanes(design) -> list[int]:
    """Each head's lane: the first head that reads the trunk's end goes under the trunk (lane 0);
    every other head keeps its own lane to the right, in head order."""
    end = design.trunk[-1].id if design.trunk else INPUT_ID
    under = next((i for i, h in enumerate(design.heads) if branch_point(design, h) == end), None)
    result, lane = [], 1
    for i in range(len(design.heads)):
        if i == under:
            result.append(0)
        else:
            result.append(lane)
            lane += 1
    return result


def refusals(shapes: set[str] | list[str], report: Report) -> dict[str, dict[str, str]]:
    """For each input shape a slot can have, the layer types that cannot go there and why.

    The palette greys these out with their reason; inserting one anyway is
    refused by the page with the same words.
    """
    shape_of = {fmt_shape(n.shape): n.shape for n in report.nodes if n.shape}
    result: dict[str, dict[str, str]] = {}
    for text in shapes:
        shape = shape_of.get(text)
        if shape is None:
            continue
        refused = {}
        for name, layer_type in REGISTRY.items():
            try:
                layer_type.output_shape(shape, layer_type.defaults())
            except ShapeProblem as e:
                refused[name] = f"{name} {e}"
        result[text] = refused
    return result
