"""No SQLite connection is left to the garbage collector (Python 3.13 reports those as ResourceWarning)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from neurofiles.plugins.sqlite_store import _session


def test_connect_closes_the_connection_when_the_database_is_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "busy.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN EXCLUSIVE")
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def recording_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(conn)
        return conn

    monkeypatch.setattr(_session, "BUSY_MS", 50)
    monkeypatch.setattr(_session.sqlite3, "connect", recording_connect)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _session.connect(path, "rw")
    finally:
        holder.close()
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")
