"""A workspace that survives: one SQLite database plus a folder of files, keyed by an unguessable id.

A refresh, a second tab or a restarted server finds here the dataset, the
design and its undo history, every run (curves, test arrays, model), the
comparisons, and the events of a run still training.  Under the data folder
(``BUILDER_DATA_DIR``, default ``~/.local/share/multi-output-designer/workspaces``):
``<id>/workspace.db`` (SQLite, WAL) and ``<id>/files/`` (uploads, ``run-*.keras``, ``run-*.npz``).

The id (144 random bits) is the only way in: nothing lists workspaces.  Every
write is one transaction, so two tabs writing at once never leave half a
change; a missing or damaged file is reported for its run, the rest loads.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import zipfile
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import DataError

DATA_DIR_ENV = "BUILDER_DATA_DIR"
CAP_ENV = "BUILDER_WORKSPACE_MAX_MB"
DEFAULT_CAP_MB = 1024
ID_BYTES = 18                       # token_urlsafe(18): 24 characters, 144 random bits
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
DB_NAME, FILES = "workspace.db", "files"
BUSY_TIMEOUT_S = 10.0               # another tab holding the write lock waits, never fails

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS designs(key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    number INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    design TEXT NOT NULL, design_name TEXT NOT NULL, dataset_key TEXT NOT NULL, dataset_name TEXT NOT NULL,
    state TEXT NOT NULL, message TEXT NOT NULL, history TEXT NOT NULL, extra TEXT NOT NULL,
    arrays TEXT, model TEXT, model_dropped INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, id);
CREATE TABLE IF NOT EXISTS notices(id INTEGER PRIMARY KEY, text TEXT NOT NULL, created REAL NOT NULL);
"""
RUN_COLUMNS = ("number", "run_id", "kind", "design", "design_name", "dataset_key", "dataset_name", "state",
               "message", "history", "extra", "arrays", "model", "model_dropped", "created")


def data_dir() -> Path:
    """Where workspaces live: ``$BUILDER_DATA_DIR``, else the user's data folder (outside the repository)."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "multi-output-designer" / "workspaces"


def cap_bytes() -> int:
    """The size limit of one workspace (``$BUILDER_WORKSPACE_MAX_MB``, default 1024 MB)."""
    try:
        mb = float(os.environ.get(CAP_ENV, DEFAULT_CAP_MB))
    except ValueError:
        mb = DEFAULT_CAP_MB
    return int(max(mb, 1.0) * 2**20)


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)    # 144 bits from the OS's cryptographic source


def valid_id(text: Any) -> bool:
    return isinstance(text, str) and bool(ID_PATTERN.match(text))


def content_key(text: str | bytes) -> str:
    """A short content hash: the same design or upload is stored once."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:24]


@dataclass
class StoredRun:
    """One run (or comparison) as the workspace keeps it; test arrays load on demand."""

    number: int
    run_id: str
    kind: str                       # "train" or "sharing"
    design: str                     # the design's key in the designs table
    design_name: str
    dataset_key: str
    dataset_name: str
    state: str
    message: str
    history: dict[str, list[float]]
    extra: dict = field(default_factory=dict)
    arrays: str | None = None       # file name of the test arrays
    model: str | None = None        # file name of the trained model
    model_dropped: bool = False     # removed to keep the workspace under its size limit
    created: float = 0.0

    @property
    def label(self) -> str:
        return f"run {self.number}"


class Workspace:
    """One user's workspace: open with ``Workspace.open(id)``, start one with ``Workspace.create()``."""

    def __init__(self, workspace_id: str, root: Path | str | None = None, cap: int | None = None):
        if not valid_id(workspace_id):
            raise DataError("this workspace link is not valid. Open the app without it to start a new workspace.")
        self.id = workspace_id
        self.folder = Path(root or data_dir()) / workspace_id
        self.files = self.folder / FILES
        self.cap = cap if cap is not None else cap_bytes()
        self._con: sqlite3.Connection | None = None     # one per page view, kept open: closing checkpoints
        self._lock = threading.RLock()                  # a page view's script and fragment threads share it

    @classmethod
    def create(cls, root: Path | str | None = None, cap: int | None = None) -> "Workspace":
        """A new, empty workspace with a fresh id."""
        ws = cls(new_id(), root, cap)
        ws.files.mkdir(parents=True, exist_ok=True)
        with closing(ws._connect()) as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)
        return ws

    @classmethod
    def open(cls, workspace_id: str, root: Path | str | None = None, cap: int | None = None) -> "Workspace":
        """An existing workspace; raises DataError for a malformed id or one this server does not have."""
        ws = cls(workspace_id, root, cap)
        if not (ws.folder / DB_NAME).is_file():
            raise DataError("this workspace was not found on this server (it may have been deleted); "
                            "a new one was started.")
        return ws

    # ------------------------------------------------------------ plumbing
    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.folder / DB_NAME, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                              check_same_thread=False)
        con.execute("PRAGMA synchronous=NORMAL")    # WAL: durable at checkpoints, never corrupt
        return con

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once, so read-modify-write cannot interleave."""
        with self._lock:
            con = self._connection()
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._connection().execute(sql, args).fetchall()

    def _write_file(self, name: str, data: bytes) -> str:
        """Write a file under files/ atomically (a reader never sees half of it)."""
        self.files.mkdir(parents=True, exist_ok=True)
        partial = self.files / f".{name}.{secrets.token_hex(4)}.part"
        partial.write_bytes(data)
        os.replace(partial, self.files / name)
        return name

    # ------------------------------------------------------------ settings
    def set(self, key: str, value: Any) -> None:
        """Store one JSON value (``None`` removes it)."""
        with self._write() as con:
            if value is None:
                con.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, json.dumps(value)))

    def clear_if(self, key: str, field_name: str, value: Any) -> None:
        """Remove setting ``key`` only if its ``field_name`` still is ``value`` (another tab may have moved on)."""
        with self._write() as con:
            row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            if row and json.loads(row[0]).get(field_name) == value:
                con.execute("DELETE FROM settings WHERE key = ?", (key,))

    def get(self, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # ------------------------------------------------------------- designs
    def put_design(self, design_json: str, key: str | None = None) -> str:
        """Keep a design (once per content); returns its key, usable in a link."""
        key = key or content_key(design_json)
        self.put_designs({key: design_json})
        return key

    def put_designs(self, designs: dict[str, str]) -> None:
        """Keep several designs ({key: json}) in one transaction."""
        with self._write() as con:
            con.executemany("INSERT OR IGNORE INTO designs VALUES (?, ?)", designs.items())

    def design(self, key: str) -> str | None:
        rows = self._read("SELECT json FROM designs WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def designs(self, keys: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(keys))       # at most ~200 keys (undo + redo), far below SQLite's limit
        return dict(self._read(f"SELECT key, json FROM designs WHERE key IN ({marks})", tuple(keys)))

    # ---------------------------------------------------------------- data
    def save_upload(self, name: str, data: bytes) -> str:
        """Keep an uploaded file's bytes; returns the stored file name (same bytes, same file)."""
        suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".tsv", ".txt") else ".csv"
        stored = f"data-{content_key(data)}{suffix}"
        if not (self.files / stored).is_file():
            self._write_file(stored, data)
        return stored

    def upload_bytes(self, stored: str) -> bytes:
        """An upload kept by ``save_upload``; DataError if the file is gone."""
        try:
            return (self.files / _plain_name(stored)).read_bytes()
        except OSError:
            raise DataError(f"the uploaded data file of this workspace is missing ({stored}). "
                            "Upload the CSV again on the Data page.") from None

    # ---------------------------------------------------------------- runs
    def add_run(self, run: StoredRun, arrays: dict[str, dict[str, np.ndarray]] | None = None,
                model_file: str | Path | None = None) -> StoredRun:
        """Keep a finished run: its row, its test arrays and a copy of its model.

        Recording the same ``run_id`` twice (two tabs saw it end) keeps the first.
        ``arrays`` is ``{group: {head: array}}`` (e.g. predictions, targets, weights).
        """
        known = self.run_by_id(run.run_id)
        if known is not None:
            return known
        token = secrets.token_hex(6)
        array_name = self._write_file(f"run-{token}.npz", _npz_bytes(arrays)) if arrays else None
        model_name = self._copy_model(model_file, token) if model_file else None
        with self._write() as con:
            if con.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone():
                stale = [array_name, model_name]
            else:
                stale = []
                con.execute(f"INSERT INTO runs({','.join(RUN_COLUMNS[1:])}) VALUES ({','.join('?' * 14)})",
                            (run.run_id, run.kind, run.design, run.design_name, run.dataset_key, run.dataset_name,
                             run.state, run.message, json.dumps(run.history), json.dumps(run.extra), array_name,
                             model_name, 0, run.created or time.time()))
        for name in filter(None, stale):
            (self.files / name).unlink(missing_ok=True)
        self.enforce_cap()
        return self.run_by_id(run.run_id)

    def _copy_model(self, source: str | Path, token: str) -> str | None:
        try:
            data = Path(source).read_bytes()
        except OSError:
            return None        # the run saved no model (stopped before its first epoch)
        return self._write_file(f"run-{token}.keras", data)

    def runs(self, kind: str | None = "train") -> list[StoredRun]:
        """Runs oldest first (``kind=None``: runs and comparisons)."""
        return self._select("WHERE kind = ? ORDER BY number", (kind,)) if kind else self._select("ORDER BY number")

    def _select(self, where: str, args: tuple = ()) -> list[StoredRun]:
        return [_stored(row) for row in self._read(f"SELECT {','.join(RUN_COLUMNS)} FROM runs {where}", args)]

    def run_by_id(self, run_id: str) -> StoredRun | None:
        return next(iter(self._select("WHERE run_id = ?", (run_id,))), None)

    def run_count(self) -> tuple[int, int]:   # (how many, highest number): changes on every add or delete
        return self._read("SELECT count(*), coalesce(max(number), 0) FROM runs")[0]

    def arrays(self, run: StoredRun) -> dict[str, dict[str, np.ndarray]]:
        """A run's test arrays; DataError naming the run when the file is missing or damaged."""
        if not run.arrays:
            return {}
        try:
            with np.load(self.files / _plain_name(run.arrays), allow_pickle=False) as npz:
                grouped: dict[str, dict[str, np.ndarray]] = {}
                for name in npz.files:
                    group, _, head = name.partition("/")
                    grouped.setdefault(group, {})[head] = npz[name]
                return grouped
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
            missing = isinstance(e, FileNotFoundError)
            raise DataError(f"{run.label}'s test results file is {'missing' if missing else 'damaged'} "
                            f"({run.arrays}); its curves are kept. Train again to score it.") from None

    def model_path(self, run: StoredRun) -> Path | None:
        if not run.model or run.model_dropped:
            return None
        path = self.files / _plain_name(run.model)
        return path if path.is_file() else None

    def delete_run(self, number: int) -> bool:
        """Remove a run, its events and its files; False if there is no such run."""
        with self._write() as con:
            row = con.execute("SELECT run_id, arrays, model FROM runs WHERE number = ?", (number,)).fetchone()
            if row is None:
                return False
            con.execute("DELETE FROM runs WHERE number = ?", (number,))
            con.execute("DELETE FROM events WHERE run_id = ?", (row[0],))
        for name in filter(None, row[1:]):
            (self.files / _plain_name(name)).unlink(missing_ok=True)
        return True

    # -------------------------------------------------------------- events
    def add_events(self, run_id: str, events: list[dict]) -> None:
        """Append a live run's events in one transaction (a refresh rebuilds the run from them)."""
        if not events:
            return
        rows = [(run_id, json.dumps(ev, default=_plain_number)) for ev in events]
        with self._write() as con:
            con.executemany("INSERT INTO events(run_id, json) VALUES (?, ?)", rows)

    def events(self, run_id: str, after: int = 0) -> list[tuple[int, dict]]:   # (cursor, event), oldest first
        rows = self._read("SELECT id, json FROM events WHERE run_id = ? AND id > ? ORDER BY id", (run_id, after))
        return [(i, json.loads(text)) for i, text in rows]

    # ---------------------------------------------------- size and notices
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def enforce_cap(self) -> list[str]:
        """Past the size limit, drop the oldest runs' models (never the newest run's), with a notice each."""
        said: list[str] = []
        if self.size() <= self.cap:
            return said
        for run in self.runs(kind=None)[:-1]:
            path = self.model_path(run)
            if path is None:
                continue
            path.unlink(missing_ok=True)
            with self._write() as con:
                con.execute("UPDATE runs SET model_dropped = 1 WHERE number = ?", (run.number,))
            text = (f"{run.label}'s trained model was removed to keep this workspace under its "
                    f"{self.cap / 2**20:,.0f} MB limit; its curves and test results are kept.")
            self.add_notice(text)
            said.append(text)
            if self.size() <= self.cap:
                break
        return said

    def add_notice(self, text: str) -> None:
        with self._write() as con:  # shown on the Results page: nothing is dropped silently
            con.execute("INSERT INTO notices(text, created) VALUES (?, ?)", (text, time.time()))

    def notices(self, limit: int = 20) -> list[str]:
        rows = self._read("SELECT text FROM notices ORDER BY id DESC LIMIT ?", (limit,))
        return [text for (text,) in reversed(rows)]


# ------------------------------------------------------------- helpers

def _plain_name(name: str) -> str:   # a stored file name, never a path out of the workspace folder
    return Path(name).name


def _stored(row: tuple) -> StoredRun:
    values = dict(zip(RUN_COLUMNS, row))
    values["history"] = json.loads(values["history"])
    values["extra"] = json.loads(values["extra"])
    values["model_dropped"] = bool(values["model_dropped"])
    return StoredRun(**values)


def _npz_bytes(arrays: dict[str, dict[str, np.ndarray]]) -> bytes:
    """Test arrays as an .npz of plain arrays (``group/head`` names); text becomes unicode, never objects."""
    flat = {}
    for group, per_head in arrays.items():
        for head, values in (per_head or {}).items():
            values = np.asarray(values)
            flat[f"{group}/{head}"] = values.astype(str) if values.dtype == object else values
    out = io.BytesIO()
    np.savez(out, **flat)
    return out.getvalue()


def _plain_number(value: Any) -> Any:
    """json.dumps fallback for numpy scalars and arrays inside events."""
    return value.tolist() if isinstance(value, (np.generic, np.ndarray)) else str(value)

