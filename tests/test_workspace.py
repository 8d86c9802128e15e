"""The workspace store: what a refresh, a second tab or a restarted server finds again."""

import threading

import numpy as np
import pytest

from builder.errors import DataError
from builder.session.workspace import StoredRun, Workspace, data_dir, valid_id


def a_run(run_id: str, **changes) -> StoredRun:
    values = dict(number=0, run_id=run_id, kind="train", design="k1", design_name="penguins_model",
                  dataset_key="builtin:penguins", dataset_name="penguins", state="finished", message="",
                  history={"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]})
    values.update(changes)
    return StoredRun(**values)


ARRAYS = {"predictions": {"species": np.eye(3)[[0, 1, 2, 1]], "mass": np.array([[3.1], [4.2]])},
          "targets": {"species": np.eye(3)[[0, 1, 1, 1]], "mass": np.array([[3.0], [4.0]])},
          "weights": {"species": np.ones(4), "mass": np.array([1.0, 0.0])}}


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(root=tmp_path)


def test_ids_are_unguessable_and_checked(tmp_path):
    ids = {Workspace.create(root=tmp_path).id for _ in range(5)}
    assert len(ids) == 5 and all(valid_id(i) and len(i) >= 22 for i in ids)     # >= 128 random bits
    for bad in ("../etc", "short", "a" * 100, "x/../../y" * 3, None):
        with pytest.raises(DataError, match="not valid"):
            Workspace(bad, root=tmp_path)
    with pytest.raises(DataError, match="not found"):
        Workspace.open("A" * 24, root=tmp_path)


def test_data_folder_is_a_setting_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.setenv("BUILDER_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    monkeypatch.delenv("BUILDER_DATA_DIR")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert str(data_dir()).startswith(str(__import__("pathlib").Path.home() / ".local" / "share"))


def test_database_uses_wal(ws):
    with ws._connect() as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_everything_comes_back_after_reopening(ws, tmp_path):
    upload = ws.save_upload("cars.csv", b"mpg,cylinders\n21,6\n30,4\n")
    keys = {f"k{i}": f'{{"name": "d{i}"}}' for i in range(3)}
    ws.put_designs(keys)
    ws.set("design", {"current": "k2", "undo": ["k0", "k1"], "redo": []})
    ws.set("dataset", {"kind": "upload", "name": "cars.csv", "file": upload, "roles": {"mpg": "target"}})
    model = tmp_path / "trained.keras"
    model.write_bytes(b"model bytes")
    ws.add_run(a_run("srv:run1"), ARRAYS, model)
    ws.add_run(a_run("srv:run2", kind="sharing", extra={"single_history": {"mass": {"loss": [1.0]}}}), ARRAYS)

    again = Workspace.open(ws.id, root=tmp_path)            # a refresh, another tab, a restarted server
    assert again.get("design") == {"current": "k2", "undo": ["k0", "k1"], "redo": []}
    assert again.designs(["k0", "k2"]) == {"k0": keys["k0"], "k2": keys["k2"]}
    assert again.upload_bytes(again.get("dataset")["file"]) == b"mpg,cylinders\n21,6\n30,4\n"
    [run] = again.runs()
    assert (run.number, run.label, run.history["val_loss"]) == (1, "run 1", [2.5, 1.5])
    assert again.model_path(run).read_bytes() == b"model bytes"
    arrays = again.arrays(run)
    np.testing.assert_array_equal(arrays["predictions"]["species"], ARRAYS["predictions"]["species"])
    np.testing.assert_array_equal(arrays["weights"]["mass"], [1.0, 0.0])
    [comparison] = again.runs("sharing")
    assert comparison.extra["single_history"]["mass"]["loss"] == [1.0]


def test_the_same_run_recorded_twice_is_kept_once(ws):
    first = ws.add_run(a_run("srv:run1"), ARRAYS)
    second = ws.add_run(a_run("srv:run1", state="stopped"), ARRAYS)
    assert first.number == second.number and len(ws.runs()) == 1
    assert len(list(ws.files.glob("run-*.npz"))) == 1


def test_missing_or_damaged_file_is_reported_for_that_run_only(ws):
    for i in range(3):
        ws.add_run(a_run(f"srv:run{i}"), ARRAYS)
    first, second, third = ws.runs()
    (ws.files / first.arrays).unlink()
    (ws.files / second.arrays).write_bytes(b"not a zip at all")
    with pytest.raises(DataError, match="run 1's test results file is missing"):
        ws.arrays(first)
    with pytest.raises(DataError, match="run 2's test results file is damaged"):
        ws.arrays(second)
    assert set(ws.arrays(third)) == {"predictions", "targets", "weights"}
    assert [r.number for r in ws.runs()] == [1, 2, 3]


def test_delete_run_removes_its_files_and_events(ws, tmp_path):
    model = tmp_path / "m.keras"
    model.write_bytes(b"x")
    ws.add_events("srv:run1", [{"type": "epoch", "epoch": 1}])
    run = ws.add_run(a_run("srv:run1"), ARRAYS, model)
    assert ws.delete_run(run.number)
    assert ws.runs() == [] and ws.events("srv:run1") == [] and not list(ws.files.glob("run-*"))
    assert not ws.delete_run(run.number)


def test_events_come_back_in_order_after_a_cursor(ws):
    ws.add_events("srv:run1", [{"type": "started", "epochs": 2}, {"type": "epoch", "epoch": 1, "loss": np.float32(1)}])
    ws.add_events("srv:run2", [{"type": "started"}])
    events = ws.events("srv:run1")
    assert [e["type"] for _, e in events] == ["started", "epoch"] and events[1][1]["loss"] == 1.0
    ws.add_events("srv:run1", [{"type": "finished"}])
    assert [e["type"] for _, e in ws.events("srv:run1", after=events[-1][0])] == ["finished"]


def test_past_the_size_limit_the_oldest_models_go_with_a_notice(tmp_path):
    ws = Workspace.create(root=tmp_path, cap=300_000)
    model = tmp_path / "m.keras"
    model.write_bytes(b"m" * 100_000)
    for i in range(4):
        ws.add_run(a_run(f"srv:run{i}"), None, model)
    runs = ws.runs()
    assert ws.size() <= ws.cap
    dropped = [r.number for r in runs if r.model_dropped]
    assert dropped and dropped == list(range(1, len(dropped) + 1))       # the oldest first
    assert ws.model_path(runs[-1]) is not None                            # never the newest
    assert ws.notices()[0].startswith("run 1's trained model was removed")
    assert all(ws.model_path(r) is None for r in runs if r.model_dropped)


def test_two_tabs_writing_at_once_never_corrupt_it(ws, tmp_path):
    errors = []

    def tab(n: int) -> None:
        other = Workspace.open(ws.id, root=tmp_path)
        try:
            for i in range(25):
                other.add_events(f"srv:run{n}", [{"type": "progress", "step": i}])
                other.set("design", {"current": f"tab{n}-{i}"})
                other.add_run(a_run(f"srv:tab{n}-{i % 5}"))
        except Exception as e:       # noqa: BLE001 - the test reports any failure of any kind
            errors.append(e)

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ws.runs()) == 20 and all(len(ws.events(f"srv:run{n}")) == 25 for n in range(4))
    with ws._connect() as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
