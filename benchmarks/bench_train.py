"""Training throughput: the engine against a plain ``model.fit(verbose=0)``, same model, data and run.

For each seed template, on its synthetic data (``builder.data.load_builtin``):
  - plain:  build, ``compile_model`` with Keras defaults (one step per call), ``fit(x, y, verbose=0)``
            with the default batch size (32, as the templates use);
  - engine: ``builder.train.engine.fit_model``: steps_per_execution chosen from the design's cost,
            the live callback sending progress twice a second.

The live-update cost is measured directly: the share of training time spent inside the engine's callback
(reading the per-head losses, checking for NaN and Stop, sending progress), which is all live updates add.
Then the time from pressing Train (``submit``) to the first per-head loss points, through the service.
Throughput is training samples per second over epochs 2..N (epoch 1 includes graph tracing),
best of ``REPEATS`` alternating runs; only ratios measured in the same run mean anything on a shared machine.

    .venv/bin/python benchmarks/bench_train.py [--epochs 4] [--repeats 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = {"seed-multi-regression": 20000, "seed-image-class-reg": 2000, "seed-sequence-two-heads": 1000}


def no_validation(prepared):
    """The same splits with an empty validation split: every variant times training alone."""
    val = prepared.val
    empty = dataclasses.replace(val, x=val.x[:0], y={k: v[:0] for k, v in val.y.items()},
                                sample_weight={k: v[:0] for k, v in val.sample_weight.items()}, n=0)
    return dataclasses.replace(prepared, val=empty)


def epoch_timer(keras):
    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    return EpochTimer()


def samples_per_s(rows: int, ends: list[float]) -> float:
    return rows * (len(ends) - 1) / (ends[-1] - ends[0])


def plain(design, prepared, epochs, spe=1):
    """Keras defaults: one step per call, batch 32, numpy arrays, no callbacks but a timer."""
    import keras

    from builder.model.build import build_model, compile_model
    from builder.data import fit_preprocessing
    from builder.train.engine import split_for_fit

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_model(design)
    fit_preprocessing(model, design, prepared)
    compile_model(model, design, steps_per_execution=spe)
    x, y, w = split_for_fit(design, prepared.train)
    timer = epoch_timer(keras)
    model.fit(x, y, sample_weight=w, epochs=epochs, verbose=0, callbacks=[timer])
    return samples_per_s(prepared.train.n, timer.ends)


def engine_run(design, prepared, epochs):
    from builder.train import engine

    ends, events = [], []

    def emit(ev):
        events.append(ev)       # the worker puts events on a queue; a list costs the same order
        if ev["type"] == "epoch":
            ends.append(time.perf_counter())

    training = design.training.model_copy(update={"epochs": epochs})
    _, outcome = engine.fit_model(design, prepared, training, emit, lambda: False)
    return samples_per_s(prepared.train.n, ends), outcome.callback_s / outcome.elapsed


def first_points(runs: int = 5) -> list[float]:
    """Seconds from ``submit`` to the first progress event (per-head losses) on the default penguins
    design, through the service with a warm worker, as when a user presses Train."""
    from builder.data import load_builtin, suggest_design
    from builder.train import TrainingService

    data = load_builtin("penguins")
    design = suggest_design(data, data.targets)
    service = TrainingService(max_concurrent=1).warm()
    try:
        service.submit(design, data, design.training.model_copy(update={"epochs": 1})).wait(300)  # worker is up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            handle = service.submit(design, data, design.training.model_copy(update={"epochs": 3}))
            while not any(e["type"] == "progress" for e in handle.poll()):
                time.sleep(0.01)
            times.append(time.perf_counter() - start)
            handle.stop()
            handle.wait(60)
        return times
    finally:
        service.shutdown()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--templates", nargs="*", default=list(ROWS))
    p.add_argument("--first-points", type=int, default=5, help="timed Train presses on penguins (0: skip)")
    args = p.parse_args()

    import tensorflow as tf

    from builder.data import load_builtin, prepare
    from builder.design.templates import template
    from builder.train.engine import choose_steps_per_execution

    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    rows_out = []
    for name in args.templates:
        design = template(name)
        prepared = no_validation(prepare(design, load_builtin(name, rows=ROWS[name]), val=0.0, test=0.1))
        spe = choose_steps_per_execution(design, design.training.batch_size)
        best = {"plain": 0.0, "engine": 0.0}
        live_share = 1.0
        for _ in range(args.repeats):
            best["plain"] = max(best["plain"], plain(design, prepared, args.epochs))
            rate, share = engine_run(design, prepared, args.epochs)
            best["engine"], live_share = max(best["engine"], rate), min(live_share, share)
        rows_out.append((name, prepared.train.n, spe, best, live_share))
        print(f"  {name}: plain {best['plain']:.0f}/s, engine {best['engine']:.0f}/s", file=sys.stderr, flush=True)

    print(f"Device: {device}; {args.epochs} epochs, throughput over epochs 2-{args.epochs}, best of {args.repeats}.\n")
    print("| template | train rows | plain ms/step | steps/execution | plain fit (samples/s) | engine (samples/s) "
          "| ratio | >= 1.5x | time in live updates |")
    print("|---|---:|---:|---:|---:|---:|---:|:---:|---:|")
    for name, n, spe, best, live_share in rows_out:
        ratio = best["engine"] / best["plain"]
        step_ms = 1000 * 32 / best["plain"]
        print(f"| {name} | {n:,} | {step_ms:.1f} | {spe} | {best['plain']:,.0f} | {best['engine']:,.0f} | "
              f"{ratio:.2f}x | {'yes' if ratio >= 1.5 else 'no'} | {live_share:.2%} |")
    print("\nsteps_per_execution removes Keras' per-step overhead (about 1 ms a step here); where a step's own "
          "compute is several ms (convolutions, the LSTM) on this CPU, there is little overhead left to remove.")
    if args.first_points:
        times = sorted(first_points(args.first_points))
        print(f"\nTrain pressed on the default penguins design, warm worker: first per-head loss points after "
              f"{times[len(times) // 2]:.2f} s (median of {len(times)}; fastest {times[0]:.2f} s, "
              f"slowest {times[-1]:.2f} s).")


if __name__ == "__main__":
    main()
