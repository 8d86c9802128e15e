"""One exception type for design problems, and the problem record it carries.

Every message a user reads names the place (``trunk step 3 (Conv2D)``,
``head 'price', layer 1 (Dense)``), repeats the value received and says what
to do, in the style of Keras' own argument checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or risky) with a design.

    Args:
        location: where it is, in words: ``"trunk step 3 (Conv2D)"``.
        message: what is wrong, the value received, and the fix.
        severity: ``"error"`` stops building; ``"warning"`` only advises.
        node: the id of the layer or head it belongs to, if any, so the
            diagram can draw that node red.
    """

    location: str
    message: str
    severity: Severity = "error"
    node: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class DesignError(ValueError):
    """A design that cannot be built, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(ValueError):
    """Data that cannot be used: one plain-English message saying what to do."""


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
