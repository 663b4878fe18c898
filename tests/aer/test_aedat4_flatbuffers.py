"""The bounds-checked flatbuffer reader on hand-made and damaged buffers."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from neurofiles._errors import CorruptFileError
from neurofiles.plugins.aer._flatbuffers import FlatBuffer, TableColumns

I64 = struct.Struct("<q")


def _buffer() -> bytes:
    # root uoffset 12 -> table at 12; vtable at 4: size 8, table size 16, slot0 at +8, slot1 absent
    b = bytearray(32)
    struct.pack_into("<I", b, 0, 12)
    struct.pack_into("<HHHH", b, 4, 8, 16, 8, 0)
    struct.pack_into("<i", b, 12, 12 - 4)
    struct.pack_into("<q", b, 20, -42)
    return bytes(b)


def test_scalar_and_default() -> None:
    root = FlatBuffer(_buffer()).root()
    assert root.scalar(0, I64, 0) == -42
    assert root.scalar(1, I64, 7) == 7  # absent in the vtable -> default
    assert root.scalar(5, I64, 9) == 9  # beyond the vtable -> default
    assert root.string(1) is None and root.table(1) is None and root.vector(1, 4) == (0, 0)


@pytest.mark.parametrize(
    "patch, message",
    [
        ((0, "<I", 1000), "outside the buffer"),  # root offset
        ((12, "<i", 1000), "outside the buffer"),  # soffset to the vtable
        ((4, "<H", 3), "invalid size"),  # vtable size
        ((4, "<H", 200), "outside the buffer"),  # vtable longer than the buffer
        ((6, "<H", 400), "outside the buffer"),  # table size
    ],
)
def test_damaged_offsets_raise_corrupt(patch: tuple[int, str, int], message: str) -> None:
    b = bytearray(_buffer())
    struct.pack_into(patch[1], b, patch[0], patch[2])
    with pytest.raises(CorruptFileError, match=message) as info:
        FlatBuffer(bytes(b), path="f.aedat4", where=1234, what="packet").root()
    assert info.value.offset == 1234 and info.value.path == "f.aedat4"


def test_field_value_past_end() -> None:
    b = bytearray(_buffer())
    struct.pack_into("<H", b, 8, 28)  # slot0 at table+28: 8 bytes would run past the 32-byte buffer
    with pytest.raises(CorruptFileError):
        FlatBuffer(bytes(b)).root().scalar(0, I64, 0)


def test_size_prefix_and_identifier_checks() -> None:
    with pytest.raises(CorruptFileError, match="size prefix"):
        FlatBuffer(struct.pack("<I", 100) + bytes(8)).root(size_prefixed=True)
    with pytest.raises(CorruptFileError, match="identifier"):
        FlatBuffer(_buffer()).root(identifier=b"EVTS")
    with pytest.raises(CorruptFileError):
        FlatBuffer(b"\x01").root()


def test_table_columns_bounds() -> None:
    # a vector of 1 uoffset pointing far outside the buffer
    b = bytearray(_buffer()) + bytearray(8)
    struct.pack_into("<I", b, 32, 1)
    struct.pack_into("<I", b, 36, 10_000)
    fb = FlatBuffer(bytes(b))
    with pytest.raises(CorruptFileError, match="outside the buffer"):
        TableColumns(fb, 36, 1)
    # a vector whose count runs past the buffer
    with pytest.raises(CorruptFileError, match="outside the buffer"):
        TableColumns(fb, 36, 5)
    empty = TableColumns(fb, 36, 0)
    assert empty.column(0, "<i8").tolist() == [] and empty.column(0, "<i8").dtype == np.int64
