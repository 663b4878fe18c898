"""The consolidated index: ``<name>.data/_index.sqlite``, a rebuildable cache of every session.

It holds each session's keys and its small values (up to ``INLINE_MAX``
bytes; larger values are read from the session file when asked for), and
for each session the ``(size, mtime_ns, inode)`` of its file, taken before
the rows were copied. A session whose file still shows that triple is
unchanged; any other session is copied again before a query, and a session
written within the last second is read directly from its file. Cross-session ``get``, ``keys`` and ``itemcount``
are then single queries instead of one open per session.

The index is only a cache: if it cannot be written (read-only folder) or is
damaged, it is rebuilt or bypassed, never trusted blindly.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable

from neurofiles.plugin.storage import check_regular

from ._session import connect

__all__ = ["INLINE_MAX", "SETTLE_NS", "SessionIndex"]

INLINE_MAX = 32 * 1024
SETTLE_NS = 1_000_000_000
FORMAT_VERSION = 3
_SCHEMA = (
    (
        "CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, size INTEGER, mtime INTEGER,"
        " inode INTEGER, nitems INTEGER NOT NULL)"
    ),
    (
        "CREATE TABLE IF NOT EXISTS items (session TEXT NOT NULL, key TEXT NOT NULL, value BLOB,"
        " external INTEGER NOT NULL, PRIMARY KEY (session, key))"
    ),
    "CREATE INDEX IF NOT EXISTS items_by_key ON items (key)",
)


class SessionIndex:
    """The index file of one store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = self._open()
        self._known: dict[str, tuple[int, int, int, int]] | None = None
        self._version = -1

    def _open(self) -> sqlite3.Connection:
        check_regular(self.path, f"{os.fspath(self.path)}-journal")  # a FIFO would block; raises OSError
        try:
            return self._prepare(connect(self.path, "rwc", "OFF"))
        except sqlite3.DatabaseError:
            # a damaged cache: throw it away once and start again
            for suffix in ("", "-journal"):
                try:
                    os.unlink(os.fspath(self.path) + suffix)
                except FileNotFoundError:
                    pass
            return self._prepare(connect(self.path, "rwc", "OFF"))

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> sqlite3.Connection:
        try:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] != FORMAT_VERSION:
                conn.execute("DROP TABLE IF EXISTS sessions")
                conn.execute("DROP TABLE IF EXISTS items")
                conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.conn.close()

    def sync(
        self,
        names: Iterable[str],
        path_of: Callable[[str], str],
        snapshot: Callable[[str], list[tuple[str, Any, int]]],
        on_error: Callable[[str, BaseException], None],
    ) -> tuple[set[str], list[str]]:
        """Bring the entries of ``names`` up to date.

        Returns ``(indexed, live)``: sessions whose index entry is current, and
        sessions modified within the last ``SETTLE`` seconds, which callers
        read directly. ``snapshot(name)`` returns the session's rows
        ``(key, inline value or None, external flag)`` read by one statement.
        A session is compared by ``(size, mtime_ns, inode)`` of its file; an
        entry is trusted only if it was taken ``SETTLE`` seconds after the
        file's mtime, so a later write always shows a different mtime even
        with coarse filesystem timestamps.
        """
        conn = self.conn
        known = self._known_sessions()
        fresh: set[str] = set()
        live: list[str] = []
        stale: list[tuple[str, tuple[int, int, int]]] = []
        now = time.time_ns()
        for name in names:
            try:
                st = os.stat(path_of(name))
            except OSError as exc:
                on_error(name, exc)
                continue
            state = (st.st_size, st.st_mtime_ns, st.st_ino)
            entry = known.get(name)
            if entry is not None and entry[:3] == state:
                fresh.add(name)
            elif now - st.st_mtime_ns >= SETTLE_NS:
                stale.append((name, state))
            else:
                live.append(name)
        listed = fresh.union(live, (n for n, _ in stale))
        gone = [n for n in known if n not in listed and not os.path.exists(path_of(n))]
        dropped = [n for n in live if n in known]
        if not stale and not gone and not dropped:
            return fresh, live
        updates: list[tuple[str, tuple[int, int, int] | None, list[tuple[str, Any, int]]]] = []
        for name, state in stale:
            try:
                rows = snapshot(name)
            except Exception as exc:  # noqa: BLE001 - one bad session must not stop the index
                on_error(name, exc)
                updates.append((name, None, []))
                continue
            updates.append((name, state, rows))
        conn.execute("BEGIN IMMEDIATE")
        try:
            for name in (*gone, *dropped):
                conn.execute("DELETE FROM sessions WHERE name = ?", (name,))
                conn.execute("DELETE FROM items WHERE session = ?", (name,))
            for name, new_state, rows in updates:
                conn.execute("DELETE FROM items WHERE session = ?", (name,))
                if new_state is None:
                    conn.execute("DELETE FROM sessions WHERE name = ?", (name,))
                    continue
                conn.executemany(
                    "INSERT INTO items (session, key, value, external) VALUES (?, ?, ?, ?)",
                    [(name, key, value, ext) for key, value, ext in rows],
                )
                conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)", (name, *new_state, len(rows)))
                fresh.add(name)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._known = None
            raise
        for name in (*gone, *dropped):
            known.pop(name, None)
        for name, new_state, rows in updates:
            if new_state is None:
                known.pop(name, None)
            else:
                known[name] = (*new_state, len(rows))
        return fresh, live

    def _known_sessions(self) -> dict[str, tuple[int, int, int, int]]:
        """The ``sessions`` table, cached until another connection commits to the index."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._known is None or version != self._version:
            self._known = {row[0]: row[1:] for row in self.conn.execute("SELECT name, size, mtime, inode, nitems FROM sessions")}
            self._version = version
        return self._known

    def get(self, key: str) -> sqlite3.Cursor:
        """``(session, inline value or None, external)`` for every indexed session holding ``key``."""
        return self.conn.execute(
            "SELECT session, value, external FROM items WHERE key = ? ORDER BY session", (key,)
        )

    def keys(self, sessions: set[str], everything: bool) -> set[str]:
        if everything:
            return {k for (k,) in self.conn.execute("SELECT DISTINCT key FROM items")}
        return {k for s, k in self.conn.execute("SELECT session, key FROM items") if s in sessions}

    def counts(self) -> dict[str, int]:
        """Items per indexed session."""
        return {name: entry[3] for name, entry in self._known_sessions().items()}

    def indexed(self) -> set[str]:
        return set(self._known_sessions())
