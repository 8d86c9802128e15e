"""What keeping everything in the workspace costs: opening one, and writing a run's events as it trains.

1. Opening a workspace of 20 runs (an uploaded CSV, a design with a 100-step undo history, 20 runs with
   50 epochs of curves, test arrays and a model each) into a fresh session, as a refresh or a restarted
   server does, against the baseline of a first visit without a workspace (penguins and its suggested
   design, which every new session pays).  Target: at most 300 ms of server time.
2. Training the same design on the same data in-process with the engine, events going to a list
   (baseline) or each one written to the workspace database as it arrives (the app batches them per
   poll, so this is the worst case).  Both the wall-time ratio (alternating runs, best of N) and the
   time spent inside the database writes, as a share of training time, are reported.  Target: <= 1%.

    .venv/bin/python benchmarks/bench_workspace.py [--repeats 3] [--epochs 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

RUNS, EPOCHS_PER_RUN, UNDO_STEPS = 20, 50, 100


def test_values(head, rng, n: int = 52) -> np.ndarray:
    """Test-split targets or predictions shaped as the head's (52 rows, like penguins' test split)."""
    units = head.output.units
    if head.kind == "regression":
        return rng.normal(size=(n, units))
    if units == 1:
        return rng.integers(0, 2, (n, 1)).astype(float)
    return np.eye(units)[rng.integers(0, units, n)]


def fill_workspace(root: Path):
    """A workspace as a long session leaves it: upload, design history, 20 finished runs."""
    from builder.data import read_csv
    from builder.data.builtin import PENGUINS_CSV
    from builder import session
    from builder.session import persist
    from builder.session.workspace import Workspace

    state: dict = {}
    ws = Workspace.create(root=root)
    persist.attach(state, ws)
    data = PENGUINS_CSV.read_bytes()
    persist.keep_upload(state, "my penguins.csv", data)
    session.set_dataset(state, read_csv(data, name="my penguins.csv"))
    for column in ("species", "sex", "body_mass_g"):
        session.set_role(state, column, "target")
    design = session.suggestion(state)
    session.commit(state, design)
    for i in range(UNDO_STEPS):
        session.commit(state, session.current(state).model_copy(update={"name": f"model_{i}"}))
    persist.save(state)
    heads = [h.name for h in design.heads]
    history = {k: list(np.linspace(2, 1, EPOCHS_PER_RUN)) for h in heads for k in (f"{h}_loss", f"val_{h}_loss")}
    history.update(loss=list(np.linspace(3, 1, EPOCHS_PER_RUN)), val_loss=list(np.linspace(3, 1, EPOCHS_PER_RUN)))
    model = root / "model.keras"
    model.write_bytes(os.urandom(200_000))
    rng = np.random.default_rng(0)
    arrays = {"predictions": {h.name: test_values(h, rng) for h in design.heads},
              "targets": {h.name: test_values(h, rng) for h in design.heads},
              "weights": {h: np.ones(52) for h in heads}}
    for i in range(RUNS):
        persist.store_finished(state, f"bench:run{i}", design, history, "finished", "", arrays, model)
    return ws


def time_open(root: Path, ws_id: str, repeats: int) -> tuple[float, float]:
    """(median ms to restore the workspace into a fresh session, median ms of a first visit without one)."""
    from builder.report import metrics
    from builder.session import dataset as session_dataset
    from builder.session import persist, runs
    from builder.session.workspace import Workspace

    opened, first = [], []
    for _ in range(repeats):
        state: dict = {}
        start = time.perf_counter()
        persist.restore(state, Workspace.open(ws_id, root=root))
        records = runs.history(state)                    # what the Results page lists, and the latest run's scores
        assert len(records) == RUNS and state["dataset"] is not None
        assert metrics.test_results(records[-1].design, records[-1].result)
        opened.append(time.perf_counter() - start)
        start = time.perf_counter()
        session_dataset.start_session({})
        first.append(time.perf_counter() - start)
    return statistics.median(opened) * 1000, statistics.median(first) * 1000


def time_events(root: Path, repeats: int, epochs: int) -> list[tuple[float, float, float]]:
    """(baseline s, with database s, seconds inside database writes) per alternating repeat."""
    from builder.data import load_builtin
    from builder.design.templates import template
    from builder.session.workspace import Workspace
    from builder.train import engine

    design = template("seed-multi-regression")
    training = design.training.model_copy(update={"epochs": epochs})
    data = engine.prepare_data(design, load_builtin("seed-multi-regression", rows=20000), training)
    ws = Workspace.create(root=root)
    out = []
    for r in range(repeats):
        events: list = []
        start = time.perf_counter()
        engine.train(design, data, training, events.append, lambda: False, run_id="base")
        base = time.perf_counter() - start
        spent = [0.0]

        def to_database(ev, n=r):
            t = time.perf_counter()
            ws.add_events(f"bench:run{n}", [{k: v for k, v in ev.items() if not k.startswith("test_")}])
            spent[0] += time.perf_counter() - t

        start = time.perf_counter()
        engine.train(design, data, training, to_database, lambda: False, run_id=f"run{r}")
        out.append((base, time.perf_counter() - start, spent[0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = fill_workspace(root)
        opened, first = time_open(root, ws.id, max(args.repeats, 5))
        print("| measurement | baseline, same run | workspace | target |\n|---|---|---|---|")
        print(f"| open a workspace of {RUNS} runs (upload, {UNDO_STEPS}-step undo, curves) | first visit without "
              f"one: {first:.0f} ms | {opened:.0f} ms (x{opened / first:.2f}) | <= 300 ms "
              f"{'✔' if opened <= 300 else '✘'} |")
        rows = time_events(root, args.repeats, args.epochs)
        base = min(r[0] for r in rows)
        with_db = min(r[1] for r in rows)
        share = max(r[2] / r[1] for r in rows)
        print(f"| train seed-multi-regression (20,000 rows, {args.epochs} epochs), every event written | "
              f"events to a list: {base:.2f} s | {with_db:.2f} s (x{with_db / base:.3f}); inside the writes: "
              f"{share * 100:.2f}% of training time | <= 1% {'✔' if share <= 0.01 else '✘'} |")


if __name__ == "__main__":
    main()
