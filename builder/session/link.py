"""What the page's URL holds: the workspace id, and the design while it is short (else its workspace key).

``?w=<id>`` names the workspace (everything a refresh or a restarted server
brings back).  ``?d=`` carries the design itself, compressed, so a link still
works on another server, but only while it is short: browsers and the web
server refuse long URLs, so a design whose text passes ``MAX_LINK_CHARS`` is
kept in the workspace and the URL holds its key as ``?dk=``.  A broken or
unknown link gives a message; the current design stays.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from ..errors import DesignError
from ..design.spec import parse_design
from . import design as session_design
from . import persist

WORKSPACE, DESIGN, DESIGN_KEY = "w", "d", "dk"
MAX_LINK_CHARS = 8000          # compressed, base64 text: about 6 KB; well inside every server's header limit


def params(state: MutableMapping[str, Any]) -> dict[str, str]:
    """The query parameters for the session as it is now: ``w`` and one of ``d`` / ``dk``."""
    out: dict[str, str] = {}
    ws = persist.workspace(state)
    if ws is not None:
        out[WORKSPACE] = ws.id
    text = session_design.url_text(state)
    if len(text) <= MAX_LINK_CHARS or ws is None:
        out[DESIGN] = text
    else:
        design = session_design.current(state)
        out[DESIGN_KEY] = ws.put_design(design.model_dump_json(), persist.design_key(state, design))
    return out


def restore(state: MutableMapping[str, Any], text: str | None, key: str | None) -> list[str]:
    """Apply the design a link carries, unless it is the one the session already shows (a refresh)."""
    if key:
        return _restore_key(state, key)
    return [str(p) for p in session_design.restore_from_url(state, text)]


def _restore_key(state: MutableMapping[str, Any], key: str) -> list[str]:
    if state.get("_restored_key") == key:
        return []
    state["_restored_key"] = key
    current = session_design.current(state)
    if persist.design_key(state, current) == key:
        return []
    ws = persist.workspace(state)
    text = ws.design(key) if ws is not None and len(key) < 100 else None
    if text is None:
        return ["link: the design this link names is kept in a workspace this server does not have. "
                "Ask for the link again, or start from a template."]
    try:
        session_design.commit(state, parse_design(text))
    except DesignError as e:
        return [str(p) for p in e.problems]
    return []
