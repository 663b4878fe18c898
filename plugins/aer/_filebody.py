"""Random access to a file's bytes by positioned reads (no memory map).

A memory map would save one copy per packet, but touching a page of a file
that another process truncated kills the interpreter with SIGBUS. With reads,
a file that shrinks while it is decoded gives a :class:`TruncatedFileError`.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Union

from neurofiles.plugin import Source, TruncatedFileError
from neurofiles.plugin.io import read_at

__all__ = ["FileBody"]

Buffer = Union[bytes, bytearray, memoryview]


class FileBody:
    """Slices of a file of ``size`` bytes (its size when opened)."""

    def __init__(self, source: Source, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self._name = source.name
        self._size = size

    def read(self, offset: int, n: int) -> Buffer:
        """Up to ``n`` bytes at ``offset``; short only where the file was short when opened."""
        return read_at(self._fh, offset, max(0, min(n, self._size - offset)), self._name)

    def fileno(self) -> int | None:
        """The descriptor for positioned reads from other threads (``os.pread``), or None (a file object)."""
        if not hasattr(os, "pread"):
            return None
        try:
            fd = self._fh.fileno()
            os.pread(fd, 0, 0)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        return fd

    def read_in_thread(self, fd: int, offset: int, n: int) -> bytes:
        """:meth:`read` by ``os.pread`` on ``fd`` (from :meth:`fileno`): safe from several threads at once."""
        n = max(0, min(n, self._size - offset))
        data = os.pread(fd, n, offset)
        if len(data) < n:
            raise TruncatedFileError(f"the file shrank while it was read: it ends before byte {offset + n}",
                                     path=self._name, offset=offset + len(data))
        return data

    def close(self) -> None:
        """Nothing to release: the caller owns the handle."""
