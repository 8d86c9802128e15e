"""Shared test setup, kept generic: the repository on ``sys.path``, quiet TensorFlow, a fresh Keras."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# `pytest` (not only `python -m pytest`) must find `builder` in the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# TensorFlow's start-up chatter hides real failures in the test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def keras():
    """Keras, imported only by the tests that need it, with names and graph state reset."""
    import keras as keras_module

    keras_module.backend.clear_session()
    yield keras_module
    keras_module.backend.clear_session()

# Tests that build models in this process expect TensorFlow (string columns need it); runs that pick
# JAX for a design do so in their own worker or CLI process (builder.train.backend).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
