"""Which input widget edits which parameter, decided from the registry alone.

The design page draws every layer's settings from these descriptions, so it
holds no per-layer code: a new registry entry gets its widgets for free.  The
head's own settings (output units and activation, loss, weight, metrics) are
described the same way, as ``Param`` records, so one drawing loop serves both.
Pure Python: the page maps ``Widget.kind`` to a Streamlit call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..design.registry import Param
from ..errors import DesignError, Problem
from ..design.spec import LOSSES, METRICS, OUTPUT_ACTIVATIONS, Head, bounds


@dataclass(frozen=True)
class Widget:
    """How to draw one parameter.

    ``kind`` is ``"int"``, ``"float"`` (number inputs), ``"toggle"``,
    ``"select"``, ``"multiselect"`` or ``"text"`` (a shape typed as ``32, 32, 3``).
    """

    kind: str
    label: str
    help: str
    min_value: int | float | None = None
    max_value: int | float | None = None
    step: int | float | None = None
    format: str | None = None
    options: tuple = ()


def widget_for(param: Param) -> Widget:
    label, help_text = param.name, param.help or param.name
    if param.kind == "int":
        return Widget("int", label, help_text, int(param.low), int(param.high), 1)
    if param.kind == "float":
        return Widget("float", label, help_text, float(param.low), float(param.high), *_float_step(param))
    if param.kind == "bool":
        return Widget("toggle", label, help_text)
    if param.kind == "choice":
        return Widget("select", label, help_text, options=tuple(param.choices))
    if param.kind == "multichoice":
        return Widget("multiselect", label, help_text, options=tuple(param.choices))
    if param.kind == "shape":
        return Widget("text", label, f"{help_text} (numbers separated by commas, e.g. 32, 32, 3)")
    raise ValueError(f"no widget for parameter kind {param.kind!r}")


def _float_step(param: Param) -> tuple[float, str]:
    # %g shows 0.2, 0.001 and 1.6e-06 (a loss weight scaled to a target's variance) as they are;
    # a fixed %.2f would show the last as 0.00 and invite overwriting it.
    if param.low is not None and 0 < param.low < 1e-3:
        return 1e-4, "%g"
    return (0.1 if (param.high or 0) > 10 else 0.05), "%g"


def to_widget(param: Param, value: Any) -> Any:
    """The design's value as the widget holds it."""
    if param.kind == "shape":
        return ", ".join(str(v) for v in value)
    if param.kind == "float":
        return float(value)
    if param.kind == "multichoice":
        return list(value)
    return value


def from_widget(param: Param, raw: Any) -> Any:
    """The widget's value as the design holds it.

    Raises:
        DesignError: a shape that is not a comma-separated list of whole numbers.
    """
    if param.kind == "shape":
        return parse_shape(raw, param.name)
    if param.kind == "int":
        return int(raw)
    if param.kind == "float":
        return float(raw)
    if param.kind == "multichoice":
        return list(raw)
    return raw


def parse_shape(text: str, name: str = "shape") -> list[int]:
    """'32, 32, 3' or '(32, 32, 3)' -> [32, 32, 3].

    Raises:
        DesignError: the text is not a list of whole numbers; the message names ``name``.
    """
    parts = [p for p in str(text).replace("(", " ").replace(")", " ").replace("x", ",").split(",") if p.strip()]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        raise DesignError([Problem(name, "must be whole numbers separated by commas, such as 32, 32, 3. "
                                         f"Received: {text!r}.")]) from None
    if not shape:
        raise DesignError([Problem(name, f"needs at least one size, such as 10. Received: {text!r}.")])
    return shape


# The head's settings, described as parameters so they are drawn like a layer's.
HEAD_PARAMS = (
    Param("units", "int", 1, 1, 100_000, help="outputs of the head: 1 for a number or yes/no, "
                                              "the number of classes for one-of-many"),
    Param("activation", "choice", "linear", choices=OUTPUT_ACTIVATIONS,
          help="linear for numbers, sigmoid for yes/no, softmax for one-of-many"),
    Param("loss", "choice", "mse", choices=LOSSES, help="what this head minimises"),
    Param("loss_weight", "float", 1.0, *bounds(Head, "loss_weight"),
          help="this head's importance in the total loss (1.0: equal; regression targets are standardised)"),
    Param("metrics", "multichoice", [], choices=METRICS, help="extra numbers reported while training"),
    Param("class_weight", "choice", "none", choices=("none", "balanced"),
          help="classification heads: 'balanced' weighs each class by how rare it is in the training split, "
               "as this head's sample weights only"),
)


OUTPUT_FIELDS = ("units", "activation")     # head settings that belong to its output layer


def head_value(head: Head, name: str) -> Any:
    """A head setting's current value, looking into its output layer for units and activation."""
    if name in OUTPUT_FIELDS:
        return getattr(head.output, name)
    return getattr(head, name)
