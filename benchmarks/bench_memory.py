"""Memory over twenty consecutive runs through the training service, as one session would make them.

The server process (this one: it holds the service and every run's handle,
as a session keeps its finished runs) must grow by at most 50 MB.  The
worker's memory is reported too: it is reused from run to run and clears
Keras' session before each.

    .venv/bin/python benchmarks/bench_memory.py [--runs 20] [--epochs 2]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LIMIT_MB = 50


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()

    from builder.data import load_builtin, suggest_design
    from builder.train import TrainingService

    data = load_builtin("penguins")
    design = suggest_design(data, data.targets)
    training = design.training.model_copy(update={"epochs": args.epochs})
    service = TrainingService(max_concurrent=1).warm()
    kept = []      # a session keeps its finished runs (history, test predictions) for the Results page
    gc.collect()
    before = rss_mb()
    samples = []
    for i in range(args.runs):
        handle = service.submit(design, data, training)
        while not handle.wait(0.5):
            handle.poll()     # the page's fragment polls while the run is active
        handle.poll()
        if handle.status != "finished":
            sys.exit(f"run {i + 1} ended as {handle.status}: {handle.error}")
        kept.append(handle)
        gc.collect()
        worker = next(iter(service._workers)).process.pid
        samples.append((i + 1, rss_mb(), rss_mb(worker)))
    service.shutdown()
    after = samples[-1][1]
    growth = after - before
    print(f"{args.runs} consecutive runs of the penguins design ({args.epochs} epochs each), one service, "
          "every handle kept.\n")
    print("| after run | server RSS (MB) | growth (MB) | worker RSS (MB) |")
    print("|---:|---:|---:|---:|")
    for run, server, worker in samples:
        if run in (1, 2, 5, 10, 15, 20) or run == args.runs:
            print(f"| {run} | {server:,.0f} | {server - before:+.1f} | {worker:,.0f} |")
    verdict = "within" if growth <= LIMIT_MB else "OVER"
    print(f"\nServer growth over {args.runs} runs: {growth:+.1f} MB ({verdict} the {LIMIT_MB} MB budget); "
          f"worker growth from run 1: {samples[-1][2] - samples[0][2]:+.0f} MB.")
    if growth > LIMIT_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
