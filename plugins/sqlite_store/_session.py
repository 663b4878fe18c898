"""One SQLite file per session: ``kv(key, value)`` plus a ``meta`` table.

Rollback journal (``journal_mode=DELETE``), ``synchronous=NORMAL`` (or FULL),
``BEGIN IMMEDIATE`` write transactions, a 30 s ``busy_timeout``. Writes are
grouped: a transaction commits after ``commit_every`` sets, after
``commit_seconds``, and on ``flush()``/``close()``/interpreter exit.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from neurofiles._backend import CorruptSessionError, SessionStore

__all__ = ["FORMAT", "SqliteSession", "connect"]

FORMAT = "neurofiles-sqlite-session"
VERSION = "1"
BUSY_MS = 30_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def connect(path: Path, mode: str, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Open ``path`` with URI ``mode`` (``ro``/``rw``/``rwc``), autocommit, our pragmas."""
    uri = "file:" + quote(os.fspath(path)) + f"?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    if mode != "ro":
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def _finish(state: dict[str, Any]) -> None:
    """Commit pending writes and close; runs on close, garbage collection or exit."""
    conn = state.get("conn")
    state["conn"] = None
    if conn is None:
        return
    try:
        if conn.in_transaction:
            conn.execute("COMMIT")
    finally:
        conn.close()


class SqliteSession(SessionStore):
    """A session stored in one SQLite file."""

    def __init__(
        self,
        backend: Any,
        name: str,
        path: Path,
        *,
        writable: bool,
        synchronous: str = "NORMAL",
        commit_every: int = 1000,
        commit_seconds: float = 1.0,
    ) -> None:
        super().__init__(backend, name, writable=writable)
        self.path = path
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        self._pending = 0
        self._since = 0.0
        if writable:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._open_writable(path, synchronous)
        else:
            conn = self._open_readable(path)
        self._state: dict[str, Any] = {"conn": conn}
        self._finalizer = weakref.finalize(self, _finish, self._state)
        if conn.in_transaction:  # a new file: its schema commits with the first data (one fsync pair)
            self._since = time.monotonic()

    # -- opening -------------------------------------------------------------------------------

    @staticmethod
    def _open_writable(path: Path, synchronous: str) -> sqlite3.Connection:
        conn = connect(path, "rwc", synchronous)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            new = conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0
            conn.executemany(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("version", VERSION), ("host", socket.gethostname()),
                 ("pid", str(os.getpid())), ("created", time.strftime("%Y-%m-%dT%H:%M:%S"))],
            )
            _check_format(conn, path)
            if not new:
                conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptSessionError(f"not a session database ({exc})", path=path) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _open_readable(path: Path) -> sqlite3.Connection:
        if not path.is_file():
            raise CorruptSessionError("missing, or not a regular file", path=path)
        try:
            # read-write so that a hot journal left by a killed writer is rolled back
            conn = connect(path, "rw")
        except sqlite3.OperationalError:
            try:
                conn = connect(path, "ro")
            except sqlite3.DatabaseError as exc:
                raise CorruptSessionError(f"cannot open ({exc})", path=path) from exc
        except sqlite3.DatabaseError as exc:
            raise CorruptSessionError(f"not a session database ({exc})", path=path) from exc
        try:
            _check_format(conn, path)
        except BaseException:
            conn.close()
            raise
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = self._state["conn"]
        if conn is None:
            raise ValueError(f"{self.path}: session is closed")
        return conn  # type: ignore[no-any-return]

    # -- SessionStore --------------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def contains(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone() is not None

    def _begin(self) -> None:
        conn = self.conn
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
            self._since = time.monotonic()
            self._pending = 0

    def _written(self) -> None:
        self._pending += 1
        if self._pending >= self.commit_every or time.monotonic() - self._since >= self.commit_seconds:
            self.flush()

    def set(self, key: str, value: bytes) -> None:
        self._begin()
        self.conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))
        self._written()

    def set_many(self, items: Any) -> None:
        self._begin()
        self.conn.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", items)
        self.flush()

    def delete(self, key: str) -> bool:
        self._begin()
        cursor = self.conn.execute("DELETE FROM kv WHERE key = ?", (key,))
        self._written()
        return cursor.rowcount > 0

    def keys(self) -> Iterator[str]:
        for (key,) in self.conn.execute("SELECT key FROM kv ORDER BY key"):
            yield key

    def items(self) -> Iterator[tuple[str, bytes]]:
        for key, value in self.conn.execute("SELECT key, value FROM kv ORDER BY key"):
            yield key, bytes(value)

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0])

    def flush(self) -> None:
        conn = self._state["conn"]
        if conn is not None and conn.in_transaction:
            conn.execute("COMMIT")
        self._pending = 0

    def close(self) -> None:
        self._finalizer()


def _check_format(conn: sqlite3.Connection, path: Path) -> None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        conn.execute("SELECT key FROM kv LIMIT 0").fetchall()
    except sqlite3.DatabaseError as exc:
        raise CorruptSessionError(
            f"not a complete session ({exc}); a writer was killed before its first commit,"
            " or the file is not a session", path=path,
        ) from exc
    if row is None or row[0] != FORMAT:
        raise CorruptSessionError(f"not a neurofiles session (format {row and row[0]!r})", path=path)
