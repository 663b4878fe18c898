"""A DataManager session: a mapping of ``str`` keys to Python values, held by one backend store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._framework.backend import StorageBackend, check_key, write_error
from .._errors import NeurofilesError, StorageError
from .._errors import SessionClosedError  # re-exported
from .locking import FileLock

if TYPE_CHECKING:
    from .codec import Codec

__all__ = ["Session", "SessionClosedError"]


class Session(MutableMapping):  # type: ignore[type-arg]
    """One session of a :class:`DataManager`; use it like a ``dict`` with ``str`` keys.

    Writes are grouped into transactions by backends that have them; call
    :meth:`flush` for a durability point, and close the session (or use it as
    a context manager) when done.

    A *locking* session (``DataManager.locking_session()``) takes the
    session's inter-process lock around every single operation, reloads what
    other processes wrote, and flushes before releasing. A read-modify-write
    (``s['n'] = s['n'] + 1``) is two operations: wrap it in
    ``with s.lock():`` to make it atomic. :meth:`lock` works on every session.
    """

    __hash__ = object.__hash__  # sessions compare by identity, not by content

    def __eq__(self, other: object) -> bool:
        return self is other

    def __init__(
        self,
        backend: StorageBackend,
        name: str,
        codec: Codec,
        lock: FileLock,
        *,
        locking: bool = False,
        exclusive: bool = False,
        on_close: Callable[[Session], None] | None = None,
    ) -> None:
        """Open session ``name`` of ``backend`` for writing.

        The caller (the DataManager) hands over everything the session uses:
        the backend that stores it, the codec for its values, its
        inter-process lock, and ``on_close`` to hear when it closes.
        """
        self.name = name
        self.locking = locking
        self._backend = backend
        self._codec = codec
        self._on_close = on_close
        self.path = str(backend.session_path(name))
        self._lock = lock
        self._exclusive = exclusive
        self._store: Any = None
        self._in_block = False
        if exclusive:
            self._lock.acquire(blocking=False)  # fail fast, hold for the session's lifetime
        try:
            with self._writing("create"):
                if locking:  # creating the files races with other processes: do it under the lock
                    with self._lock:
                        self._store = backend.open_session(name, writable=True)
                        self._store.flush()
                else:
                    self._store = backend.open_session(name, writable=True)
        except BaseException:
            if exclusive:
                self._lock.release()
            raise

    @contextmanager
    def _writing(self, action: str = "write") -> Iterator[None]:
        """Turn an untyped ``OSError`` of a backend into a :class:`SessionWriteError` naming the session."""
        try:
            yield
        except NeurofilesError:
            raise
        except OSError as exc:
            raise write_error(exc, self.path, self.name, action) from exc

    def _key(self, key: object) -> str:
        checked = check_key(key)
        self._backend.check_key(checked)
        return checked

    # -- locking -------------------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float | None = -1.0) -> Iterator[Session]:
        """Hold the session's inter-process lock for the whole block.

        On entry the session sees every write other lock holders made; on
        exit its own writes are flushed before the lock is released, so a
        read-modify-write inside the block is atomic across processes.
        Reentrant. ``timeout`` (seconds) raises :class:`LockTimeoutError`.
        """
        store = self._open_store()
        outer = not self._in_block
        self._lock.acquire(timeout)
        self._in_block = True
        try:
            if outer:
                store.refresh()
            yield self
        finally:
            try:
                if outer:
                    store.flush()
            finally:
                if outer:
                    self._in_block = False
                self._lock.release()

    @contextmanager
    def _guard(self) -> Iterator[Any]:
        store = self._open_store()
        if not self.locking:
            yield store
            return
        with self.lock():
            yield store

    def _open_store(self) -> Any:
        if self._store is None:
            raise SessionClosedError(f"{self.path}: session {self.name!r} is closed")
        return self._store

    # -- mapping -------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self._key(key)
        with self._guard() as store:
            data = store.get(key)
        if data is None:
            raise KeyError(key)
        return self._codec.decode(data)

    def __setitem__(self, key: str, value: Any) -> None:
        self._key(key)
        data = self._codec.encode(value)
        with self._writing(), self._guard() as store:
            store.set(key, data)

    def __delitem__(self, key: str) -> None:
        self._key(key)
        with self._writing("delete from"), self._guard() as store:
            found = store.delete(key)
        if not found:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        self._key(key)
        with self._guard() as store:
            return bool(store.contains(key))

    def __iter__(self) -> Iterator[str]:
        with self._guard() as store:
            keys = list(store.keys())
        return iter(keys)

    def __len__(self) -> int:
        with self._guard() as store:
            return len(store)

    def update_many(self, items: Any) -> None:
        """Store several ``(key, value)`` pairs in one transaction where the backend has them."""
        encoded = [(self._key(k), self._codec.encode(v)) for k, v in dict(items).items()]
        with self._writing(), self._guard() as store:
            store.set_many(encoded)

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._store is None

    def flush(self) -> None:
        """Commit pending writes: they are durable and visible to readers when this returns."""
        with self._writing("flush"):
            self._open_store().flush()

    sync = flush  # shelve's name

    def close(self) -> None:
        """Flush, close the store and release the session's lock."""
        store, self._store = self._store, None
        if store is None:
            return
        try:
            with self._writing("close"):
                store.close()
        finally:
            if self._exclusive and self._lock.held:
                self._lock.release()
            if self._on_close is not None:
                self._on_close(self)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "locking " if self.locking else ("exclusive " if self._exclusive else "")
        state = "closed" if self.closed else "open"
        return (
            f"<{kind}Session {self.name!r} ({self._backend.name}, {state})"
            f" at {os.fspath(self.path)!r}>"
        )

Session.__module__ = "neurofiles"  # its public name
