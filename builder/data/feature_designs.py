"""Issue 12's suggestions: an image design for pixel columns, a window design for a series, date/text columns.

``builder.data.suggest`` calls these hooks; the work is in ``pixels``,
``windows``, ``dates`` and ``text``.
"""

from __future__ import annotations

from ..design.spec import Design, TableColumn
from ..errors import DataError
from ..model.preprocessing import input_names
from .dataset import ColumnProfile, Dataset

# Layer ids the suggested image and window trunks use: head names must differ from them.
TRUNK_IDS = {"conv_1", "conv_2", "pool_1", "pool_2", "flatten", "dense_1", "lstm_1", "pixels_scale", "window_norm"}


def feature_column(dataset: Dataset, profile: ColumnProfile, features: dict) -> TableColumn:
    """A date column (its parts) or a text column (TextVectorization of ``max_tokens`` words)."""
    if profile.kind == "datetime":
        from .dates import date_parts
        return TableColumn(name=profile.name, kind="date", parts=date_parts(dataset.frame[profile.name]))
    from .text import DEFAULT_TOKENS, check_words
    check_words(dataset.frame[profile.name], profile.name)
    tokens = int(features.get("max_tokens") or DEFAULT_TOKENS)
    if not 2 <= tokens <= 50_000:
        raise DataError(f"the text vocabulary size must be from 2 to 50,000 words. Received: {tokens}.")
    mode = features.get("text_mode") or "multi_hot"
    if mode not in ("multi_hot", "tf_idf"):
        raise DataError(f"the text encoding must be 'multi_hot' or 'tf_idf'. Received: {mode!r}.")
    return TableColumn(name=profile.name, kind="text", max_tokens=tokens, output_mode=mode)


def feature_design(dataset: Dataset, targets: list[str], inputs: list[str] | None, kinds: dict | None,
                   base: Design | None, features: dict, make_head) -> Design | None:
    """The window or image design these options and columns call for, or None for a plain table design.

    ``make_head(dataset, target, kind, name)`` is ``suggest.head_for_target`` (handed in: suggest imports this).
    """
    from .pixels import image_design, layout_of

    window = features.get("window")
    layout = None if window else layout_of(dataset)
    image = (layout is not None and features.get("image", True) is not False
             and (inputs is None or bool(set(inputs) & set(layout.columns))))
    if not window and not image:
        return None
    heads = _heads(dataset, targets, kinds or {}, base, make_head)
    if image:
        return image_design(dataset, targets, heads, base)
    from .windows import window_design
    options = dict(window)
    if "time_column" not in options:
        options["time_column"] = next((p.name for p in dataset.profile if p.kind == "datetime"), "")
    return window_design(dataset, targets, _window_inputs(dataset, targets, inputs), heads, options, base)


def _heads(dataset: Dataset, targets: list[str], kinds: dict, base: Design | None, make_head) -> list:
    taken = TRUNK_IDS | ({layer.id for layer in base.trunk} if base else set())
    names = input_names(targets, reserved=taken)
    heads = []
    for target in targets:
        head = make_head(dataset, target, kinds.get(target), names[target])
        old = next((h for h in base.heads if h.target == target), None) if base else None
        if old is not None:      # a head the user already shaped keeps its layers and weight
            head = head.model_copy(update={"layers": list(old.layers), "branch_from": old.branch_from,
                                           "loss_weight": old.loss_weight})
        heads.append(head)
    return heads


def _window_inputs(dataset: Dataset, targets: list[str], inputs: list[str] | None) -> list[str]:
    """Numeric columns: the chosen inputs, or by default every numeric input and numeric target (its past)."""
    import pandas as pd

    chosen = inputs if inputs is not None else dataset.default_inputs(targets) + list(targets)
    numeric = [c for c in dict.fromkeys(chosen)
               if pd.api.types.is_numeric_dtype(dataset.frame[c].dtype) and dataset.column(c).kind != "id"]
    if not numeric:
        raise DataError("time-series windows need at least one numeric input column. Mark a column of numbers "
                        "as an input.")
    return numeric
