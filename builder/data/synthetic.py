"""Synthetic data with a learnable signal for each seed template, in exactly its shapes.

Each generator is deterministic from ``seed`` and returns ``(x, y)`` where ``y``
maps the template's head names to arrays.  Regression targets are scaled to
about unit variance so the templates' default learning rate fits them;
classification targets are one-hot, as the templates' categorical_crossentropy
losses expect.  Only numpy: shapes are drawn with coordinate grids.
"""

from __future__ import annotations

import numpy as np

IMAGE_SIZE = 32
SHAPE_NAMES = ("disc", "square", "triangle", "diamond", "ring", "plus", "cross", "horizontal bar",
               "vertical bar", "frame")
SEQUENCE_STEPS, SEQUENCE_FEATURES, SEQUENCE_CLASSES = 100, 50, 20


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[labels]


def _standardise(values: np.ndarray) -> np.ndarray:
    return ((values - values.mean()) / (values.std() + 1e-8)).astype(np.float32).reshape(-1, 1)


def multi_regression(rows: int = 5000, seed: int = 0) -> tuple[np.ndarray, dict]:
    """10 standard-normal numbers -> three known nonlinear functions of them, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, 10)).astype(np.float32)
    noise = 0.1 * rng.standard_normal((3, rows))
    y1 = np.sin(1.5 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    y2 = x[:, 3] ** 2 + np.tanh(x[:, 4] + x[:, 5])
    y3 = np.abs(x[:, 6]) + 0.5 * x[:, 7] - 0.3 * x[:, 8] * x[:, 9]
    return x, {f"output{i}": _standardise(y + n) for i, (y, n) in enumerate(zip((y1, y2, y3), noise), 1)}


def _shape_mask(kind: int, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Filled pixels of shape ``kind`` for offsets (dx, dy) from each centre, half-size r."""
    ax, ay, d2 = np.abs(dx), np.abs(dy), dx * dx + dy * dy
    thin = np.maximum(1.0, r / 4)
    if kind == 0:
        return d2 <= r * r
    if kind == 1:
        return (ax <= 0.8 * r) & (ay <= 0.8 * r)
    if kind == 2:
        return (dy >= -r) & (dy <= r) & (ax <= (dy + r) / 2)
    if kind == 3:
        return ax + ay <= r
    if kind == 4:
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if kind == 5:
        return ((ax <= thin) & (ay <= r)) | ((ay <= thin) & (ax <= r))
    if kind == 6:
        return ((np.abs(dx - dy) <= thin) | (np.abs(dx + dy) <= thin)) & (np.maximum(ax, ay) <= 0.8 * r)
    if kind == 7:
        return (ax <= r) & (ay <= r / 3)
    if kind == 8:
        return (ay <= r) & (ax <= r / 3)
    return (ax <= 0.85 * r) & (ay <= 0.85 * r) & ~((ax <= 0.45 * r) & (ay <= 0.45 * r))


def shape_images(rows: int = 2000, seed: int = 0) -> tuple[np.ndarray, dict]:
    """32x32 RGB images of one filled shape each -> its kind (10, one-hot) and its size (standardised)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_NAMES), rows)
    size = rng.uniform(5.0, 13.0, rows)                      # half-size in pixels
    cx = rng.uniform(size, IMAGE_SIZE - 1 - size)
    cy = rng.uniform(size, IMAGE_SIZE - 1 - size)
    colour = rng.uniform(0.5, 1.0, (rows, 3)).astype(np.float32)
    images = (0.1 * rng.random((rows, IMAGE_SIZE, IMAGE_SIZE, 3))).astype(np.float32)
    grid = np.arange(IMAGE_SIZE, dtype=np.float32)
    for kind in range(len(SHAPE_NAMES)):
        idx = np.flatnonzero(labels == kind)
        dx = grid[None, None, :] - cx[idx, None, None]
        dy = grid[None, :, None] - cy[idx, None, None]
        mask = _shape_mask(kind, dx, dy, size[idx, None, None])
        images[idx] = np.where(mask[..., None], colour[idx, None, None, :], images[idx])
    # Size spreads uniformly over 5..13 px: centre and scale it to unit variance.
    return images, {"output_class": one_hot(labels, len(SHAPE_NAMES)),
                    "output_reg": ((size - 9.0) / (8.0 / np.sqrt(12))).astype(np.float32).reshape(-1, 1)}


def sequences(rows: int = 1000, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Noisy 100x50 sequences around a class pattern -> a 50-number summary and the class (20, one-hot).

    Each class has its own 50-number pattern present at every step under
    noise; output1 is tanh of the mean of the last 10 steps, so it needs both
    the class and the recent steps.
    """
    rng = np.random.default_rng(seed)
    patterns = rng.standard_normal((SEQUENCE_CLASSES, SEQUENCE_FEATURES)).astype(np.float32)
    labels = rng.integers(0, SEQUENCE_CLASSES, rows)
    x = rng.standard_normal((rows, SEQUENCE_STEPS, SEQUENCE_FEATURES), dtype=np.float32)
    x += patterns[labels][:, None, :]
    summary = np.tanh(x[:, -10:, :].mean(axis=1)).astype(np.float32)
    return x, {"output1": summary, "output2": one_hot(labels, SEQUENCE_CLASSES)}
