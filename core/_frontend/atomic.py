"""Atomic file writes: a temporary file in the destination's folder, then one rename.

Nothing but the final :func:`os.replace` touches the destination: the data go
to a new file created with ``O_EXCL`` (``.<name>.<8 random chars>.tmp``), so
no existing file is ever truncated or written through. A destination that is
a directory, FIFO, socket or device is refused; a symbolic link is replaced
by the new file (the link, never its target). While it is written, the
temporary file is locked (``flock``); temporaries of the same destination
left by a killed process (ours, unlocked, untouched for an hour) are removed
by the next write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from .._errors import InvalidPathError, NeurofilesError, WriteError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the age alone tells a stale file
    fcntl = None  # type: ignore[assignment]

__all__ = ["STALE_SECONDS", "clean_stale_temps", "temp_prefix", "write_atomic", "write_error", "write_many"]

#: a temporary file untouched for this long, and not locked, is a leftover of a killed writer
STALE_SECONDS = 3600.0
_PREFIX_CHARS = 200  # ".<name>." + 8 random + ".tmp" must fit in a 255-byte name
_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix

_WRITE_ERRNO = {
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a component of the path is not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a directory",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
}


def write_error(exc: OSError, path: object) -> WriteError:
    """The :class:`WriteError` for ``exc`` raised while writing ``path`` (errno kept)."""
    if isinstance(exc, WriteError):
        return exc
    message = _WRITE_ERRNO.get(exc.errno or 0) or f"cannot write: {exc.strerror or exc}"
    error = WriteError(message, path=path)
    error.errno = exc.errno
    return error


def temp_prefix(path: Path) -> str:
    """The name start of every temporary file written for ``path``."""
    return f".{path.name[:_PREFIX_CHARS]}."


def _destination(dest: str | os.PathLike[str]) -> Path:
    """``dest`` as a path, after checking what is there now: nothing, a regular file or a symlink."""
    name = os.fspath(dest)
    if "\0" in name:
        raise InvalidPathError("not a valid path: embedded null byte", path=repr(name))
    try:
        path = Path(name).expanduser()
    except RuntimeError as exc:  # "~user" of no such user
        raise WriteError(f"cannot expand the home folder: {exc}", path=name) from exc
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise write_error(exc, path) from exc
    if stat.S_ISDIR(info.st_mode):
        raise WriteError("is a directory", path=path)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        raise WriteError("is a FIFO, socket or device, not a regular file: not replaced", path=path)
    return path


def clean_stale_temps(path: Path, *, now: float | None = None, age: float = STALE_SECONDS) -> list[str]:
    """Remove leftover temporary files of ``path`` (killed writers); return their names.

    Only names of the exact pattern ``.<name>.<8 chars>.tmp`` in the same
    folder, regular files (never a symlink, never followed), owned by this
    user, unchanged for ``age`` seconds and not locked by a live writer.
    """
    pattern = re.compile(re.escape(temp_prefix(path)) + _RANDOM + r"\.tmp\Z")
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = os.scandir(path.parent)
    except OSError:
        return removed
    with entries:
        for entry in entries:
            if not pattern.match(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (
                stat.S_ISREG(info.st_mode)
                and info.st_uid == _uid()
                and now - info.st_mtime >= age
                and _remove_unlocked(entry.path, info)
            ):
                removed.append(entry.name)
    return removed


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else -1


def _remove_unlocked(name: str, seen: os.stat_result) -> bool:
    """Unlink ``name`` if it is still the file ``seen`` and no writer holds its lock."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (seen.st_dev, seen.st_ino):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer holds it
        os.unlink(name)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (thread safety)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Temp:
    """One temporary file being written for ``path``, locked until committed or discarded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        clean_stale_temps(path)
        try:
            fd, self.name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise write_error(exc, path) from exc
        self.stream: IO[bytes] = os.fdopen(fd, "wb")
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
            os.chmod(self.name, 0o666 & ~_umask())  # mkstemp makes 0600; give the file ordinary permissions
        except BaseException:
            self.discard()
            raise

    def finish(self) -> None:
        """Flush the data to the disk (the file stays locked and unnamed to readers)."""
        self.stream.flush()
        os.fsync(self.stream.fileno())

    def commit(self) -> None:
        """Rename the file over the destination, then release it."""
        os.replace(self.name, self.path)
        self.stream.close()

    def discard(self) -> None:
        """Remove the temporary file (nothing is left behind)."""
        with contextlib.suppress(OSError):
            os.unlink(self.name)
        with contextlib.suppress(OSError):
            self.stream.close()


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the system allows it."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_many(jobs: Sequence[tuple[str | os.PathLike[str], Callable[[IO[bytes], Path], Any]]]) -> list[Path]:
    """Write every ``(dest, write)`` to a temporary file, then rename them all; all or nothing.

    ``write(stream, path)`` writes one file. Every destination is checked
    before anything is written; if a write fails, every temporary file is
    removed and no destination has changed.
    """
    paths = [_destination(dest) for dest, _ in jobs]
    temps: list[_Temp] = []
    try:
        for path, (_, write) in zip(paths, jobs):
            temp = _Temp(path)
            temps.append(temp)
            write(temp.stream, path)
            temp.finish()
        for temp in temps:
            temp.commit()
    except BaseException as exc:
        for temp in temps:
            temp.discard()
        if isinstance(exc, OSError) and not isinstance(exc, NeurofilesError):
            where = temps[-1].path if temps else paths[0]
            raise write_error(exc, where) from exc
        raise
    for folder in {path.parent for path in paths}:
        _sync_folder(folder)
    return paths


def write_atomic(dest: str | os.PathLike[str], write: Callable[[IO[bytes], Path], Any]) -> Path:
    """Write one file atomically (see :func:`write_many`); return its path."""
    return write_many([(dest, write)])[0]
