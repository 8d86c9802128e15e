"""How many batches one graph call runs: from the design's arithmetic and the device's assumed speed.

``compile(steps_per_execution=N)`` runs N batches per call into the graph instead of one, which removes
most of Keras' per-step Python overhead on small models; callbacks then fire every N batches, so N is
kept small enough that progress still arrives twice a second.  Imports Keras (workers and the CLI only).
"""

from __future__ import annotations

import math

import keras

from ..design.spec import Design
from ..design.registry import REGISTRY
from ..design.validate import analyse

MAX_STEPS_PER_EXECUTION = 32
TARGET_EXECUTION_S = 0.25       # one graph call should take about this long at most
ASSUMED_FLOPS_PER_S = 20e9      # a cautious figure for one CPU worker
ASSUMED_GPU_FLOPS_PER_S = 1e12  # small models on a GPU are bound by launches, not arithmetic


def flops_per_sample(design: Design) -> float:
    """Multiply-adds of one forward pass, from parameter counts times how often each weight is used.

    A convolution's or Dense layer's weights are used once per *output* position (every axis but the
    last: a 3x3 valid convolution on 32x32 uses them at 30x30), a recurrent layer's once per time step it
    reads, and an Embedding's not at all (a lookup).
    """
    report = analyse(design)
    shapes = {n.id: n.shape for n in report.nodes}
    total = 0.0
    for node in report.nodes:
        if not node.params or node.type == "Embedding":
            continue
        recurrent = node.type in REGISTRY and REGISTRY[node.type].category == "recurrent"
        used_at = shapes.get(node.parent) if recurrent else node.shape
        positions = math.prod(used_at[:-1]) if used_at and len(used_at) > 1 else 1
        total += node.params * positions
    return 2.0 * total


def step_seconds(design: Design, batch_size: int) -> float:
    """The arithmetic of one training step (forward + backward ~ 3x forward) at the device's assumed speed."""
    speed = ASSUMED_GPU_FLOPS_PER_S if has_gpu() else ASSUMED_FLOPS_PER_S
    return 3.0 * flops_per_sample(design) * batch_size / speed


def choose_steps_per_execution(design: Design, batch_size: int) -> int:
    """As many batches per graph call as fit in TARGET_EXECUTION_S, between 1 and 32."""
    step_s = step_seconds(design, batch_size)
    if step_s <= 0:
        return MAX_STEPS_PER_EXECUTION
    return int(max(1, min(MAX_STEPS_PER_EXECUTION, TARGET_EXECUTION_S // step_s)))


def has_gpu() -> bool:
    if keras.backend.backend() == "jax":    # a JAX worker need not import TensorFlow
        import jax

        return jax.default_backend() == "gpu"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))
