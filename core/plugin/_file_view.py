"""Positioned reads that a shrinking file cannot crash, and a bytes-like view built on them.

A memory map would do the same job without reads, but touching a mapped page
of a file that another process has truncated kills the interpreter with
SIGBUS. :class:`FileView` reads what is asked in 64 KiB windows instead, so a
file that shrinks meanwhile gives a :class:`TruncatedFileError`.
"""

from __future__ import annotations

import io
import os
import re
from typing import BinaryIO

from .._errors import TruncatedFileError
from .._framework.source import Source

__all__ = ["FileView", "read_at", "shrank"]

WINDOW = 1 << 16


class FileView:
    """A read-only, bytes-like view of a file of ``size`` bytes (its size when opened).

    Supports ``len()``, slicing, :meth:`find`, :meth:`rfind` and :meth:`search`
    like :class:`bytes`; the last window read is kept, so scanning lines one
    after the other reads each window once.
    """

    def __init__(self, source: Source, size: int) -> None:
        self._source = source
        self._size = size
        self._cached = (0, b"")

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"<FileView {self._source.name!r}, {self._size} bytes>"

    def open(self) -> BinaryIO:
        """A fresh binary handle on the file, at its start (for engines that stream it)."""
        return self._source.open()

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("FileView supports slices with step 1 only")
        start, stop, _ = key.indices(self._size)
        return self.read(start, stop - start) if stop > start else b""

    def read(self, offset: int, n: int) -> bytes:
        """The bytes ``[offset, offset + n)``, cut at the size the file had when opened."""
        n = max(0, min(n, self._size - offset))
        at, cached = self._cached
        if at <= offset and offset + n <= at + len(cached):
            return cached[offset - at : offset - at + n]
        with self.open() as handle:
            data = read_at(handle, offset, max(n, min(WINDOW, self._size - offset)), self._source.name)
        self._cached = (offset, data)
        return data[:n]

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Lowest index of ``sub`` in ``[start, end)``, or -1.

        The last window read is searched in place when it holds ``start``, so
        finding line ends one after the other reads each window once.
        """
        end = self._size if end is None else min(end, self._size)
        pos = max(start, 0)
        while pos < end:
            at, cached = self._cached
            if not (at <= pos and pos + len(sub) <= at + len(cached)):
                self.read(pos, min(max(WINDOW, len(sub)), end - pos))
                at, cached = self._cached
            stop = min(end, at + len(cached))
            found = cached.find(sub, pos - at, stop - at)
            if found >= 0:
                return at + found
            if stop >= end:
                return -1
            pos = stop - len(sub) + 1
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Highest index of ``sub`` in ``[start, end)``, or -1."""
        end = self._size if end is None else min(end, self._size)
        start = max(start, 0)
        hi = end
        while hi > start:
            lo = max(start, hi - WINDOW)
            chunk = self.read(lo, min(hi + len(sub) - 1, end) - lo)
            found = chunk.rfind(sub)
            if found >= 0:
                return lo + found
            hi = lo
        return -1

    def search(self, pattern: re.Pattern[bytes], pos: int = 0) -> int:
        """Index of the first match of a one-byte ``pattern`` (such as ``rb"\\S"``) from ``pos``, or -1."""
        while pos < self._size:
            match = pattern.search(self.read(pos, WINDOW))
            if match is not None:
                return pos + match.start()
            pos += WINDOW
        return -1



def read_at(handle: BinaryIO, offset: int, n: int, path: str) -> bytes:
    """Exactly ``n`` bytes at ``offset`` of ``handle``: a positioned read that a shrinking file
    turns into :class:`TruncatedFileError` (naming where the file now ends), never a short result."""
    handle.seek(offset)
    data = handle.read(n)
    if len(data) < n:
        raise shrank(path, offset + len(data) if data else _current_size(handle, offset))
    return data


def shrank(path: str, ends: int) -> TruncatedFileError:
    """The error for a file found to end at byte ``ends``, before what it held when opened."""
    message = f"the file shrank while it was read: it ends at byte {ends}"
    return TruncatedFileError(message, path=path, offset=ends)


def _current_size(handle: BinaryIO, fallback: int) -> int:
    """The size of the file behind ``handle`` now, at most ``fallback`` (``fallback`` if it cannot tell)."""
    try:
        return min(os.fstat(handle.fileno()).st_size, fallback)
    except (OSError, AttributeError, io.UnsupportedOperation):
        return fallback

FileView.__module__ = "neurofiles.plugin.io"  # its public name
