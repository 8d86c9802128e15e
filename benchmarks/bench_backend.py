"""Keras backends side by side: samples/s, achieved GFLOP/s against a matmul rate, and a short run's fixed costs.

Keras fixes its backend per process, so every backend runs in its own child process (this script with
``--child BACKEND``); the parent alternates the children ``--repeats`` times and keeps each figure's best.
Each child first times a float32 matrix multiply (numpy, 1024x1024, best of a second of tries): the
machine's arithmetic rate *now*, so each model's achieved GFLOP/s is read as a fraction of it.

Models: the three seed templates on their synthetic data, and a 30-layer table model (12 numeric
columns, 24 Dense trunk layers, 3 heads of 2 layers).  Per model and backend:
  - ``plain``:  ``compile_model`` with Keras defaults (one step per call) and ``fit(x, y, verbose=0)``;
  - ``engine``: ``builder.train.engine.fit_model`` (steps per execution from the design's cost, live callback).
Samples/s are over epochs 2..N (epoch 1 includes tracing or compiling); achieved GFLOP/s is
samples/s x 3 x the design's forward FLOPs per sample (``engine.flops_per_sample``; backward ~ 2x forward).

Fixed costs: ``engine.train`` on 5,000 rows of seed-multi-regression for 6 epochs (validation, test
predictions and saving included), twice in one process prepared as a worker is (``short_runs``): the
first run of the design, then the same design again: seconds from Train to the first step, from the
last step to "finished", the wall time, and the pure training time (6 x the fastest epoch of the same
run).  ``--today-root DIR`` times the short run, and the engine's samples/s on TensorFlow, with an older
checkout of ``builder`` ("before": the engine the issue measured).

    .venv/bin/python benchmarks/bench_backend.py [--repeats 2] [--epochs 4] [--backends tensorflow jax]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import epoch_timer, samples_per_s  # noqa: E402  (one epoch clock for both benchmarks)

ROWS = {"seed-multi-regression": 10000, "seed-image-class-reg": 1000, "seed-sequence-two-heads": 600,
        "table-30-layers": 5000}
SHORT_RUN = dict(template="seed-multi-regression", rows=5000, epochs=6)


# ----------------------------------------------------------------- child side

def matmul_gflops(seconds: float = 1.0, n: int = 1024) -> float:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    best, deadline = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def table_design_and_data(rows: int):
    """A 30-layer table model (24 Dense trunk layers, 3 heads of 2 Dense layers) on 12 numeric columns."""
    import numpy as np
    import pandas as pd

    from builder.data import read_csv, suggest_design
    from builder.design.spec import parse_design

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.standard_normal(rows) for i in range(12)})
    frame["y1"] = frame["x0"] * 2 + frame["x1"] ** 2 + rng.normal(0, 0.1, rows)
    frame["y2"] = np.sin(frame["x2"]) + frame["x3"] * frame["x4"]
    frame["y3"] = frame["x5"].abs() - frame["x6"]
    data = read_csv(frame.to_csv(index=False).encode(), name="table.csv")
    spec = suggest_design(data, ["y1", "y2", "y3"]).model_dump()
    spec["trunk"] = [{"type": "Dense", "id": f"t{i}", "units": 64, "activation": "relu"} for i in range(24)]
    for head in spec["heads"]:
        head["layers"] = [{"type": "Dense", "id": f"{head['name']}_h{j}", "units": 32, "activation": "relu"}
                          for j in range(2)]
        head["branch_from"] = None
    spec["name"] = "table_30_layers"
    return parse_design(spec), data


def design_and_data(name: str, rows: int):
    from builder.data import load_builtin
    from builder.design.templates import template

    if name == "table-30-layers":
        return table_design_and_data(rows)
    return template(name), load_builtin(name, rows=rows)


def plain_fit(design, prepared, epochs: int) -> float:
    import keras

    from builder.model.build import build_model, compile_model
    from builder.data import fit_preprocessing
    from builder.train.engine import fit_arguments

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    compile_model(model, design)
    timer = epoch_timer(keras)
    args = fit_arguments(design, prepared.train, design.training.batch_size, True, 0)
    model.fit(**args, epochs=epochs, verbose=0, callbacks=[timer])
    return samples_per_s(prepared.train.n, timer.ends)


def engine_fit(design, prepared, epochs: int) -> float:
    from builder.train import engine

    ends = []
    training = design.training.model_copy(update={"epochs": epochs})
    engine.fit_model(design, prepared, training,
                     lambda ev: ends.append(time.perf_counter()) if ev["type"] == "epoch" else None, lambda: False)
    return samples_per_s(prepared.train.n, ends)


def no_validation(prepared):
    import dataclasses

    val = prepared.val
    empty = dataclasses.replace(val, x={k: v[:0] for k, v in val.x.items()} if isinstance(val.x, dict) else val.x[:0],
                                y={k: v[:0] for k, v in val.y.items()},
                                sample_weight={k: v[:0] for k, v in val.sample_weight.items()}, n=0)
    return dataclasses.replace(prepared, val=empty)


RUNS = ("first run of the design", "same design again", "first run, rehearsed while the Train page showed it")


def short_runs() -> list[dict]:
    """The 6-epoch, 5,000-row dense run through ``engine.train``, in a process prepared as a worker is.

    The app trains in a long-lived worker that imported Keras and warmed up (``worker.warm_up``: a tiny
    fit, one epoch of a default design, ``gc.freeze``) before it takes a job, so "Train -> first step"
    starts there; the import itself is paid once per worker, not per run.  Run 0 is the first run of this
    design in the process (any model kept from the warm-up or the benchmarks above is dropped first);
    run 1 trains the same design again, as pressing Train twice does; run 2 is a first run again, after
    the rehearsal the Train page asks for while it shows the design (``rehearsal.py``; untimed, as it
    happens before Train is pressed).
    """
    import tempfile

    from builder.train import engine, worker

    worker.warm_up()
    try:
        from builder.train import reuse
    except ImportError:       # the engine before compiled models were kept (``--today-root``)
        reuse = None
    try:
        from builder.train import rehearsal
    except ImportError:       # the engine before rehearsals (``--today-root``)
        rehearsal = None
    design, data = design_and_data(SHORT_RUN["template"], SHORT_RUN["rows"])
    training = design.training.model_copy(update={"epochs": SHORT_RUN["epochs"]})
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(len(RUNS) if rehearsal is not None else 2):
            if run != 1 and reuse is not None:
                reuse.forget()
            if run == 2:
                rehearsal.rehearse(design, data, training, "rehearsal")
            marks: list[tuple[str, float]] = []
            start = time.perf_counter()
            engine.train(design, data, training, lambda ev: marks.append((ev["type"], time.perf_counter())),
                         lambda: False, model_path=os.path.join(folder, f"m{run}.keras"))
            end = time.perf_counter()
            first = next(t for kind, t in marks if kind == "progress")
            ends = [t for kind, t in marks if kind == "epoch"]
            pure = min(b - a for a, b in zip(ends, ends[1:])) * SHORT_RUN["epochs"]
            out.append(dict(run=run, to_first_step=first - start, last_to_finished=end - ends[-1],
                            wall=end - start, pure=pure))
    return out


def child(backend: str, names: list[str], epochs: int, short: bool, label: str) -> None:
    import keras

    from builder.data import prepare
    from builder.train.engine import flops_per_sample

    try:
        from builder.train import backend as choice
    except ImportError:       # the engine before backend choice (``--today-root``)
        choice = None
    if choice is not None:
        choice.configure_compilation_cache()
    assert keras.backend.backend() == backend, keras.backend.backend()
    for name in names:
        design, data = design_and_data(name, ROWS[name])
        prepared = no_validation(prepare(design, data, val=0.0, test=0.1))
        result = dict(backend=backend, model=name, flops=flops_per_sample(design), rows=prepared.train.n,
                      matmul=matmul_gflops(), label=label)
        result["plain"] = plain_fit(design, prepared, epochs) if label == "now" else 0.0
        result["engine"] = engine_fit(design, prepared, epochs)
        print("RESULT " + json.dumps(result), flush=True)
    if short:
        print("SHORT " + json.dumps(dict(backend=backend, label=label, matmul=matmul_gflops(), runs=short_runs())),
              flush=True)


# ---------------------------------------------------------------- parent side

def run_child(backend: str, args, models: list[str], short: bool, root: str = str(ROOT), label: str = "now"):
    """One child process; its lines are echoed to stderr as they come, so a cut-short run still tells."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    cmd = [sys.executable, __file__, "--child", backend, "--epochs", str(args.epochs), "--root", root,
           "--label", label, "--models", *models, "--short" if short else "--no-short"]
    results, shorts = [], []
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          cwd=ROOT) as child_process:
        for line in child_process.stdout:
            if line.startswith("RESULT "):
                results.append(json.loads(line[7:]))
            elif line.startswith("SHORT "):
                shorts.append(json.loads(line[6:]))
            else:
                continue
            print(f"  {label} {line.strip()}", file=sys.stderr, flush=True)
    if child_process.returncode:
        print(f"child {backend} ({label}) exited with {child_process.returncode}", file=sys.stderr)
    return results, shorts


def best_per(results: list[dict]) -> dict:
    """(model, backend) -> the best plain and engine rates over repeats, with the matmul rates seen."""
    best: dict = {}
    for r in results:
        b = best.setdefault((r["model"], r["backend"], r.get("label", "now")), dict(r, plain=0.0, engine=0.0))
        for key in ("plain", "engine"):
            if r[key] > b[key]:     # each rate keeps the matmul rate measured just before it, in its process
                b[key], b[f"{key}_matmul"] = r[key], r["matmul"]
    return best


def report(results: list[dict], shorts: list[dict], args) -> None:
    best = best_per(results)
    matmuls = [r["matmul"] for r in results] + [s["matmul"] for s in shorts]
    mm = sorted(matmuls)[len(matmuls) // 2]
    print(f"Matmul (float32 1024^3, numpy) in this run: median {mm:.0f} GFLOP/s, "
          f"range {min(matmuls):.0f}-{max(matmuls):.0f} over {len(matmuls)} measurements.")
    print(f"Samples/s over epochs 2-{args.epochs}, best of {args.repeats}; x = ratio to TensorFlow plain fit; "
          f"% = achieved GFLOP/s (3 x forward FLOPs) as a fraction of the matmul rate measured just before that "
          f"model in the same process.\n")
    print("| model | FLOP/sample (fwd) | option | samples/s | x plain TF | GFLOP/s | matmul GFLOP/s | % of matmul |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for name in args.models:
        base = best.get((name, "tensorflow", "now"), {}).get("plain")
        rows = [(backend, "now", key) for backend in args.backends for key in ("plain", "engine")]
        for backend, label, key in [("tensorflow", "before", "engine")] + rows:
            r = best.get((name, backend, label))
            if r and r[key]:
                # Every row by today's count of the design's FLOPs (an older checkout may count otherwise).
                flops = best.get((name, "tensorflow", "now"), r)["flops"]
                gf = r[key] * 3 * flops / 1e9
                x = f"{r[key] / base:.2f}" if base else "-"
                own = r[f"{key}_matmul"]
                option = f"{backend} {key}" + (" before (--today-root)" if label == "before" else "")
                print(f"| {name} | {flops:,.0f} | {option} | {r[key]:,.0f} | {x} | {gf:.1f} | {own:.0f} "
                      f"| {gf / own:.1%} |")
    if shorts:
        print(f"\nShort run: {SHORT_RUN['rows']:,} rows of {SHORT_RUN['template']}, {SHORT_RUN['epochs']} epochs, "
              "engine.train (validation, test predictions, saving) in a process prepared as a worker is; seconds, "
              "each figure the best of the repeats, wall / pure = best wall / best pure.\n")
        print("| engine | backend | process | Train -> first step | last step -> finished | wall | pure training "
              "| wall / pure |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for engine_label, backend in sorted({(s["label"], s["backend"]) for s in shorts}, reverse=True):
            for run, label in enumerate(RUNS):
                rows = [r for s in shorts if (s["label"], s["backend"]) == (engine_label, backend)
                        for r in s["runs"] if r["run"] == run]
                if not rows:
                    continue
                # Each figure's best over the repeats: on a loaded machine a slow epoch inflates one run's
                # "pure" time, and the best wall over the best pure is the ratio an idle machine would show.
                best = {key: min(r[key] for r in rows) for key in ("to_first_step", "last_to_finished", "wall", "pure")}
                print(f"| {engine_label} | {backend} | {label} | {best['to_first_step']:.2f} | "
                      f"{best['last_to_finished']:.2f} | {best['wall']:.2f} | {best['pure']:.2f} | "
                      f"{best['wall'] / best['pure']:.1f}x |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--models", nargs="*", default=list(ROWS))
    p.add_argument("--backends", nargs="*", default=["tensorflow", "jax"])
    p.add_argument("--short", action=argparse.BooleanOptionalAction, default=True, help="time the short run")
    p.add_argument("--root", default=str(ROOT), help="(child) import builder from this checkout")
    p.add_argument("--label", default="now", help="(child) name of the engine version in the report")
    p.add_argument("--today-root", help="a checkout of the engine before this change: its TensorFlow samples/s "
                                        "and short run are timed too "
                                        "(e.g. git archive <commit> builder | tar -x -C DIR)")
    args = p.parse_args()
    if args.child:
        sys.path.insert(0, args.root)
        child(args.child, args.models, args.epochs, args.short, args.label)
        return
    results, shorts = [], []
    for repeat in range(args.repeats):
        for backend in args.backends if args.today_root else []:
            # The engine before: its samples/s on TensorFlow (the engine the issue measured) and its short run.
            models = args.models if backend == "tensorflow" else []
            if models or args.short:
                r, s = run_child(backend, args, models, args.short, args.today_root, "before")
                results += r
                shorts += s
        for backend in args.backends:
            r, s = run_child(backend, args, args.models, args.short)
            results += r
            shorts += s
    report(results, shorts, args)


if __name__ == "__main__":
    main()
