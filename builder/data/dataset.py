"""The records the data side hands to pages, the CLI and training: Dataset and ColumnProfile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["numeric", "categorical", "binary", "datetime", "text", "id", "empty"]
Role = Literal["input", "ignore"]

# Kinds a model can take as an input column, and what TableColumn kind they become.
INPUT_KINDS = {"numeric": "numeric", "categorical": "categorical", "binary": "categorical",
               "datetime": "date", "text": "text"}


@dataclass
class ColumnProfile:
    """What one column holds, and why it is (or is not) a default input.

    Args:
        name: the column name as in the file.
        kind: numeric, categorical, binary, datetime, text (free text), id, or empty.
        missing: number of missing values.
        distinct: number of distinct non-missing values.
        reason: the kind and role in words, e.g. ``"numeric: 331 of 344 values are numbers"``.
        role: the default role, ``"input"`` or ``"ignore"``.
        values: for categorical and binary columns, the values, most frequent first.
    """

    name: str
    kind: ColumnKind
    missing: int
    distinct: int
    reason: str
    role: Role = "input"
    values: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    """A table (``frame``) or arrays (``x`` and ``y`` by head name) to train a design on.

    Attributes:
        name: short name shown to users.
        kind: ``"table"`` (a pandas frame with the original column names) or ``"tensor"``.
        frame: the table, for kind "table".
        x: inputs, for kind "tensor".
        y: targets by head name, for kind "tensor".
        profile: one ColumnProfile per column of a table.
        template: the template whose shapes the data fits, or None.
        source: where it came from, in words.
        targets: columns that make good targets (built-in tables), for a first suggestion.
        warnings: things the reader fixed or guessed, in words (junk in numeric columns...).
    """

    name: str
    kind: Literal["table", "tensor"]
    frame: Any = None
    x: Any = None
    y: dict = field(default_factory=dict)
    profile: list[ColumnProfile] = field(default_factory=list)
    template: str | None = None
    source: str = ""
    targets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame) if self.kind == "table" else len(self.x)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns) if self.kind == "table" else []

    def column(self, name: str) -> ColumnProfile:
        for p in self.profile:
            if p.name == name:
                return p
        raise KeyError(name)

    def default_inputs(self, targets: list[str] = ()) -> list[str]:
        """Columns whose default role is input, minus the targets."""
        return [p.name for p in self.profile if p.role == "input" and p.name not in targets]

    def summary(self) -> str:
        if self.kind == "table":
            return f"{self.name}: {self.rows:,} rows x {len(self.columns)} columns ({self.source})"
        heads = ", ".join(f"{k} {tuple(v.shape[1:])}" for k, v in self.y.items())
        return f"{self.name}: {self.rows:,} samples of shape {tuple(self.x.shape[1:])} -> {heads} ({self.source})"
