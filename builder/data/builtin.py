"""Built-in datasets: Palmer penguins (shipped) and synthetic data for each seed template (generated)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .dataset import Dataset

PENGUINS_CSV = Path(__file__).with_name("penguins.csv")
PENGUIN_TARGETS = ["species", "sex", "body_mass_g"]

_DESCRIPTIONS = {
    "penguins": ("Palmer penguins (CC0): 344 penguins, 3 species, measured on 3 islands. Predict species "
                 "(3 classes), sex (binary, 11 missing) and body mass in grams (regression)."),
    "seed-multi-regression": ("Synthetic: 10 random numbers -> three known nonlinear functions of them plus "
                              "noise (output1..3), for the seed-multi-regression template."),
    "seed-image-class-reg": ("Synthetic: 32x32 colour images of drawn shapes -> the shape (10 classes, one-hot) "
                             "and its size (standardised), for the seed-image-class-reg template."),
    "seed-sequence-two-heads": ("Synthetic: 100x50 noisy sequences around a class pattern -> a 50-number "
                                "summary of the last steps and the class (20, one-hot), for the "
                                "seed-sequence-two-heads template."),
}
BUILTIN = tuple(_DESCRIPTIONS)
MAX_ROWS = 100_000        # 100,000 image samples are already 1.2 GB in memory
MAX_SEED = 2**32 - 1      # numpy's seeds are unsigned 32-bit numbers
DEFAULT_ROWS = {"seed-multi-regression": 5000, "seed-image-class-reg": 2000, "seed-sequence-two-heads": 1000}


def describe_builtin(name: str) -> str:
    _check_name(name)
    return _DESCRIPTIONS[name]


def load_builtin(name: str, rows: int | None = None, seed: int = 0) -> Dataset:
    """A built-in dataset, with no network access.

    Args:
        name: one of ``BUILTIN``.
        rows: how many rows or samples (None: the default size; penguins has at most 344).
        seed: synthetic data and penguin samples are the same for the same seed.

    Raises:
        DataError: unknown name, a row count outside 1..MAX_ROWS or a seed outside 0..MAX_SEED.
    """
    _check_name(name)
    if rows is not None and not 1 <= rows <= MAX_ROWS:
        raise DataError(f"rows must be between 1 and {MAX_ROWS:,}. Received: rows={rows}.")
    if not 0 <= seed <= MAX_SEED:
        raise DataError(f"seed must be between 0 and {MAX_SEED:,}. Received: seed={seed}.")
    if name == "penguins":
        return _penguins(rows, seed)
    return _synthetic(name, rows or DEFAULT_ROWS[name], seed)


def _check_name(name: str) -> None:
    if name not in _DESCRIPTIONS:
        raise DataError(f"no built-in dataset named {name!r}. Choose one of: {', '.join(BUILTIN)}.")


def _penguins(rows: int | None, seed: int) -> Dataset:
    from .csvio import read_csv

    dataset = read_csv(PENGUINS_CSV, name="penguins.csv")
    if rows is not None and rows < len(dataset.frame):
        dataset.frame = dataset.frame.sample(rows, random_state=seed).sort_index().reset_index(drop=True)
        from .profile import profile_frame
        dataset.profile = profile_frame(dataset.frame)
    dataset.name = "penguins"
    dataset.source = "Palmer penguins, Horst, Hill & Gorman (2020), CC0; shipped with the app"
    dataset.targets = list(PENGUIN_TARGETS)
    return dataset


def _synthetic(name: str, rows: int, seed: int) -> Dataset:
    from . import synthetic

    make = {"seed-multi-regression": synthetic.multi_regression, "seed-image-class-reg": synthetic.shape_images,
            "seed-sequence-two-heads": synthetic.sequences}[name]
    x, y = make(rows, seed)
    return Dataset(name=name, kind="tensor", x=x, y=y, template=name,
                   source=f"generated from seed {seed} ({rows:,} samples)", targets=list(y))
