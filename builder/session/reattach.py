"""A run belongs to the workspace, not to one page view: find it again after a refresh or in another tab.

The training service is server-wide and hands out each event once.  Here a
live run gets a key (this server process's token plus the service's run id),
filed in the workspace as its live run; a server-wide registry maps the key
to the engine's handle.  ``new_events`` drains the handle into the workspace
and returns what this page view has not read, so every view of the
workspace sees every event, and a fresh view rebuilds the curves so far and
can still press Stop.  After a server restart the key finds no handle: the
run is reported as cut off (``ORPHANED``), with its curves kept.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from ..errors import DesignError
from ..design.spec import Design, parse_design
from .persist import design_key, workspace

ORPHANED = {"type": "error", "message": "the server restarted while this run was training, so it ended there. "
                                        "Its curves so far are kept; press Train to run it again."}
State = MutableMapping[str, Any]


class LiveRegistry:
    """Server-wide: which handle is training for which live key, so a fresh page view re-finds its run.

    The key joins this server process's token with the service's run id, so a
    run id reused after a restart never matches an old workspace entry.
    """

    def __init__(self):
        self.token = uuid.uuid4().hex[:12]
        self._handles: dict[str, Any] = {}
        self._lock = threading.Lock()

    def add(self, handle: Any) -> str:
        key = f"{self.token}:{getattr(handle, 'run_id', id(handle))}:{time.monotonic_ns()}"
        with self._lock:
            self._handles[key] = handle
        return key

    def get(self, key: str) -> Any:
        with self._lock:
            return self._handles.get(key)

    def forget(self, key: str) -> None:
        with self._lock:
            self._handles.pop(key, None)


_registry = LiveRegistry()


def registry() -> LiveRegistry:
    return _registry


def begin_live(state: State, slot: str, handle: Any, design: Design, epochs: int) -> None:
    """A run has just started: file it as this workspace's live run, so any page view finds it."""
    ws = workspace(state)
    if ws is None:
        return
    key = registry().add(handle)
    ws.put_design(design.model_dump_json(), design_key(state, design))
    ws.set(f"live:{slot}", {"key": key, "design": design_key(state, design), "epochs": epochs})
    state[f"_ws_live_{slot}"] = [key, 0]


def follow(state: State, slot: str) -> tuple[Any, Design, int] | None:
    """(handle or None, design, epochs) of a live run this page view has not seen yet, else None.

    That is a run started before a refresh, or in another tab of the same
    workspace.  The handle is None when the server has restarted since.
    """
    ws = workspace(state)
    info = ws.get(f"live:{slot}") if ws is not None else None
    mine = state.get(f"_ws_live_{slot}")
    if not info or (mine and mine[0] == info["key"]):
        return None
    text = ws.design(info["design"])
    try:
        design = parse_design(text) if text else None
    except DesignError:
        design = None
    if design is None:
        return None
    state[f"_ws_live_{slot}"] = [info["key"], 0]
    return registry().get(info["key"]), design, int(info.get("epochs", 0))


def live_key(state: State, slot: str) -> str | None:
    mine = state.get(f"_ws_live_{slot}")
    return mine[0] if mine and workspace(state) is not None else None


def new_events(state: State, slot: str, handle: Any) -> list[dict]:
    """Drain the handle into the workspace, then return the events this page view has not read yet.

    Every page view of the workspace reads the same stored events, so two tabs
    both see every event even though the handle hands each event out once.
    """
    ws, (key, cursor) = workspace(state), state[f"_ws_live_{slot}"]
    if handle is not None:
        ws.add_events(key, handle.poll())
    rows = ws.events(key, after=cursor)
    if rows:
        state[f"_ws_live_{slot}"] = [key, rows[-1][0]]
    return [event for _, event in rows]


def end_live(state: State, slot: str) -> None:
    """The live run has ended and is filed: it is no longer the workspace's live run."""
    ws, key = workspace(state), live_key(state, slot)
    if ws is None or key is None:
        return
    ws.clear_if(f"live:{slot}", "key", key)
    registry().forget(key)
