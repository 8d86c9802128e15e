"""The multi-worker work-arounds in ``builder.train.keras_fixes`` are still needed by the installed Keras.

Each test reads the Keras code the work-around replaces and finds the bug still there.  When a Keras
upgrade fixes it, the test fails: delete the work-around (and this test) then.
"""

import inspect

import pytest

from builder.train import keras_fixes


@pytest.fixture(scope="module")
def tf_trainer():
    from keras.src.backend.tensorflow import trainer

    return trainer


def test_the_work_arounds_are_for_the_installed_keras():
    import keras

    assert keras.__version__.startswith(keras_fixes.FOR_KERAS + "."), (
        f"Keras {keras.__version__} is installed; keras_fixes was written for {keras_fixes.FOR_KERAS}. "
        "Check whether the bugs below are still there, then update FOR_KERAS or delete the work-arounds.")


def test_keras_still_averages_multi_worker_scalars_over_axis_0(tf_trainer):
    source = inspect.getsource(tf_trainer.reduce_per_replica)
    multi_worker_branch = source[source.index("_collective_all_reduce_multi_worker(strategy)"):]
    assert 'strategy.reduce("MEAN", v, axis=0)' in multi_worker_branch, (
        "Keras no longer reduces scalar logs with axis=0 across workers: delete fix_multiworker_reduce")


def test_keras_still_builds_from_an_all_reduced_distributed_batch(tf_trainer):
    source = inspect.getsource(tf_trainer.TensorFlowTrainer._maybe_symbolic_build)
    assert "distribute_strategy.reduce(" in source and "maybe_distributed_data_batch" in source, (
        "Keras no longer all-reduces the first distributed batch to build: delete build_before_distributing")


def test_the_reduce_fix_is_installed_once_and_keeps_keras_behaviour_elsewhere(tf_trainer, monkeypatch):
    monkeypatch.setattr(tf_trainer, "reduce_per_replica", tf_trainer.reduce_per_replica)
    original = tf_trainer.reduce_per_replica
    keras_fixes.fix_multiworker_reduce()
    patched = tf_trainer.reduce_per_replica
    keras_fixes.fix_multiworker_reduce()
    assert patched is not original and tf_trainer.reduce_per_replica is patched
    import tensorflow as tf

    value = tf.constant([1.0, 3.0])     # no strategy: plain tensors pass through as Keras' own code does
    assert patched(value, tf.distribute.get_strategy(), "mean") is value
