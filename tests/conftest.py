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


def pytest_configure(config):
    config.addinivalue_line("markers", "load: many browser sessions on one server; run alone with `-m load`")


def pytest_collection_modifyitems(config, items):
    """Load tests take minutes of the whole machine: they run only when asked for with ``-m load``."""
    if "load" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load test: run it with `pytest -m load` (or `make load`)")
    for item in items:
        if "load" in item.keywords:
            item.add_marker(skip)
