"""Checking a design: structure, shapes, sizes and head setups, all in pure Python.

``analyse`` walks the graph a design describes (input, trunk, each branch,
each output), infers every output shape and parameter count from the registry
and returns every problem at once, each with its place in words.  Nothing here
imports Keras, so the designer checks and draws a model instantly; building
with Keras (``build.py``) re-words Keras' own errors the same way in case a
rule here misses one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from ..errors import DesignError, Problem, errors_only
from .registry import REGISTRY, Shape, ShapeProblem, fmt_shape
from .names import FEATURES, OOV_TOKEN, SUFFIXES, layer_names, model_input_names
from .spec import (
    CLASSIFICATION_LOSSES, MAX_LAYERS, MAX_PARAMS, Design, Head, TableInput,
    head_location, is_python_name, layer_params, parse_design, trunk_location,
)

INPUT_ID = "input"


@dataclass
class Node:
    """One box of the model graph, as the summary table and diagram show it."""

    id: str
    location: str
    type: str
    label: str
    parent: str | None
    shape: Shape | None           # output shape per sample; None when it cannot be known
    params: int = 0
    role: str = "trunk"           # input | trunk | branch | output
    head: str | None = None
    problem: str | None = None
    used: bool = True             # False: it feeds no head, so Keras leaves it out of the model


@dataclass
class Report:
    """What ``analyse`` found: the graph, its size, and every problem."""

    design: Design
    nodes: list[Node]
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        """Parameters of the Keras model: layers that feed no head are not part of it."""
        return sum(n.params for n in self.nodes if n.used)

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def table(self) -> list[dict]:
        """Rows of the summary: layer, type, output shape, parameters."""
        return [
            {"layer": n.id, "type": n.type, "where": n.location,
             "output shape": fmt_shape(n.shape) if n.shape else "?", "params": n.params}
            for n in self.nodes
        ]

    def summary_text(self) -> str:
        rows = [("Layer (type)", "Where", "Output shape", "Param #")]
        rows += [(f"{n.id} ({n.type})", n.location + ("" if n.used else " (unused)"),
                  fmt_shape(n.shape) if n.shape else "?", f"{n.params:,}")
                 for n in self.nodes]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule, *lines[1:], rule, f"Total params: {self.total_params}"])


def analyse(design: Design) -> Report:
    """Check a parsed design and infer its graph. Never raises for a bad design."""
    problems = _structure(design)
    nodes = _walk(design, problems)
    report = Report(design, nodes, problems)
    if not report.errors:   # with a broken branch point every layer would look unused
        problems.extend(_unused_layers(design, nodes))
    # Building allocates unused layers' weights too, so the limit counts every layer.
    allocated = sum(n.params for n in nodes)
    if allocated > MAX_PARAMS:
        problems.append(Problem(
            "design", f"the model has {allocated:,} parameters; the limit is {MAX_PARAMS:,}. "
                      "Use fewer units or filters, or pool before Flatten."))
    for head in design.heads:
        out = next((n for n in nodes if n.role == "output" and n.head == head.name), None)
        problems.extend(check_head(design, head, out.shape if out else None))
    for p in problems:   # draw the node of each problem red in the diagram
        if p.node and p.severity == "error":
            for n in nodes:
                if n.id == p.node and n.problem is None:
                    n.problem = p.message
    return report


def load_design(data: str | bytes | dict) -> Design:
    """Parse and check a design; raise ``DesignError`` with every error found."""
    design = parse_design(data)
    report = analyse(design)
    if not report.ok:
        raise DesignError(report.problems)
    return design


def check_design(data: str | bytes | dict) -> list[Problem]:
    """Every problem of raw design data, parse errors included, as a list."""
    try:
        design = parse_design(data)
    except DesignError as e:
        return e.problems
    return analyse(design).problems


# ---------------------------------------------------------------- structure

def _structure(design: Design) -> list[Problem]:
    problems: list[Problem] = []
    if not design.heads:
        problems.append(Problem("design", "the design has no heads. Add at least one output branch."))
    counts = Counter(h.name for h in design.heads)
    for name, n in counts.items():
        if n > 1:
            problems.append(Problem(head_location(name), f"{n} heads are named {name!r}. "
                                    "Each head needs its own name: its loss is reported as <name>_loss.", node=name))
    for head in design.heads:
        if not is_python_name(head.name):
            problems.append(Problem(head_location(head.name), f"{head.name!r} is a Python keyword. "
                                    f"Choose another name, such as {head.name}_out.", node=head.name))
        elif head.name == INPUT_ID:
            # Keras names the input layer 'input'; an output of the same name cannot build.
            problems.append(Problem(head_location(head.name), f"{head.name!r} is the name of the model's input. "
                                    f"Choose another name, such as {head.name}_out.", node=head.name))
    n_layers = sum(1 for _ in design.all_layers())
    if n_layers > MAX_LAYERS:
        problems.append(Problem("design", f"the design has {n_layers} layers; the limit is {MAX_LAYERS}. "
                                          "Remove some layers."))
    seen: dict[str, str] = {h.name: head_location(h.name) for h in design.heads}
    seen[INPUT_ID] = "the input"
    for where, layer in design.all_layers():
        if layer.id in seen:
            problems.append(Problem(where, f"id {layer.id!r} is already used by {seen[layer.id]}. "
                                           "Give every layer its own id.", node=layer.id))
        else:
            seen[layer.id] = where
    problems += _generated_name_clashes(design)
    if isinstance(design.input, TableInput):
        problems += _table_input_problems(design.input)
    for head in design.heads:
        problems += _repeats(head.classes, head_location(head.name), "class list", head.name)
    trunk_ids = [layer.id for layer in design.trunk]
    for head in design.heads:
        if head.branch_from not in (None, INPUT_ID, *trunk_ids):
            choices = ", ".join(repr(i) for i in dict.fromkeys(trunk_ids)) or "none yet"
            problems.append(Problem(head_location(head.name),
                                    f"branch_from {head.branch_from!r} is not a trunk layer. "
                                    f"Choose one of the trunk's layers ({choices}) or 'input'.", node=head.name))
    return problems


def _generated_name_clashes(design: Design) -> list[Problem]:
    """Layer ids and head names that equal a name Keras gives to the table input's own layers.

    A table input makes one Keras input per column (``body_mass_g``), a
    ``<name>_norm`` or ``<name>_onehot`` layer for each, and ``features`` joining
    them; a layer or output with one of those names cannot build.
    """
    if not isinstance(design.input, TableInput):
        return []
    generated = {FEATURES.lower(): "the layer that joins the input columns"}
    for column, stem in layer_names(design.input).items():
        for suffix in SUFFIXES:
            generated[f"{stem}{suffix}".lower()] = f"the preprocessing layer of column {column!r}"
    for column, name in model_input_names(design.input).items():
        generated[name.lower()] = f"the input for column {column!r}"
    named = [(head_location(h.name), h.name, "head name") for h in design.heads]
    named += [(where, layer.id, "id") for where, layer in design.all_layers()]
    return [Problem(where, f"{what} {name!r} is the name the model gives to {generated[name.lower()]}. "
                           f"Choose another {what}, such as {name}_1.", node=name)
            for where, name, what in named if name.lower() in generated]


def _table_input_problems(table: TableInput) -> list[Problem]:
    problems = []
    counts = Counter(c.name for c in table.columns)
    for name, n in counts.items():
        if n > 1:
            problems.append(Problem(f"input column {name!r}", f"the column is listed {n} times among the inputs. "
                                    "Keep it once.", node=INPUT_ID))
    for column in table.columns:
        where = f"input column {column.name!r}"
        problems += _repeats(column.vocabulary, where, "category list", INPUT_ID)
        if OOV_TOKEN in column.vocabulary:
            problems.append(Problem(where, f"the category list contains {OOV_TOKEN!r}, which the model keeps for "
                                    "values it has not seen. Rename that category.", node=INPUT_ID))
    return problems


def _repeats(values: list[str], where: str, what: str, node: str) -> list[Problem]:
    twice = [v for v, n in Counter(values).items() if n > 1]
    if not twice:
        return []
    return [Problem(where, f"the {what} has {', '.join(repr(v) for v in twice[:5])} more than once. "
                           "Each value may appear once: remove the repeats.", node=node)]


# ------------------------------------------------------------------- shapes

def branch_point(design: Design, head: Head) -> str:
    """The id of the node a head starts from."""
    if head.branch_from:
        return head.branch_from
    return design.trunk[-1].id if design.trunk else INPUT_ID


def _walk(design: Design, problems: list[Problem]) -> list[Node]:
    shape = design.input_shape()
    kind = "table" if isinstance(design.input, TableInput) else "tensor"
    label = f"{len(design.input.columns)} columns" if kind == "table" else ""
    nodes = [Node(INPUT_ID, "input", "Input", label, None, shape, role="input")]
    by_id = {INPUT_ID: nodes[0]}
    parent = INPUT_ID
    for i, layer in enumerate(design.trunk):
        node = _layer_node(layer, trunk_location(i, layer.type), by_id[parent], "trunk", None, problems)
        nodes.append(node)
        by_id.setdefault(layer.id, node)
        parent = layer.id
    for head in design.heads:
        start = by_id.get(branch_point(design, head))
        if start is None:      # reported by _structure
            start = Node("?", "", "", "", None, None)
        for j, layer in enumerate(head.layers):
            node = _layer_node(layer, head_location(head.name, j, layer.type), start, "branch", head.name, problems)
            nodes.append(node)
            start = node
        out = head.output
        shape_out = start.shape[:-1] + (out.units,) if start.shape else None
        params = start.shape[-1] * out.units + out.units if start.shape else 0
        label = f"units={out.units}" + ("" if out.activation == "linear" else f", {out.activation}")
        nodes.append(Node(head.name, f"head {head.name!r}, output", "Dense", label, start.id if start.id != "?" else None,
                          shape_out, params, "output", head.name))
    return nodes


def _unused_layers(design: Design, nodes: list[Node]) -> list[Problem]:
    """Mark trunk layers that no head reaches, and warn: Keras drops them from the model."""
    by_id = {}
    for n in nodes:
        by_id.setdefault(n.id, n)
    reached: set[str] = set()
    for n in nodes:
        if n.role == "output":
            node_id = n.parent
            while node_id is not None and node_id not in reached:
                reached.add(node_id)
                node_id = by_id[node_id].parent if node_id in by_id else None
    problems = []
    for i, layer in enumerate(design.trunk):
        node = by_id[layer.id]
        if layer.id not in reached and design.heads:
            node.used = False
            problems.append(Problem(trunk_location(i, layer.type), f"{layer.id!r} feeds no head, so Keras leaves "
                                    "it out of the model. Branch a head from it or a later layer, or remove it.",
                                    "warning", layer.id))
    return problems


def _layer_node(layer, where: str, parent: Node, role: str, head: str | None, problems: list[Problem]) -> Node:
    t = REGISTRY[layer.type]
    p = layer_params(layer)
    node = Node(layer.id, where, layer.type, t.key_params(p), parent.id, None, 0, role, head)
    if parent.shape is None:
        return node
    try:
        node.shape = t.output_shape(parent.shape, p)
        node.params = t.count_params(parent.shape, p)
    except ShapeProblem as e:
        problems.append(Problem(where, f"{layer.type} {e}", node=layer.id))
    return node


# ---------------------------------------------------------------- head rules
# Each rule looks at one head and returns a warning (or error) message, or None.

HeadRule = Callable[[Design, Head, "Shape | None"], "str | None"]
_RULES: list[tuple[str, HeadRule]] = []


def head_rule(severity: str):
    def register(fn: HeadRule) -> HeadRule:
        _RULES.append((severity, fn))
        return fn
    return register


def check_head(design: Design, head: Head, shape: Shape | None) -> list[Problem]:
    problems = []
    for severity, rule in _RULES:
        message = rule(design, head, shape)
        if message:
            problems.append(Problem(head_location(head.name), message, severity, head.name))
    return problems


@head_rule("warning")
def _softmax_binary(design, head, shape):
    if head.output.activation == "softmax" and head.loss == "binary_crossentropy":
        return ("softmax with binary_crossentropy trains badly: softmax makes the outputs compete. "
                "Use activation 'sigmoid' for yes/no targets, or categorical_crossentropy for one-of-many.")


@head_rule("error")       # one-hot labels of two or more classes cannot fit one unit: training would crash
def _one_unit_categorical(design, head, shape):
    if head.output.units == 1 and head.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        return (f"{head.loss} with 1 output unit cannot learn: one class is always certain. "
                "Set units to the number of classes, or use binary_crossentropy with sigmoid for two classes.")


@head_rule("warning")
def _one_unit_softmax(design, head, shape):
    if head.output.units == 1 and head.output.activation == "softmax":
        return "softmax over 1 unit always outputs 1.0. Use 'sigmoid' for a yes/no target, or more units."


@head_rule("warning")
def _squashed_regression(design, head, shape):
    if head.loss in ("mse", "mae", "huber") and head.output.activation in ("sigmoid", "softmax", "tanh"):
        low = "-1" if head.output.activation == "tanh" else "0"
        return (f"{head.output.activation} with {head.loss} limits predictions to {low}..1, so larger "
                "targets cannot be reached. Use activation 'linear' for regression.")


@head_rule("warning")
def _crossentropy_without_probabilities(design, head, shape):
    if head.loss in CLASSIFICATION_LOSSES and head.output.activation not in ("sigmoid", "softmax"):
        want = "sigmoid" if head.loss == "binary_crossentropy" else "softmax"
        return (f"{head.loss} expects probabilities but the output activation is "
                f"{head.output.activation!r}. Use activation {want!r}.")


@head_rule("warning")
def _accuracy_on_regression(design, head, shape):
    if "accuracy" in head.metrics and head.loss in ("mse", "mae", "huber"):
        return "accuracy means little for a regression head. Use 'mae' or 'mse' as its metric."


@head_rule("warning")
def _weight_zero(design, head, shape):
    if head.loss_weight == 0:
        return "loss_weight is 0, so this head does not train. Give it a weight above 0."


@head_rule("warning")
def _sequence_output(design, head, shape):
    if shape is not None and len(shape) > 1:
        return (f"the output has shape {fmt_shape(shape)}, one prediction per step. For one prediction per "
                "sample, add Flatten or a global pooling layer to the branch, or set return_sequences=False.")


@head_rule("error")
def _classes_match_units(design, head, shape):
    if head.kind == "multiclass" and head.classes and len(head.classes) != head.output.units:
        return (f"the target {head.target!r} has {len(head.classes)} classes but the output has "
                f"{head.output.units} units. Set units to {len(head.classes)}.")


@head_rule("error")
def _target_is_a_column(design, head, shape):
    if isinstance(design.input, TableInput) and head.target:
        if head.target in {c.name for c in design.input.columns}:
            return (f"the target {head.target!r} is also an input column, so the model would see the answer. "
                    "Remove it from the inputs.")
