"""One SQLite file per session: ``kv(key, value)`` plus a ``meta`` table.

Rollback journal (``journal_mode=DELETE``), ``synchronous=NORMAL`` (or FULL),
``BEGIN IMMEDIATE`` write transactions, a 30 s ``busy_timeout``. Writes are
grouped: a transaction commits after ``commit_every`` sets, after
``commit_seconds``, and on ``flush()``/``close()``/interpreter exit.

What survives ``kill -9`` of the writer: when ``flush()`` (or ``close()``)
returns, every write before it. When ``__setitem__`` returns, the record is
in the open transaction: it survives once that transaction commits (after at
most ``commit_every`` sets or ``commit_seconds``, at the next write) and is
lost, whole, if the writer dies first. A reader always sees the session as of
its last commit, never part of a transaction; a new session's empty schema is
committed when it is created, so a writer killed before its first commit
leaves an empty, valid session.
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

from neurofiles.plugin.storage import check_regular, write_error
from neurofiles.plugin import CorruptSessionError, SessionStore

__all__ = ["FORMAT", "SYNCHRONOUS", "SqliteSession", "connect"]

#: The only values of ``PRAGMA synchronous`` ever sent to SQLite.
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_HELPERS = ("-journal", "-wal", "-shm")

FORMAT = "neurofiles-sqlite-session"
VERSION = "1"
BUSY_MS = 30_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def connect(path: Path, mode: str, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Open ``path`` with URI ``mode`` (``ro``/``rw``/``rwc``), autocommit, our pragmas.

    The file and its journal must be regular files if they exist (a FIFO would
    block SQLite's open); ``synchronous`` must be one of :data:`SYNCHRONOUS`.
    """
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, got {synchronous!r}")
    check_regular(path, *(f"{os.fspath(path)}{h}" for h in _HELPERS))
    uri = "file:" + quote(os.fspath(path)) + f"?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        if mode != "ro":
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        conn.close()  # a busy database: never leave the connection to the garbage collector
        raise
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
            backend.session_folders(path, create=True)
            conn = self._open_writable(path, synchronous)
        else:
            conn = self._open_readable(path)
        self._state: dict[str, Any] = {"conn": conn}
        self._finalizer = weakref.finalize(self, _finish, self._state)

    # -- opening -------------------------------------------------------------------------------

    @staticmethod
    def _open_writable(path: Path, synchronous: str) -> sqlite3.Connection:
        try:
            conn = connect(path, "rwc", synchronous)
        except sqlite3.OperationalError as exc:
            raise write_error(exc, path, path.stem, "create") from exc
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.executemany(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("version", VERSION), ("host", socket.gethostname()),
                 ("pid", str(os.getpid())), ("created", time.strftime("%Y-%m-%dT%H:%M:%S"))],
            )
            _check_format(conn, path)
            conn.execute("COMMIT")  # a new session is valid (and empty) from now on, even if its writer dies
        except sqlite3.OperationalError as exc:
            conn.close()
            if "disk is full" in str(exc) or "readonly" in str(exc) or "unable to open" in str(exc):
                raise write_error(exc, path, path.stem, "create") from exc
            raise CorruptSessionError(f"not a session database ({exc})", path=path) from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptSessionError(f"not a session database ({exc})", path=path) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _open_readable(path: Path) -> sqlite3.Connection:
        try:
            check_regular(path)
        except OSError as exc:
            raise CorruptSessionError(f"cannot be opened safely ({exc})", path=path) from None
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
            _check_rows(conn, path)
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

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise CorruptSessionError(f"cannot read session {self.name!r} ({exc})", path=self.path) from exc

    def _value(self, key: object, value: object) -> bytes:
        if not isinstance(key, str):
            raise CorruptSessionError(
                f"session {self.name!r} holds a key of type {type(key).__name__} ({key!r:.60}); not written by neurofiles",
                path=self.path,
            )
        if not isinstance(value, bytes):
            raise CorruptSessionError(
                f"session {self.name!r}: the value of key {key!r} is a {type(value).__name__}, not a BLOB",
                path=self.path,
            )
        return value

    def get(self, key: str) -> bytes | None:
        row = self._read("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._value(key, row[0])

    def contains(self, key: str) -> bool:
        return self._read("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone() is not None

    def _write(self, sql: str, args: Any, many: bool = False) -> sqlite3.Cursor:
        try:
            self._begin()
            conn = self.conn
            return conn.executemany(sql, args) if many else conn.execute(sql, args)
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise write_error(exc, self.path, self.name) from exc
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise CorruptSessionError(f"cannot write session {self.name!r} ({exc})", path=self.path) from exc

    def _rollback(self) -> None:
        conn = self._state["conn"]
        if conn is not None and conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

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
        self._write("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))
        self._written()

    def set_many(self, items: Any) -> None:
        self._write("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", items, many=True)
        self.flush()

    def delete(self, key: str) -> bool:
        cursor = self._write("DELETE FROM kv WHERE key = ?", (key,))
        self._written()
        return cursor.rowcount > 0

    def _check_rows(self) -> None:
        """Refuse the session before anything is yielded if a row has a type neurofiles never writes."""
        try:
            _check_rows(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            raise CorruptSessionError(f"cannot read session {self.name!r} ({exc})", path=self.path) from exc

    def keys(self) -> Iterator[str]:
        self._check_rows()
        for (key,) in self._read("SELECT key FROM kv ORDER BY key"):
            if not isinstance(key, str):
                self._value(key, b"")
            yield key

    def items(self) -> Iterator[tuple[str, bytes]]:
        self._check_rows()
        cursor = self._read("SELECT key, value FROM kv ORDER BY key")
        while True:
            try:
                row = cursor.fetchone()
            except sqlite3.DatabaseError as exc:
                raise CorruptSessionError(f"cannot read session {self.name!r} ({exc})", path=self.path) from exc
            if row is None:
                return
            yield row[0], self._value(row[0], row[1])

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM kv").fetchone()[0])

    def flush(self) -> None:
        conn = self._state["conn"]
        if conn is not None and conn.in_transaction:
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise write_error(exc, self.path, self.name, "commit") from exc
        self._pending = 0

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._finalizer()


def _check_rows(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a session holding a row neurofiles never writes (keys are text, values BLOBs).

    One scan of the table's record headers (``typeof`` reads no value); a
    reader checks once when it opens the file, ``keys()``/``items()`` again
    before they yield anything, so a bad session is skipped whole.
    """
    row = conn.execute(
        "SELECT typeof(key), typeof(value), CASE WHEN typeof(key) = 'blob' THEN hex(substr(key, 1, 16))"
        " ELSE substr(key, 1, 40) END FROM kv WHERE typeof(key) != 'text' OR typeof(value) != 'blob' LIMIT 1"
    ).fetchone()
    if row is not None:
        raise CorruptSessionError(
            f"holds a row neurofiles never writes (key {row[2]!r} of type {row[0]}, value of type {row[1]};"
            " keys are text and values BLOBs)",
            path=path,
        )


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
