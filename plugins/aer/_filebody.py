"""Random access to a file's bytes by positioned reads (no memory map).

A memory map would save one copy per packet, but touching a page of a file
that another process truncated kills the interpreter with SIGBUS. With reads,
a file that shrinks while it is decoded gives a :class:`TruncatedFileError`.
"""

from __future__ import annotations

from typing import BinaryIO, Union

from neurofiles.plugin import Source
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

    def close(self) -> None:
        """Nothing to release: the caller owns the handle."""
