"""Canvas actions on a plain dict: each one is one edit, one undo step, and refused with a reason when impossible."""

import pytest

from builder import DesignError
from builder import session
from builder.session import canvas


@pytest.fixture
def ss() -> dict:
    state: dict = {}
    session.ensure(state)
    canvas.apply_pending(state)            # the Design page has been drawn once in this session
    return state


def act(ss, nonce, **action) -> None:
    ss[canvas.KEY] = {"action": {**action, "nonce": nonce}}
    canvas.apply_pending(ss)


def trunk_ids(ss) -> list[str]:
    return [layer.id for layer in session.current(ss).trunk]


def test_build_two_heads_by_canvas_actions_each_one_undo_step(ss):
    act(ss, 1, op="insert", chain="trunk", index=0, type="Dense")
    act(ss, 2, op="insert", chain="trunk", index=1, type="Dropout")
    act(ss, 3, op="insert", chain="trunk", index=2, type="Dense")
    assert trunk_ids(ss) == ["dense_1", "dropout_1", "dense_2"]
    assert canvas.selected_node(ss) == "trunk/dense_2"
    act(ss, 4, op="branch", node="trunk/dropout_1")
    assert session.current(ss).head("output2").branch_from == "dropout_1"
    assert canvas.selected_node(ss) == "output2/@out"
    act(ss, 5, op="rebranch", head="output2", node="trunk/dense_1")
    act(ss, 6, op="move", node="trunk/dense_2", index=0)
    assert trunk_ids(ss) == ["dense_2", "dense_1", "dropout_1"]
    act(ss, 7, op="delete", node="trunk/dropout_1")
    assert trunk_ids(ss) == ["dense_2", "dense_1"] and canvas.selected_node(ss) == "trunk/dense_1"
    assert len(ss[session.HISTORY].undo) == 7
    act(ss, 8, op="undo")
    assert trunk_ids(ss) == ["dense_2", "dense_1", "dropout_1"]
    act(ss, 9, op="redo")
    assert trunk_ids(ss) == ["dense_2", "dense_1"]
    assert session.current(ss).head("output2").branch_from == "dense_1" and session.report(ss).ok


def test_an_action_is_applied_once_even_if_the_page_reruns(ss):
    act(ss, 1, op="insert", chain="trunk", index=0, type="Dense")
    canvas.apply_pending(ss)
    assert trunk_ids(ss) == ["dense_1"]


def test_an_impossible_insert_is_refused_with_the_reason(ss):
    with pytest.raises(DesignError, match=r"trunk step 1 \(Conv2D\).*cannot go here.*needs"):
        act(ss, 1, op="insert", chain="trunk", index=0, type="Conv2D")
    assert trunk_ids(ss) == [] and not session.can_undo(ss)
    data = canvas.canvas_data(ss)
    assert "Conv2D" in data["refused"]["(10,)"] and "Dense" not in data["refused"]["(10,)"]


def test_duplicate_and_delete_a_head_through_its_output(ss):
    act(ss, 1, op="insert", chain="output1", index=0, type="Dense")
    act(ss, 2, op="duplicate", node="output1/dense_1")
    assert [x.id for x in session.current(ss).head("output1").layers] == ["dense_1", "dense_2"]
    act(ss, 3, op="branch", node="input")
    act(ss, 4, op="delete", node="output2/@out")
    assert [h.name for h in session.current(ss).heads] == ["output1"]
    with pytest.raises(DesignError, match="input cannot be deleted"):
        act(ss, 5, op="delete", node="input")


def test_the_canvas_data_is_plain_and_names_the_selection(ss):
    act(ss, 1, op="insert", chain="trunk", index=0, type="Dense")
    data = canvas.canvas_data(ss)
    assert data["selected"] == "trunk/dense_1" and data["undo"] and not data["redo"]
    assert [b["key"] for b in data["boxes"]] == ["input", "trunk/dense_1", "output1/@out"]
    assert {tuple(e) for e in data["edges"]} == {("input", "trunk/dense_1"), ("trunk/dense_1", "output1/@out")}
    assert any(t[0] == "Dense" for group in data["palette"] for t in group["types"])


def test_a_malformed_action_is_refused_in_words(ss):
    with pytest.raises(DesignError, match="cannot read"):
        act(ss, 1, op="move", node="trunk/x", index="first")
    with pytest.raises(DesignError, match="unknown canvas action"):
        act(ss, 2, op="explode")


def test_an_action_from_before_a_server_restart_is_not_replayed():
    fresh: dict = {}                        # a new session; the browser still holds its last action
    session.ensure(fresh)
    fresh[canvas.KEY] = {"action": {"op": "insert", "chain": "trunk", "index": 0, "type": "Dense", "nonce": "old"}}
    assert canvas.apply_pending(fresh) is None and session.current(fresh).trunk == []
    act(fresh, "new", op="insert", chain="trunk", index=0, type="Dense")
    assert [x.id for x in session.current(fresh).trunk] == ["dense_1"]
