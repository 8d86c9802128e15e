"""The canvas layout: input on top, the trunk as a column, heads under their branch node, no overlaps, stable."""

import pytest

from builder import analyse, parse_design, template
from builder import session
from builder.design.layout import NODE_W, WRAP, layout, output_key
from builder.design.templates import TEMPLATE_NAMES


def big_design(layers: int = 60, heads: int = 6) -> dict:
    trunk = [{"type": "Dense", "id": f"d{i}", "units": 16, "activation": "relu"} for i in range(layers)]
    return {"input": {"shape": [8]}, "trunk": trunk,
            "heads": [{"name": f"h{j}", "branch_from": f"d{(j * 9) % layers}",
                       "layers": [{"type": "Dense", "id": f"h{j}_d", "units": 4}]} for j in range(heads)]}


def overlaps(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def assert_no_overlaps(drawn):
    boxes = drawn.boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not overlaps(a, b), (a.key, b.key)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_node_once_no_overlaps_and_a_tree_of_edges(name):
    report = analyse(template(name))
    drawn = layout(report)
    assert len(drawn.boxes) == len(report.nodes)
    assert len({b.key for b in drawn.boxes}) == len(drawn.boxes)
    assert len(drawn.edges) == len(report.nodes) - 1
    assert_no_overlaps(drawn)


def test_input_on_top_trunk_a_column_and_heads_below_their_branch_node():
    drawn = layout(analyse(parse_design(big_design())))
    top = drawn.box("input")
    trunk = [b for b in drawn.boxes if b.chain == "trunk"]
    assert all(b.y > top.y and b.x == top.x for b in trunk)
    assert [b.y for b in trunk] == sorted(b.y for b in trunk)
    for j in range(6):
        branch = drawn.box(f"trunk/d{(j * 9) % 60}")
        first, out = drawn.box(f"h{j}/h{j}_d"), drawn.box(output_key(f"h{j}"))
        assert first.y > branch.y + branch.h and out.y > first.y + first.h
        assert (branch.key, first.key) in drawn.edges and (first.key, out.key) in drawn.edges
    assert_no_overlaps(drawn)


def test_every_node_shows_type_id_params_shape_and_size():
    drawn = layout(analyse(template("seed-image-class-reg")))
    conv = drawn.box("trunk/conv1")
    text = " ".join(conv.lines)
    assert conv.type == "Conv2D" and "conv1" in conv.lines
    assert "filters=32" in text and "(30, 30, 32)" in text and "896 params" in text
    assert conv.shape == "(30, 30, 32)" and conv.params == 896
    assert all(len(line) <= WRAP for b in drawn.boxes for line in b.lines)


def test_an_invalid_node_carries_its_message():
    bad = {"input": {"shape": [10]}, "trunk": [{"type": "Conv2D", "id": "c"}], "heads": [{"name": "y"}]}
    box = layout(analyse(parse_design(bad))).box("trunk/c")
    assert "Conv2D" in box.problem


def positions(drawn) -> dict:
    return {b.key: (b.x, b.y) for b in drawn.boxes}


def test_positions_are_stable_under_an_unrelated_edit():
    ss: dict = {"design": parse_design(big_design(12, 3))}
    before = positions(layout(session.report(ss)))
    session.add_layer(ss, "h2", "Dense", units=64)                 # another head grows
    session.set_param(ss, "h1", "h1_d", "units", 128)              # a head's own layer changes
    session.set_param(ss, session.TRUNK, "d11", "activation", "tanh")  # the last trunk layer changes
    after = positions(layout(session.report(ss)))
    unrelated = [k for k in before if k.startswith(("input", "trunk/", "h0/"))]
    assert unrelated and all(after[k] == before[k] for k in unrelated)
    assert after["h1/h1_d"] == before["h1/h1_d"]


def test_a_long_head_name_wraps_instead_of_overflowing():
    long_name = "a" * 60
    design = {"input": {"shape": [4]}, "heads": [{"name": long_name}]}
    out = layout(analyse(parse_design(design))).box(output_key(long_name))
    assert out.w == NODE_W and all(len(line) <= WRAP for line in out.lines)


def test_slots_on_every_edge_and_after_each_chain():
    drawn = layout(analyse(template("seed-multi-regression")))
    trunk_slots = sorted(s.index for s in drawn.slots if s.chain == "trunk")
    assert trunk_slots == [0, 1, 2]                          # before, between and after the two layers
    for head in ("output1", "output2", "output3"):
        assert [s.index for s in drawn.slots if s.chain == head] == [0]


def test_the_first_head_at_the_trunk_end_continues_the_column_and_others_get_lanes():
    drawn = layout(analyse(template("seed-multi-regression")))
    last = drawn.box("trunk/dense2")
    first, second = drawn.box(output_key("output1")), drawn.box(output_key("output2"))
    assert first.x == last.x and first.y > last.y + last.h
    assert second.x > first.x and second.y > last.y + last.h
    assert_no_overlaps(drawn)
    plus = {(s.x, s.y) for s in drawn.slots}
    assert len(plus) == len(drawn.slots)                     # no two "+" on the same spot
