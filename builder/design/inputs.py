"""The design's input kinds: an array, CSV columns, images from pixel columns, or time-series windows.

Each is plain data (strings and numbers).  ``shape`` is what the trunk
receives; ``builder.model.build`` turns an image or window input into one
``keras.Input`` of that shape (with rescaling or normalisation inside the
model), just as it does a tensor input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TEXT_MODES = ("multi_hot", "tf_idf")
COLUMN_KINDS = ("numeric", "categorical", "date", "text")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class TensorInput(Strict):
    """An array input such as ``(32, 32, 3)`` images or ``(100, 50)`` sequences."""

    kind: Literal["tensor"] = "tensor"
    shape: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(min_length=1, max_length=4)


class TableColumn(Strict):
    """One CSV column fed to the model; preprocessing for it lives in the model.

    ``parts`` (dates): the derived numbers, e.g. ``["year", "month_sin", ...]``
    (see ``builder.data.dates``); ``max_tokens`` and ``output_mode`` (text):
    the TextVectorization vocabulary size and encoding.
    """

    name: str = Field(min_length=1, max_length=200)
    kind: Literal[COLUMN_KINDS]
    vocabulary: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=1000)
    parts: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=40)
    max_tokens: int = Field(0, ge=0, le=50_000)
    output_mode: Literal[TEXT_MODES] = "multi_hot"

    @property
    def width(self) -> int:
        # numeric: normalised value + missing indicator; categorical: one-hot with an out-of-vocabulary slot;
        # date: each normalised part + one missing indicator; text: one slot per vocabulary entry.
        if self.kind == "numeric":
            return 2
        if self.kind == "date":
            return len(self.parts) + 1
        if self.kind == "text":
            return self.max_tokens
        return len(self.vocabulary) + 1


class TableInput(Strict):
    """Named CSV columns, each numeric, categorical, date or text, encoded into one vector."""

    kind: Literal["table"] = "table"
    columns: list[TableColumn] = Field(min_length=1, max_length=1000)

    @property
    def shape(self) -> list[int]:
        return [sum(c.width for c in self.columns)]


class ImageInput(Strict):
    """Images stored one pixel per CSV column: ``<prefix><start>`` .. ``<prefix><start + H*W*C - 1>``.

    The model takes raw 0-255 values of shape (H, W, C) and scales them to 0-1 itself.
    """

    kind: Literal["image"] = "image"
    shape: list[Annotated[int, Field(ge=1, le=4096)]] = Field(min_length=3, max_length=3)
    prefix: str = Field("pixel", max_length=100)
    start: int = Field(0, ge=0, le=1)

    @property
    def columns(self) -> list[str]:
        count = self.shape[0] * self.shape[1] * self.shape[2]
        return [f"{self.prefix}{i}" for i in range(self.start, self.start + count)]


class WindowInput(Strict):
    """Time-series windows: each sample is the ``window`` rows up to time t of ``columns``.

    Heads predict their target at row t + ``horizon``; windows start every
    ``stride`` rows.  Rows are ordered by ``time_column`` (empty: file order).
    """

    kind: Literal["window"] = "window"
    columns: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=1000)
    window: int = Field(24, ge=1, le=100_000)
    horizon: int = Field(1, ge=0, le=100_000)
    stride: int = Field(1, ge=1, le=100_000)
    time_column: str = Field("", max_length=200)

    @property
    def shape(self) -> list[int]:
        return [self.window, len(self.columns)]


INPUT_KINDS = ("tensor", "table", "image", "window")
