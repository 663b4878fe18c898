"""The ``sqlite`` backend: one SQLite file per session plus a consolidated index."""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from neurofiles.plugin.storage import check_regular, fd_budget
from neurofiles.plugin import (
    Capabilities,
    CorruptSessionError,
    OptionError,
    SessionStore,
    StorageBackend,
    StorageWarning,
)

from ._index import INLINE_MAX, SessionIndex
from ._session import SqliteSession

__all__ = ["SqliteBackend"]

SUFFIX = ".sqlite"
_HELPERS = ("-journal", "-wal", "-shm")


class SqliteBackend(StorageBackend):
    """Sessions as ``<name>.sqlite`` files; cross-session queries through ``_index.sqlite``.

    Options
    -------
    synchronous : ``"NORMAL"`` (default), ``"FULL"`` or ``"EXTRA"``
        SQLite's durability level for writers (no other value reaches SQL).
    index : bool
        Use the consolidated index for ``get``/``keys``/``itemcount`` (default True).
    commit_every, commit_seconds
        Writers commit after this many sets or seconds (default 1000 and 1.0),
        and always on ``flush()``/``close()``.

    Crash safety (``kill -9`` of a writer): everything written before
    ``flush()`` returned survives; a record whose ``__setitem__`` returned
    survives once its group commits (at most ``commit_every`` sets or
    ``commit_seconds`` later, checked at each write) and is otherwise lost
    whole; readers never see part of a group. Keys are stored inside the
    database: any ``str`` key with a UTF-8 form is accepted.
    """

    name = "sqlite"
    capabilities = Capabilities(
        concurrent_writers="per-session",
        crash_safe="process",
        partial_sessions_visible=False,
        network_fs=True,
        locking="host",
        fast_queries=True,
    )

    option_names = frozenset({"synchronous", "index", "commit_every", "commit_seconds"})

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        super().check_options(options)
        sync = options.get("synchronous", "NORMAL")
        if not isinstance(sync, str) or sync.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise OptionError(f"sqlite option synchronous must be 'NORMAL', 'FULL' or 'EXTRA', got {sync!r}")
        if not isinstance(options.get("index", True), bool):
            raise OptionError(f"sqlite option index must be True or False, got {options['index']!r}")
        cls.check_group_commit(options)

    def check_key(self, key: str) -> None:
        """Every ``str`` key is stored as SQLite text: nothing more to refuse."""

    def __init__(self, basepath: Path, options: Mapping[str, Any]) -> None:
        super().__init__(basepath, options)
        self.check_options(self.options)
        self.synchronous = str(self.options.get("synchronous", "NORMAL")).upper()
        self.use_index = bool(self.options.get("index", True))
        self.commit_every = int(self.options.get("commit_every", 1000))
        self.commit_seconds = float(self.options.get("commit_seconds", 1.0))
        self._index: SessionIndex | None = None
        self._index_failed = False
        self._base = os.fspath(self.basepath)
        self.max_open_readers = fd_budget()

    @classmethod
    def manifest_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        cls.check_options(options)
        return {"synchronous": str(options.get("synchronous", "NORMAL")).upper()}

    @classmethod
    def detect(cls, basepath: Path) -> bool:
        return any(p.suffix == SUFFIX for p in Path(basepath).glob("*" + SUFFIX))

    # -- sessions ------------------------------------------------------------------------------

    def session_path(self, name: str) -> Path:
        return self.basepath / (name + SUFFIX)

    def _path_str(self, name: str) -> str:
        return f"{self._base}{os.sep}{name}{SUFFIX}"

    def session_files(self, name: str) -> list[Path]:
        main = self.session_path(name)
        return [p for p in (main, *(Path(f"{main}{h}") for h in _HELPERS)) if p.exists()]

    def list_sessions(self) -> Iterator[str]:
        return iter(self.names_by_suffix(SUFFIX, _HELPERS))

    def open_session(self, name: str, *, writable: bool) -> SessionStore:
        return SqliteSession(
            self,
            name,
            self.session_path(name),
            writable=writable,
            synchronous=self.synchronous,
            commit_every=self.commit_every,
            commit_seconds=self.commit_seconds,
        )

    def delete_session(self, name: str) -> None:
        super().delete_session(name)
        if self._index is not None:
            self._sync([])

    # -- the index -----------------------------------------------------------------------------

    def _get_index(self) -> SessionIndex | None:
        if not self.use_index or self._index_failed:
            return None
        if self._index is None:
            try:
                self._index = SessionIndex(self.basepath / "_index.sqlite")
            except (sqlite3.Error, OSError) as exc:
                self._index_failed = True
                warnings.warn(
                    f"{self.basepath / '_index.sqlite'}: index unusable ({exc}); querying sessions one by one",
                    StorageWarning,
                    stacklevel=4,
                )
                return None
        return self._index

    def _snapshot(self, name: str) -> list[tuple[str, Any, int]]:
        store = self.reader(name)
        try:
            conn = store.conn  # type: ignore[attr-defined]
            rows = conn.execute(
                "SELECT key, CASE WHEN length(value) <= ? THEN value END, length(value) > ?,"
                " typeof(key) = 'text' AND typeof(value) = 'blob' FROM kv",
                (INLINE_MAX, INLINE_MAX),
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise CorruptSessionError(f"cannot read session {name!r} ({exc})", path=self.session_path(name)) from exc
        finally:
            self.release(name, store)
        bad = next((row for row in rows if not row[3]), None)
        if bad is not None:
            raise CorruptSessionError(
                f"session {name!r} holds key {bad[0]!r:.60} or its value with a type neurofiles never writes"
                " (keys are text, values BLOBs)",
                path=self.session_path(name),
            )
        return [row[:3] for row in rows]

    def _sync(self, names: Iterable[str]) -> tuple[SessionIndex, set[str], list[str]] | None:
        index = self._get_index()
        if index is None:
            return None
        try:
            fresh, live = index.sync(names, self._path_str, self._snapshot, self._on_error)
        except sqlite3.Error as exc:
            self._index_failed = True
            warnings.warn(
                f"{index.path}: index update failed ({exc}); querying sessions one by one",
                StorageWarning,
                stacklevel=4,
            )
            return None
        return index, fresh, live

    def _on_error(self, name: str, exc: BaseException) -> None:
        if isinstance(exc, FileNotFoundError):
            return  # deleted since it was listed
        self.skip(name, exc, stacklevel=6)

    def get_across(self, key: str, names: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        names = list(names)
        synced = self._sync(names)
        if synced is None:
            yield from super().get_across(key, names)
            return
        index, fresh, live = synced
        for session, value, external in index.get(key).fetchall():
            if session not in fresh:
                continue
            if external or not isinstance(value, bytes):  # a doctored index is not trusted with a size
                yield from super().get_across(key, [session])
            else:
                yield session, value
        yield from super().get_across(key, live)

    def keys_across(self, names: Iterable[str]) -> set[str]:
        names = list(names)
        synced = self._sync(names)
        if synced is None:
            return super().keys_across(names)
        index, fresh, live = synced
        everything = index.indexed() <= fresh
        return index.keys(fresh, everything) | super().keys_across(live)

    def count_across(self, names: Iterable[str]) -> int:
        names = list(names)
        synced = self._sync(names)
        if synced is None:
            return super().count_across(names)
        index, fresh, live = synced
        counts = index.counts()
        return sum(counts.get(n, 0) for n in fresh) + super().count_across(live)

    def close(self) -> None:
        super().close()
        if self._index is not None:
            self._index.close()
            self._index = None
