"""The training service end to end: real worker processes, tiny data, a few epochs.

One service (one warm worker, at most one run at a time) serves the whole
module, so TensorFlow is imported once.  No timing assertions: the machine
is shared; the benchmarks measure speed.
"""

import gc
import math
import os
import sys
import types

import pytest

from builder.data import load_builtin, suggest_design
from builder.errors import DesignError
from builder.design.spec import parse_design
from builder.design.templates import template
from builder.train import TrainingService, check_memory
from builder.train.events import head_logs, ordinal

RUN_TIMEOUT = 120


@pytest.fixture(scope="module")
def service():
    svc = TrainingService(max_concurrent=1, warm_workers=1).warm()
    yield svc
    svc.shutdown()


def regression_data(rows=240, scale_output2=1.0):
    data = load_builtin("seed-multi-regression", rows=rows)
    if scale_output2 != 1.0:
        data.y["output2"] = data.y["output2"] * scale_output2
    return data


def tiny(design, **training):
    return design.training.model_copy(update={"batch_size": 16, **training})


def finish(handle):
    assert handle.wait(RUN_TIMEOUT), f"run did not end: {handle.status_text()}"
    return handle.poll()


def test_events_stream_per_head_losses_and_result(service):
    design = template("seed-multi-regression")
    handle = service.submit(design, regression_data(), tiny(design, epochs=2))
    events = finish(handle)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished", kinds
    assert "progress" in kinds and kinds.count("epoch") == 2
    heads = ["output1", "output2", "output3"]
    epoch = next(e for e in events if e["type"] == "epoch")
    assert epoch["epoch"] == 1 and epoch["epochs"] == 2 and epoch["step"] == epoch["steps"]
    for head in heads:
        assert {"loss", "val_loss", "mae", "val_mae"} <= set(epoch["heads"][head])
    assert math.isfinite(epoch["loss"]) and epoch["val_loss"] is not None
    progress = next(e for e in events if e["type"] == "progress")
    assert set(progress["heads"]) == set(heads) and 1 <= progress["step"] <= progress["steps"]

    assert handle.status == "finished" and handle.status_text() == "finished: 2 epochs"
    assert len(handle.history["output1_loss"]) == 2 and len(handle.history["val_loss"]) == 2
    assert handle.points and "output3_loss" in handle.points[-1]
    result = handle.result
    n_test = len(result.test_targets["output1"])
    assert n_test > 0
    assert {h: p.shape for h, p in result.test_predictions.items()} == {h: (n_test, 1) for h in heads}
    assert os.path.isfile(result.model_path)
    # The model file lives as long as the result: dropping the run frees the disk.
    path, handle.result, result = result.model_path, None, None
    gc.collect()
    assert not os.path.exists(path)


def test_stop_keeps_weights_and_history(service):
    design = template("seed-multi-regression")
    handle = service.submit(design, regression_data(rows=2000), tiny(design, epochs=500))
    for _ in range(RUN_TIMEOUT * 10):
        if any(e["type"] == "epoch" for e in handle.poll()):
            break
        handle.wait(0.1)
    handle.stop()
    events = finish(handle)
    assert events[-1]["type"] == "stopped"
    assert handle.status == "stopped" and handle.status_text().startswith("stopped after")
    assert 1 <= handle.result.epochs_run < 500
    assert len(handle.history["loss"]) == handle.result.epochs_run
    assert os.path.isfile(handle.result.model_path)
    assert handle.result.test_predictions["output1"].shape[1] == 1


def test_nan_loss_names_the_head(service):
    design = template("seed-multi-regression").model_dump()
    # A linear regression head learns standardised targets, so its size cannot overflow; a softplus head
    # learns raw targets, and squared errors of targets near 1e30 overflow float32: its loss becomes infinite.
    design["heads"][1]["output"]["activation"] = "softplus"
    design = parse_design(design)
    handle = service.submit(design, regression_data(scale_output2=1e30), tiny(design, epochs=3))
    events = finish(handle)
    assert handle.status == "error"
    message = events[-1]["message"]
    assert message.startswith("head 'output2' diverged (its loss became")
    assert "at epoch 1. Lower the learning rate, e.g. to 0.0001, or scale the target." in message


def test_queue_cap_reports_place_then_runs(service):
    design = template("seed-multi-regression")
    first = service.submit(design, regression_data(), tiny(design, epochs=2))
    second = service.submit(design, regression_data(), tiny(design, epochs=1))
    assert second.status == "queued" and second.status_text() == "queued, 1st in line"
    assert second.poll()[0] == {"type": "queued", "run_id": second.run_id, "place": 1}
    finish(first)
    events = finish(second)
    assert [e["type"] for e in events][0] == "started" and second.status == "finished"


def test_stop_while_queued(service):
    design = template("seed-multi-regression")
    first = service.submit(design, regression_data(), tiny(design, epochs=1))
    second = service.submit(design, regression_data(), tiny(design, epochs=1))
    second.stop()
    assert second.done and second.status == "stopped" and second.result is None
    finish(first)


def test_penguins_table_design_and_sharing_comparison(service):
    data = load_builtin("penguins")
    design = suggest_design(data, ["species", "body_mass_g"])
    handle = service.submit(design, data, tiny(design, epochs=1, compare_seeds=2), kind="sharing")
    events = finish(handle)
    assert handle.status == "finished", handle.error
    phases = [e.get("phase") for e in events if e["type"] == "epoch"]
    names = ("multi-task", "head 'species' alone", "head 'body_mass_g' alone")
    assert phases == [f"training {3 * (s - 1) + i + 1} of 6 (seed {s} of 2): {name}" for s in (1, 2)
                      for i, name in enumerate(names)]
    sharing = handle.result.sharing
    n_test = len(handle.result.test_targets["species"])
    assert sharing["seeds"] == [0, 1] and len(sharing["multi"]) == len(sharing["single"]) == 2
    assert sharing["single"][1]["species"].shape == (n_test, 3)
    assert sharing["multi"][0]["body_mass_g"].shape == (n_test, 1)
    assert list(handle.history) and all(len(v) == 1 for v in handle.history.values())


def test_too_large_for_memory_is_refused_before_training(service):
    design = parse_design({"input": {"shape": [512, 512, 3]},
                           "trunk": [{"type": "Conv2D", "id": "conv", "filters": 64, "kernel_size": 3},
                                     {"type": "GlobalAveragePooling2D", "id": "pool"}],
                           "heads": [{"name": "y"}], "training": {"batch_size": 4096}})
    with pytest.raises(DesignError, match=r"needs about .* of memory, but only .* is free\. Use a smaller batch size"):
        service.submit(design, regression_data())
    assert service.queue_length() == 0


def test_memory_check_uses_parameters_and_batch():
    design = template("seed-multi-regression")
    assert check_memory(design, available=64 * 2**30) > 0
    with pytest.raises(DesignError, match="memory"):
        check_memory(design, available=100 * 2**20)


def test_head_logs_handles_one_and_several_heads():
    assert head_logs({"loss": 1.0, "mae": 0.5, "val_loss": 2.0}, ["price"]) == (
        1.0, 2.0, {"price": {"loss": 1.0, "mae": 0.5, "val_loss": 2.0}})
    total, val, heads = head_logs({"loss": 3.0, "a_loss": 1.0, "a_b_loss": 2.0, "val_a_b_loss": 4.0}, ["a", "a_b"])
    assert heads == {"a": {"loss": 1.0}, "a_b": {"loss": 2.0, "val_loss": 4.0}}
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 22)] == ["1st", "2nd", "3rd", "4th", "11th", "22nd"]


def test_workers_are_replaced_after_growing_or_dying(monkeypatch, tmp_path):
    # Every run exceeds a 0 MB allowance, so each worker retires after one run and a fresh one takes over.
    monkeypatch.setenv("BUILDER_WORKER_RECYCLE_MB", "-1")
    # Under `streamlit run` the main module is the page script: a worker must never run it again.
    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('a training worker re-ran the page script')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)
    svc = TrainingService(max_concurrent=1).warm()
    try:
        design = template("seed-multi-regression")
        runs = [svc.submit(design, regression_data(), tiny(design, epochs=1)) for _ in range(2)]
        for handle in runs:
            finish(handle)
            assert handle.status == "finished", handle.error
        # A worker killed mid-run (say, by the kernel for memory) ends its run with a message, not a hang.
        doomed = svc.submit(design, regression_data(rows=2000), tiny(design, epochs=500))
        for _ in range(RUN_TIMEOUT * 10):
            if doomed.progress:
                break
            doomed.wait(0.1)
        next(w for w in svc._workers if w.run is doomed).process.kill()
        finish(doomed)
        assert doomed.status == "error" and "ended unexpectedly" in doomed.error
        after = svc.submit(design, regression_data(), tiny(design, epochs=1))
        finish(after)
        assert after.status == "finished"
    finally:
        svc.shutdown()


def test_flops_count_each_weight_where_it_is_used():
    """Conv weights at each output position (30x30 and 13x13 here, not 32x32 and 15x15), LSTM weights at each
    of the 100 time steps, Dense weights once: the reference models' multiply-adds, worked out by hand."""
    from builder.train.speed import flops_per_sample

    conv = 30 * 30 * (3 * 3 * 3 * 32 + 32) + 13 * 13 * (3 * 3 * 32 * 64 + 64)
    dense = (2304 * 128 + 128) + (2304 * 64 + 64) + (128 * 10 + 10) + (64 * 1 + 1)
    assert flops_per_sample(template("seed-image-class-reg")) == 2 * (conv + dense)
    lstm = 100 * 4 * (50 * 128 + 128 * 128 + 128)
    heads = (128 * 64 + 64) * 2 + (64 * 50 + 50) + (64 * 20 + 20)
    assert flops_per_sample(template("seed-sequence-two-heads")) == 2 * (lstm + heads)
    embedded = parse_design({"name": "tokens", "input": {"kind": "tensor", "shape": [20]},
                             "trunk": [{"type": "Embedding", "id": "e", "input_dim": 1000, "output_dim": 8},
                                       {"type": "Flatten", "id": "f"}],
                             "heads": [{"name": "y", "output": {"units": 1, "activation": "linear"}, "loss": "mse"}]})
    assert flops_per_sample(embedded) == 2 * (160 + 1)       # the lookup itself multiplies nothing


def test_steps_per_execution_shrinks_for_costly_designs(monkeypatch):
    from builder.train import speed
    from builder.train.speed import choose_steps_per_execution

    monkeypatch.setattr(speed, "has_gpu", lambda: False)   # the CPU figures; a GPU affords 32 for all
    cheap = choose_steps_per_execution(template("seed-multi-regression"), 32)
    costly = choose_steps_per_execution(template("seed-sequence-two-heads"), 32)
    assert cheap == 32 and 1 <= costly < cheap
