"""Free text, IDs and row counters: telling them apart, and the text input's vocabulary.

A column of several words per value that rarely repeats is free text: it
becomes a ``TextVectorization`` input (multi-hot or TF-IDF) whose vocabulary
comes from the training split.  Short values that rarely repeat are IDs;
whole numbers that go up by a constant step are row counters.  Both are left
out, with the reason.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .dataset import ColumnProfile

DEFAULT_TOKENS = 1000        # vocabulary size (words kept, most frequent first), changeable on the Data page
MIN_WORDS = 2.0              # average words per value from which a repeating-rarely column is free text
MOSTLY_MISSING = 0.5         # a text column missing more than this is left out by default


def mean_words(series) -> float:
    """Average number of words per present value (a sample of at most 2,000)."""
    sample = series.dropna().astype(str)[:2000]
    return float(sample.str.split().str.len().mean()) if len(sample) else 0.0


def is_free_text(series, distinct: int, present: int) -> bool:
    """Several words per value, and values that repeat rarely or are too many to be categories."""
    return (distinct > 0.2 * present or distinct > 50) and mean_words(series) >= MIN_WORDS


def text_profile(name: str, series, missing: int, distinct: int) -> ColumnProfile:
    present = len(series) - missing
    words = mean_words(series)
    if missing > MOSTLY_MISSING * len(series):
        return ColumnProfile(name, "text", missing, distinct, f"free text ({words:.1f} words per value), but "
                             f"{missing:,} of {len(series):,} values are missing; left out (make it an input "
                             "to use it)", "ignore")
    return ColumnProfile(name, "text", missing, distinct, f"free text: {distinct:,} different values in {present:,} "
                         f"rows, {words:.1f} words per value; the model reads its words (TextVectorization)")


def counts_rows(values) -> bool:
    """Whole numbers that go up by one constant step from row to row: a row counter, not a measurement."""
    steps = np.diff(np.asarray(values, dtype=np.float64))
    return bool(len(steps)) and steps[0] > 0 and bool((steps == steps[0]).all())


def text_values(series) -> np.ndarray:
    """A text column as the model takes it: UTF-8 bytes, one per row (missing -> b"")."""
    return series.fillna("").astype(str).str.encode("utf-8").to_numpy(dtype=object).astype(bytes)


def fit_text(layer, values: np.ndarray, column) -> None:
    """Set a ``TextVectorization`` layer's vocabulary (and TF-IDF weights) from the training split's texts.

    Raises:
        DataError: the column has no words in the training rows.
    """
    if not set_text_vocabulary(layer, values.reshape(-1), column.max_tokens, column.output_mode):
        raise DataError(f"text column {column.name!r} has no words in its training rows (only blanks, digits "
                        "or punctuation). Leave it out, or set its role to ignore.")


def set_text_vocabulary(layer, texts, max_tokens, output_mode):
    """The most frequent words of ``texts`` (and TF-IDF weights) into ``layer``; False if there are no words.

    The vocabulary is padded to exactly max_tokens - 1 entries with tokens no text can produce ("#" is
    stripped by standardisation), so the layer's width is the design's and a TF-IDF layer saves and loads
    (Keras refuses a saved TF-IDF layer whose vocabulary is shorter than its max_tokens).
    Self-contained: the exported training script holds a copy (``script_code``).
    """
    import keras
    import numpy as np

    probe = keras.layers.TextVectorization(max_tokens=max_tokens)
    probe.adapt(texts, batch_size=4096)
    vocabulary = probe.get_vocabulary(include_special_tokens=False)[: max_tokens - 1]
    if not vocabulary:
        return False
    padding = [f"#unused{i}" for i in range(max_tokens - 1 - len(vocabulary))]
    if output_mode != "tf_idf":
        layer.set_vocabulary(vocabulary + padding)
        return True
    multi_hot = keras.layers.TextVectorization(vocabulary=vocabulary, output_mode="multi_hot")
    documents = np.zeros(len(vocabulary), np.float64)
    for start in range(0, len(texts), 8192):
        documents += np.asarray(multi_hot(texts[start:start + 8192]))[:, 1:].sum(axis=0)
    counts = np.concatenate([documents, np.zeros(len(padding))])
    layer.set_vocabulary(vocabulary + padding, idf_weights=np.log1p(len(texts) / (1.0 + counts)))
    return True


def script_code() -> str:
    """``set_text_vocabulary`` as standalone code for the exported training script."""
    import inspect

    return inspect.getsource(set_text_vocabulary)


def check_words(series, name: str) -> None:
    """Raise if a column chosen as text has no words at all."""
    if not series.dropna().astype(str).str.contains(r"[^\W\d_]", regex=True).any():
        raise DataError(f"text column {name!r} has no words (only blanks, digits or punctuation). "
                        "Leave it out, or set its role to ignore.")
