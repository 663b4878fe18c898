"""npz archives that ask for more memory than they can justify: typed errors, before allocating."""

from __future__ import annotations

import json
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles.plugins.tabular._npz import (
    INFLATION_FLOOR,
    MAX_JSON_DEPTH,
    inflation_limit,
    json_depth,
)

MAX_SECONDS = 10.0
MAX_PEAK = 64 << 20


def members_of(events_count: int = 10) -> dict[str, bytes]:
    """The members (uncompressed) of a valid neurofiles npz of ``events_count`` events."""
    import io

    buffer = io.BytesIO()
    ev = neurofiles.Events(np.arange(events_count), addresses=np.arange(events_count))
    neurofiles.save(buffer, ev, format="npz")
    with zipfile.ZipFile(buffer) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def build_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip archive written by hand: ``(name, data as stored, method, crc, uncompressed size)``."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
            len(encoded), 0, 0, 0, 0, 0, offset,
        )
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def stored(members: dict[str, bytes], **replace: tuple[bytes, int, int, int]) -> bytes:
    """``members`` stored uncompressed, with some replaced by ``(data, method, crc, size)``."""
    rows = []
    for name, data in members.items():
        if name in replace:
            rows.append((name, *replace[name]))
        else:
            rows.append((name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data)))
    return build_zip(rows)


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A version 1.0 ``.npy`` header."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def outcome(path: Path, **options) -> BaseException | None:
    """Load ``path`` under a time and memory bound; return the error raised (None on success)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        neurofiles.load(path, **options)
        error = None
    except Exception as exc:  # noqa: BLE001 (the test says which type it had to be)
        error = exc
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"{elapsed:.1f} s"
    assert peak < MAX_PEAK, f"peak {peak / 2**20:.0f} MiB"
    return error


def test_npy_header_declaring_8_tib_is_refused_before_allocating(tmp_path):
    members = members_of()
    data = npy_header((2**40,)) + bytes(80)
    path = tmp_path / "huge.npz"
    path.write_bytes(stored(members, **{"col0.npy": (data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))}))
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError), repr(error)
    assert "col0.npy" in str(error) and "huge.npz" in str(error) and "1099511627776" in str(error)


def test_member_declaring_more_than_deflate_can_give_is_refused(tmp_path):
    members = members_of()
    header = npy_header((2**40,))
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = raw.compress(header + bytes(80)) + raw.flush()
    path = tmp_path / "liar.npz"
    size = 2**32 - 1  # the most a zip without zip64 declares
    path.write_bytes(stored(members, **{"col0.npy": (data, zipfile.ZIP_DEFLATED, 0, size)}))
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError), repr(error)
    assert "col0.npy" in str(error) and "more than deflate can give" in str(error)


def deflate_bomb(header: bytes, zero_mib: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``header`` then ``zero_mib`` MiB of zeros; its CRC and size."""
    chunk = bytes(1 << 20)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = head.compress(header) + head.flush(zlib.Z_FULL_FLUSH)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeat = block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)  # byte aligned, no history: repeatable
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = zlib.crc32(header)
    for _ in range(zero_mib):
        crc = zlib.crc32(chunk, crc)
    return first + repeat * zero_mib + end, crc, len(header) + (zero_mib << 20)


def test_a_1_mb_deflate_bomb_of_1_gib_is_refused(tmp_path):
    members = members_of()
    header = npy_header((2**27,))  # 2**27 float64: 1 GiB, all declared honestly
    data, crc, size = deflate_bomb(header, 1024)
    assert len(data) < 1_100_000 and size > 2**30
    path = tmp_path / "bomb.npz"
    path.write_bytes(stored(members, **{"col0.npy": (data, zipfile.ZIP_DEFLATED, crc, size)}))
    error = outcome(path)
    assert isinstance(error, neurofiles.LimitExceededError), repr(error)
    assert "col0.npy" in str(error) and "max_bytes" in str(error) and "bomb.npz" in str(error)
    assert isinstance(outcome(path, max_bytes=1 << 20), neurofiles.LimitExceededError)


def test_an_honest_compressible_archive_within_the_floor_loads(tmp_path):
    """32 MiB of zeros from a 40 KB file: a ratio of 800, allowed under the 256 MiB floor."""
    path = tmp_path / "zeros.npz"
    neurofiles.save(path, neurofiles.Events(np.zeros(4 << 20, dtype=np.int64)))
    assert path.stat().st_size < 100_000
    assert len(neurofiles.load(path)) == 4 << 20
    with pytest.raises(neurofiles.LimitExceededError, match="max_bytes"):
        neurofiles.load(path, max_bytes=1 << 20)


def test_inflation_limit_follows_the_file_size_with_a_floor_and_a_cap():
    assert inflation_limit(1_000_000) == INFLATION_FLOOR
    assert inflation_limit(10 << 20) == 256 * (10 << 20)
    assert inflation_limit(1 << 40) == 16 << 30
    assert inflation_limit(1_000_000, 5 << 30) == 5 << 30  # max_bytes= raises (or lowers) it


def test_member_smaller_than_its_header_declares_is_corrupt(tmp_path):
    members = members_of()
    data = npy_header((1000,)) + bytes(80)  # 8000 bytes declared, 80 held
    path = tmp_path / "short.npz"
    path.write_bytes(stored(members, **{"col1.npy": (data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))}))
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError) and "col1.npy" in str(error), repr(error)


def test_a_lying_uncompressed_size_is_caught_by_the_crc(tmp_path):
    members = members_of()
    header = npy_header((10,), "<i8")
    data, crc, size = deflate_bomb(header, 1)  # inflates to 1 MiB + header, declares 80 + header
    path = tmp_path / "lies.npz"
    path.write_bytes(stored(members, **{"col0.npy": (data, zipfile.ZIP_DEFLATED, crc, len(header) + 80)}))
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError) and "col0.npy" in str(error), repr(error)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_methods_neurofiles_does_not_write_are_refused(tmp_path, method):
    members = members_of()
    path = tmp_path / "other.npz"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError) and "compression method" in str(error), repr(error)


def head_member(head: object) -> bytes:
    """A ``__neurofiles__.npy`` member holding ``head`` (JSON text or any object)."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(head if isinstance(head, str) else json.dumps(head)))
    return buffer.getvalue()


def with_head(tmp_path: Path, name: str, head: object) -> Path:
    members = members_of()
    members["__neurofiles__.npy"] = head_member(head)
    path = tmp_path / name
    path.write_bytes(stored(members))
    return path


def test_metadata_nested_100000_deep_is_a_typed_error(tmp_path):
    base = json.loads(np.lib.format.read_array(
        __import__("io").BytesIO(members_of()["__neurofiles__.npy"])).item())
    text = json.dumps(base)[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = with_head(tmp_path, "deep.npz", text)
    error = outcome(path)
    assert isinstance(error, neurofiles.LimitExceededError), repr(error)
    assert "__neurofiles__" in str(error) and "100001" in str(error)
    with pytest.raises(neurofiles.LimitExceededError):
        neurofiles.detect(path)


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth('{"a": "[[[[{{{", "b": [1, [2, "]]]"]]}') == 3
    assert json_depth('["\\"[[[["]') == 1
    assert json_depth("[" * (MAX_JSON_DEPTH + 1)) == MAX_JSON_DEPTH + 1


@pytest.mark.parametrize(
    "change",
    [
        {"units": 5},
        {"columns": [1, 2]},
        {"units": ["s"]},
        {"attrs": []},
        {"metadata": "x"},
        {"kind": "Other"},
    ],
)
def test_malformed_head_fields_are_corrupt_file_errors(tmp_path, change):
    base = json.loads(np.lib.format.read_array(
        __import__("io").BytesIO(members_of()["__neurofiles__.npy"])).item())
    path = with_head(tmp_path, "head.npz", {**base, **change})
    for call in (neurofiles.load, neurofiles.detect):
        with pytest.raises(neurofiles.CorruptFileError, match="__neurofiles__"):
            call(path)


def test_a_head_that_is_not_a_string_and_a_column_that_is_not_1d(tmp_path):
    members = members_of()
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.arange(3.0))
    members["__neurofiles__.npy"] = buffer.getvalue()
    path = tmp_path / "numbers.npz"
    path.write_bytes(stored(members))
    assert isinstance(outcome(path), neurofiles.CorruptFileError)
    members = members_of()
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.int64(7))
    members["col0.npy"] = buffer.getvalue()
    path.write_bytes(stored(members))
    error = outcome(path)
    assert isinstance(error, neurofiles.CorruptFileError) and "1-D" in str(error), repr(error)
