"""Data: built-in datasets, CSV ingestion and profiling, column roles, splits (no streamlit, no TF at import).

Names load lazily (PEP 562), so ``import builder.data`` costs nothing until a
function is used; pandas and numpy load with the first function that needs them.

    >>> from builder.data import load_builtin, suggest_design, prepare
    >>> ds = load_builtin("penguins")
    >>> design = suggest_design(ds, ["species", "sex", "body_mass_g"])
    >>> prepared = prepare(design, ds, seed=0)
"""

from __future__ import annotations

from importlib import import_module

from .dataset import ColumnProfile, Dataset

_WHERE = {
    "BUILTIN": "builtin", "load_builtin": "builtin", "describe_builtin": "builtin",
    "read_csv": "csvio", "MAX_BYTES": "csvio",
    "profile_frame": "profile", "MAX_CATEGORIES": "profile",
    "suggest_design": "suggest", "head_for_target": "suggest", "target_kind": "suggest",
    "prepare": "routes", "Prepared": "splits", "Split": "splits", "fit_preprocessing": "routes",
    "model_inputs_from_frame": "splits",
    "save_builtin": "writer", "dataset_bytes": "writer", "NPZ_INPUT_KEY": "writer",
}

# Module names differ from the names they export: importing a submodule sets it as an attribute of
# this package, which would hide a function of the same name.
__all__ = ["ColumnProfile", "Dataset", *sorted(_WHERE)]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'builder.data' has no attribute {name!r}")
