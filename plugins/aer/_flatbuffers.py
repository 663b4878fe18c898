"""A minimal, bounds-checked reader for the parts of FlatBuffers that AEDAT 4 uses.

Only reading is supported: tables (through their vtables), scalar fields,
strings, vectors of scalars/structs (returned as a position and a length so
callers can ``np.frombuffer`` them) and vectors of tables. Every offset is
checked against the buffer before use; a bad one raises
:class:`~neurofiles.CorruptFileError` carrying the file path and the file byte
offset of the buffer (``where``), with the position inside the buffer in the
message.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Union

from neurofiles.plugin import CorruptFileError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FlatBuffer", "Table"]

Buffer = Union[bytes, bytearray, memoryview]

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")


class FlatBuffer:
    """A flatbuffer held in ``data``.

    Parameters
    ----------
    data
        The buffer (bytes, bytearray or memoryview).
    path
        File name for error messages.
    where
        File byte offset reported in errors (for a decompressed packet: the
        offset of its packet header).
    what
        Short description for error messages (``"IOHeader"``, ``"packet"``...).
    """

    __slots__ = ("data", "size", "path", "where", "what")

    def __init__(self, data: Buffer, *, path: object = None, where: int | None = None, what: str = "") -> None:
        self.data = data
        self.size = len(data)
        self.path = path
        self.where = where
        self.what = what or "flatbuffer"

    # -- primitive access -------------------------------------------------
    def fail(self, message: str) -> CorruptFileError:
        """Build (not raise) a CorruptFileError about this buffer."""
        return CorruptFileError(f"{self.what}: {message}", path=self.path, offset=self.where)

    def check(self, pos: int, length: int, what: str) -> None:
        """Raise unless ``[pos, pos + length)`` lies inside the buffer."""
        if pos < 0 or length < 0 or pos + length > self.size:
            raise self.fail(
                f"{what} at buffer position {pos} (+{length} bytes) is outside the buffer of {self.size} bytes"
            )

    def u16(self, pos: int) -> int:
        self.check(pos, 2, "uint16")
        return int(_U16.unpack_from(self.data, pos)[0])

    def u32(self, pos: int) -> int:
        self.check(pos, 4, "uint32")
        return int(_U32.unpack_from(self.data, pos)[0])

    def i32(self, pos: int) -> int:
        self.check(pos, 4, "int32")
        return int(_I32.unpack_from(self.data, pos)[0])

    # -- entry points -----------------------------------------------------
    def root(self, *, size_prefixed: bool = False, identifier: bytes | None = None) -> Table:
        """Return the root table.

        Parameters
        ----------
        size_prefixed
            The buffer starts with a uint32 length of the rest; it is checked.
        identifier
            Expected 4-byte file identifier after the root offset, if any.
        """
        start = 0
        if size_prefixed:
            declared = self.u32(0)
            if declared > self.size - 4:
                raise self.fail(f"size prefix {declared} exceeds the {self.size - 4} bytes that follow it")
            start = 4
        root_pos = start + self.u32(start)
        if identifier is not None:
            self.check(start + 4, 4, "file identifier")
            found = bytes(self.data[start + 4 : start + 8])
            if found != identifier:
                raise self.fail(f"file identifier {found!r}, expected {identifier!r}")
        return Table(self, root_pos)

    def identifier(self, *, size_prefixed: bool = False) -> bytes:
        """The 4 bytes where a file identifier would sit (may be anything)."""
        start = 4 if size_prefixed else 0
        self.check(start + 4, 4, "file identifier")
        return bytes(self.data[start + 4 : start + 8])


class Table:
    """One flatbuffer table at buffer position ``pos``; fields by slot index (0-based)."""

    __slots__ = ("fb", "pos", "_vt", "_vt_size")

    def __init__(self, fb: FlatBuffer, pos: int) -> None:
        self.fb = fb
        self.pos = pos
        vt = pos - fb.i32(pos)
        vt_size = fb.u16(vt)
        if vt_size < 4 or vt_size % 2:
            raise fb.fail(f"vtable at buffer position {vt} has invalid size {vt_size}")
        fb.check(vt, vt_size, "vtable")
        table_size = fb.u16(vt + 2)
        fb.check(pos, max(table_size, 4), "table")
        self._vt = vt
        self._vt_size = vt_size

    def field(self, slot: int) -> int | None:
        """Buffer position of field ``slot``, or None when it is absent (default value)."""
        entry = 4 + 2 * slot
        if entry >= self._vt_size:
            return None
        rel = _U16.unpack_from(self.fb.data, self._vt + entry)[0]
        return None if rel == 0 else self.pos + rel

    def scalar(self, slot: int, fmt: struct.Struct, default: int | float | bool) -> int | float | bool:
        """A scalar field decoded with ``fmt`` (a little-endian ``struct.Struct``)."""
        at = self.field(slot)
        if at is None:
            return default
        self.fb.check(at, fmt.size, f"field {slot}")
        value: int | float | bool = fmt.unpack_from(self.fb.data, at)[0]
        return value

    def struct_at(self, slot: int, size: int) -> int | None:
        """Buffer position of an inline struct field of ``size`` bytes, or None."""
        at = self.field(slot)
        if at is not None:
            self.fb.check(at, size, f"struct field {slot}")
        return at

    def _indirect(self, slot: int) -> int | None:
        at = self.field(slot)
        if at is None:
            return None
        return at + self.fb.u32(at)

    def vector(self, slot: int, elem_size: int) -> tuple[int, int]:
        """``(position, count)`` of a vector of ``elem_size``-byte elements; ``(0, 0)`` if absent."""
        at = self._indirect(slot)
        if at is None:
            return 0, 0
        count = self.fb.u32(at)
        self.fb.check(at + 4, count * elem_size, f"vector field {slot} of {count} elements")
        return at + 4, count

    def string(self, slot: int) -> bytes | None:
        """A string field as raw bytes (no decoding), or None."""
        pos, count = self.vector(slot, 1)
        if pos == 0:
            return None
        return bytes(self.fb.data[pos : pos + count])

    def table(self, slot: int) -> Table | None:
        """A sub-table field, or None."""
        at = self._indirect(slot)
        return None if at is None else Table(self.fb, at)

    def tables(self, slot: int) -> list[Table]:
        """A vector of tables (each element a uoffset to a table)."""
        pos, count = self.vector(slot, 4)
        out = []
        for i in range(count):
            at = pos + 4 * i
            out.append(Table(self.fb, at + _U32.unpack_from(self.fb.data, at)[0]))
        return out


# -- vectorised access to vectors of tables -----------------------------------

def _gather(fb: FlatBuffer, u8: "np.ndarray", pos: "np.ndarray", dtype: "np.dtype", what: str) -> "np.ndarray":
    """Read one ``dtype`` value at each buffer position in ``pos`` (bounds-checked)."""
    import numpy as np

    size = dtype.itemsize
    if pos.size:
        bad = (pos < 0) | (pos + size > fb.size)
        if bad.any():
            first = int(pos[np.argmax(bad)])
            raise fb.fail(f"{what} at buffer position {first} is outside the buffer of {fb.size} bytes")
    idx = pos[:, None] + np.arange(size, dtype=np.int64)
    return np.ascontiguousarray(u8[idx]).view(dtype).reshape(-1)


class TableColumns:
    """The tables of a vector-of-tables field, read column by column with numpy.

    ``TableColumns(fb, pos, count)`` takes the ``(position, count)`` of a
    vector of uoffsets (from :meth:`Table.vector` with ``elem_size=4``).
    :meth:`column` returns one field for every table at once, using the
    default where a table omits the field. No Python loop per table.
    """

    def __init__(self, fb: FlatBuffer, pos: int, count: int) -> None:
        import numpy as np

        self.fb = fb
        self._u8 = np.frombuffer(fb.data, dtype=np.uint8)
        slots = pos + 4 * np.arange(count, dtype=np.int64)
        rel = _gather(fb, self._u8, slots, np.dtype("<u4"), "table offset").astype(np.int64)
        self.tables = slots + rel
        soff = _gather(fb, self._u8, self.tables, np.dtype("<i4"), "table").astype(np.int64)
        self._vt = self.tables - soff
        self._vt_size = _gather(fb, self._u8, self._vt, np.dtype("<u2"), "vtable").astype(np.int64)
        if count and (self._vt_size < 4).any():
            raise fb.fail("vtable with a size below 4 bytes")
        self.count = count

    def field_positions(self, slot: int) -> "np.ndarray":
        """Buffer position of ``slot`` in every table, or -1 where it is absent."""
        import numpy as np

        entry = 4 + 2 * slot
        has = entry < self._vt_size
        rel = np.zeros(self.count, dtype=np.int64)
        if has.any():
            rel[has] = _gather(self.fb, self._u8, self._vt[has] + entry, np.dtype("<u2"), "vtable entry")
        return np.where(rel > 0, self.tables + rel, -1)

    def column(self, slot: int, dtype: "np.dtype | str", default: float = 0) -> "np.ndarray":
        """Field ``slot`` of every table as an array of ``dtype`` (little-endian in the buffer)."""
        import numpy as np

        dt = np.dtype(dtype).newbyteorder("<")
        at = self.field_positions(slot)
        out = np.full(self.count, default, dtype=dt.newbyteorder("="))
        present = at >= 0
        if present.any():
            out[present] = _gather(self.fb, self._u8, at[present], dt, f"field {slot}")
        return out
