"""Column roles -> a full design: a table input, a small default trunk and one head per target.

The suggestion is only a start: the user edits it in the designer.  Targets
are checked here (a single class, too many classes, text used for
regression) so a bad choice is one clear message, before anything is built.
"""

from __future__ import annotations

from ..errors import DataError
from ..design.spec import (
    HEAD_KINDS, MAX_HEADS, Design, Head, Output, TableColumn, TableInput, Training, is_python_name, new_layer,
)
from ..model.preprocessing import input_names, keras_name
from ..design.validate import analyse
from .dataset import INPUT_KINDS, ColumnProfile, Dataset
from .profile import MAX_CATEGORIES, category_values

MAX_NAME_LENGTH = 200
MAX_INPUT_COLUMNS = 1000      # TableInput's limit
DEFAULT_TRUNK = (("dense_1", 64), ("dense_2", 32))


def suggest_design(dataset: Dataset, targets: list[str], inputs: list[str] | None = None,
                   kinds: dict[str, str] | None = None, base: Design | None = None,
                   features: dict | None = None) -> Design:
    """A design that predicts ``targets`` from ``inputs`` (default: every column whose role is input).

    Args:
        dataset: a table dataset (for a tensor dataset, the template design that fits it is returned).
        targets: target columns, one head each, in this order.
        inputs: input columns; None takes the profile's default inputs minus the targets.
        kinds: per target, "regression", "binary" or "multiclass" instead of the guess.
        base: a design whose trunk (and heads for other targets, and training settings) are kept.
        features: issue 12's options: ``window`` (a dict of window, horizon, stride, time_column: time-series
            windows), ``image`` (False: pixel columns stay table columns), ``max_tokens`` and ``text_mode``
            for text columns.

    Raises:
        DataError: a target or input that cannot be used, with the reason and what to do.

    Example:
        >>> design = suggest_design(load_builtin("penguins"), ["species", "sex", "body_mass_g"])
        >>> [(h.name, h.kind, h.loss) for h in design.heads][:2]
        [('species', 'multiclass', 'sparse_categorical_crossentropy'), ('sex', 'binary', 'binary_crossentropy')]
    """
    if dataset.kind == "tensor":
        return _tensor_design(dataset, base)
    targets = _check_targets(dataset, list(targets))
    from .feature_designs import feature_design     # issue 12: images from pixel columns, time-series windows
    special = feature_design(dataset, targets, inputs, kinds, base, features or {}, head_for_target)
    if special is not None:
        _check_valid(special, None)
        return special
    if inputs is None and base is not None:   # columns that base's other heads predict stay targets
        kept = [h.target for h in base.heads if h.target in dataset.columns and h.target not in targets]
        inputs = [c for c in dataset.default_inputs(targets) if c not in kept]
        if not inputs:
            raise DataError("no input columns are left once the targets are taken out. Choose at least one input "
                            "column (numeric or categorical) besides the targets.")
    inputs = _check_inputs(dataset, targets, inputs)
    kinds = dict(kinds or {})
    unknown = sorted(set(kinds) - set(targets))
    if unknown:
        raise DataError(f"kinds names column(s) that are not targets: {', '.join(map(repr, unknown))}. "
                        "Give a kind only for a target column.")
    columns = [table_column(dataset, name, features) for name in inputs]
    names = input_names(inputs)
    trunk = _trunk(base, set(names.values()))
    taken = set(names.values()) | {layer.id for layer in trunk}
    heads = []
    for target in targets:
        head = head_for_target(dataset, target, kinds.get(target), _unique(keras_name(target), taken))
        taken.add(head.name)
        heads.append(_keep_layers(head, base))
    heads += _kept_heads(base, dataset, targets, inputs, taken)
    design = Design(name=_design_name(dataset.name), input=TableInput(columns=columns), trunk=trunk,
                    heads=heads[:MAX_HEADS], training=base.training.model_copy() if base else Training())
    _check_valid(design, base)
    return design


# ---------------------------------------------------------------- targets

def _check_targets(dataset: Dataset, targets: list[str]) -> list[str]:
    if not targets:
        raise DataError("choose at least one target column: the column(s) the model should predict.")
    if len(targets) > MAX_HEADS:
        raise DataError(f"{len(targets)} targets were chosen; a design has at most {MAX_HEADS} heads. "
                        "Choose fewer targets.")
    _check_columns(dataset, targets, "target")
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise DataError(f"target {repeated[0]!r} is chosen twice. Choose each target once.")
    return targets


def _check_columns(dataset: Dataset, names: list[str], role: str) -> None:
    columns = dataset.columns
    missing = [n for n in names if n not in columns]
    if missing:
        shown = ", ".join(repr(c) for c in columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise DataError(f"{role} column {missing[0]!r} is not in {dataset.name!r}. Its columns are: {shown}.")
    for name in names:
        if len(name) > MAX_NAME_LENGTH:
            raise DataError(f"column name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters. "
                            "Shorten it in the header row.")


def target_kind(profile: ColumnProfile, numeric: bool, wanted: str | None = None) -> str:
    """The head kind for a target column, checked against its values."""
    where = f"target {profile.name!r}"
    if wanted is not None and wanted not in HEAD_KINDS:
        raise DataError(f"kind for {where} must be one of {', '.join(HEAD_KINDS)}. Received: {wanted!r}.")
    if profile.kind == "empty":
        raise DataError(f"{where} has no values at all. Choose a column that holds the answers to predict.")
    if profile.distinct < 2:
        raise DataError(f"{where} has a single class ({_one_value(profile)}), so there is nothing to predict. "
                        "Choose another target, or add rows with other values.")
    if wanted is None and numeric and profile.distinct > 2 and looks_like_class_codes(profile):
        return "multiclass"
    if wanted == "regression" or (wanted is None and numeric and profile.distinct > 2):
        if not numeric:
            raise DataError(f"{where} holds text, so it cannot be a regression target. "
                            "Make it binary or multiclass, or choose a numeric column.")
        return "regression"
    if profile.kind == "datetime":
        raise DataError(f"{where} holds dates. Predict a number derived from them (such as the year), "
                        "added as its own column.")
    if profile.distinct > MAX_CATEGORIES:
        hint = "use it as a regression target (kind 'regression')" if numeric else "leave it out"
        raise DataError(f"{where} has {profile.distinct:,} different values; a classification target may have at "
                        f"most {MAX_CATEGORIES} classes. If its values are amounts, {hint}; otherwise leave it "
                        "out or group its values into fewer classes.")
    if wanted == "binary" and profile.distinct != 2:
        raise DataError(f"{where} has {profile.distinct} classes, not 2, so it cannot be binary. Use 'multiclass'.")
    if wanted == "multiclass" or profile.distinct > 2:
        return "multiclass"
    return "binary"


# Words in a column name that say its whole numbers are class codes (a digit's "label"), not amounts.
CLASS_WORDS = {"label", "labels", "class", "category", "digit", "species", "genre", "breed"}


def looks_like_class_codes(profile: ColumnProfile) -> bool:
    """Whole numbers, few of them, under a name such as 'label' or 'class': MNIST's 'label' 0-9 is ten classes."""
    import re

    words = set(re.split(r"[^a-z]+", profile.name.lower()))
    return (bool(words & CLASS_WORDS) and 2 < len(profile.values) <= MAX_CATEGORIES
            and all(re.fullmatch(r"-?\d+(\.0+)?", v) for v in profile.values))


def _one_value(profile: ColumnProfile) -> str:
    return f"every value is {profile.values[0]!r}" if profile.values else "every value is the same"


def head_for_target(dataset: Dataset, target: str, kind: str | None = None, name: str | None = None) -> Head:
    """The suggested head for one target column: regression, binary or multiclass."""
    profile = _profile_with_values(dataset, target)
    numeric = _is_numeric(dataset, target)
    kind = target_kind(profile, numeric, kind)
    name = name or _unique(keras_name(target), set())
    if kind == "regression":
        return Head(name=name, output=Output(units=1, activation="linear"), loss="mse", metrics=["mae"],
                    target=target, kind=kind)   # weight 1.0: the target is standardised (builder.data.scaling)
    classes = sorted(profile.values)     # label i is classes[i]; for binary, 1 is the later in text order
    if any(len(c) > MAX_NAME_LENGTH for c in classes):
        raise DataError(f"target {target!r} has class names longer than {MAX_NAME_LENGTH} characters, which looks "
                        "like free text rather than classes. Choose a column of short labels.")
    if kind == "binary":
        return Head(name=name, output=Output(units=1, activation="sigmoid"), loss="binary_crossentropy",
                    metrics=["accuracy", "auc"], target=target, kind=kind, classes=classes)
    return Head(name=name, output=Output(units=len(classes), activation="softmax"),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"], target=target, kind=kind,
                classes=classes)


def _profile_with_values(dataset: Dataset, column: str) -> ColumnProfile:
    """The column's profile, with its class values even when the profile kept none (e.g. a numeric column)."""
    profile = dataset.column(column)
    if profile.values or profile.kind == "empty" or profile.distinct > MAX_CATEGORIES:
        return profile
    values = category_values(dataset.frame[column])
    return ColumnProfile(profile.name, profile.kind, profile.missing, len(values), profile.reason, profile.role,
                         values)


def _is_numeric(dataset: Dataset, column: str) -> bool:
    import pandas as pd

    dtype = dataset.frame[column].dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


# ----------------------------------------------------------------- inputs

def _check_inputs(dataset: Dataset, targets: list[str], inputs: list[str] | None) -> list[str]:
    if inputs is None:
        inputs = dataset.default_inputs(targets)
    else:
        inputs = list(dict.fromkeys(inputs))
        _check_columns(dataset, inputs, "input")
        both = [c for c in inputs if c in targets]
        if both:
            raise DataError(f"column {both[0]!r} is both an input and a target, so the model would see the answer. "
                            "Remove it from the inputs.")
        for name in inputs:
            profile = dataset.column(name)
            if profile.kind not in INPUT_KINDS:
                raise DataError(f"column {name!r} cannot be an input: {profile.reason}. Leave it out.")
    if not inputs:
        raise DataError("no input columns are left once the targets are taken out. Choose at least one input "
                        "column (numeric or categorical) besides the targets.")
    if len(inputs) > MAX_INPUT_COLUMNS:
        raise DataError(f"{len(inputs):,} input columns were chosen; a design takes at most {MAX_INPUT_COLUMNS:,}. "
                        "Choose the columns that matter, or reduce the file's columns first.")
    return inputs


def table_column(dataset: Dataset, name: str, features: dict | None = None) -> TableColumn:
    """How one input column enters the model: numeric (normalised), categorical (one-hot), date or text."""
    profile = dataset.column(name)
    if profile.kind in ("datetime", "text"):      # issue 12
        from .feature_designs import feature_column
        return feature_column(dataset, profile, features or {})
    if _is_numeric(dataset, name):
        return TableColumn(name=name, kind="numeric")
    return TableColumn(name=name, kind="categorical", vocabulary=profile.values[:MAX_CATEGORIES])


# ------------------------------------------------------------ trunk, heads

def _trunk(base: Design | None, taken: set[str]) -> list:
    if base is not None:
        return [layer.model_copy() for layer in base.trunk]
    trunk = []
    for layer_id, units in DEFAULT_TRUNK:
        trunk.append(new_layer("Dense", _unique(layer_id, taken), units=units, activation="relu"))
        taken = taken | {trunk[-1].id}
    return trunk


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... so it clashes with nothing taken (case-blind) and is a Python name."""
    name = name if is_python_name(name) else f"{name}_"
    lowered = {t.lower() for t in taken}
    candidate, n = name, 1
    while candidate.lower() in lowered or any(f"{candidate}{s}".lower() in lowered for s in ("_norm", "_onehot")):
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _keep_layers(head: Head, base: Design | None) -> Head:
    """A head of ``base`` for the same target keeps its own layers, branch point and loss weight."""
    if base is None:
        return head
    old = next((h for h in base.heads if h.target == head.target), None)
    if old is None:
        return head
    return head.model_copy(update={"layers": list(old.layers), "branch_from": old.branch_from,
                                   "loss_weight": old.loss_weight})


def _kept_heads(base: Design | None, dataset: Dataset, targets: list[str], inputs: list[str],
                taken: set[str]) -> list[Head]:
    """Heads of ``base`` for other columns of this dataset; heads with no such target have no data and go."""
    if base is None:
        return []
    kept = []
    for head in base.heads:
        if head.target and head.target not in targets and head.target not in inputs and head.target in dataset.columns:
            if head.name not in taken:
                kept.append(head.model_copy())
                taken.add(head.name)
    return kept


def _design_name(name: str) -> str:
    return keras_name(name or "table")


def _tensor_design(dataset: Dataset, base: Design | None) -> Design:
    from ..design.templates import template

    if base is not None:
        return base
    if dataset.template is None:
        raise DataError(f"{dataset.name!r} holds arrays, not columns, and fits no template. "
                        "Start from a template whose input shape matches the data.")
    return template(dataset.template)


def _check_valid(design: Design, base: Design | None) -> None:
    report = analyse(design)
    if report.ok:
        return
    first = report.errors[0]
    if base is not None:
        raise DataError(f"the current design's trunk does not fit a table input: {first}. "
                        "Suggest again without keeping the current trunk.")
    raise DataError(f"the suggested design has a problem: {first}.")
