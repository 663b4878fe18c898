"""The ``.nflog`` session file: a header, then committed segments of records.

Layout (little-endian)::

    header   b"NFLOG1\\n\\0"                       8 bytes, written when the session is created
    record   op:u8  klen:u32  vlen:u32  key  value  op 1 = set, 2 = delete (vlen 0)
    commit   op:u8 (3)  seglen:u32  crc32:u32      closes a segment: seglen bytes of records before it

A reader applies a segment only when its commit record is complete, its
``seglen`` matches and the CRC-32 of the segment's bytes agrees; it stops at
the first segment that does not. What follows the last good segment is either

- a *torn tail*: what a writer killed inside its one ``write`` leaves, a
  prefix of a valid segment (well-formed records, the last one or the commit
  record cut by the end of the file), or zero bytes to the end (a power cut on
  a filesystem that extends the size before the data). Never seen by readers;
  the next writer replaces the file by its committed state.
- *damage*: anything a torn write cannot produce (a complete commit record
  that does not match, an unknown record type, a key that is not UTF-8, other
  bytes). :attr:`Parsed.damage` gives its offset and what is wrong; the
  session is refused, never repaired (committed data may follow it).

Lengths are checked against the file's size before anything is sliced: a
length field can never make a reader allocate more than the file holds.
Records never span segments.
"""

from __future__ import annotations

import struct
import zlib
from typing import Union

__all__ = ["COMMIT", "DELETE", "HEADER", "Parsed", "SET", "commit_record", "parse", "record"]

HEADER = b"NFLOG1\n\0"
SET, DELETE, COMMIT = 1, 2, 3
_HEAD = struct.Struct("<BII")
HEAD_SIZE = _HEAD.size
#: Values up to this size are kept in memory by readers; larger ones are read when asked for.
INLINE_MAX = 32 * 1024

#: A value in memory, or ``(offset, length)`` of one left in the file.
Value = Union[bytes, tuple[int, int]]


class Parsed:
    """What a reader found: the committed items, where the valid part ends, and whether a tail was cut."""

    __slots__ = ("damage", "end", "items", "torn")

    def __init__(self, items: dict[str, Value], end: int, torn: int, damage: tuple[int, str] | None = None) -> None:
        self.items = items
        self.end = end
        self.torn = torn
        #: ``(byte offset, what is wrong)`` if the bytes after :attr:`end` are not a torn tail
        self.damage = damage


def record(op: int, key: bytes, value: bytes = b"") -> bytes:
    """One record."""
    return _HEAD.pack(op, len(key), len(value)) + key + value


def commit_record(segment: bytes | bytearray) -> bytes:
    """The commit record closing ``segment``."""
    return _HEAD.pack(COMMIT, len(segment), zlib.crc32(segment))


class FormatError(ValueError):
    """The file does not start with the header (not a session file)."""


def parse(data: bytes, items: dict[str, Value] | None = None, start: int = 0) -> Parsed:
    """Apply the committed segments of ``data`` from ``start`` (0: check the header first) to ``items``.

    Raises
    ------
    FormatError
        ``start`` is 0 and ``data`` does not begin with :data:`HEADER`.
    """
    items = {} if items is None else items
    size = len(data)
    if start == 0:
        if data[: len(HEADER)] != HEADER:
            raise FormatError(f"does not start with the session header {HEADER!r}")
        start = len(HEADER)
    view = memoryview(data)
    pos = start
    unpack = _HEAD.unpack_from
    pending: list[tuple[int, str, Value]] = []
    seg = pos
    damage: tuple[int, str] | None = None
    while pos + HEAD_SIZE <= size:
        op, a, b = unpack(data, pos)
        if op == COMMIT:
            if a != pos - seg or zlib.crc32(view[seg:pos]) != b:
                damage = (pos, f"commit record does not match the {pos - seg} bytes of records before it"
                          f" (from byte {seg}): CRC or length differs")
                break
            for kind, key, staged in pending:
                if kind == SET:
                    items[key] = staged
                else:
                    items.pop(key, None)
            pending.clear()
            pos += HEAD_SIZE
            seg = pos
            continue
        if op not in (SET, DELETE) or (op == DELETE and b):
            if op != 0 or data.count(0, pos) != size - pos:  # zeros to the end: a power cut's tail
                damage = (pos, f"record type {op} with lengths {a}, {b} is not a record of a session file")
            break
        kstart = pos + HEAD_SIZE
        vstart = kstart + a
        vend = vstart + b
        if vend > size:
            break  # cut by the end of the file: a torn write (checked before slicing anything)
        try:
            key = str(data[kstart:vstart], "utf-8")
        except UnicodeDecodeError:
            damage = (kstart, "key is not UTF-8")
            break
        value: Value = bytes(view[vstart:vend]) if b <= INLINE_MAX else (vstart, b)
        pending.append((op, key, value))
        pos = vend
    return Parsed(items, seg, size - seg, damage)
