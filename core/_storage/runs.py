"""Run records: when a session was written and whether it replaces earlier runs of the same params.

A session opened with ``params=`` carries, beside them, a reserved *run record*
(:data:`RUN_KEY`): ``{"created": epoch seconds, "mode": "add" | "replace" |
"error", "done": bool, "host": str, "pid": int}``. This module decides, from
the run records and parameters of every session, which sessions a collation
sees (:func:`visible`) and which are re-runs of one another
(:func:`param_group`). See ``spec/backends.md`` section "Re-runs".
"""

from __future__ import annotations

import hashlib
import math
import pickle
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "ON_EXISTING",
    "RUN_KEY",
    "Groups",
    "hidden_sessions",
    "iso_time",
    "latest_only",
    "param_group",
    "repeated_groups",
]

#: The reserved key holding a session's run record (hidden like the parameters).
RUN_KEY = "\x1fneurofiles.run"
#: What ``DataManager.session(params=..., on_existing=...)`` accepts.
ON_EXISTING = ("add", "replace", "error")
#: ``{group: [session names]}``, see :func:`param_group`.
Groups = dict[Any, list[str]]


def _canon(value: Any, depth: int = 0) -> Any:
    """A hashable form of a parameter value; equal for values ``where=`` treats as equal."""
    if depth > 32:
        return ("r", repr(value))
    if value is None or isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return ("nan",)
        if isinstance(value, float) and value.is_integer():
            return ("n", int(value))  # 1 and 1.0 are the same parameter value, as in where=
        return ("n", value)
    if isinstance(value, (str, bytes)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_canon(v, depth + 1) for v in value))
    if isinstance(value, dict):
        try:
            return ("d", tuple(sorted((repr(k), _canon(v, depth + 1)) for k, v in value.items())))
        except TypeError:
            return ("r", repr(value))
    try:
        raw = pickle.dumps(value, protocol=4)
    except Exception:  # noqa: BLE001 - an unpicklable value still gets a (coarser) identity
        return ("r", type(value).__name__, repr(value))
    return ("p", hashlib.sha1(raw).hexdigest())


def param_group(params: Mapping[str, Any]) -> Any:
    """The identity of a parameter set: two sessions with the same one are runs of the same thing."""
    return tuple(sorted((name, _canon(value)) for name, value in params.items()))


def group_digest(params: Mapping[str, Any]) -> str:
    """A short stable hex name of :func:`param_group` (for a lock file)."""
    return hashlib.sha1(repr(param_group(params)).encode("utf-8", "backslashreplace")).hexdigest()[:20]


def _order(name: str, run: Mapping[str, Any] | None) -> tuple[float, str]:
    created = run.get("created") if run else None
    stamp = float(created) if isinstance(created, (int, float)) and not isinstance(created, bool) else -math.inf
    return (stamp, name)


def hidden_sessions(
    names: Iterable[str], runs: Mapping[str, Mapping[str, Any]], params: Mapping[str, Mapping[str, Any]]
) -> set[str]:
    """The sessions a collation does not see.

    - a ``replace`` run that has not completed (still running, failed, or killed);
    - every session of the same parameter group created before a completed
      ``replace`` run (sessions without a run record count as oldest; ties are
      broken by session name).
    """
    hidden: set[str] = set()
    newest: dict[Any, tuple[float, str]] = {}
    for name, run in runs.items():
        if run.get("mode") != "replace":
            continue
        if run.get("done") is not True:
            hidden.add(name)
            continue
        group = param_group(params.get(name, {}))
        order = _order(name, run)
        if group not in newest or order > newest[group]:
            newest[group] = order
    if not newest:
        return hidden
    for name in names:
        group = param_group(params.get(name, {}))
        if group in newest and _order(name, runs.get(name)) < newest[group]:
            hidden.add(name)
    return hidden


def repeated_groups(names: Iterable[str], params: Mapping[str, Mapping[str, Any]]) -> Groups:
    """``{group: names}`` of the non-empty parameter sets that more than one of ``names`` carries."""
    groups: Groups = {}
    for name in names:
        p = params.get(name)
        if p:
            groups.setdefault(param_group(p), []).append(name)
    return {g: members for g, members in groups.items() if len(members) > 1}


def latest_only(
    names: list[str], runs: Mapping[str, Mapping[str, Any]], params: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """``names`` keeping, of every repeated non-empty parameter set, only the newest run."""
    drop: set[str] = set()
    for members in repeated_groups(names, params).values():
        keep = max(members, key=lambda n: _order(n, runs.get(n)))
        drop.update(m for m in members if m != keep)
    return [n for n in names if n not in drop]


def iso_time(seconds: float | None) -> str | None:
    """``seconds`` since the epoch as ISO 8601 UTC with microseconds (``None`` stays ``None``)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
