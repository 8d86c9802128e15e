"""CSV at scale: read + profile + prepare vs a bare pandas read, and peak memory, in the same run.

Writes a 1,000,000-row x 20-column CSV (12 numeric, 8 categorical columns, a
few missing values) to a temporary folder, then times in fresh subprocesses:

- bare: ``pandas.read_csv(path, engine="pyarrow")``;
- ours: ``builder.data.read_csv`` (detection, checks, profile) + ``suggest_design`` + ``prepare``
  (train/val/test arrays with sample weights, ready for tf.data).

Targets (issue 3): ours <= 1.5x bare time, peak memory <= 3x the file size.
Peak memory is the growth of the process's peak RSS over its RSS after
imports, so library code loaded by the imports does not count.

    python benchmarks/bench_csv.py [--rows 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMERIC, CATEGORICAL = 12, 8


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    columns = {}
    for i in range(NUMERIC):
        values = rng.normal(100 * i, 10 + i, rows).round(3)
        values[rng.random(rows) < 0.01] = np.nan                  # 1% missing
        columns[f"num_{i}"] = pa.array(values, from_pandas=True)
    for i in range(CATEGORICAL):
        words = np.array([f"cat{i}_{k}" for k in range(3 + 4 * i)])
        columns[f"cat_{i}"] = pa.array(words[rng.integers(0, len(words), rows)])
    pacsv.write_csv(pa.table(columns), path)


def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(mode: str, path: str) -> dict:
    """Run one measurement in this (fresh) process and return seconds and peak memory growth."""
    import importlib

    import pandas as pd

    from builder.data import prepare, read_csv, suggest_design

    # Load every module the measured code uses before timing, as a warm app would have them.
    for module in ("builder.data.splits", "builder.data.suggest", "builder.data.csvio", "builder.data.profile",
                   "pyarrow.compute", "pyarrow.csv"):
        importlib.import_module(module)
    base = rss_now()
    cpu = time.process_time()       # all threads: the work done, less sensitive to a busy machine than wall time
    start = time.perf_counter()
    if mode == "bare":
        frame = pd.read_csv(path, engine="pyarrow")
        rows = len(frame)
    else:
        dataset = read_csv(path)
        design = suggest_design(dataset, ["num_0", "cat_1"])
        prepared = prepare(design, dataset)
        rows = prepared.train.n + prepared.val.n + prepared.test.n
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"mode": mode, "seconds": seconds, "cpu": cpu, "peak_growth": max(0, peak - base), "rows": rows}


def run(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", mode, str(path)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        size = path.stat().st_size
        print(f"wrote {args.rows:,} rows x {NUMERIC + CATEGORICAL} columns, {size / 2**20:,.0f} MB, "
              f"in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs\n")
        results = {"bare": [], "ours": []}
        for _ in range(args.repeat):           # alternate, so load on a shared machine hits both alike
            for mode in results:
                results[mode].append(run(mode, path))
    for mode, runs in results.items():
        print(f"{mode}: " + ", ".join(f"{r['seconds']:.2f} s (CPU {r['cpu']:.2f} s) / "
                                      f"{r['peak_growth'] / 2**20:,.0f} MB" for r in runs))
    print()
    # Best time (the machine's own cost, least disturbed by other load); worst memory (what must fit).
    best = {mode: {"seconds": min(r["seconds"] for r in runs), "cpu": min(r["cpu"] for r in runs),
                   "peak_growth": max(r["peak_growth"] for r in runs)} for mode, runs in results.items()}
    bare, ours = best["bare"], best["ours"]
    mb = 2**20
    print(f"| step | wall s (best of {args.repeat}) | x bare | CPU s (best) | x bare | peak memory MB (worst) | x file size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in (("bare `pandas.read_csv(engine=\"pyarrow\")`", bare),
                     ("`read_csv` + profile + `suggest_design` + `prepare`", ours)):
        print(f"| {label} | {r['seconds']:.2f} | {r['seconds'] / bare['seconds']:.2f} | {r['cpu']:.2f} | "
              f"{r['cpu'] / bare['cpu']:.2f} | {r['peak_growth'] / mb:,.0f} | {r['peak_growth'] / size:.2f} |")
    met = ours["seconds"] <= 1.5 * bare["seconds"]
    print(f"\ntargets: time <= 1.5x bare ({'met' if met else 'NOT met'} on wall time), "
          f"memory <= 3x file size ({'met' if ours['peak_growth'] <= 3 * size else 'NOT met'})")

if __name__ == "__main__":
    main()
