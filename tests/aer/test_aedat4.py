"""AEDAT 4.0 decoding: real samples, generated conformance vectors, truncation, limits, corruption."""

from __future__ import annotations

import hashlib
import importlib
import io
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _aedat_test_support import VECTORS, builders, events_list, expected, need  # noqa: E402

from neurofiles._errors import (  # noqa: E402
    CorruptFileError,
    FormatWarning,
    LimitExceededError,
    MissingDependencyError,
    TruncatedFileError,
)
from neurofiles._framework.source import Source  # noqa: E402
from neurofiles.plugins.aer import _compression  # noqa: E402
from neurofiles.plugins.aer._aedat4 import decode_aedat4  # noqa: E402

SAMPLES = {
    "sample.aedat4": ("b42f119af2548d4328e6c0f249e369a4b755d82eeb6ddceb14441492d979444c", 111954,
                      1605537493718345, 1605537494308262, (320, 240), "DVXplorer_DXB00010"),
    "davis.aedat4": ("140ed9a82548ec3c3e66baf5948adb8c0f2e22fac6d22344685b0dc26a2584f0", 117667,
                     1633953690975950, 1633953691105949, (346, 260), "DAVIS346_00000104"),
}


@pytest.fixture(autouse=True)
def _extras() -> None:
    need("lz4.frame")
    need("zstandard")


def _decode(path: Path, **kw):
    return decode_aedat4(Source(path), **kw)


def _write(tmp_path: Path, data: bytes, name: str = "f.aedat4") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------- real files

@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_sample_counts_and_timestamps(testdata: Path, name: str) -> None:
    sha, count, first, last, size, camera = SAMPLES[name]
    path = testdata / "aer" / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean file gives no warning
        r = _decode(path)
    t = r["timestamps"]
    assert t.dtype == np.int64 and len(t) == count
    assert (int(t[0]), int(t[-1])) == (first, last)
    assert r["x"].dtype == np.uint16 and r["y"].dtype == np.uint16 and r["polarity"].dtype == np.bool_
    assert len(r["x"]) == len(r["y"]) == len(r["polarity"]) == count
    assert int(r["x"].max()) < size[0] and int(r["y"].max()) < size[1]
    assert 0.3 < r["polarity"].mean() < 0.7
    m = r["metadata"]
    assert (m["width"], m["height"], m["source"]) == (*size, camera)
    assert m["compression"] == "LZ4" and m["data_table"] is True
    assert m["elements"][m["events_stream"]] == count
    assert r["tick"] == 1e-6


def test_real_davis_streams(testdata: Path) -> None:
    r = _decode(testdata / "aer" / "davis.aedat4")
    m = r["metadata"]
    assert m["frames"] == 3 and r["streams"]["frames"]["images"].shape == (3, 260, 346)  # FRME packets decoded
    assert {s["type"] for s in m["streams"].values()} == {"EVTS", "FRME", "IMUS", "TRIG"}
    trig = r["streams"]["triggers"]
    imu = r["streams"]["imu"]
    assert len(trig) == 15 and len(imu) == 130
    assert set(np.unique(trig["type"])) <= set(range(10))
    assert np.all(np.diff(imu["timestamp"]) > 0)
    # DAVIS IMU at rest: gravity of about 1 g, temperature plausible
    g = np.sqrt(imu["accelerometer_x"] ** 2 + imu["accelerometer_y"] ** 2 + imu["accelerometer_z"] ** 2)
    assert np.all(np.abs(g - 1) < 0.2)
    assert np.all((imu["temperature"] > 0) & (imu["temperature"] < 60))
    t = r["timestamps"]
    assert trig["timestamp"].min() >= t[0] - 10_000 and imu["timestamp"].max() <= t[-1] + 10_000


def test_real_sample_imu_no_triggers(testdata: Path) -> None:
    r = _decode(testdata / "aer" / "sample.aedat4")
    assert "triggers" not in r["streams"]
    assert len(r["streams"]["imu"]) == 475
    assert r["metadata"]["frames"] == 0


def test_real_file_object_and_threads_agree(testdata: Path) -> None:
    path = testdata / "aer" / "davis.aedat4"
    a = _decode(path)
    b = decode_aedat4(Source(io.BytesIO(path.read_bytes())))  # no mmap: seek + read
    c = _decode(path, threads=2)
    for other in (b, c):
        for key in ("timestamps", "x", "y", "polarity"):
            assert np.array_equal(a[key], other[key])
        assert np.array_equal(a["streams"]["imu"], other["streams"]["imu"])


def test_real_truncated_davis(testdata: Path, tmp_path: Path) -> None:
    data = (testdata / "aer" / "davis.aedat4").read_bytes()
    path = _write(tmp_path, data[:600_000])
    with pytest.warns(FormatWarning, match="truncated"):
        r = _decode(path)
    n = len(r["timestamps"])
    assert 0 < n < 117667
    assert r["metadata"]["data_table"] is False and "truncated" in r["metadata"]
    full = _decode(testdata / "aer" / "davis.aedat4")
    assert np.array_equal(r["timestamps"], full["timestamps"][:n])  # a prefix of the real events
    with pytest.raises(TruncatedFileError) as info:
        _decode(path, strict=True)
    assert info.value.offset is not None and str(path) in str(info.value)


# ----------------------------------------------------------------------------- conformance vectors

VECTOR_FILES = ["mixed_none", "mixed_lz4", "mixed_zstd", "mixed_lz4_no_table"]


@pytest.mark.parametrize("stem", VECTOR_FILES)
def test_vector_decodes_to_expected(stem: str) -> None:
    exp = expected(f"aedat4/{stem}.aedat4")
    r = _decode(VECTORS / "aedat4" / f"{stem}.aedat4")
    assert events_list(r) == exp["events"]
    assert [list(map(int, t)) for t in r["streams"]["triggers"]] == exp["triggers"]
    assert [[int(row[0])] + [float(v) for v in list(row)[1:]] for row in r["streams"]["imu"]] == exp["imu"]
    assert r["metadata"]["frames"] == exp["frames"]
    frames = r["streams"]["frames"]
    assert frames["images"].dtype == np.uint8 and frames["images"].shape == (exp["frames"], 6, 8)
    assert [img.reshape(-1).tolist() for img in frames["images"]] == exp["frame_pixels"]
    assert (frames["exposure_end"] - frames["exposure_start"]).tolist() == [200] * exp["frames"]
    stamps = [frames[k].tolist() for k in ("timestamps", "frame_start", "frame_end", "exposure_start", "exposure_end")]
    assert [list(s) for s in zip(*stamps)] == exp["frame_stamps"]
    assert r["metadata"]["compression"] == exp["compression"]
    assert r["metadata"]["data_table"] is exp["data_table"]
    assert (r["metadata"]["width"], r["metadata"]["height"]) == (exp["width"], exp["height"])


def test_vectors_regenerate_identically() -> None:
    for rel, (data, exp) in builders.vector_cases().items():
        if not rel.startswith("aedat4/"):
            continue
        on_disk = (VECTORS / rel).read_bytes()
        if "none" in rel:
            assert data == on_disk, rel  # no compressor involved: byte-identical
        assert expected(rel) == exp, rel


def test_vector_truncated_policy() -> None:
    path = VECTORS / "aedat4" / "truncated_lz4.aedat4"
    exp = expected("aedat4/truncated_lz4.aedat4")
    with pytest.warns(FormatWarning, match="truncated AEDAT 4 file"):
        r = _decode(path)
    assert events_list(r) == exp["events"]
    assert r["metadata"]["truncated"]["offset"] < exp["truncated_at"]
    with pytest.raises(TruncatedFileError):
        _decode(path, strict=True)


@pytest.mark.parametrize("compression", ["none", "lz4", "lz4_high", "zstd", "zstd_high"])
def test_round_trip_every_compression(tmp_path: Path, compression: str) -> None:
    content = builders.random_aedat4_content(1000, seed=7)
    path = _write(tmp_path, builders.build_aedat4(content, compression=compression, events_per_packet=300))
    r = _decode(path)
    ev = content.events
    assert np.array_equal(r["timestamps"], ev["t"])
    assert np.array_equal(r["x"], ev["x"]) and np.array_equal(r["y"], ev["y"])
    assert np.array_equal(r["polarity"], ev["p"].astype(bool))
    assert np.array_equal(r["streams"]["triggers"]["type"], content.triggers["type"])


def test_walks_packets_when_data_table_beyond_eof(tmp_path: Path) -> None:
    data, exp = builders.aedat4_conformance("lz4", with_data_table=True)
    header_len = struct.unpack_from("<I", data, 14)[0]
    # cut the file inside the FileDataTable: dataTablePosition still points inside, the table is bad
    table_at = _data_table_position(data)
    cut = _write(tmp_path, data[: table_at + 6])
    with pytest.warns(FormatWarning, match="FileDataTable"):
        r = _decode(cut)
    assert events_list(r) == exp["events"] and r["metadata"]["data_table"] is False
    with pytest.raises(CorruptFileError):
        _decode(cut, strict=True)
    # cut before the table: dataTablePosition lies beyond EOF
    short = _write(tmp_path, data[: table_at - 1], "short.aedat4")
    with pytest.warns(FormatWarning):
        r = _decode(short)
    assert len(r["timestamps"]) < len(exp["events"]) and header_len > 0
    with pytest.raises(TruncatedFileError):
        _decode(short, strict=True)


def _data_table_position(data: bytes) -> int:
    from neurofiles.plugins.aer._aedat4_header import read_ioheader

    return read_ioheader(io.BytesIO(data), path="x", file_size=len(data), strict=True).data_table_position


def test_every_cut_point_gives_typed_outcome(tmp_path: Path) -> None:
    data, exp = builders.aedat4_conformance("lz4", with_data_table=False)
    n_all = len(exp["events"])
    seen_counts = set()
    for cut in range(0, len(data), 7):
        path = _write(tmp_path, data[:cut], f"cut{cut}.aedat4")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FormatWarning)
            try:
                r = _decode(path)
            except TruncatedFileError:
                assert cut < 18 + struct.unpack_from("<I", data, 14)[0]  # only inside the header
                continue
        got = events_list(r)
        assert got == exp["events"][: len(got)]
        seen_counts.add(len(got))
    assert seen_counts >= {0, 8, 16, 24, 32} and n_all == 40


# ----------------------------------------------------------------------------- limits and corruption

def test_decompression_limit(tmp_path: Path) -> None:
    for comp in ("lz4", "zstd"):
        path = VECTORS / "aedat4" / f"mixed_{comp}.aedat4"
        with pytest.raises(LimitExceededError) as info:
            _decode(path, max_packet_bytes=100)
        assert info.value.offset is not None and "max_packet_bytes" in str(info.value)


def test_decompression_bomb_is_bounded() -> None:
    lz4 = need("lz4.frame")
    zstd = need("zstandard")
    bomb = b"\0" * (64 << 20)
    for code, packed in ((1, lz4.compress(bomb)), (3, zstd.ZstdCompressor().compress(bomb)),
                         (3, zstd.ZstdCompressor(write_content_size=False).compress(bomb))):
        assert len(packed) < 2 << 20
        with pytest.raises(LimitExceededError):
            _compression.decompress(packed, code, limit=1 << 20, path="bomb", offset=99)


def test_lz4_fallback_path_when_bound_exceeds_limit() -> None:
    lz4 = need("lz4.frame")
    raw = bytes(range(256)) * 4
    packed = lz4.compress(raw)
    bound = _compression.lz4_bound(packed)
    assert bound is not None and bound >= len(raw)
    # the block bound (64 KiB) is above the limit, the real size is not: exact cap path
    assert _compression.decompress(packed, 1, limit=2000) == raw
    with pytest.raises(LimitExceededError):
        _compression.decompress(packed, 1, limit=500)
    with pytest.raises(TruncatedFileError):
        _compression.decompress(packed[:-6], 1, limit=2000)
    with pytest.raises(CorruptFileError):
        _compression.decompress(b"\x04\x22\x4d\x18garbage!", 1, limit=2000)


def test_missing_dependency_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, *a, **k):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(_compression, "_MODULES", {})
    monkeypatch.setattr(importlib, "import_module", refuse)
    with pytest.raises(MissingDependencyError) as info:
        _decode(VECTORS / "aedat4" / "mixed_lz4.aedat4")
    assert 'pip install "neurofiles[aedat4]"' in str(info.value)
    with pytest.raises(MissingDependencyError):
        _compression.decompressor_for(3)
    # uncompressed files need neither package
    r = _decode(VECTORS / "aedat4" / "mixed_none.aedat4")
    assert len(r["timestamps"]) == 40


def _first_packet(data: bytes) -> int:
    return 18 + struct.unpack_from("<I", data, 14)[0]


def test_bad_flatbuffer_offsets_raise_with_packet_offset(tmp_path: Path) -> None:
    data = bytearray((VECTORS / "aedat4" / "mixed_none.aedat4").read_bytes())
    first = _first_packet(bytes(data))
    body = first + 8
    # the EventPacket's root uoffset (after the size prefix) pointed far outside the buffer
    bad = bytearray(data)
    struct.pack_into("<I", bad, body + 4, 0x7FFF0000)
    with pytest.raises(CorruptFileError) as info:
        _decode(_write(tmp_path, bytes(bad), "root.aedat4"))
    assert info.value.offset == first and "outside the buffer" in str(info.value)
    # the events vector length made huge: the vector would run past the buffer
    bad = bytearray(data)
    root = body + 4 + struct.unpack_from("<I", data, body + 4)[0]
    vt = root - struct.unpack_from("<i", data, root)[0]
    field = root + struct.unpack_from("<H", data, vt + 4)[0]
    vec = field + struct.unpack_from("<I", data, field)[0]
    struct.pack_into("<I", bad, vec, 10**8)
    with pytest.raises(CorruptFileError) as info:
        _decode(_write(tmp_path, bytes(bad), "vec.aedat4"))
    assert info.value.offset == first and "vector" in str(info.value)
    # the size prefix larger than the packet
    bad = bytearray(data)
    struct.pack_into("<I", bad, body, 10**6)
    with pytest.raises(CorruptFileError, match="size prefix"):
        _decode(_write(tmp_path, bytes(bad), "prefix.aedat4"))


def test_bad_compressed_body_and_headers(tmp_path: Path) -> None:
    data = (VECTORS / "aedat4" / "mixed_lz4.aedat4").read_bytes()
    first = _first_packet(data)
    bad = bytearray(data)
    bad[first + 8 + 7 : first + 8 + 15] = b"\xff" * 8  # inside the first LZ4 frame
    with pytest.raises(CorruptFileError) as info:
        _decode(_write(tmp_path, bytes(bad), "lz4.aedat4"))
    assert info.value.offset == first
    bad = bytearray(data)
    struct.pack_into("<i", bad, first + 4, -5)
    with pytest.raises(CorruptFileError, match="negative size"):
        _decode(_write(tmp_path, bytes(bad), "neg.aedat4"))
    with pytest.raises(CorruptFileError, match="AEDAT 4.0"):
        _decode(_write(tmp_path, b"#!AER-DAT2.0\r\n" + data[14:], "v2.aedat4"))
    with pytest.raises(TruncatedFileError):
        _decode(_write(tmp_path, data[:16], "short.aedat4"))
    big = bytearray(data)
    struct.pack_into("<I", big, 14, 1 << 30)
    with pytest.raises(LimitExceededError):
        _decode(_write(tmp_path, bytes(big), "big.aedat4"))


def test_unknown_compression_code(tmp_path: Path) -> None:
    io_header = builders.io_header(9, -1, builders.info_node({}, "none"))
    data = b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(io_header)) + io_header
    with pytest.raises(CorruptFileError, match="compression type 9"):
        _decode(_write(tmp_path, data))


def test_header_only_file_has_no_events(tmp_path: Path) -> None:
    io_header = builders.io_header(1, -1, builders.info_node({0: ("EVTS", "events", {"sizeX": 10})}, "lz4"))
    r = _decode(_write(tmp_path, b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(io_header)) + io_header))
    assert len(r["timestamps"]) == 0 and r["timestamps"].dtype == np.int64 and r["streams"] == {}


def test_dtd_in_info_node_is_refused_but_packets_still_read(tmp_path: Path) -> None:
    content = builders.random_aedat4_content(50, seed=3)
    info = '<!DOCTYPE dv [<!ENTITY a "aaaa">]><dv version="2.0">&a;</dv>'
    raw = builders.build_aedat4(content, compression="none", with_data_table=False, events_per_packet=10)
    first = _first_packet(raw)
    io_header = builders.io_header(0, -1, info)
    data = b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(io_header)) + io_header + raw[first:]
    path = _write(tmp_path, data)
    with pytest.warns(FormatWarning, match="DTD"):
        r = _decode(path)
    assert np.array_equal(r["timestamps"], content.events["t"])  # stream types from packet identifiers
    assert len(r["streams"]["triggers"]) == len(content.triggers)
    with pytest.raises(CorruptFileError, match="DTD"):
        _decode(path, strict=True)


def test_polarity_byte_other_than_one_is_true(tmp_path: Path) -> None:
    body = bytearray(builders.event_packet(np.array([5, 6]), np.array([1, 2]), np.array([3, 4]), np.array([0, 1])))
    # the polarity byte of the second event (offset 12 within the 16-byte struct) set to 7
    body[32 + 16 + 12] = 7
    info = builders.info_node({0: ("EVTS", "events", {})}, "none")
    io_header = builders.io_header(0, -1, info)
    data = b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(io_header)) + io_header + struct.pack("<ii", 0, len(body)) + body
    r = _decode(_write(tmp_path, data))
    assert r["polarity"].tolist() == [False, True]
    assert r["polarity"].view(np.uint8).max() == 1


def test_second_events_stream_goes_to_streams(tmp_path: Path) -> None:
    a = builders.event_packet(np.array([1, 2]), np.array([1, 2]), np.array([1, 2]), np.array([1, 0]))
    b = builders.event_packet(np.array([3]), np.array([9]), np.array([8]), np.array([1]))
    info = builders.info_node({0: ("EVTS", "left", {}), 5: ("EVTS", "right", {})}, "none")
    io_header = builders.io_header(0, -1, info)
    data = (b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(io_header)) + io_header
            + struct.pack("<ii", 5, len(b)) + b + struct.pack("<ii", 0, len(a)) + a)
    r = _decode(_write(tmp_path, data))
    assert r["timestamps"].tolist() == [1, 2] and r["metadata"]["events_stream"] == 0
    right = r["streams"]["events_5"]
    assert right["t"].tolist() == [3] and right["x"].tolist() == [9] and right["p"].tolist() == [True]


@pytest.mark.parametrize("fake", [10**15, -5, 0])
def test_data_table_counts_never_drive_allocation(tmp_path: Path, fake: int) -> None:
    content = builders.random_aedat4_content(300, seed=11)
    data = builders.build_aedat4(content, compression="lz4", events_per_packet=50, fake_num_elements=fake)
    r = _decode(_write(tmp_path, data))  # 10**15 * 5 packets would be 65 PB of arrays if trusted
    assert np.array_equal(r["timestamps"], content.events["t"]) and r["metadata"]["data_table"] is True
