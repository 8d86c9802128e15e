"""The training loop itself: build, compile, fit with a live callback, save, predict.

This module imports Keras at the top on purpose: only a worker process (or
the headless CLI) imports it, never the page process.  Everything a run
reports goes through ``emit(event_dict)``; everything that can end it early
(Stop, a NaN loss) goes through the callback between executions.

Speed: ``compile(steps_per_execution=N)`` runs N batches per call into the
TensorFlow graph instead of one, which removes most of Keras' per-step
Python overhead on small models.  Callbacks then fire every N batches, so N
is chosen from the design's cost so that one execution stays well under the
one-second progress promise (see ``choose_steps_per_execution``).
"""

from __future__ import annotations

import dataclasses
import gc
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

import keras
import numpy as np

from ..data import Dataset, Prepared, Split, prepare
from ..data.scaling import fold_into_outputs, metrics_in_original_units, standardised
from ..design.spec import Design, Training
from . import keras_fixes, multitask, reuse
from .batching import evaluation_batch_size, steps_per_epoch
from .speed import choose_steps_per_execution, flops_per_sample  # noqa: F401  (re-exported)
from .events import event, flat_logs, head_logs, non_finite_heads

Emit = Callable[[dict], None]
ShouldStop = Callable[[], bool]

PROGRESS_EVERY_S = 0.5          # two updates a second: the page promises at least one


# ------------------------------------------------------------ data for fit

def prepare_data(design: Design, data: Dataset | Prepared, training: Training, test: float = 0.15) -> Prepared:
    """Splits for a run: ``data`` is already prepared, or a dataset to split with the run's seed."""
    if isinstance(data, Prepared):
        return data
    return prepare(design, data, seed=training.seed, val=training.validation_split, test=test)


def keras_targets(design: Design, per_head: dict | None):
    """Keras wants a bare array for a one-output model and a list in head order otherwise."""
    if not per_head:
        return None
    values = [per_head[h.name] for h in design.heads]
    return values[0] if len(values) == 1 else values


def split_for_fit(design: Design, split: Split, scaling: dict | None = None) -> tuple[Any, Any, Any]:
    """(x, y, sample weights) as fit takes them; regression targets standardised by ``scaling``."""
    y = standardised(split.y, scaling) if scaling else split.y
    return split.x, keras_targets(design, y), keras_targets(design, split.sample_weight)


def fit_arguments(design: Design, split, batch_size: int, shuffle: bool, seed: int, distributed: bool = False,
                  scaling: dict | None = None) -> dict:
    """Keyword arguments for ``fit``/``evaluate``: numpy arrays as they are, or a tf.data pipeline.

    Keras' own array adapter is fast but only takes numbers; table data has
    category columns as byte strings, which go through ``tf.data`` instead, as
    does any data under a tf.distribute strategy (Keras cannot distribute
    numpy arrays across workers).
    """
    if hasattr(split, "to_tf"):     # time-series windows (issue 12): batches gathered from one table, no copies
        y = standardised(split.y, scaling) if scaling else split.y
        windows = split.to_tf([h.name for h in design.heads], batch_size, shuffle, seed, y)
        return dict(x=without_autotune(windows), shuffle=False)
    x, y, weights = split_for_fit(design, split, scaling)
    arrays = list(x.values()) if isinstance(x, dict) else [x]
    if not distributed and all(np.asarray(a).dtype.kind in "fiub" for a in arrays):
        rows = _rows(split)
        if keras.backend.backend() == "tensorflow" and rows:
            return dict(x=keras_array_pipeline(x, y, weights, batch_size, shuffle, rows), shuffle=False)
        return dict(x=x, y=y, sample_weight=weights, batch_size=batch_size, shuffle=shuffle)
    import tensorflow as tf

    # Per-output weights as a tuple in head order: how Keras 3 pairs them with a list of outputs.
    weights = tuple(weights) if isinstance(weights, list) else weights
    y = tuple(y) if isinstance(y, list) else y
    parts = (x, y) if weights is None else (x, y, weights)
    ds = tf.data.Dataset.from_tensor_slices(parts)
    if shuffle:
        ds = ds.shuffle(min(max(_rows(split), 1), 10_000), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    # Each worker of a multi-worker run reads every row and keeps its share of each batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE).with_options(options)
    return dict(x=without_autotune(ds), shuffle=False)   # shuffled above


def keras_array_pipeline(x, y, weights, batch_size: int, shuffle: bool, rows: int):
    """The pipeline ``fit(x=arrays)`` builds on TensorFlow (same batches, same shuffle), without autotuning.

    Keras builds it with ``ArrayDataAdapter``; made here, it goes through ``without_autotune``,
    which ``fit`` gives no way to ask for.  Its length is stated so that progress keeps its step count.
    """
    import tensorflow as tf
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    ds = ArrayDataAdapter(x, y, sample_weight=weights, batch_size=batch_size, shuffle=shuffle).get_tf_dataset()
    return without_autotune(ds.apply(tf.data.experimental.assert_cardinality(steps_per_epoch(rows, batch_size))))


def without_autotune(ds):
    """``ds`` with tf.data's autotuning off: same batches in the same order, no pause between epochs.

    ``fit`` drops each epoch's iterator when the next epoch starts, and dropping an autotuned one
    waits for its tuning thread: up to 0.3 s an epoch, half of a 900-row epoch of
    seed-image-class-reg (benchmarks/bench_backend.py).  Without autotuning, parallel maps use one
    thread a core and prefetch buffers stay as set.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def by_head(design: Design, predictions) -> dict[str, np.ndarray]:
    if not isinstance(predictions, (list, tuple)):
        predictions = [predictions]
    return {h.name: np.asarray(p) for h, p in zip(design.heads, predictions)}


# ------------------------------------------------------------- callback

@dataclass
class Outcome:
    """How a fit ended, filled in by the live callback."""

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    stopped: bool = False
    diverged: str | None = None      # the message naming the head
    elapsed: float = 0.0
    callback_s: float = 0.0          # time spent in the live callback itself: the cost of live updates


class LiveCallback(keras.callbacks.Callback):
    """Streams progress and epoch events, honours Stop, and stops on a NaN or infinite loss."""

    def __init__(self, design: Design, training: Training, steps: int, emit: Emit, should_stop: ShouldStop,
                 run_id: str, target_scale: dict[str, float], extra: dict | None = None,
                 scaling: dict | None = None):
        super().__init__()
        self.scaling = scaling or {}     # standardised heads: their mae/mse are reported in original units
        self.heads = [h.name for h in design.heads]
        self.training, self.steps, self.emit, self.should_stop = training, steps, emit, should_stop
        self.run_id, self.target_scale, self.extra = run_id, target_scale, extra or {}
        self.outcome = Outcome()
        self.epoch = 0
        self.started = self.first_step_at = self.last_progress = 0.0
        self.steps_at_first = 0
        self.first_loss: dict[str, float] = {}
        self.last_loss: dict[str, float] = {}

    # -- timing
    def _done_steps(self, step_in_epoch: int) -> int:
        return self.epoch * self.steps + step_in_epoch

    def _eta(self, done: int) -> float | None:
        # Measured from the first finished execution, so tracing time does not inflate the estimate.
        if not self.first_step_at or done <= self.steps_at_first:
            return None
        per_step = (time.monotonic() - self.first_step_at) / (done - self.steps_at_first)
        return per_step * (self.training.epochs * self.steps - done)

    def _base(self, step: int) -> dict:
        done = self._done_steps(step)
        return dict(epoch=self.epoch + 1, epochs=self.training.epochs, step=step, steps=self.steps,
                    elapsed=round(time.monotonic() - self.started, 3), eta=self._eta(done), **self.extra)

    # -- Keras hooks
    def on_train_begin(self, logs=None):
        self.started = self.last_progress = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None):
        started = time.perf_counter()
        self._batch_end(batch, logs)
        self.outcome.callback_s += time.perf_counter() - started

    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        self._epoch_end(epoch, logs)
        self.outcome.callback_s += time.perf_counter() - started

    def _batch_end(self, batch, logs):
        # With steps_per_execution, Keras reports the last step the execution could have reached.
        step = min(batch + 1, self.steps)
        now = time.monotonic()
        done = self._done_steps(step)
        if not self.first_step_at:
            self.first_step_at, self.steps_at_first = now, done
        total, _, per_head = self._head_logs(logs)
        if self._diverged(total, per_head):
            return
        self._remember(per_head)
        if now - self.last_progress >= PROGRESS_EVERY_S or step == 1 or done == self.steps_at_first:
            self.last_progress = now
            self.emit(event("progress", self.run_id, loss=total, heads=per_head,
                            logs=flat_logs(total, None, per_head), **self._base(step)))
        self._check_stop()

    def on_test_batch_end(self, batch, logs=None):
        if self.should_stop():
            self.outcome.stopped = True
            self.model.stop_evaluating = True

    def _epoch_end(self, epoch, logs):
        total, val_total, per_head = self._head_logs(logs)
        if self._diverged(total, per_head) or self._diverged(val_total, per_head, "val_loss"):
            return
        flat = flat_logs(total, val_total, per_head)
        for key, value in flat.items():
            self.outcome.history.setdefault(key, []).append(value)
        self.outcome.epochs_run = epoch + 1
        self.emit(event("epoch", self.run_id, loss=total, val_loss=val_total, heads=per_head, logs=flat,
                        **self._base(self.steps)))
        self.last_progress = time.monotonic()
        self._check_stop()

    def _head_logs(self, logs):
        total, val_total, per_head = head_logs(logs or {}, self.heads)
        return total, val_total, metrics_in_original_units(per_head, self.scaling)

    def on_train_end(self, logs=None):
        self.outcome.elapsed = time.monotonic() - self.started

    # -- stopping
    def _check_stop(self) -> None:
        if self.should_stop():
            self.outcome.stopped = True
            self.model.stop_training = True

    def _remember(self, per_head: dict) -> None:
        for head, values in per_head.items():
            if "loss" in values:
                self.first_loss.setdefault(head, values["loss"])
                self.last_loss[head] = values["loss"]

    def _diverged(self, total: float | None, per_head: dict, key: str = "loss") -> bool:
        bad = non_finite_heads(per_head, key)
        if not bad and (total is None or math.isfinite(total)):
            return False
        head = self._culprit(bad or self.heads)
        value = per_head.get(head, {}).get(key, total)
        word = "NaN" if value is None or math.isnan(value) else "infinite"
        lower = self.training.learning_rate / 10
        self.outcome.diverged = (
            f"head {head!r} diverged (its {'validation ' if key.startswith('val') else ''}loss became {word}) "
            f"at epoch {self.epoch + 1}. Lower the learning rate, e.g. to {lower:g}, or scale the target.")
        self.model.stop_training = True
        return True

    def _culprit(self, candidates: list[str]) -> str:
        """Of several heads gone NaN at once, the one whose loss was growing most, else the largest target."""
        if len(candidates) == 1:
            return candidates[0]
        growth = {h: self.last_loss[h] / max(abs(self.first_loss[h]), 1e-12)
                  for h in candidates if h in self.last_loss}
        if growth and max(growth.values()) > 10:
            return max(growth, key=growth.get)
        return max(candidates, key=lambda h: self.target_scale.get(h, 0.0))


# ------------------------------------------------------------------ run

def make_strategy(name: str | None):
    """A tf.distribute strategy by name, or None to train on the default device."""
    if not name:
        return None
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        keras_fixes.fix_multiworker_reduce()
        return strategy
    raise ValueError(f"strategy must be 'mirrored' or 'multiworker'. Received: strategy={name!r}")


def target_scale(split) -> dict[str, float]:
    scale = {}
    for head, values in (split.y or {}).items():
        finite = np.asarray(values, dtype="float64")
        finite = finite[np.isfinite(finite)]
        scale[head] = float(np.abs(finite).max()) if finite.size else 0.0
    return scale


def fit_model(design: Design, prepared, training: Training, emit: Emit, should_stop: ShouldStop, run_id: str = "run",
              steps_per_execution: int | str = "auto", strategy=None, extra: dict | None = None,
              checkpoint: str | None = None):
    """Build, compile and fit one design; return (model, Outcome).  Emits progress and epoch events.

    With ``checkpoint`` (a ``.keras`` path), the model is saved there as it trains (see ``checkpoint.py``).
    The model is kept for the next run of the same design (``reuse.py``): use it before calling this again.
    """
    # A reused worker must not keep the last run's graphs alive; one collection, not Keras' and a second one
    # (each scans every object the process holds: seconds on a busy 2-core machine; see worker.freeze_warm_state).
    keras.backend.clear_session(free_memory=False)
    gc.collect()
    keras.utils.set_random_seed(training.seed)
    prepared = multitask.with_class_weights(design, prepared)     # per-head class weights
    if strategy is not None:
        # Collective ops inside Keras' multi-step while loop fail to run ("You must feed a value
        # for placeholder tensor ... while/cond/Placeholder"); distributed runs go one step per call.
        steps_per_execution = 1
    elif steps_per_execution == "auto":
        steps_per_execution = choose_steps_per_execution(design, training.batch_size)
    # Regression heads learn standardised targets (builder.data.scaling); only this design's heads.
    scaling = {h.name: prepared.target_scaling[h.name] for h in design.heads if h.name in prepared.target_scaling}
    # The model this design compiled last time in this process when there is one: no tracing again (reuse.py).
    model = reuse.compiled_model(design, training, prepared, steps_per_execution, strategy)
    distributed = strategy is not None
    train_args = fit_arguments(design, prepared.train, training.batch_size, True, training.seed, distributed, scaling)
    validation = None
    val_batch = evaluation_batch_size(design, _rows(prepared.val), training.batch_size)   # fewer, larger batches: fewer traces
    if _rows(prepared.val):
        val_args = fit_arguments(design, prepared.val, val_batch, False, training.seed, distributed, scaling)
        validation = val_args["x"] if "y" not in val_args else (val_args["x"], val_args["y"], val_args["sample_weight"])
    steps = steps_per_epoch(_rows(prepared.train), training.batch_size)
    live = LiveCallback(design, training, steps, emit, should_stop, run_id, target_scale(prepared.train), extra,
                        scaling)
    callbacks = [live]
    if checkpoint:
        from .checkpoint import Checkpoint

        # Before the live callback: an epoch is reported only once its checkpoint (if due) is on disk.
        callbacks.insert(0, Checkpoint(checkpoint))
    if strategy is None:     # loss balancing and the interference meter (single-device runs)
        callbacks += multitask.callbacks(model, design, training, prepared, steps, emit, run_id, extra, scaling)
    if training.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validation else "loss", patience=training.early_stopping_patience,
            restore_best_weights=True))
    if distributed:
        keras_fixes.build_before_distributing(model, strategy, train_args["x"])
    if not should_stop():
        # A tf.data pipeline is batched already; numpy validation data takes the larger batch here.
        val_batching = {"validation_batch_size": val_batch} if isinstance(validation, tuple) else {}
        model.fit(**train_args, validation_data=validation, epochs=training.epochs, verbose=0, callbacks=callbacks,
                  **val_batching)
    else:
        live.outcome.stopped = True
    with strategy.scope() if strategy is not None else nullcontext():
        fold_into_outputs(model, scaling)    # from here on the model predicts in the targets' own units
    return model, live.outcome


def _rows(split: Split | None) -> int:
    return split.n if split is not None else 0


def predict_test(model, design: Design, prepared, batch_size: int) -> dict[str, np.ndarray]:
    if not _rows(prepared.test):
        return {h.name: np.zeros((0, h.output.units), "float32") for h in design.heads}
    args = fit_arguments(design, prepared.test, evaluation_batch_size(design, _rows(prepared.test), batch_size), False, 0)
    args.pop("sample_weight", None), args.pop("shuffle", None)
    if args.pop("y", None) is None:    # a tf.data pipeline of (x, y, weights): predict reads only x
        args["x"] = args["x"].map(lambda *parts: parts[0])
    return by_head(design, model.predict(**args, verbose=0))


def train(design: Design, data: Dataset | Prepared, training: Training | None, emit: Emit, should_stop: ShouldStop,
          run_id: str = "run", model_path: str | None = None, steps_per_execution: int | str = "auto",
          strategy=None, extra: dict | None = None) -> dict:
    """One whole run.  Emits progress/epoch events and returns the payload of the last event.

    The returned dict is the "finished", "stopped" or "error" event: history,
    test predictions and targets, and the saved model's path.  ``extra`` (such as
    which backend trains and why) goes into the "started" and the last event.
    """
    training = training or design.training
    extra = extra or {}
    prepared = prepare_data(design, data, training)
    emit(event("started", run_id, epochs=training.epochs, rows=_rows(prepared.train),
               val_rows=_rows(prepared.val), test_rows=_rows(prepared.test), **extra))
    model, outcome = fit_model(design, prepared, training, emit, should_stop, run_id, steps_per_execution, strategy,
                               checkpoint=model_path if strategy is None else None)
    common = dict(history=outcome.history, epochs_run=outcome.epochs_run, epochs=training.epochs,
                  elapsed=round(outcome.elapsed, 3), **extra)
    if outcome.diverged:
        return event("error", run_id, message=outcome.diverged, diverged=True, **common)
    if model_path:
        from .checkpoint import save_atomically

        save_atomically(model, model_path)
    test_predictions = predict_test(model, design, prepared, training.batch_size)
    return event("stopped" if outcome.stopped else "finished", run_id, model_path=model_path,
                 test_predictions=test_predictions, **_test_split(prepared), **common)


def _test_split(prepared) -> dict:
    """The last event's ``test_targets`` and ``test_weights``: what the test predictions are scored against."""
    return dict(test_targets=dict(prepared.test.y),
                test_weights=dict(prepared.test.sample_weight))


def single_head_design(design: Design, head_name: str) -> Design:
    """The same input and trunk with only one head: the "trained alone" baseline."""
    return design.model_copy(update={"heads": [design.head(head_name)]})


def prepared_for(design: Design, prepared: Prepared) -> Prepared:
    """The same splits with only the targets of ``design``'s heads (inputs are shared, not copied)."""
    names = [h.name for h in design.heads]

    def keep(split: Split) -> Split:
        return Split(split.x, {k: v for k, v in split.y.items() if k in names},
                     {k: v for k, v in split.sample_weight.items() if k in names}, split.n)

    return dataclasses.replace(prepared, design=design, train=keep(prepared.train), val=keep(prepared.val),
                               test=keep(prepared.test))
