"""Images stored one pixel per CSV column (``pixel0..pixel783``, ``p_1..``): detection, checks, arrays, designs.

A CSV with N numbered pixel columns, N a square (grey) or three times a
square (RGB), of whole numbers 0-255, is an image dataset: the suggested
design takes an (H, W, C) input, scales it to 0-1 inside the model and has a
Conv2D trunk.  The other columns are labels (targets).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..design.inputs import ImageInput
from ..design.spec import Design, Training, new_layer
from ..errors import DataError

PIXEL_NAME = re.compile(r"^(pixel_?|pix_?|px_?|p_?)(\d+)$", re.IGNORECASE)
MIN_PIXELS = 16
GRID = 16             # sample images shown on the Data page


@dataclass(frozen=True)
class PixelLayout:
    """Numbered pixel columns ``<prefix><start>``..; ``shape`` is None when their count fits no image."""

    prefix: str
    start: int
    count: int
    shape: tuple[int, int, int] | None

    @property
    def columns(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.start, self.start + self.count)]

    def problem(self) -> str | None:
        if self.shape is not None:
            return None
        return (f"{self.count:,} pixel columns ({self.prefix}{self.start}..{self.prefix}{self.start + self.count - 1}) "
                "are not a square number (such as 784 = 28 x 28) nor three times one (colour), so they cannot be "
                "laid out as an image. Check that no pixel column is missing, or use them as table columns.")


def image_shape(count: int) -> tuple[int, int, int] | None:
    """(H, W, 1) for a square count, (H, W, 3) for three times a square, else None."""
    for channels in (1, 3):
        side = math.isqrt(count // channels)
        if count % channels == 0 and side * side * channels == count:
            return side, side, channels
    return None


def detect_pixels(columns: list[str]) -> PixelLayout | None:
    """The longest run of numbered pixel-named columns, counting up by one from 0 or 1; None if there is none."""
    numbers: dict[str, set[int]] = {}
    for name in columns:
        match = PIXEL_NAME.match(str(name))
        if match:
            numbers.setdefault(match.group(1), set()).add(int(match.group(2)))
    best = None
    for prefix, found in numbers.items():
        start = min(found)
        count = 0
        while start + count in found:
            count += 1
        if start <= 1 and count >= MIN_PIXELS and (best is None or count > best.count):
            best = PixelLayout(prefix, start, count, image_shape(count))
    return best


def layout_of(dataset) -> PixelLayout | None:
    return detect_pixels(dataset.columns) if dataset.kind == "table" else None


def image_array(frame, spec: ImageInput) -> np.ndarray:
    """uint8 (n, H, W, C) from the pixel columns (row-major, channels last), after checking their values.

    Raises:
        DataError: a pixel column is missing, or holds values that are missing, fractional or outside 0-255.
    """
    columns = spec.columns
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(f"the design reads pixel columns {columns[0]!r}..{columns[-1]!r}, but {absent[0]!r} is not "
                        "in this file. Suggest the design again from this data.")
    values = frame[columns].to_numpy()
    if values.dtype.kind not in "iuf":
        raise DataError(f"pixel columns {columns[0]!r}..{columns[-1]!r} hold text, not numbers 0-255. "
                        "Fix the file so every pixel is a whole number from 0 to 255.")
    _check_range(values, columns)
    return values.astype(np.uint8).reshape(len(frame), *spec.shape)


def _check_range(values: np.ndarray, columns: list[str]) -> None:
    bad = (values < 0) | (values > 255)
    if values.dtype.kind == "f":
        bad |= ~np.isfinite(values) | (values % 1 != 0)
    count = int(bad.sum())
    if count:
        row, col = np.argwhere(bad)[0]
        raise DataError(f"{count:,} pixel value(s) are not whole numbers from 0 to 255 (first: {values[row, col].item()!r} "
                        f"in column {columns[col]!r}, row {row + 1}). Fix them in the file, or rescale the "
                        "pixels to 0-255.")


def sample_grid(dataset, label: str | None = None, count: int = GRID) -> list[tuple[np.ndarray, str]]:
    """Up to ``count`` (H x W or H x W x 3 uint8 image, caption) pairs from the first rows, for the Data page."""
    layout = layout_of(dataset)
    if layout is None or layout.shape is None:
        return []
    rows = dataset.frame.head(count)
    spec = ImageInput(shape=list(layout.shape), prefix=layout.prefix, start=layout.start)
    images = image_array(rows, spec)
    captions = [str(v) for v in rows[label]] if label in rows.columns else [f"row {i + 1}" for i in range(len(rows))]
    return [(image[..., 0] if layout.shape[2] == 1 else image, caption) for image, caption in zip(images, captions)]


def image_trunk(shape: tuple[int, int, int]) -> list:
    """Two Conv2D + pooling steps and a Dense layer: the reference image model's shape, sized to the image."""
    trunk = [new_layer("Conv2D", "conv_1", filters=16, kernel_size=3, activation="relu")]
    if min(shape[:2]) >= 8:
        trunk.append(new_layer("MaxPooling2D", "pool_1", pool_size=2))
    trunk.append(new_layer("Conv2D", "conv_2", filters=32, kernel_size=3, activation="relu"))
    if min(shape[:2]) >= 16:
        trunk.append(new_layer("MaxPooling2D", "pool_2", pool_size=2))
    return trunk + [new_layer("Flatten", "flatten"), new_layer("Dense", "dense_1", units=64, activation="relu")]


def image_design(dataset, targets: list[str], heads: list, base: Design | None) -> Design:
    """The image input over the pixel columns, a Conv2D trunk and the given heads."""
    layout = layout_of(dataset)
    if layout.problem():
        raise DataError(layout.problem())
    pixels = set(layout.columns)
    taken = [t for t in targets if t in pixels]
    if taken:
        raise DataError(f"target {taken[0]!r} is a pixel column. Choose a label column as the target.")
    spec = ImageInput(shape=list(layout.shape), prefix=layout.prefix, start=layout.start)
    image_array(dataset.frame, spec)          # the values are checked once, here, before anything trains
    trunk = [layer.model_copy() for layer in base.trunk] if base and base.input.kind == "image" else \
        image_trunk(layout.shape)
    training = base.training.model_copy() if base else Training()
    return Design(name="images", input=spec, trunk=trunk, heads=heads, training=training)


def prepare_images(design: Design, dataset, seed: int, val: float, test: float):
    """Seeded splits of the images (uint8; the model scales them), stratified on the first class head."""
    from ..design.spec import head_kind
    from .splits import Prepared, Split, encode_target, split_indices   # splits never imports this module

    x = image_array(dataset.frame, design.input)
    for head in design.heads:
        if head.target not in dataset.columns:
            raise DataError(f"head {head.name!r} predicts column {head.target!r}, which is not in the file.")
    targets = {h.name: encode_target(dataset.frame[h.target], h) for h in design.heads}
    first = next((h for h in design.heads if head_kind(h) != "regression"), None)
    strata = None
    if first is not None:
        y, weight = targets[first.name]
        labels = y.reshape(len(y), -1)
        strata = np.where(weight > 0, labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0], -1)
    idx = split_indices(len(x), seed, val, test, strata)
    if len(idx[0]) < 1 or len(x) < 3:
        raise DataError(f"only {len(x)} image(s) to split into training, validation and test data. Use more rows.")
    splits = [Split(x[rows], {k: y[rows] for k, (y, _) in targets.items()},
                    {k: w[rows] for k, (_, w) in targets.items()}, len(rows)) for rows in idx]
    return Prepared(design, *splits, kind="image", stratified_on=first.name if first else None)
