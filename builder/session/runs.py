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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, MutableMapping

from ..data import Dataset
from ..design.spec import Design
from ..design.validate import Report
from ..errors import DataError
from . import persist, reattach
from .live import ACTIVE_STATES, LiveRun, format_seconds, logs  # noqa: F401  (re-exported)

if TYPE_CHECKING:     # the service module loads numpy and multiprocessing; only its types are needed here
    from ..train.service import RunHandle, RunResult, TrainingService

KEEP_RESULTS = 10


# ------------------------------------------------------------ run history

@dataclass
class RunRecord:
    """A finished run kept for the history overlay: its design, settings, curves and outcome."""

    number: int
    design: Design
    history: dict[str, list[float]]
    state: str
    result: RunResult | Any = None    # a RunResult, or a StoredResult read from the workspace; None if it failed
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


# ------------------------------------------------------- session state
# The pages keep the engine's handle under RUN (SHARING for a "does sharing help?" comparison), what
# it has streamed so far in a LiveRun under LIVE[slot], and finished runs, oldest first, under RUNS.

RUN, SHARING, RUNS = "run", "sharing", "runs"
LIVE = {RUN: "run_live", SHARING: "sharing_live"}


def begin(state: MutableMapping, slot: str, handle: RunHandle, design: Design, epochs: int) -> LiveRun:
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
            live.result = getattr(handle, "result", None)     # no handle: the server restarted
            if live.result is not None and live.result.history:
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
                                        getattr(result, "model_path", None),
                                        kind="sharing" if slot == SHARING else "train", extra=extra)
        live.recorded = stored.number
        reattach.end_live(state, slot)
    elif slot == RUN:
        live.recorded = record(state.setdefault(RUNS, []), live.design, live, persist.dataset_key(state)).number


def training_line(state: MutableMapping) -> str | None:
    """The sidebar's training status: the Train page's own progress line, once a run exists."""
    live = state.get(LIVE[RUN])
    return live.progress_text() if live is not None else None


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
    path = run.result.model_path if run is not None and run.result is not None else None
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:       # the temporary file was cleaned up: the user must train again
        return None


# ----------------------------------------------------------- submitting

def start_run(state: MutableMapping, service: TrainingService, design: Design, dataset: Dataset | None,
              report: Report | None = None) -> LiveRun:
    """Submit a training run of ``design`` on ``dataset``; raises DesignError/DataError before queueing.

    ``report``: the page's analysis of ``design``, so the service does not analyse it again.
    """
    _check_dataset(dataset)
    handle = service.submit(design, dataset, report=report)
    return begin(state, RUN, handle, design, design.training.epochs)


def start_sharing(state: MutableMapping, service: TrainingService, design: Design,
                  dataset: Dataset | None) -> LiveRun:
    """Submit a "does sharing help?" comparison: the design and each head alone, with k seeds each.

    It has its own epoch setting (``training.compare_epochs``), not the design's.
    """
    _check_dataset(dataset)
    training = design.training.model_copy(update={"epochs": design.training.compare_epochs})
    handle = service.submit(design, dataset, training=training, kind="sharing")
    return begin(state, SHARING, handle, design, training.epochs)


def planned_backend(design: Design) -> str:
    """The backend a Train press would use for ``design``, and why."""
    from ..train import backend as backends

    return backends.choose(design).describe()


def _check_dataset(dataset: Dataset | None) -> None:
    if dataset is None:
        raise DataError("pick or upload a dataset on the Data page first: training needs data.")
