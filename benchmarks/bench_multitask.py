"""Cost of the multi-task tools (issue 13): the interference meter and loss balancing against plain training.

For each multi-head seed template, on its synthetic data, ``engine.fit_model`` runs the same design with:
  - baseline:    fixed loss weights, meter off;
  - meter:       the interference meter at its default interval (one reading per epoch);
  - uncertainty: uncertainty weighting (learned log-variance per head), meter off;
  - dwa:         dynamic weight average, meter off.
Time is the wall-clock time of one epoch from the 3rd on (tracing in epoch 1 and the meter's first, traced
reading after it excluded; each later epoch's reading included): the fastest such epoch over ``--repeats``
runs in rotating order, which on a shared machine is the one least disturbed by other work.
Targets: meter <= 1.10 x baseline, balancing <= 1.05 x baseline. Only same-run ratios mean anything.

    .venv/bin/python benchmarks/bench_multitask.py [--epochs 6] [--repeats 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = {"seed-multi-regression": 20000, "seed-sequence-two-heads": 2000, "seed-image-class-reg": 1500}
VARIANTS = {"baseline": {"balancing": "fixed", "interference": "off"},
            "meter": {"balancing": "fixed", "interference": "on"},
            "uncertainty": {"balancing": "uncertainty", "interference": "off"},
            "dwa": {"balancing": "dwa", "interference": "off"}}


def timed_run(design, prepared, settings: dict, epochs: int) -> float:
    from builder.train import engine

    training = design.training.model_copy(update={"epochs": epochs, **settings})
    stamps = []

    def emit(event):
        if event["type"] == "epoch":
            stamps.append(time.perf_counter())

    engine.fit_model(design, prepared, training, emit, lambda: False)
    return min(b - a for a, b in zip(stamps[1:], stamps[2:]))


def bench(name: str, epochs: int, repeats: int) -> dict[str, float]:
    from builder.data import load_builtin, prepare
    from builder.design.templates import template

    design = template(name)
    prepared = prepare(design, load_builtin(name, rows=ROWS[name]), seed=0, val=0.15)
    best = {v: float("inf") for v in VARIANTS}
    names = list(VARIANTS)
    for repeat in range(repeats):
        # A different order each repeat: on a shared machine, load drifts over a run.
        for variant in names[repeat % len(names):] + names[:repeat % len(names)]:
            best[variant] = min(best[variant], timed_run(design, prepared, VARIANTS[variant], epochs))
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--templates", nargs="*", default=list(ROWS))
    args = parser.parse_args(argv)
    print(f"{'template':28} {'baseline s/epoch':>16} {'meter':>8} {'uncert.':>8} {'dwa':>8}   (x baseline)")
    for name in args.templates:
        best = bench(name, args.epochs, args.repeats)
        base = best["baseline"]
        ratios = "".join(f" {best[v] / base:8.3f}" for v in ("meter", "uncertainty", "dwa"))
        print(f"{name:28} {base:16.3f}{ratios}", flush=True)


if __name__ == "__main__":
    main()
