"""The session and its workspace: restore everything on a fresh page view, save what changed after each run.

A page view's state (``st.session_state``, or any dict in tests) is a cache of
its workspace (``builder.session.workspace``).  ``restore`` fills a fresh
state from the workspace: the dataset (an upload is read again from its
stored bytes), the roles, the design with its undo and redo history, and a
run still training (re-found through the server-wide registry of live
runs).  ``save`` writes back only what changed, found by object identity, so
a script run that changed nothing costs a few dictionary lookups.  Finished
runs and comparisons go to the workspace as they end, with their curves,
test arrays and model; the session's run list is read back from it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ..errors import DataError, DesignError
from ..design.spec import Design, parse_design
from . import dataset as session_dataset
from . import design as session_design
from .workspace import StoredRun, Workspace, content_key

WS, SAVED, KEYS, URL_ID = "_workspace", "_ws_saved", "_ws_design_keys", "_ws_url_id"
UPLOAD = "dataset_upload"         # {"name", "file", "key"} of the uploaded data now loaded
State = MutableMapping[str, Any]


def attach(state: State, ws: Workspace) -> Workspace:
    state[WS] = ws
    state[SAVED] = {}
    state[KEYS] = {}
    return ws


def workspace(state: State) -> Workspace | None:
    return state.get(WS)


# ---------------------------------------------------------------- restore

def open_workspace(state: State, workspace_id: str | None, first_visit: bool) -> list[str]:
    """Give a page view its workspace: the one its link names, or a new one; returns messages.

    A first visit (no design in the link) to a new workspace opens on penguins, ready to train.
    """
    ws, seen = workspace(state), state.get(URL_ID)
    state[URL_ID] = workspace_id
    if ws is not None and (not workspace_id or workspace_id in (ws.id, seen)):
        return []                       # this page view has it (the URL may still name the one it left)
    problems: list[str] = []
    if workspace_id:
        try:
            ws = Workspace.open(workspace_id)
            problems = restore(state, ws)
            if ws.get("design") is None and first_visit:
                session_dataset.start_session(state)
            return problems
        except DataError as e:
            problems.append(str(e))
    if first_visit:
        session_dataset.start_session(state)
    attach(state, Workspace.create())
    return problems


def new_workspace(state: State) -> None:
    """Start over in a new, empty workspace (the old one stays on the server under its own link)."""
    # Until this run rewrites it, the URL still names the old workspace and design: not a link to follow.
    seen = (state.get(URL_ID), session_design.url_text(state), design_key(state, session_design.current(state)))
    state.clear()
    state[URL_ID], state["_restored_url"], state["_restored_key"] = seen
    session_dataset.start_session(state)
    attach(state, Workspace.create())


def restore(state: State, ws: Workspace) -> list[str]:
    """Fill a fresh session from ``ws``; returns messages about anything that could not come back."""

    attach(state, ws)
    problems: list[str] = []
    try:
        _restore_dataset(state, ws)
    except DataError as e:
        problems.append(str(e))
    saved = ws.get("design")
    if saved:
        designs = ws.designs([saved["current"], *saved.get("undo", []), *saved.get("redo", [])])
        current = _parsed(designs, saved["current"], state)
        if current is not None:
            state[session_design.DESIGN] = current
            state[session_design.HISTORY] = session_design.History(
                undo=[d for d in (_parsed(designs, k, state) for k in saved.get("undo", [])) if d is not None],
                redo=[d for d in (_parsed(designs, k, state) for k in saved.get("redo", [])) if d is not None])
        else:
            problems.append("the design saved in this workspace could not be read; the starting design is shown.")
    session_design.ensure(state)
    session_design.url_text(state)      # the link of the design brought back counts as this view's own
    state[SAVED] = _signatures(state)
    return problems


def _parsed(designs: dict[str, str], key: str, state: State) -> Design | None:
    try:
        design = parse_design(designs[key])
    except (KeyError, DesignError):
        return None
    state[KEYS][id(design)] = (design, key)
    return design


def _restore_dataset(state: State, ws: Workspace) -> None:

    source = ws.get("dataset")
    if not source:
        return
    if source["kind"] == "builtin":
        from ..data import load_builtin

        dataset = load_builtin(source["name"])
    else:
        from ..data import read_csv

        dataset = read_csv(ws.upload_bytes(source["file"]), name=source["name"])
    session_dataset.set_dataset(state, dataset)
    state[session_design.ROLES].update(source.get("roles", {}))
    state[session_design.KINDS] = dict(source.get("kinds", {}))
    state[session_dataset.BUILTIN_KEY] = source["name"] if source["kind"] == "builtin" else None
    if source["kind"] == "upload":
        state[UPLOAD] = {k: source[k] for k in ("name", "file", "key")}


# ------------------------------------------------------------------ save

def keep_upload(state: State, name: str, data: bytes) -> None:
    """Remember the bytes of an upload just loaded, so a refresh or restart reads them again."""
    ws = workspace(state)
    file = ws.save_upload(name, data) if ws is not None else None
    state[UPLOAD] = {"name": name, "file": file, "key": f"upload:{content_key(data)}"}


def save(state: State) -> None:
    """Write what changed since the last save (design and its history, dataset and roles)."""
    ws = workspace(state)
    if ws is None:
        return
    now = _signatures(state)
    before = state.get(SAVED) or {}
    if now["design"] != before.get("design"):
        _save_design(state, ws)
    if now["dataset"] != before.get("dataset"):
        ws.set("dataset", dataset_source(state))
    state[SAVED] = now


def _signatures(state: State) -> dict:
    history = state.get(session_design.HISTORY)
    undo, redo = (history.undo, history.redo) if history is not None else ([], [])
    design_sig = (id(state.get(session_design.DESIGN)), tuple(map(id, undo)), tuple(map(id, redo)))
    data_sig = (id(state.get(session_design.DATASET)), repr(state.get(session_design.ROLES)),
                repr(state.get(session_design.KINDS)), repr(state.get(UPLOAD)))
    return {"design": design_sig, "dataset": data_sig}


def design_key(state: State, design: Design) -> str:
    """The workspace key of a design (its content hash), computed once per design object."""
    keys = state.setdefault(KEYS, {})
    known = keys.get(id(design))
    if known is None or known[0] is not design:
        known = (design, content_key(design.model_dump_json()))
        keys[id(design)] = known
    return known[1]


def _save_design(state: State, ws: Workspace) -> None:
    session_design.ensure(state)
    design, history = state[session_design.DESIGN], state[session_design.HISTORY]
    alive = [design, *history.undo, *history.redo]
    fresh = {design_key(state, d): d for d in alive if id(d) not in state[KEYS] or state[KEYS][id(d)][0] is not d}
    ws.put_designs({key: d.model_dump_json() for key, d in fresh.items()})
    state[KEYS] = {id(d): (d, design_key(state, d)) for d in alive}      # forget designs no longer reachable
    ws.set("design", {"current": design_key(state, design), "undo": [design_key(state, d) for d in history.undo],
                      "redo": [design_key(state, d) for d in history.redo]})


def dataset_source(state: State) -> dict | None:
    """How to load the current dataset again: a built-in's name or an upload's stored file, plus the roles."""

    dataset = state.get(session_design.DATASET)
    if dataset is None:
        return None
    roles = dict(state.get(session_design.ROLES) or {})
    kinds = dict(state.get(session_design.KINDS) or {})
    builtin = state.get(session_dataset.BUILTIN_KEY)
    if builtin:
        return {"kind": "builtin", "name": builtin, "key": f"builtin:{builtin}", "roles": roles, "kinds": kinds}
    upload = state.get(UPLOAD)
    if upload and upload.get("file"):
        return {"kind": "upload", **upload, "roles": roles, "kinds": kinds}
    return None


def dataset_key(state: State) -> tuple[str, str]:
    """(key, name) of the dataset now loaded: what a run is filed under."""

    dataset = state.get(session_design.DATASET)
    if dataset is None:
        return "", ""
    source = dataset_source(state)
    return (source["key"] if source else f"data:{dataset.name}"), dataset.name


# ------------------------------------------------------------------ runs

def store_finished(state: State, run_id: str, design: Design, history: dict, status: str, message: str,
                   arrays: dict | None, model_path: Any = None, kind: str = "train",
                   extra: dict | None = None) -> StoredRun | None:
    """File a finished run (or comparison) in the workspace under the current dataset; None without one."""
    ws = workspace(state)
    if ws is None:
        return None
    key = design_key(state, design)
    ws.put_design(design.model_dump_json(), key)
    data_key, data_name = dataset_key(state)
    run = StoredRun(0, run_id, kind, key, design.name, data_key, data_name, status, message,
                    {k: [float(v) for v in vs] for k, vs in (history or {}).items()}, extra or {})
    return ws.add_run(run, arrays, model_path)


def stored_runs(state: State, kind: str = "train") -> list[StoredRun]:
    """The workspace's runs (or comparisons), read again only when one was added or deleted."""
    ws = workspace(state)
    if ws is None:
        return []
    cache_key = f"_ws_runs_{kind}"
    signature = ws.run_count()
    cached = state.get(cache_key)
    if cached is None or cached[0] != signature:
        cached = (signature, ws.runs(kind))
        state[cache_key] = cached
    return cached[1]


def run_design(state: State, run: StoredRun) -> Design | None:
    """The design a stored run trained (parsed once per key)."""
    cache = state.setdefault("_ws_run_designs", {})
    if run.design not in cache:
        text = workspace(state).design(run.design)
        try:
            cache[run.design] = parse_design(text) if text else None
        except DesignError:
            cache[run.design] = None
    return cache[run.design]


class StoredResult:
    """A stored run's outcome with the engine's ``RunResult`` attributes; test arrays load on first use.

    ``problem`` says why the arrays could not be read (a missing or damaged file), for that run only.
    """

    def __init__(self, ws: Workspace, run: StoredRun):
        self._ws, self._run = ws, run
        self._arrays: dict | None = None
        self.problem: str | None = None
        self.history = run.history
        self.epochs_run = int(run.extra.get("epochs_run", len(run.history.get("loss", []))))

    @property
    def model_path(self) -> str | None:
        path = self._ws.model_path(self._run)
        return str(path) if path else None

    def arrays(self) -> dict:
        if self._arrays is None:
            try:
                self._arrays = self._ws.arrays(self._run)
            except DataError as e:
                self._arrays, self.problem = {}, str(e)
        return self._arrays

    test_predictions = property(lambda self: self.arrays().get("predictions", {}))
    test_targets = property(lambda self: self.arrays().get("targets", {}))
    test_weights = property(lambda self: self.arrays().get("weights", {}))

    @property
    def sharing(self) -> dict | None:
        if self._run.kind != "sharing":
            return None
        arrays = self.arrays()
        return {"multi": _per_seed(arrays, "multi") or [self.test_predictions],
                "single": _per_seed(arrays, "single"),
                "single_history": self._run.extra.get("single_history", {})}


def result_arrays(result: Any) -> dict | None:
    """The engine's RunResult as the workspace stores it: test arrays by group, then head."""
    if result is None or not getattr(result, "test_predictions", None):
        return None
    arrays = {"predictions": result.test_predictions, "targets": getattr(result, "test_targets", None) or {},
              "weights": getattr(result, "test_weights", None) or {}}
    sharing = getattr(result, "sharing", None) or {}
    for key in ("multi", "single"):          # a comparison's predictions, one group per seed
        per_seed = sharing.get(key) or []
        for i, per_head in enumerate([per_seed] if isinstance(per_seed, dict) else per_seed):
            arrays[f"{key}{i}"] = per_head
    return arrays


def _per_seed(arrays: dict, key: str) -> list[dict]:
    """The stored ``<key>0``, ``<key>1``... groups in seed order."""
    seeds = sorted((int(name[len(key):]), name) for name in arrays
                   if name.startswith(key) and name[len(key):].isdigit())
    return [arrays[name] for _, name in seeds]
