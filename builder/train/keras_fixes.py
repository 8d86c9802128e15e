"""Work-arounds for Keras 3.15's multi-worker training (``--strategy multiworker``), in one place.

Both patch private Keras internals, so they are kept apart from the engine, applied only in a
multi-worker CLI process, and pinned to the Keras version they were written for:
``tests/test_keras_fixes.py`` reproduces each Keras bug without the fix and fails once a Keras
release no longer has it, which is the signal to delete the work-around.
"""

from __future__ import annotations

FOR_KERAS = "3.15"     # the Keras minor version these work-arounds were written and tested for


def fix_multiworker_reduce() -> None:
    """Keras 3.15 averages each step's scalar logs across workers with ``axis=0``, which a scalar has not.

    TensorFlow then refuses the graph ("Invalid reduction dimension 0 for input
    with 0 dimensions").  Average scalars over replicas without an axis instead;
    everything else keeps Keras' own reduction.  Only a multi-worker CLI run
    (its own process) installs this.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "_builder_fixed", False):
        return
    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            def mean(v):
                if isinstance(v, tf.distribute.DistributedValues):
                    return strategy.reduce("MEAN", v, axis=None)
                return v
            return trainer.tree.map_structure(mean, values)
        return original(values, strategy, reduction)

    reduce_per_replica._builder_fixed = True
    trainer.reduce_per_replica = reduce_per_replica


def build_before_distributing(model, strategy, dataset) -> None:
    """Build metrics and optimizer state from one local batch before ``fit`` distributes the data.

    Keras 3.15 otherwise builds them from the first *distributed* batch, which it
    averages across workers with an all-reduce that MultiWorkerMirroredStrategy
    rejects ("Attempt to convert a value (PerReplica...) to a Tensor").
    """
    batch = next(iter(dataset.take(1)))
    with strategy.scope():
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
