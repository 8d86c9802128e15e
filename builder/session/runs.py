"""What the Train and Results pages know about a run: its curves, progress and outcome.

A run belongs to the session's workspace, not to one page view: ``begin``
files it as the workspace's live run, ``sync`` drains its events into the
workspace and folds the ones this page view has not read into a ``LiveRun``
(``builder.session.live``), so a refresh or a second tab re-finds the run and
its curves, and Stop still reaches it.  A finished run becomes a ``RunRecord``
filed under its data set and design.  Without a workspace (tests, scripts) the
same calls keep everything in the state mapping.  Pure Python.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, MutableMapping

from ..errors import DataError
from ..design.spec import Design
from . import persist, reattach
from .live import ACTIVE_STATES, DONE_STATES, LiveRun, format_seconds, logs  # noqa: F401  (re-exported)

KEEP_RESULTS = 10


# ------------------------------------------------------------ run history

@dataclass
class RunRecord:
    """A finished run kept for the history overlay: its design, settings, curves and outcome."""

    number: int
    design: Design
    history: dict[str, list[float]]
    state: str
    result: Any = None                # the engine's RunResult (None for a run that failed)
    message: str = ""
    dataset_key: str = ""             # what it ran on: "builtin:penguins", "upload:<hash>"
    dataset_name: str = ""

    @property
    def label(self) -> str:
        return f"run {self.number}"

    @property
    def title(self) -> str:
        """``run 3 · penguins · penguins_model``: which data set and design, wherever a run is listed."""
        design = self.design.name if self.design is not None else "?"
        return " · ".join(filter(None, (self.label, self.dataset_name, design)))


def record(runs: list[RunRecord], design: Design, live: LiveRun, dataset: tuple[str, str] = ("", "")) -> RunRecord:
    """Append a finished run to the session's list, numbered from 1 (no workspace: tests and scripts).

    Only the last KEEP_RESULTS runs keep their test predictions: a long session must
    not grow the server's memory run after run; older runs keep their curves.
    """
    entry = RunRecord(len(runs) + 1, design, dict(live.history), live.state, live.result, live.message, *dataset)
    runs.append(entry)
    for old in runs[:-KEEP_RESULTS]:
        old.result = None
    return entry


def with_training(design: Design, settings: Mapping[str, Any], loss_weights: Mapping[str, float]) -> Design:
    """The design with new training settings and head loss weights (checked by the spec).

    Raises:
        DesignError: a setting is out of bounds; the message names it and the value received.
    """
    from ..design.spec import parse_design

    data = design.model_dump()
    data["training"] = {**data["training"], **settings}
    for head in data["heads"]:
        if head["name"] in loss_weights:
            head["loss_weight"] = float(loss_weights[head["name"]])
    return parse_design(data)


# ------------------------------------------------------- session state
# The pages keep the engine's handle under RUN (SHARING for a "does sharing help?" comparison), what
# it has streamed so far in a LiveRun under LIVE[slot], and finished runs, oldest first, under RUNS.

RUN, SHARING, RUNS = "run", "sharing", "runs"
LIVE = {RUN: "run_live", SHARING: "sharing_live"}
FIGURES = "_run_figures"


def begin(state: MutableMapping, slot: str, handle: Any, design: Design, epochs: int) -> LiveRun:
    """Remember a run the engine has just accepted (in the workspace too); ``sync`` reads its events."""
    state[slot] = handle
    live = LiveRun([h.name for h in design.heads], epochs, design=design)
    state[LIVE[slot]] = live
    reattach.begin_live(state, slot, handle, design, epochs)
    return live


def sync(state: MutableMapping, slot: str = RUN) -> LiveRun | None:
    """Fold the events the engine has sent since the last call into the slot's LiveRun.

    A run started by an earlier view of the workspace (before a refresh, or in
    another tab) is re-found first.  A run that has just ended is filed once;
    every page calls this, so a run that ends while the user is elsewhere still lands.
    """
    found = reattach.follow(state, slot)
    if found is not None:
        handle, design, epochs = found
        state[slot], state[LIVE[slot]] = handle, LiveRun([h.name for h in design.heads], epochs, design=design)
    live, handle = state.get(LIVE[slot]), state.get(slot)
    stored = reattach.live_key(state, slot) is not None
    if live is None or (handle is None and not stored):
        return live
    if not live.done:
        live.add_all(reattach.new_events(state, slot, handle) if stored else handle.poll())
        if stored and handle is None and not live.done:
            live.add(reattach.ORPHANED)     # the server restarted: the worker that trained it is gone
        if live.done:
            live.result = getattr(handle, "result", None)
            if live.result is not None and getattr(live.result, "history", None):
                live.history = dict(live.result.history)   # the engine's own record, after early stopping too
    if live.done and not live.recorded:
        _file(state, slot, live)
    return live


def _file(state: MutableMapping, slot: str, live: LiveRun) -> None:
    if reattach.live_key(state, slot) is not None:
        result = live.result
        extra = {"epochs_run": getattr(result, "epochs_run", 0),
                 "single_history": (getattr(result, "sharing", None) or {}).get("single_history", {})}
        stored = persist.store_finished(state, reattach.live_key(state, slot), live.design, live.history,
                                        live.state, live.message, persist.result_arrays(result),
                                        getattr(result, "model_path", None), kind="sharing" if slot == SHARING else "train", extra=extra)
        live.recorded = stored.number
        reattach.end_live(state, slot)
    elif slot == RUN:
        live.recorded = record(state.setdefault(RUNS, []), live.design, live, persist.dataset_key(state)).number


def history(state: MutableMapping, kind: str = "train") -> list[RunRecord]:
    """Finished runs (``kind="sharing"``: comparisons), oldest first, each with its data set and design."""
    if persist.workspace(state) is None:
        return state.setdefault(RUNS, []) if kind == "train" else []
    stored = persist.stored_runs(state, kind)
    cache = state.get(f"_records_{kind}")
    if cache is None or cache[0] is not stored:
        ws = persist.workspace(state)
        cache = (stored, [RunRecord(r.number, persist.run_design(state, r), r.history, r.state,
                                    persist.StoredResult(ws, r), r.message, r.dataset_key, r.dataset_name)
                          for r in stored])
        state[f"_records_{kind}"] = cache
    return cache[1]


def adopt(state: MutableMapping) -> None:
    """Runs a session made before it had a workspace (kept in the state) move into the workspace."""
    if persist.workspace(state) is None:
        return
    for number, old in enumerate(state.pop(RUNS, None) or [], start=1):
        persist.store_finished(state, f"adopted:{id(state)}:{number}", old.design, old.history, old.state, old.message,
                               persist.result_arrays(old.result), getattr(old.result, "model_path", None))
    for slot in (RUN, SHARING):
        live = state.get(LIVE[slot])
        if state.get(slot) is not None and live is not None and not live.done and not reattach.live_key(state, slot):
            reattach.begin_live(state, slot, state[slot], live.design, live.epochs)


def for_dataset(state: MutableMapping, records: list[RunRecord]) -> list[RunRecord]:
    """The runs made on the data set now loaded."""
    key = persist.dataset_key(state)[0]
    return [r for r in records if r.dataset_key == key]


def latest_comparison(state: MutableMapping) -> Any:
    """The latest finished "does sharing help?" comparison on the data set now loaded, or None."""
    if persist.workspace(state) is None:
        live = state.get(LIVE[SHARING])
        return live if live is not None and live.done else None
    done = for_dataset(state, history(state, "sharing"))
    return done[-1] if done else None


def notices(state: MutableMapping) -> list[str]:
    """What the workspace did on its own (models dropped at the size limit), newest last."""
    ws = persist.workspace(state)
    return ws.notices(limit=5) if ws is not None else []


def delete(state: MutableMapping, number: int) -> bool:
    """Delete a finished run (and its model and files) from the workspace or the session."""
    ws = persist.workspace(state)
    if ws is not None:
        return ws.delete_run(number)
    runs = state.setdefault(RUNS, [])
    state[RUNS] = [r for r in runs if r.number != number]
    return len(state[RUNS]) < len(runs)


def earlier_runs(state: MutableMapping, live: LiveRun, limit: int = 3) -> list[tuple[str, dict]]:
    """(label, series) of the last few runs with the same heads as ``live``, not counting ``live`` itself."""
    from ..report.figures import series_from_history

    same_heads = [r for r in history(state) if r.number != live.recorded and r.design is not None
                  and [h.name for h in r.design.heads] == live.heads and r.history]
    return [(r.label, series_from_history(r.history)) for r in same_heads[-limit:]]


def live_figures(state: MutableMapping, live: LiveRun, earlier: list[tuple[str, dict]]):
    """(loss figure, metric figure or None) for the Train page, drawn once per run and then refreshed.

    The fragment redraws twice a second; building the subplots each time would cost
    ~50 ms of the server's CPU, moving the new points in costs ~3 ms.
    """
    from ..report import figures

    signature = (id(live), live.phase, tuple(label for label, _ in earlier))
    cached = state.get(FIGURES)
    if cached is None or cached[0] != signature:
        metrics = {h.name: h.metrics for h in live.design.heads} if live.design is not None else {}
        cached = (signature, figures.loss_figure(live.heads, live.series, earlier, live=True),
                  figures.metric_figure(metrics, live.series, live=True))
        state[FIGURES] = cached
    _, loss, metric = cached
    figures.refresh(loss, live.series)
    if metric is not None:
        figures.refresh(metric, live.series)
    return loss, metric


def latest(state: MutableMapping) -> RunRecord | None:
    """The most recent finished (or stopped) run, after reading any new events."""
    sync(state)
    done = history(state)
    return done[-1] if done else None


def stop(state: MutableMapping, slot: str = RUN) -> None:
    handle = state.get(slot)
    if handle is not None:
        handle.stop()


def model_bytes(run: RunRecord | None) -> bytes | None:
    """The trained model's ``.keras`` file, if the run saved one."""
    path = getattr(run.result, "model_path", None) if run is not None else None
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:       # the temporary file was cleaned up: the user must train again
        return None


def test_results(design: Design, result: Any) -> dict:
    """Per-head results on the test split from the engine's RunResult (empty when there is none)."""
    from ..report.metrics import evaluate

    targets = getattr(result, "test_targets", None)
    predictions = getattr(result, "test_predictions", None)
    if not targets or not predictions or not any(len(v) for v in targets.values()):
        return {}
    return evaluate(design, targets, predictions, getattr(result, "test_weights", None) or None)


def sharing_rows(live: LiveRun) -> list[dict]:
    """Multi-task next to single-task test metrics for a finished comparison, formatted for a table."""
    from ..report.metrics import evaluate, format_metric, sharing_table

    result = live.result
    sharing = getattr(result, "sharing", None) or {}
    if not sharing.get("single") or live.design is None:
        return []
    targets, weights = result.test_targets, getattr(result, "test_weights", None) or None
    multi = evaluate(live.design, targets, sharing["multi"], weights)
    single = evaluate(live.design, targets, sharing["single"], weights)
    return [{**row, "multi-task": format_metric(row["metric"], row["multi-task"]),
             "single-task": format_metric(row["metric"], row["single-task"])}
            for row in sharing_table(multi, single)]


# ----------------------------------------------------------- the engine

_service = None
_service_lock = threading.Lock()


def service():
    """The server-wide training service, started on first use with a warm worker.

    One per server process on purpose: its workers and its cap on concurrent
    runs are shared by every session.
    """
    global _service
    with _service_lock:
        if _service is None:
            from ..train.service import TrainingService

            _service = TrainingService().warm()
        return _service


def start_run(state: MutableMapping, design: Design, dataset: Any) -> LiveRun:
    """Submit a training run of ``design`` on ``dataset``; raises DesignError/DataError before queueing."""
    _check_dataset(dataset)
    handle = service().submit(design, dataset)
    return begin(state, RUN, handle, design, design.training.epochs)


def start_sharing(state: MutableMapping, design: Design, dataset: Any) -> LiveRun:
    """Submit a "does sharing help?" comparison: the design, then each head alone, same budget."""
    _check_dataset(dataset)
    handle = service().submit(design, dataset, kind="sharing")
    return begin(state, SHARING, handle, design, design.training.epochs)


def _check_dataset(dataset: Any) -> None:
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first: training needs data.")
