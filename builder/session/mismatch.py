"""One truth about state: does the loaded data fit the design, and if not, the one action that fixes it.

Every page shows the same banner from ``mismatch(...)`` and the Train button is
disabled with its text, so no run is started only to fail on data the design
cannot read.  Pure Python: it looks at the design and the dataset's columns or
array shapes, never at the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..design.spec import Design, TableInput
from ..design.templates import TEMPLATE_NAMES, template
from . import dataset as session_dataset
from . import design as session_design

APPLY_ROLES = "apply roles"              # make the design fit the table that is loaded (Data page)
LOAD_TEMPLATE_DATA = "load template data"   # load the built-in data made for the design's template
USE_DATA_DESIGN = "use the data's design"   # the loaded arrays come with their own template design


@dataclass(frozen=True)
class Mismatch:
    """What does not fit (``problem``), what to do (``fix``), and the action's name and template."""

    problem: str
    action: str
    fix: str
    template: str | None = None

    def __str__(self) -> str:
        return f"{self.problem} {self.fix}"

    @property
    def button(self) -> str:
        """The label of the button that does ``fix``."""
        return {APPLY_ROLES: "Apply roles", LOAD_TEMPLATE_DATA: f"Load the {self.template} data"}.get(
            self.action, f"Use the {self.template} design")


def mismatch(design: Design, dataset: Any, design_is_newer: bool = False) -> Mismatch | None:
    """None when ``dataset`` fits ``design`` (or there is no dataset yet), else the mismatch and its fix.

    Args:
        design: the current design.
        dataset: the loaded ``builder.data.Dataset`` (or None).
        design_is_newer: the design changed after the data was loaded; the user then most likely wants
            data for the design (a template's own data) rather than a design for the data.
    """
    if dataset is None:
        return None
    problem = what_differs(design, dataset)
    if problem is None:
        return None
    own = matching_template(design)
    if own and own != getattr(dataset, "template", None) and (design_is_newer or dataset.kind == "tensor"
                                                              and not dataset.template):
        return Mismatch(problem, LOAD_TEMPLATE_DATA,
                        f"Load the {own} data on the Data page (the built-in data made for this design).", own)
    if dataset.kind == "table":
        return Mismatch(problem, APPLY_ROLES,
                        "Apply roles on the Data page: the design's input and heads then follow the data.")
    return Mismatch(problem, USE_DATA_DESIGN,
                    f"Use the {dataset.template} design on the Data page (the design made for this data).",
                    dataset.template)


def what_differs(design: Design, dataset: Any) -> str | None:
    """The first thing about ``dataset`` the design cannot read, in words (None if it fits)."""
    name = getattr(dataset, "name", "the data")
    table_design = design.input.kind in ("table", "image", "window")   # images and windows read a CSV (issue 12)
    if table_design and dataset.kind != "table":
        return f"The design reads table columns, but {name!r} holds arrays of shape {_shape(dataset.x)}."
    if not table_design and dataset.kind == "table":
        return f"The design takes arrays of shape {tuple(design.input.shape)}, but {name!r} is a table of columns."
    if table_design:
        return _table_differs(design, dataset, name)
    if tuple(design.input.shape) != _shape(dataset.x):
        return (f"The design takes arrays of shape {tuple(design.input.shape)}, but {name!r} holds arrays "
                f"of shape {_shape(dataset.x)}.")
    missing = [h.name for h in design.heads if h.name not in dataset.y]
    if missing:
        return f"The design's head {missing[0]!r} has no target in {name!r} (its targets: {', '.join(dataset.y)})."
    return None


def _table_differs(design: Design, dataset: Any, name: str) -> str | None:
    columns = set(dataset.columns)
    spec = design.input
    wanted = [c.name for c in spec.columns] if isinstance(spec, TableInput) else list(spec.columns)
    wanted += [spec.time_column] if getattr(spec, "time_column", "") else []
    missing = [c for c in wanted if c not in columns]
    if missing:
        others = len(missing) - 1
        more = f" (and {others} more input column{'s' if others > 1 else ''})" if others else ""
        return f"The design reads column {missing[0]!r}{more}, which {name!r} does not have."
    for head in design.heads:
        if not head.target:
            return f"The design's head {head.name!r} has no target column in {name!r}."
        if head.target not in columns:
            return f"The design's head {head.name!r} predicts column {head.target!r}, which {name!r} does not have."
    return None


def matching_template(design: Design) -> str | None:
    """The template this design is built for (same input shape and head names), if any."""
    if design.input.kind != "tensor":
        return None
    return _template_signatures().get((tuple(design.input.shape), tuple(h.name for h in design.heads)))


@lru_cache(maxsize=1)
def _template_signatures() -> dict[tuple, str]:
    signatures = {}
    for name in TEMPLATE_NAMES:
        known = template(name)
        signatures[(tuple(known.input.shape), tuple(h.name for h in known.heads))] = name
    return signatures


def _shape(x: Any) -> tuple:
    return tuple(getattr(x, "shape", ())[1:])


# ------------------------------------------------------------ in a session
SEEN = "_fit_seen"      # (design id, dataset id, design changed last) as of the previous check


def for_session(state) -> Mismatch | None:
    """``mismatch`` for the session's design and dataset, knowing which of the two changed last."""
    design, dataset = session_design.current(state), state.get(session_design.DATASET)
    seen_design, seen_dataset, newer = state.get(SEEN) or (None, None, False)
    if id(dataset) != seen_dataset:
        newer = False
    elif id(design) != seen_design:
        newer = True
    state[SEEN] = (id(design), id(dataset), newer)
    return mismatch(design, dataset, design_is_newer=newer)


def fix(state, found: Mismatch) -> None:
    """Do the one action the banner names (raises DataError/DesignError with the reason if it cannot)."""
    if found.action == APPLY_ROLES:
        session_dataset.apply_roles(state)
    elif found.action == LOAD_TEMPLATE_DATA:
        from ..data import load_builtin

        session_dataset.set_dataset(state, load_builtin(found.template))
        state[session_dataset.BUILTIN_KEY] = found.template
    else:
        session_dataset.start_from(state, session_dataset.SUGGESTION)
