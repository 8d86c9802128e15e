"""Shared test setup: the repository on ``sys.path``, quiet TensorFlow, a fresh Keras, no background warm-up."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# `pytest` (not only `python -m pytest`) must find `builder` in the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Workspaces the tests (and the servers they start) create go to a throw-away folder, never the user's.
os.environ["BUILDER_DATA_DIR"] = tempfile.mkdtemp(prefix="builder-test-workspaces-")
atexit.register(shutil.rmtree, os.environ["BUILDER_DATA_DIR"], True)

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

@pytest.fixture(autouse=True)
def no_background_warm_up(monkeypatch):
    """app.py warms a training worker 2 s after its first run; in the test process that would be a
    TensorFlow import nobody asked for.  Tests that train start the service themselves."""
    monkeypatch.setenv("BUILDER_WARM_TRAINING", "0")


def pytest_configure(config):
    config.addinivalue_line("markers", "load: many browser sessions on one server; run alone with `-m load`")


def pytest_collection_modifyitems(config, items):
    """Load tests take minutes of the whole machine: they run only when asked for with ``-m load``.

    They are deselected, not skipped, so `make test` reports no skips where Chromium is present.
    """
    if "load" in (config.getoption("-m") or ""):
        return
    load = [item for item in items if "load" in item.keywords]
    if load:
        config.hook.pytest_deselected(items=load)
        items[:] = [item for item in items if "load" not in item.keywords]
