"""`python -m builder train`: the same engine, headless, on an .npz or a CSV; bad input exits with one line."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder.cli import main
from builder.data import load_builtin, suggest_design
from builder.design.templates import template

ROOT = Path(__file__).resolve().parents[1]
PENGUINS_CSV = ROOT / "builder" / "data" / "penguins.csv"


@pytest.fixture
def npz_design(tmp_path):
    design = template("seed-multi-regression")
    path = tmp_path / "design.json"
    path.write_text(design.to_json())
    data = load_builtin("seed-multi-regression", rows=160)
    np.savez(tmp_path / "data.npz", x=data.x, **data.y)
    return path, tmp_path / "data.npz"


def test_train_on_npz_prints_each_heads_loss_and_saves(npz_design, tmp_path, capsys):
    design, data = npz_design
    out, history = tmp_path / "model.keras", tmp_path / "history.csv"
    code = main(["train", str(design), "--data", str(data), "--epochs", "2", "--batch-size", "16",
                 "--out", str(out), "--history", str(history)])
    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    epochs = [line for line in printed if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"]
    assert all(f"output{i} " in epochs[0] for i in (1, 2, 3))
    assert out.is_file()
    header = history.read_text().splitlines()[0].split(",")
    assert {"epoch", "loss", "output1_loss", "val_output3_mae"} <= set(header)
    assert len(history.read_text().splitlines()) == 3


def test_train_on_csv_with_mirrored_strategy(tmp_path, capsys):
    design = suggest_design(load_builtin("penguins"), ["species", "body_mass_g"])
    path = tmp_path / "penguins.json"
    path.write_text(design.to_json())
    code = main(["train", str(path), "--data", str(PENGUINS_CSV), "--epochs", "1", "--strategy", "mirrored"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/1" in printed and "species " in printed and "body_mass_g " in printed


@pytest.mark.parametrize("args, message", [
    (["--data", "missing.npz"], "cannot read the data file 'missing.npz': no such file"),
    (["--data", "{csv}"], "so --data must be an .npz"),
    (["--data", "{npz}", "--out", "model.h5"], "--out must end in .keras"),
    (["--data", "{npz}", "--epochs", "0"], "--epochs must be at least 1. Received: 0."),
])
def test_bad_input_exits_with_one_line(npz_design, args, message, capsys):
    design, data = npz_design
    args = [a.replace("{csv}", str(PENGUINS_CSV)).replace("{npz}", str(data)) for a in args]
    assert main(["train", str(design), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_npz_without_a_head_array(npz_design, tmp_path, capsys):
    design, _ = npz_design
    np.savez(tmp_path / "partial.npz", x=np.zeros((10, 10), "float32"), output1=np.zeros((10, 1)))
    assert main(["train", str(design), "--data", str(tmp_path / "partial.npz")]) == 2
    assert "has no array named 'output2', 'output3'" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multiworker_with_two_local_workers(npz_design, tmp_path):
    design, data = npz_design
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                   TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "builder", "train", str(design), "--data", str(data), "--epochs", "2",
             "--batch-size", "16", "--strategy", "multiworker", "--out", str(tmp_path / f"w{index}.keras")],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        results = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    errors = "\n".join(err for _, err in results)
    if any(p.returncode for p in procs) and any(
            s in errors for s in ("UNAVAILABLE", "Unimplemented: Collective", "Failed to connect")):
        pytest.skip(f"collective ops cannot run on this machine: {errors.strip().splitlines()[-1]}")
    assert [p.returncode for p in procs] == [0, 0], errors[-2000:]
    chief_out, other_out = results[0][0], results[1][0]
    # Both workers train the same synchronised model: identical losses, one file from the chief.
    assert "epoch 2/2" in chief_out
    assert [l for l in chief_out.splitlines() if l.startswith("epoch")] == \
           [l for l in other_out.splitlines() if l.startswith("epoch")]
    assert (tmp_path / "w0.keras").is_file() and not (tmp_path / "w1.keras").exists()
