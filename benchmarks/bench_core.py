"""Speed of the builder core, each number next to a baseline measured in the same run.

1. ``python -c "import builder"`` against ``python -c "pass"`` (target: at most 0.3 s more).
2. Once Keras is imported: validate (``analyse``), ``build_model`` and the shape report of a
   30-layer, 4-head design (target: at most 150 ms), against building the same model by hand
   in plain Keras.

Machines are shared and noisy, so every figure is a median and only same-run comparisons mean
anything.  CPU time (user + system) is shown next to wall time: when other processes compete for
the cores, wall time grows but CPU time barely moves, which tells load apart from a slowdown.  Run with ``.venv/bin/python benchmarks/bench_core.py``; it prints a markdown table.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IMPORT_RUNS = 9
BUILD_RUNS = 15
IMPORT_TARGET_S = 0.3
BUILD_TARGET_MS = 150.0


# ------------------------------------------------------------------ import time

def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def subprocess_seconds(code: str, runs: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of a fresh interpreter running ``code``."""
    wall, cpu = [], []
    for _ in range(runs):
        cpu_start, start = children_cpu_seconds(), time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        wall.append(time.perf_counter() - start)
        cpu.append(children_cpu_seconds() - cpu_start)
    return statistics.median(wall), statistics.median(cpu)


# ------------------------------------------------------------ the 30-layer design

def conv(layer_id: str, filters: int) -> dict:
    return {"type": "Conv2D", "id": layer_id, "filters": filters, "kernel_size": 3, "padding": "same",
            "activation": "relu"}


def dense(layer_id: str, units: int, activation: str = "relu") -> dict:
    return {"type": "Dense", "id": layer_id, "units": units, "activation": activation}


def head(name: str, units: int, activation: str, loss: str, branch_from: str | None) -> dict:
    return {"name": name, "branch_from": branch_from, "output": {"units": units, "activation": activation},
            "loss": loss, "layers": [dense(f"{name}_d1", 64), {"type": "Dropout", "id": f"{name}_drop", "rate": 0.2},
                                     dense(f"{name}_d2", 32), {"type": "LayerNormalization", "id": f"{name}_norm"}]}


def benchmark_design() -> dict:
    """14 trunk layers and 4 heads of 4 layers each: 30 layers, 4 outputs; one head branches mid-trunk."""
    trunk = [
        conv("conv1", 16), {"type": "BatchNormalization", "id": "bn1"}, {"type": "MaxPooling2D", "id": "pool1"},
        conv("conv2", 32), {"type": "BatchNormalization", "id": "bn2"}, {"type": "MaxPooling2D", "id": "pool2"},
        conv("conv3", 64), {"type": "BatchNormalization", "id": "bn3"}, {"type": "MaxPooling2D", "id": "pool3"},
        conv("conv4", 64), {"type": "GlobalAveragePooling2D", "id": "gap"},
        dense("shared1", 128), {"type": "Dropout", "id": "shared_drop", "rate": 0.3}, dense("shared2", 64),
    ]
    heads = [
        head("label", 10, "softmax", "categorical_crossentropy", None),
        head("score", 1, "linear", "mse", None),
        head("is_valid", 1, "sigmoid", "binary_crossentropy", None),
        head("coarse", 4, "softmax", "categorical_crossentropy", "gap"),
    ]
    return {"name": "bench_30_layers", "input": {"shape": [64, 64, 3]}, "trunk": trunk, "heads": heads}


def build_by_hand(keras):
    """The same model in plain Keras, written as a person would."""
    from keras import layers

    def head_layers(x, name, units, activation):
        x = layers.Dense(64, activation="relu", name=f"{name}_d1")(x)
        x = layers.Dropout(0.2, name=f"{name}_drop")(x)
        x = layers.Dense(32, activation="relu", name=f"{name}_d2")(x)
        x = layers.LayerNormalization(name=f"{name}_norm")(x)
        return layers.Dense(units, activation=activation, name=name)(x)

    inputs = keras.Input(shape=(64, 64, 3), name="input")
    x = inputs
    for i, filters in enumerate((16, 32, 64), 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv4")(x)
    gap = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(128, activation="relu", name="shared1")(gap)
    x = layers.Dropout(0.3, name="shared_drop")(x)
    x = layers.Dense(64, activation="relu", name="shared2")(x)
    outputs = [head_layers(x, "label", 10, "softmax"), head_layers(x, "score", 1, "linear"),
               head_layers(x, "is_valid", 1, "sigmoid"), head_layers(gap, "coarse", 4, "softmax")]
    return keras.Model(inputs, outputs, name="bench_30_layers")


def timed_ms(fn, keras) -> tuple[tuple[float, float], object]:
    """((wall ms, CPU ms), result) of one call."""
    keras.backend.clear_session()   # fresh names and graph state, as for a user's first build
    cpu_start, start = time.process_time(), time.perf_counter()
    result = fn()
    return ((time.perf_counter() - start) * 1000, (time.process_time() - cpu_start) * 1000), result


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def paired_medians(first, second, keras, runs: int):
    """Median (wall, CPU) ms of two builds timed in turns, so load from other processes hits both alike."""
    first_times, second_times = [], []
    for _ in range(runs):
        times, first_result = timed_ms(first, keras)
        first_times.append(times)
        times, second_result = timed_ms(second, keras)
        second_times.append(times)
    return medians(first_times), first_result, medians(second_times), second_result


def main() -> int:
    baseline_s, baseline_cpu_s = subprocess_seconds("pass", IMPORT_RUNS)
    import_s, import_cpu_s = subprocess_seconds("import builder", IMPORT_RUNS)
    import_extra_s = import_s - baseline_s

    import keras

    from builder.model.build import build_model
    from builder.design.spec import parse_design
    from builder.design.validate import analyse

    design = parse_design(benchmark_design())
    report = analyse(design)
    n_layers = sum(1 for _ in design.all_layers())
    assert report.ok and n_layers == 30 and len(design.heads) == 4, (n_layers, report.errors)

    def designer():
        checked = analyse(design)
        model = build_model(design)
        checked.table()
        checked.summary_text()
        return model

    build_by_hand(keras)          # warm-up: first calls pay for lazy imports inside Keras
    designer()
    (hand_ms, hand_cpu_ms), hand_model, (ours_ms, ours_cpu_ms), model = paired_medians(
        lambda: build_by_hand(keras), designer, keras, BUILD_RUNS)
    assert model.count_params() == hand_model.count_params() == report.total_params
    # The part that is ours alone: checking and the report, without Keras.
    pure_ms, pure_cpu_ms = medians([timed_ms(lambda: analyse(design).summary_text(), keras)[0]
                                    for _ in range(BUILD_RUNS)])

    def verdict(ok: bool) -> str:
        return "ok" if ok else "OVER TARGET"

    print(f"Python {sys.version.split()[0]}, Keras {keras.__version__} ({keras.backend.backend()}), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"medians of {IMPORT_RUNS} / {BUILD_RUNS} runs; wall time (CPU time).\n")
    print("| measurement | baseline, same run | builder | difference | target (wall) |")
    print("|---|---|---|---|---|")
    print(f"| `python -c \"import builder\"` | `python -c \"pass\"`: {baseline_s:.3f} s ({baseline_cpu_s:.3f} s) "
          f"| {import_s:.3f} s ({import_cpu_s:.3f} s) | +{import_extra_s:.3f} s "
          f"(+{import_cpu_s - baseline_cpu_s:.3f} s) | <= {IMPORT_TARGET_S} s: {verdict(import_extra_s <= IMPORT_TARGET_S)} |")
    print(f"| validate + build + shape report, {n_layers} layers, {len(design.heads)} heads "
          f"({report.total_params:,} params) | same model by hand in Keras: {hand_ms:.0f} ms ({hand_cpu_ms:.0f} ms) "
          f"| {ours_ms:.0f} ms ({ours_cpu_ms:.0f} ms) | x{ours_ms / hand_ms:.2f} (x{ours_cpu_ms / hand_cpu_ms:.2f}) "
          f"| <= {BUILD_TARGET_MS:.0f} ms: {verdict(ours_ms <= BUILD_TARGET_MS)} |")
    print(f"| of which validate + shape report (pure Python) | - | {pure_ms:.2f} ms ({pure_cpu_ms:.2f} ms) | - | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
