"""The DOT diagram: every node with its type, shape and size; forks, errors and the selected layer."""

import re

import pytest

from builder import analyse, parse_design, template
from builder.design.diagram import ERROR_LINE, SELECTED_LINE, to_dot
from builder.design.templates import TEMPLATE_NAMES


def nodes(dot: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(n\d+) \[(.*)\];$", dot, re.M))


def edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(n\d+) -> (n\d+);$", dot, re.M)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_one_node_per_graph_node_and_a_tree_of_edges(name):
    report = analyse(template(name))
    dot = to_dot(report)
    assert len(nodes(dot)) == len(report.nodes)
    assert len(edges(dot)) == len(report.nodes) - 1       # a tree rooted at the input
    assert dot.count("subgraph cluster_head_") == len(report.design.heads)


def test_labels_show_type_params_shape_and_count():
    dot = to_dot(analyse(template("seed-image-class-reg")))
    conv1 = nodes(dot)["n1"]
    assert "<b>Conv2D</b>" in conv1 and "conv1" in conv1
    assert "filters=32, kernel_size=3" in conv1 and "(30, 30, 32)" in conv1 and "896 params" in conv1
    output = next(v for v in nodes(dot).values() if "output_class</b> (output)" in v)
    assert "units=10, softmax" in output and "(10,)" in output and "1,290 params" in output


def test_the_fork_is_marked():
    dot = to_dot(analyse(template("seed-image-class-reg")))
    assert "fork: 2 branches" in nodes(dot)["n5"]         # Flatten feeds both heads


def test_error_node_is_red_with_its_message():
    design = parse_design({"input": {"shape": [10]},
                           "trunk": [{"type": "Conv2D", "id": "conv"}], "heads": [{"name": "y"}]})
    conv = nodes(to_dot(analyse(design)))["n1"]
    assert f'color="{ERROR_LINE}"' in conv and "needs" in conv


def test_selected_node_is_highlighted_and_only_it():
    dot = to_dot(analyse(template("seed-multi-regression")), selected="dense2")
    highlighted = [k for k, v in nodes(dot).items() if SELECTED_LINE in v]
    assert highlighted == ["n2"]


def test_branch_from_an_early_layer_draws_the_edge_from_it():
    design = parse_design({"input": {"shape": [10]},
                           "trunk": [{"type": "Dense", "id": "a"}, {"type": "Dense", "id": "b"}],
                           "heads": [{"name": "early", "branch_from": "a"}, {"name": "late"}]})
    dot = to_dot(analyse(design))
    assert ("n1", "n3") in edges(dot) and ("n2", "n4") in edges(dot)


def test_user_text_in_a_node_message_is_escaped():
    """A node's message can repeat what the user typed (a column name, say); it must stay text."""
    design = parse_design({"name": "x", "input": {"shape": [10]}, "trunk": [{"type": "Dense", "id": "d"}],
                           "heads": [{"name": "y"}]})
    report = analyse(design)
    dense = next(n for n in report.nodes if n.id == "d")
    dense.problem = 'column "<script>alert(1)</script>" & co'
    dot = to_dot(report)
    assert "<script>" not in dot
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dot and "&quot;" in dot and "&amp; co" in dot


def test_duplicate_ids_still_give_one_node_each():
    design = parse_design({"input": {"shape": [10]},
                           "trunk": [{"type": "Dense", "id": "a"}, {"type": "Dense", "id": "a"}],
                           "heads": [{"name": "y"}]})
    report = analyse(design)
    assert len(nodes(to_dot(report))) == len(report.nodes)
