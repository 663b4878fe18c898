"""A DataManager session: a mapping of ``str`` keys to Python values, held by one backend store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._framework.backend import InvalidNameError, StorageBackend, check_key, write_error
from .._errors import NeurofilesError, OptionError, StorageError
from .._errors import SessionClosedError  # re-exported
from .locking import FileLock
from .runs import RUN_KEY

if TYPE_CHECKING:
    from .codec import Codec
    from .datamanager import DataManager

__all__ = ["PARAMS_KEY", "RESERVED_PREFIX", "Session", "SessionClosedError", "check_user_key", "is_reserved"]

#: Keys starting with this are the DataManager's own (parameters, run record): refused as user keys
#: and hidden from keys(), items(), len()...
RESERVED_PREFIX = "\x1fneurofiles."
#: The reserved key under which a session's parameters are stored.
PARAMS_KEY = RESERVED_PREFIX + "params"


def is_reserved(key: str) -> bool:
    """True for the DataManager's own keys (:data:`RESERVED_PREFIX`)."""
    return key.startswith(RESERVED_PREFIX)


def check_user_key(key: object) -> str:
    """:func:`check_key`, and refuse the reserved keys (:data:`PARAMS_KEY`, the run record...)."""
    checked = check_key(key)
    if is_reserved(checked):
        raise InvalidNameError(
            f"refused key {key!r}: reserved for the DataManager's own records (use Session.params for parameters)"
        )
    return checked


def check_params(params: Any) -> dict[str, Any]:
    """A copy of ``params`` if it is a mapping with ``str`` keys, else :class:`OptionError`."""
    from collections.abc import Mapping

    if not isinstance(params, Mapping):
        raise OptionError(f"session params must be a mapping of str to values, got {type(params).__name__}")
    out = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise OptionError(f"session param names must be str, got {type(name).__name__} {name!r}")
        check_key(name)
        out[name] = value
    return out


def _reopen_session(manager: DataManager, name: str, locking: bool, exclusive: bool) -> Session:
    """Unpickle a :class:`Session`: open it again through the (already reopened) manager."""
    return manager._open(name, locking=locking, exclusive=exclusive)


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
        #: the DataManager that opened this session (set by it): what a pickled session reopens through
        self._manager: DataManager | None = None
        self.path = str(backend.session_path(name))
        self._lock = lock
        self._exclusive = exclusive
        self._store: Any = None
        self._in_block = False
        self._depth = 0
        #: the run record (``runs.RUN_KEY``) written at open, if the session was opened with params
        self._run: dict[str, Any] | None = None
        #: called once a ``replace`` run has committed as complete (the DataManager retires older runs)
        self._on_commit: Callable[[Session], None] | None = None
        self._aborted = False
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
        checked = check_user_key(key)
        self._backend.check_key(checked)
        return checked

    # -- pickling ------------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by name: the child reopens the same session of the same store.

        Pending writes are flushed first, so the child sees them. A locking
        session reopens as a locking session (several processes may share it);
        a plain session reopens as a plain one and is held exclusively in the
        child if it was here, so unpickling one that this process still holds
        raises :class:`SessionBusyError` (close it first, or use a locking session).
        """
        if self._manager is None:
            raise TypeError(f"session {self.name!r} was not opened by a DataManager and cannot be pickled")
        if self._store is not None:
            self.flush()
        return (_reopen_session, (self._manager, self.name, self.locking, self._exclusive))

    # -- locking -------------------------------------------------------------------------------

    def acquire(self, timeout: float | None = -1.0) -> None:
        """Brian 1's ``LockingSession.acquire()``: take the session lock and see other holders' writes.

        The same as entering ``with s.lock():``; pair every call with
        :meth:`release`. Works on every session; nests.
        """
        store = self._open_store()
        self._lock.acquire(timeout)
        self._depth += 1
        if self._depth == 1:
            self._in_block = True
            try:
                store.refresh()
            except BaseException:
                self._depth -= 1
                self._in_block = False
                self._lock.release()
                raise

    def release(self) -> None:
        """Brian 1's ``LockingSession.release()``: flush this session's writes, then release the lock.

        Raises
        ------
        RuntimeError
            No matching :meth:`acquire` (or ``lock()`` block) is open.
        """
        if self._depth <= 0:
            raise RuntimeError(f"{self.path}: release() without acquire() on session {self.name!r}")
        try:
            if self._depth == 1 and self._store is not None:
                self._store.flush()
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._in_block = False
            self._lock.release()

    @contextmanager
    def lock(self, timeout: float | None = -1.0) -> Iterator[Session]:
        """Hold the session's inter-process lock for the whole block.

        On entry the session sees every write other lock holders made; on
        exit its own writes are flushed before the lock is released, so a
        read-modify-write inside the block is atomic across processes.
        Reentrant. ``timeout`` (seconds) raises :class:`LockTimeoutError`.
        """
        self.acquire(timeout)
        try:
            yield self
        finally:
            self.release()

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
            keys = [k for k in store.keys() if not is_reserved(k)]
        return iter(keys)

    def __len__(self) -> int:
        with self._guard() as store:
            return len(store) - sum(1 for key in (PARAMS_KEY, RUN_KEY) if store.contains(key))

    # -- parameters ----------------------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        """The session's parameters (``{}`` if none were set); see ``DataManager.session(params=...)``."""
        with self._guard() as store:
            data = store.get(PARAMS_KEY)
        if data is None:
            return {}
        value = self._codec.decode(data)
        return dict(value) if isinstance(value, dict) else {}

    @params.setter
    def params(self, params: Any) -> None:
        data = self._codec.encode(check_params(params))
        with self._writing(), self._guard() as store:
            store.set(PARAMS_KEY, data)

    def _write_reserved(self, items: dict[str, Any], *, flush: bool) -> None:
        """Store the DataManager's own records (parameters, run record) in one transaction."""
        encoded = [(key, self._codec.encode(value)) for key, value in items.items()]
        with self._writing(), self._guard() as store:
            if flush:
                store.set_many(encoded)
                store.flush()
            else:  # committed with the session's next writes, as any set
                for key, data in encoded:
                    store.set(key, data)

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
        if self._store is None:
            return
        replacing = self._run is not None and self._run.get("mode") == "replace" and not self._aborted
        if replacing:  # complete: one commit makes this run visible and hides the older ones
            assert self._run is not None
            try:
                self._write_reserved({RUN_KEY: {**self._run, "done": True}}, flush=True)
            except BaseException:
                replacing = False  # not marked complete: the run stays hidden; still close and unlock
                self._aborted = True
                self.close()
                raise
        store, self._store = self._store, None
        try:
            with self._writing("close"):
                store.close()
        finally:
            while self._depth > 0:  # acquire() without release(): the lock goes with the session
                self._depth -= 1
                self._lock.release()
            self._in_block = False
            if self._exclusive and self._lock.held:
                self._lock.release()
            if self._on_close is not None:
                self._on_close(self)
        if replacing and self._on_commit is not None:
            self._on_commit(self)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self._aborted = True  # a replace run that failed stays hidden: the older runs stay visible
        self.close()

    def __repr__(self) -> str:
        kind = "locking " if self.locking else ("exclusive " if self._exclusive else "")
        state = "closed" if self.closed else "open"
        return (
            f"<{kind}Session {self.name!r} ({self._backend.name}, {state})"
            f" at {os.fspath(self.path)!r}>"
        )

Session.__module__ = "neurofiles"  # its public name
