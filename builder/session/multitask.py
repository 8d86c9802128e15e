"""What the Train and Results pages need from the multi-task tools, as plain data.

Settings edits (balancing, meter, class weights, comparison budget) return a checked design; the
branch-point advice is applied only by the user, as one undo step; the live series come from a
``LiveRun``'s ``multitask`` events.  No Streamlit.
"""

from __future__ import annotations

from typing import Any, Mapping, MutableMapping

from ..design.spec import Design, head_kind, parse_design
from ..train import interference
from ..train.balancing import METHODS
from .design import commit

METER_CHOICES = {"auto": "on with two heads or more", "on": "on", "off": "off"}
CLASS_WEIGHT_CHOICES = {"none": "none", "balanced": "balanced (from the training split)"}
RECENT_READINGS = 3


def classification_heads(design: Design) -> list[str]:
    return [h.name for h in design.heads if head_kind(h) != "regression"]


def with_settings(design: Design, training: Mapping[str, Any], class_weights: Mapping[str, str]) -> Design:
    """The design with new multi-task settings and class weights (checked by the spec; raises DesignError)."""
    data = design.model_dump()
    data["training"] = {**data["training"], **training}
    for head in data["heads"]:
        if head["name"] in class_weights:
            head["class_weight"] = class_weights[head["name"]]
    return parse_design(data)


def events(live, kind: str) -> list[dict]:
    return [e for e in (getattr(live, "multitask", None) or []) if e.get("type") == kind]


def weight_series(live) -> dict[str, tuple[list[float], list[float]]]:
    """Each head's effective loss weight over training: {head: (epochs, weights)}."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for e in events(live, "balancing"):
        for head, value in e["weights"].items():
            xs, ys = series.setdefault(head, ([], []))
            xs.append(e["at"])
            ys.append(value)
    return series


def meter_series(live) -> tuple[dict, dict]:
    """({"a|b": (epochs, cosines)}, {head: (epochs, shares)}) from the interference readings."""
    cosine: dict = {}
    share: dict = {}
    for e in events(live, "interference"):
        for target, values in ((cosine, e["cosine"]), (share, e["share"])):
            for key, value in values.items():
                xs, ys = target.setdefault(key, ([], []))
                xs.append(e["at"])
                ys.append(value)
    return cosine, share


def recent_meter(live, last: int = RECENT_READINGS) -> tuple[dict, dict] | None:
    """Cosines and shares averaged over the last few readings (one reading is noisy), or None."""
    readings = events(live, "interference")[-last:]
    if not readings:
        return None

    def mean(key: str) -> dict:
        names = readings[-1][key]
        return {k: sum(r[key].get(k, 0.0) for r in readings) / len(readings) for k in names}

    return mean("cosine"), mean("share")


def meter_reading(live) -> str | None:
    recent = recent_meter(live)
    return interference.reading(*recent) if recent else None


def advice(live, design: Design):
    """(sentence, edited design) from the meter's recent readings, for the page to offer; or None."""
    recent = recent_meter(live)
    if recent is None or live.design is None or [h.name for h in design.heads] != [h.name for h in live.design.heads]:
        return None
    return interference.branch_advice(design, *recent)


def apply_advice(state: MutableMapping, edited: Design) -> Design:
    """The user's click: the suggested design becomes current as one undo step."""
    return commit(state, edited)


def balancing_choices() -> dict[str, str]:
    return dict(METHODS)
