"""The session's dataset and what it suggests: column roles, the suggested design, Apply, starting points."""

from __future__ import annotations


from ..data import Dataset
from ..design.spec import HEAD_KINDS, Design, TableInput
from ..design.templates import TEMPLATE_NAMES, template
from ..errors import DataError, DesignError, Problem
from .design import DATASET, DESIGN, KINDS, ROLES, SELECTED, State, commit, current, ensure, scratch_design

BUILTIN_KEY = "dataset_builtin"    # the built-in dataset's name, so a link can reload it
SCRATCH = "scratch"
SUGGESTION = "data suggestion"
ROLE_CHOICES = ("input", "target", "ignore")


DEFAULT_DATASET = "penguins"


def start_session(state: State) -> None:
    """Open a first visit on penguins with its suggested design, so Train works at once.

    Only a session with no design yet gets it; a link that carries a design
    or a dataset restores that instead (the caller skips this then).
    """
    if DESIGN in state:
        return
    from ..data import load_builtin

    set_dataset(state, load_builtin(DEFAULT_DATASET))
    state[BUILTIN_KEY] = DEFAULT_DATASET
    state[DESIGN] = suggestion(state)     # the starting point: nothing to undo yet
    ensure(state)


def start_from(state: State, source: str) -> Design:
    """Replace the design by a template, the scratch canvas, or the data's suggestion (undoable)."""
    if source == SCRATCH:
        design = scratch_design()
    elif source == SUGGESTION:
        design = suggestion(state)
    elif source in TEMPLATE_NAMES:
        design = template(source)
    else:
        raise DesignError([Problem("design", f"unknown starting point {source!r}. "
                                             f"Choose one of: {', '.join(start_choices(state))}.")])
    state[SELECTED] = None
    return commit(state, design)


def start_choices(state: State) -> list[str]:
    choices = [SCRATCH, *TEMPLATE_NAMES]
    return choices + [SUGGESTION] if state.get(DATASET) is not None else choices


def set_dataset(state: State, dataset: Dataset) -> None:
    """Make ``dataset`` current; roles start from its profile, with its suggested targets marked."""
    state[DATASET] = dataset
    roles = {c.name: c.role for c in dataset.profile}
    roles.update({name: "target" for name in dataset.targets if name in roles})
    state[ROLES] = roles
    state[KINDS] = {}
    state.pop("data_features", None)       # issue 12's options (session.features) belong to one dataset


def column_roles(state: State) -> dict[str, str]:
    dataset = state.get(DATASET)
    if dataset is None:
        return {}
    roles = state.setdefault(ROLES, {})
    for column in dataset.profile:
        roles.setdefault(column.name, column.role)
    return roles


def set_role(state: State, column: str, role: str) -> None:
    if role not in ROLE_CHOICES:
        raise DataError(f"role must be one of {ROLE_CHOICES}. Received: {role!r}.")
    column_roles(state)[column] = role


def set_kind(state: State, column: str, kind: str | None) -> None:
    kinds = state.setdefault(KINDS, {})
    if kind:
        if kind not in HEAD_KINDS:
            raise DataError(f"a target's kind must be one of {HEAD_KINDS}. Received: {kind!r}.")
        kinds[column] = kind
    else:
        kinds.pop(column, None)


def targets(state: State) -> list[str]:
    return [name for name, role in column_roles(state).items() if role == "target"]


def inputs(state: State) -> list[str]:
    return [name for name, role in column_roles(state).items() if role == "input"]


def suggestion(state: State, base: Design | None = None) -> Design:
    """The design the data suggests for the chosen roles (tensor datasets: their template)."""
    dataset = state.get(DATASET)
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first.")
    if dataset.kind == "tensor":
        if dataset.template in TEMPLATE_NAMES:
            return template(dataset.template)
        raise DataError(f"the dataset {dataset.name!r} has no matching template; start from scratch.")
    chosen = targets(state)
    if not chosen:
        raise DataError("mark at least one column as a target: each target becomes a head.")
    from ..data import suggest_design   # pandas loads with it: only when the data is used
    kinds = {k: v for k, v in state.get(KINDS, {}).items() if k in chosen}
    if base is not None:
        # The roles decide the heads: a head whose column is no longer a target goes, even though
        # suggest_design would keep it; heads for chosen targets keep their hidden layers.
        base = base.model_copy(update={"heads": [h for h in base.heads if h.target in chosen]})
    return suggest_design(dataset, chosen, inputs=inputs(state), kinds=kinds or None, base=base,
                          features=state.get("data_features"))     # issue 12: windows, images, text


def apply_roles(state: State) -> Design:
    """Create or update the design's input and heads from the roles, keeping the user's trunk.

    A trunk made for images or sequences (a template's) cannot read table
    columns; it is then replaced by the suggested trunk rather than refused.
    """
    design = current(state)
    if not design.trunk:
        return commit(state, suggestion(state))
    try:
        return commit(state, suggestion(state, base=design))
    except DataError:
        if isinstance(design.input, TableInput):
            raise            # the user's own table trunk: say why, change nothing
        return commit(state, suggestion(state))


def dataset_line(state: State) -> str:
    dataset = state.get(DATASET)
    if dataset is None:
        return "none yet: pick one on the Data page"
    return f"{dataset.name} ({dataset.rows:,} rows)"


def restore_dataset(state: State, name: str | None) -> str | None:
    """Reload the built-in dataset a link names, once per session; returns a message if it cannot."""
    if not name or state.get(DATASET) is not None or state.get("_restored_data") == name:
        return None
    state["_restored_data"] = name
    from ..data import BUILTIN, load_builtin
    if name not in BUILTIN:
        return f"the link names a dataset {name!r} that is not built in; pick one on the Data page."
    try:
        set_dataset(state, load_builtin(name))
    except DataError as e:
        return str(e)
    state[BUILTIN_KEY] = name
    return None
