"""Inter-process locks on lock files (``flock`` on POSIX, ``msvcrt`` on Windows).

A :class:`FileLock` excludes other processes *and* other ``FileLock`` objects
in the same process (each holds its own open file description). It is
reentrant for its own holder, records the holder's pid and host in the lock
file so that a refused caller can say who holds it, and is released by the
operating system when the holder dies (``kill -9`` included), so there are no
stale locks.

Across machines: ``flock`` on a local filesystem excludes processes of one
host only.

Lock files are opened without following a symbolic link and without
blocking on a FIFO, created without truncation, and used only if ``fstat``
shows a regular file owned by this user with one link; a planted link, FIFO,
hard link or another user's file raises :class:`UnsafeStoreFileError` and is
never written. The holder record is written in place (``pwrite`` and
``ftruncate``) on that verified descriptor only. On Linux NFS clients ``flock`` is emulated with POSIX byte-range
locks that reach the server's lock manager, unless the mount uses
``local_lock``; verify on the target mount before relying on it.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType

from .._framework.backend import UnsafeStoreFileError, open_regular, write_error
from .._errors import StorageError
from .._errors import LockTimeoutError, SessionBusyError  # re-exported

__all__ = ["FileLock", "LockTimeoutError", "SessionBusyError"]


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

    _INFO_OFFSET = 1
    _blocking_lock = None
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _blocking_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    _INFO_OFFSET = 0


_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(
    os, "O_CLOEXEC", 0
)
#: Bytes of a lock file read for its holder record.
_MAX_RECORD = 4096


class FileLock:
    """An exclusive, reentrant inter-process lock on ``path`` (created if missing).

    Parameters
    ----------
    path
        The lock file. Its folder is created.
    timeout
        Default seconds to wait in :meth:`acquire` (``None``: forever).
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float | None = None) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0
        self._guard = threading.RLock()

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._depth > 0

    def holder(self) -> str:
        """Who holds the lock, as recorded in the lock file (``'pid 12 on host x'``)."""
        try:
            fd = open_regular(self.path)
            assert fd is not None
            try:
                raw = os.read(fd, _MAX_RECORD)[_INFO_OFFSET:]
            finally:
                os.close(fd)
            info = json.loads(raw.decode("utf-8"))
            return f"pid {info['pid']} on host {info['host']} (since {info['since']})"
        except (OSError, ValueError, KeyError, TypeError, AssertionError):
            return "an unknown process (no holder recorded)"

    def acquire(self, timeout: float | None = -1.0, *, blocking: bool = True) -> None:
        """Take the lock.

        Parameters
        ----------
        timeout
            Seconds to wait; ``None`` waits forever; the default uses the
            lock's own ``timeout``.
        blocking
            ``False`` fails at once if another holder has it.

        Raises
        ------
        SessionBusyError
            ``blocking=False`` and the lock is held elsewhere.
        LockTimeoutError
            The lock was not free within ``timeout`` seconds.
        """
        if timeout == -1.0:
            timeout = self.timeout
        with self._guard:
            if self._depth:
                self._depth += 1
                return
            fd = self._open()
            try:
                self._wait(fd, timeout, blocking)
                self._record(fd)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            self._depth = 1
            # a holder dropped without release() must not keep the lock until the process exits
            self._finalizer = weakref.finalize(self, os.close, fd)

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if os.name == "nt":  # pragma: no cover - no O_NOFOLLOW, no owners to compare
                return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
            folder = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                fd = os.open(self.path.name, _LOCK_FLAGS, 0o644, dir_fd=folder)
            finally:
                os.close(folder)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafeStoreFileError(
                    f"{self.path}: a symbolic link (of the lock file or its folder); refused, nothing written"
                ) from None
            raise write_error(exc, self.path, self.path.stem, "lock") from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                why = "not a regular file"
            elif st.st_uid != os.geteuid():
                why = f"owned by uid {st.st_uid}, not by this user (uid {os.geteuid()})"
            elif st.st_nlink != 1:
                why = f"has {st.st_nlink} hard links"
            else:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        raise UnsafeStoreFileError(f"{self.path}: lock file refused, nothing written: {why}")

    def _wait(self, fd: int, timeout: float | None, blocking: bool) -> None:
        if _try_lock(fd):
            return
        if not blocking:
            raise SessionBusyError(
                f"{self.path}: held by {self.holder()}; only one process may write this session at a time"
            )
        if timeout is None and _blocking_lock is not None:
            _blocking_lock(fd)
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while not _try_lock(fd):
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeoutError(f"{self.path}: not acquired within {timeout} s; held by {self.holder()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _record(self, fd: int) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
        raw = json.dumps(info).encode()
        try:
            if hasattr(os, "pwrite"):
                os.pwrite(fd, raw, _INFO_OFFSET)
            else:  # pragma: no cover - Windows
                os.lseek(fd, _INFO_OFFSET, os.SEEK_SET)
                os.write(fd, raw)
            os.ftruncate(fd, _INFO_OFFSET + len(raw))
        except OSError:  # the holder record is a courtesy; the lock itself is held
            pass

    def release(self) -> None:
        """Release one level; the OS lock goes when the outermost level is released."""
        with self._guard:
            if not self._depth:
                raise RuntimeError(f"{self.path}: release() of a lock that is not held")
            self._depth -= 1
            if self._depth:
                return
            fd, self._fd = self._fd, None
            assert fd is not None
            self._finalizer.detach()
            try:
                os.ftruncate(fd, _INFO_OFFSET)
            except OSError:
                pass
            try:
                _unlock(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<FileLock {os.fspath(self.path)!r} {'held' if self.held else 'free'}>"
