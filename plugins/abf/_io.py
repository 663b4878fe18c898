"""Positioned reads of an ABF file: ``os.pread`` on a path, seek+read on a file object.

No memory map is used, so a file that another process truncates gives a
:class:`TruncatedFileError` instead of killing the interpreter with SIGBUS.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

import numpy as np

from ._deps import NotARegularFileError, ReadError, Source, TruncatedFileError

__all__ = ["RandomAccess"]


class RandomAccess:
    """Exact reads at byte offsets of one file, opened once.

    Parameters
    ----------
    source
        The file to read. A path is opened (non-blocking, so a FIFO swapped in
        after selection cannot hang) and its descriptor ``fstat``-ed; a file
        object is read through :meth:`Source.open`.
    """

    def __init__(self, source: Source) -> None:
        self.name = source.name
        self._fd: int | None = None
        self._handle: BinaryIO | None = None
        if source.path is not None and hasattr(os, "pread"):
            try:
                fd = os.open(
                    source.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
                )
            except OSError as exc:
                raise ReadError(f"cannot open: {exc.strerror or exc}", path=self.name) from exc
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                os.close(fd)
                raise NotARegularFileError("is not a regular file", path=self.name)
            self._fd = fd
            self.size: int = info.st_size
        else:
            self._handle = source.open()
            self.size = int(source.size or 0)

    def read(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at ``offset``; :class:`TruncatedFileError` if the file ends first."""
        if n <= 0:
            return b""
        if offset + n > self.size:
            raise TruncatedFileError(
                f"needs bytes up to {offset + n} but the file has {self.size}", path=self.name, offset=offset
            )
        if self._fd is not None:
            parts: list[bytes] = []
            got = 0
            while got < n:
                chunk = os.pread(self._fd, n - got, offset + got)
                if not chunk:
                    raise self._shrank(offset + got)
                parts.append(chunk)
                got += len(chunk)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        assert self._handle is not None
        self._handle.seek(offset)
        data = self._handle.read(n)
        if len(data) < n:
            raise self._shrank(offset + len(data))
        return data

    def read_array(self, offset: int, count: int, dtype: np.dtype) -> np.ndarray:
        """``count`` items of ``dtype`` at ``offset``, read straight into a new array."""
        out = np.empty(count, dtype=dtype)
        n = out.nbytes
        if n == 0:
            return out
        if offset + n > self.size:
            raise TruncatedFileError(
                f"needs bytes up to {offset + n} but the file has {self.size}", path=self.name, offset=offset
            )
        view = out.data.cast("B")
        if self._fd is not None and hasattr(os, "preadv"):
            got = 0
            while got < n:
                k = os.preadv(self._fd, [view[got:]], offset + got)
                if k <= 0:
                    raise self._shrank(offset + got)
                got += k
            return out
        view[:] = self.read(offset, n)
        return out

    def _shrank(self, ends: int) -> TruncatedFileError:
        return TruncatedFileError(
            f"the file shrank while it was read: it ends at byte {ends}", path=self.name, offset=ends
        )

    def close(self) -> None:
        """Close the descriptor or handle (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
