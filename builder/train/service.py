"""The server-wide training service and the per-run handle a page keeps in its session.

One ``TrainingService`` lives in the server process (the page holds it with
``st.cache_resource``).  It owns worker processes with TensorFlow already
imported, caps how many runs train at once, queues the rest in order, and a
background thread routes each worker's events to the run's ``RunHandle``.
The handle keeps the history so far, so a user who leaves the page and comes
back finds the run where it is.  Nothing here imports TensorFlow.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing as mp
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import types
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


from ..model.build import as_design
from ..design.spec import Design, Training
from ..design.validate import Report
from . import backend as backends, rehearsal, traces
from .events import DONE_TYPES, event
from .handle import RunHandle, RunResult, log_end  # noqa: F401  (RunResult re-exported)
from ..errors import DesignError
from .memory import check_memory, data_nbytes
from .worker import READY, Job, worker_main

# A worker that has not ended its run this long after Stop is killed; the run keeps its last checkpoint.
STOP_GRACE_S = float(os.environ.get("BUILDER_STOP_GRACE_S", 10))
# A run waits this long for a rehearsal on a worker of its backend (about a second, normally) before it
# takes another worker: a rehearsal that hangs must not hold a run back.
REHEARSAL_WAIT_S = 20.0
DEAD_WORKER_MESSAGE = ("the training process ended unexpectedly (exit code {code}). "
                       "The model or the data may be too large for memory: try a smaller batch size or model.")


def _drain(events, most: int = 256) -> list[dict]:
    """The events waiting in one worker's queue, without blocking."""
    out = []
    try:
        while len(out) < most:
            out.append(events.get_nowait())
    except (queue.Empty, EOFError, OSError, ValueError):
        pass
    return out


@contextmanager
def _main_module_hidden():
    """Start a spawned worker without making it re-run this process's main script.

    'spawn' imports the parent's ``__main__`` file in the child.  Under
    ``streamlit run``, ``__main__`` is the page script itself, so each worker
    would run the app, start its own service and fail.  The worker needs
    nothing from ``__main__`` (its target lives in ``builder.train.worker``),
    so a bare module stands in while the process starts.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@dataclass
class _Worker:
    """One worker process as the service sees it: its queues, and the run it is training, if any."""

    id: int
    process: Any
    jobs: Any                         # the job queue into the process
    stop: Any                         # the Stop flag it checks between batch groups
    ready: bool = False               # TensorFlow (or JAX) imported and warmed up
    run: RunHandle | None = None
    job: Job | None = None
    answered: bool = False            # the worker has sent an event of its current run: it took the job
    stop_since: float | None = None   # when Stop was passed on, for the grace period
    handed_at: float = 0.0            # when it took its current job
    backend: str = "tensorflow"       # the Keras backend, fixed for the process's life
    # Its own event queue: a process killed while writing to a queue leaves that queue's lock held
    # forever, so a shared queue would silence every later worker (seen once fast JAX epochs made a
    # worker write dozens of events a second).
    events: Any = None
    # What its last jobs traced and kept (rehearsal keys, newest last): a rehearsal it did already is not sent again.
    prepared: deque = field(default_factory=lambda: deque(maxlen=traces.KEEP_MODELS))

    @property
    def rehearsing(self) -> bool:
        return self.run is not None and self.run.kind == "rehearse"


class TrainingService:
    """Server-wide: warm workers, a cap on concurrent runs, a queue for the rest.

    Args:
        max_concurrent: most runs training at once; default ``os.cpu_count()``.
        warm_workers: workers kept started and idle, TensorFlow imported, for the next Train press.
        workdir: where workers save trained models; a temporary folder removed at shutdown by default.

    Example:
        >>> service = TrainingService().warm()          # at server start (st.cache_resource)
        >>> handle = service.submit(design, dataset)    # on Train
        >>> handle.poll()                               # from st.fragment(run_every=0.5)
    """

    def __init__(self, max_concurrent: int | None = None, warm_workers: int = 1, workdir: str | None = None,
                 backend: str | None = None):
        self.max_concurrent = max(1, max_concurrent or os.cpu_count() or 1)
        self.warm_workers = max(0, min(warm_workers, self.max_concurrent))
        self._own_workdir = workdir is None
        self.backend = backend   # None: BUILDER_KERAS_BACKEND, else one per design
        self.workdir = workdir or tempfile.mkdtemp(prefix="builder-runs-")
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._waiting: deque[tuple[RunHandle, Job]] = deque()
        self._handles: dict[str, RunHandle] = {}
        self._ids = itertools.count(1)
        self._rehearsal_ids = itertools.count(1)
        self._rehearsal: tuple[Job, RunHandle] | None = None     # the latest one asked for, not yet handed out
        self._worker_ids = itertools.count(1)
        self._closed = False
        self._router = threading.Thread(target=self._route, name="training-events", daemon=True)
        self._router.start()
        atexit.register(self.shutdown)

    # ------------------------------------------------------------ public
    def warm(self) -> "TrainingService":
        """Start the warm workers in the background (returns at once); call at server start."""
        with self._lock:
            while len(self._workers) < self.warm_workers:
                self._spawn(backends.warm_default(self.backend))
        return self

    def choose_backend(self, design: Design | dict | str) -> "backends.Choice":
        """the Keras backend this service would train ``design`` on, and why."""
        return backends.choose(as_design(design), force=self.backend)

    def submit(self, design: Design | dict | str, data: Any, training: Training | None = None,
               kind: str = "train", steps_per_execution: int | str = "auto", report: Report | None = None) -> RunHandle:
        """Queue a run of ``design`` on ``data`` (a ``builder.data.Dataset`` or prepared splits).

        ``kind="sharing"`` trains the design and then each head alone (same trunk, same
        budget) and puts every head's test predictions on ``result.sharing``.

        Raises:
            DesignError: the design has errors, or it would not fit in memory.
        """
        if kind not in ("train", "sharing"):
            raise ValueError(f"kind must be 'train' or 'sharing'. Received: kind={kind!r}")
        design = as_design(design, report)      # the page's own analysis of this design, when it passes one
        training = training or design.training
        check_memory(design, training, data_nbytes(data), report=report)
        run_id = f"run{next(self._ids)}"
        handle = RunHandle(run_id, design, training, kind, self)
        handle.backend = self.choose_backend(design)
        job = Job(run_id, kind, design.model_dump_json(), training.model_dump_json(), data,
                  os.path.join(self.workdir, f"{run_id}.keras"), steps_per_execution,
                  backend=handle.backend.name, backend_reason=handle.backend.reason,
                  key=traces.key(design, training, data) if kind == "train" else "")
        with self._lock:
            if self._closed:
                raise RuntimeError("the training service has been shut down")
            self._handles[run_id] = handle
            self._waiting.append((handle, job))
            self._schedule()
            self._announce_places()
        return handle

    def get_ready(self, design: Design | dict | str, data: Any, training: Training | None = None,
                  report: Report | None = None) -> None:
        """Prepare for a Train press of ``design`` on ``data``; returns at once (see ``rehearsal.py``).

        A worker of the design's backend is started if there is none, and once idle it rehearses the run:
        it traces every step function and keeps the model, so the run itself starts without tracing.
        Nothing happens for large data, a design that would not fit in memory, or one prepared already.
        """
        nbytes = data_nbytes(data) if data is not None else 0
        if data is None or nbytes > rehearsal.REHEARSE_MAX_BYTES:
            return
        design = as_design(design, report)
        training = training or design.training
        try:
            check_memory(design, training, nbytes, report=report)
        except DesignError:
            return
        key = traces.key(design, training, data)
        backend = self.choose_backend(design).name
        with self._lock:
            if self._closed or (self._rehearsal is not None and self._rehearsal[0].key == key):
                return
            run_id = f"rehearsal{next(self._rehearsal_ids)}"
            job = Job(run_id, "rehearse", design.model_dump_json(), training.model_dump_json(), data, None,
                      backend=backend, key=key)
            self._rehearsal = (job, RunHandle(run_id, design, training, "rehearse", self))
            self._schedule()

    def queue_length(self) -> int:
        with self._lock:
            return len(self._waiting)

    def worker_pids(self, idle: bool | None = None) -> list[int]:
        """Process ids of the workers (only idle ones, or only busy ones), for operators and fault tests."""
        with self._lock:
            return [w.process.pid for w in self._workers
                    if w.process.pid is not None and (idle is None or _idle(w) == idle)]

    def running(self) -> int:
        """Runs training now (a rehearsal is not one)."""
        with self._lock:
            return sum(1 for w in self._workers if not _idle(w))

    def shutdown(self) -> None:
        """Stop every worker and remove saved models (when the service made the folder)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._workers = self._workers, []
        for w in workers:
            w.stop.set()
            try:
                w.jobs.put(None)
            except (OSError, ValueError):
                pass
        for w in workers:
            w.process.join(timeout=3)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=2)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ---------------------------------------------------------- workers
    def _spawn(self, backend: str = "tensorflow") -> _Worker:
        jobs, stop, events = self._ctx.Queue(), self._ctx.Event(), self._ctx.Queue()
        wid = next(self._worker_ids)
        process = self._ctx.Process(target=worker_main, args=(wid, jobs, events, stop, backend),
                                    name=f"builder-train-{wid}", daemon=True)
        with _main_module_hidden():
            process.start()
        worker = _Worker(wid, process, jobs, stop, backend=backend, events=events)
        self._workers.append(worker)
        return worker

    def _schedule(self) -> None:
        """Give waiting runs to free workers, starting new workers up to the cap."""
        for w in [w for w in self._workers if w.run is None and not w.process.is_alive()]:
            self._workers.remove(w)         # died while idle: never hand it a run
        while self._waiting:
            wanted = self._waiting[0][1].backend   # a worker of the run's backend
            free = [w for w in self._workers if w.run is None and w.backend == wanted]
            worker = next((w for w in free if w.ready), None) or next(iter(free), None)
            if worker is None and any(w.rehearsing and w.backend == wanted
                                      and time.monotonic() - w.handed_at < REHEARSAL_WAIT_S for w in self._workers):
                self._waiting[0][0].status = "starting"    # not queued behind anyone: its worker is getting ready
                return      # its rehearsal ends within a second or two, sooner than a new worker starts
            if worker is None and len(self._workers) >= self.max_concurrent:
                self._retire_one_idle()             # an idle worker of the other backend makes room
            if worker is None and len(self._workers) < self.max_concurrent:
                worker = self._spawn(wanted)
            if worker is None:
                self._waiting[0][0].status = "queued"      # behind other runs (again, after a hung rehearsal)
                return
            handle, job = self._waiting.popleft()
            self._hand(worker, handle, job)
        self._rehearse_next()

    def _hand(self, worker: _Worker, handle: RunHandle, job: Job) -> None:
        worker.stop.clear()        # cleared here, before the job exists, so an early Stop is never lost
        worker.run, worker.job, worker.answered, worker.stop_since = handle, job, False, None
        worker.handed_at = time.monotonic()
        handle.status = "running" if worker.ready else "starting"
        handle.queue_place = None
        if job.key:
            worker.prepared.append(job.key)
        worker.jobs.put(job)

    def _rehearse_next(self) -> None:
        """Hand the rehearsal asked for last to an idle worker of its backend, starting one if there is none."""
        if self._rehearsal is None:
            return
        job, handle = self._rehearsal
        ours = [w for w in self._workers if w.backend == job.backend]
        if any(job.key in w.prepared for w in ours):
            self._rehearsal = None          # traced already: by a rehearsal or by a run of the same design
            return
        if not ours:
            # No worker of its backend: start one now if there is room, so Train does not wait for it to start.
            # Never by retiring another worker: two pages showing designs of different backends would take
            # turns starting workers.
            if len(self._workers) < self.max_concurrent:
                self._spawn(job.backend)
            return                          # handed out when the worker is ready (_mark_ready)
        worker = next((w for w in ours if w.run is None and w.ready), None)
        if worker is not None:
            self._rehearsal = None
            self._handles[job.run_id] = handle
            self._hand(worker, handle, job)

    def _retire_one_idle(self) -> None:
        idle = next((w for w in self._workers if w.run is None), None)
        if idle is not None:
            idle.jobs.put(None)
            self._workers.remove(idle)

    def _announce_places(self) -> None:
        for place, (handle, _) in enumerate(self._waiting, start=1):
            # One waiting only for its worker's rehearsal to end is starting, not queued behind anyone.
            if handle.queue_place != place and handle.status != "starting":
                handle._deliver(event("queued", handle.run_id, place=place))

    def _stop(self, handle: RunHandle) -> None:
        with self._lock:
            for i, (waiting, _) in enumerate(self._waiting):
                if waiting is handle:
                    del self._waiting[i]
                    handle._deliver(event("stopped", handle.run_id, history={}, epochs_run=0))
                    self._announce_places()
                    return
            for w in self._workers:
                if w.run is handle:
                    w.stop.set()
                    w.stop_since = w.stop_since or time.monotonic()

    # ----------------------------------------------------------- router
    def _route(self) -> None:
        """Background thread: deliver worker events to handles; notice finished runs and dead workers."""
        last_check = time.monotonic()
        while not self._closed:
            if time.monotonic() - last_check > 0.5:   # even while events stream, look for dead and hung workers
                self._reap_dead()
                self._kill_unstoppable()
                with self._lock:
                    if self._waiting:
                        self._schedule()              # a run that waited for a rehearsal too long moves on
                last_check = time.monotonic()
            with self._lock:
                queues = [w.events for w in self._workers]
            received = [ev for q in queues for ev in _drain(q)]
            for ev in received:
                self._handle_event(ev)
            if not received:
                time.sleep(0.02)

    def _handle_event(self, ev: dict) -> None:
        with self._lock:
            if ev["type"] == READY:
                self._mark_ready(ev["worker"])
                return
            handle = self._handles.get(ev.get("run_id"))
            if handle is None:
                return
            for w in self._workers:
                if w.run is handle:
                    w.answered = True
            handle._deliver(ev)
            if ev["type"] in DONE_TYPES:
                if ev.get("worker_retiring"):
                    self._retire(handle)
                self._release(handle)

    def _mark_ready(self, worker_id: int) -> None:
        for w in self._workers:
            if w.id == worker_id:
                w.ready = True
                if w.run is not None and w.run.status == "starting":
                    w.run.status = "running"
        self._schedule()

    def _retire(self, handle: RunHandle) -> None:
        """The worker that ran ``handle`` is exiting to give back memory; forget it."""
        for w in list(self._workers):
            if w.run is handle:
                self._workers.remove(w)

    def _release(self, handle: RunHandle) -> None:
        self._handles.pop(handle.run_id, None)
        for w in self._workers:
            if w.run is handle:
                w.run, w.job, w.stop_since = None, None, None
                # The worker that just ran is the one kept warm: its backend is the one in use.
                self._workers.remove(w)
                self._workers.insert(0, w)
                break
        self._retire_extra_idle()
        self._refill()

    def _refill(self) -> None:
        """After a worker left or a run ended: keep the warm workers, hand out waiting runs, renumber the queue."""
        while len(self._workers) < self.warm_workers and not self._closed:
            self._spawn(backends.warm_default(self.backend))
        self._schedule()
        self._announce_places()

    def _retire_extra_idle(self) -> None:
        """Idle workers beyond the warm ones give their memory back."""
        idle = [w for w in self._workers if w.run is None and w.ready]
        for w in idle[self.warm_workers:] if not self._waiting else []:
            w.jobs.put(None)
            self._workers.remove(w)

    def _reap_dead(self) -> None:
        with self._lock:
            dead = [w for w in self._workers if not w.process.is_alive()]
            for w in dead:
                for ev in _drain(w.events):     # what it said before it died (its last event, an error)
                    self._handle_event(ev)
            dead = [w for w in dead if w in self._workers]    # a drained last event may have retired it
            for w in dead:
                self._workers.remove(w)
                if w.rehearsing:
                    self._handles.pop(w.run.run_id, None)     # only a speed-up: nobody waits for it
                if w.run is None or w.rehearsing:
                    continue
                if not w.answered and w.stop_since is None and not w.job.retried:
                    # It died before taking the job (killed while idle, just as the run was handed over):
                    # the run itself did nothing wrong, so it goes first in line for the next worker.
                    w.job.retried = True
                    self._waiting.appendleft((w.run, w.job))
                    w.run.status = "queued"
                    continue
                self._end_lost_run(w, DEAD_WORKER_MESSAGE.format(code=w.process.exitcode))
            if dead:
                self._refill()

    def _kill_unstoppable(self) -> None:
        """A worker that has not ended its run within STOP_GRACE_S of Stop is killed; the run ends stopped."""
        with self._lock:
            now = time.monotonic()
            hung = [w for w in self._workers if w.run is not None and w.stop_since is not None
                    and now - w.stop_since > STOP_GRACE_S]
            for w in hung:
                w.process.kill()
                w.process.join(timeout=5)
                self._workers.remove(w)
                self._end_lost_run(w, None)
            if hung:
                self._refill()

    def _end_lost_run(self, worker: _Worker, error: str | None) -> None:
        """End the run of a worker that is gone: an error, or (after Stop) "stopped" with its last checkpoint."""
        handle = worker.run
        if error is not None and worker.stop_since is None:
            handle._deliver(event("error", handle.run_id, message=error))
        else:
            path = worker.job.model_path if worker.job and worker.job.model_path else None
            saved = path if path and os.path.exists(path) else None
            handle._deliver(event("stopped", handle.run_id, history=dict(handle.history), model_path=saved,
                                  epochs_run=len(handle.history.get("loss", [])), test_predictions={},
                                  test_targets={}, forced=True))
        self._handles.pop(handle.run_id, None)


def _idle(worker: _Worker) -> bool:
    """Not training a run (a rehearsal is only a speed-up, and any run takes its worker next)."""
    return worker.run is None or worker.rehearsing
