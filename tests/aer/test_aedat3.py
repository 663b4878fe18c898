"""AEDAT 3.0 / 3.1 packet-stream decoding: generated conformance files, overflow, skipping, corruption."""

from __future__ import annotations

import io
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _aedat_test_support import VECTORS, builders, events_list, expected  # noqa: E402

from neurofiles._errors import CorruptFileError, FormatWarning, TruncatedFileError  # noqa: E402
from neurofiles._framework.source import Source  # noqa: E402
from neurofiles.plugins.aer._aedat3 import decode_aedat3  # noqa: E402

B = builders


def _write(tmp_path: Path, data: bytes, name: str = "f.aedat") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _decode(path: Path, header_end: int, version: str = "3.1", **kw):
    return decode_aedat3(Source(path), header_end=header_end, version=version, **kw)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_vector_decodes_to_expected(version: str) -> None:
    rel = f"aedat3/polarity_v{version.replace('.', '')}.aedat"
    exp = expected(rel)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = _decode(VECTORS / rel, exp["header_end"], version)
    assert events_list(r) == exp["events"]
    m = r["metadata"]
    assert m["invalid_events"] == exp["invalid_events"]
    assert m["skipped"] == exp["skipped"]
    assert m["polarity_packets"] == 3 and m["special_packets"] == 1
    assert m["origin"] == ("lower-left" if version == "3.0" else "top-left")
    special = r["streams"]["special"]
    assert [[int(a), int(b), int(c)] for a, b, c in special] == exp["special"]
    assert r["timestamps"].dtype == np.int64 and r["x"].dtype == np.uint16 and r["polarity"].dtype == np.bool_


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_vector_regenerates_byte_identically(version: str) -> None:
    data, end, exp = B.aedat3_conformance(version)
    rel = f"aedat3/polarity_v{version.replace('.', '')}.aedat"
    assert (VECTORS / rel).read_bytes() == data
    assert expected(rel) == exp and exp["header_end"] == end


def test_overflow_gives_monotonic_64bit_timestamps() -> None:
    exp = expected("aedat3/polarity_v31.aedat")
    r = _decode(VECTORS / "aedat3/polarity_v31.aedat", exp["header_end"])
    t = r["timestamps"]
    assert np.all(np.diff(t) > 0)
    assert t[0] < 2**31 <= t[-1]  # second packet has eventTSOverflow = 1
    assert int(r["x"][0]) == 0x7FFF and int(r["y"][0]) == 0x7FFF  # 15-bit coordinates survive


def test_layouts_differ_between_30_and_31(tmp_path: Path) -> None:
    x, y, p = np.array([5, 300]), np.array([7, 200]), np.array([1, 0])
    valid = np.ones(2, bool)
    for version in ("3.0", "3.1"):
        data, end = B.build_aedat3([B.polarity_packet(x, y, p, np.array([10, 20]), valid, version, 0)], version)
        path = _write(tmp_path, data, f"v{version}.aedat")
        right = _decode(path, end, version)
        wrong = _decode(path, end, "3.1" if version == "3.0" else "3.0")
        assert right["x"].tolist() == [5, 300] and right["y"].tolist() == [7, 200]
        assert right["polarity"].tolist() == [True, False]
        assert wrong["x"].tolist() != [5, 300] or wrong["y"].tolist() != [7, 200]


def test_capacity_larger_than_number_skips_spare_slots(tmp_path: Path) -> None:
    pk = B.polarity_packet(np.array([1, 2]), np.array([3, 4]), np.array([1, 1]), np.array([5, 6]),
                           np.ones(2, bool), "3.1", 0, spare=4)
    after = B.polarity_packet(np.array([9]), np.array([9]), np.array([0]), np.array([7]), np.ones(1, bool), "3.1", 0)
    data, end = B.build_aedat3([pk, after])
    r = _decode(_write(tmp_path, data), end)
    assert r["timestamps"].tolist() == [5, 6, 7] and r["x"].tolist() == [1, 2, 9]


def test_unknown_event_type_is_skipped_by_declared_size(tmp_path: Path) -> None:
    pol = B.polarity_packet(np.array([1]), np.array([1]), np.array([1]), np.array([100]), np.ones(1, bool), "3.1", 0)
    data, end = B.build_aedat3([B.opaque_packet(99, 20, 5), pol, B.opaque_packet(4, 48, 2)])
    r = _decode(_write(tmp_path, data), end)
    assert r["timestamps"].tolist() == [100]
    assert r["metadata"]["skipped"] == {"type99": {"packets": 1, "events": 5}, "imu9": {"packets": 1, "events": 2}}


def test_header_only_and_file_object(tmp_path: Path) -> None:
    data, end = B.build_aedat3([])
    r = _decode(_write(tmp_path, data), end)
    assert len(r["timestamps"]) == 0 and r["streams"] == {}
    vec, vend, exp = B.aedat3_conformance("3.1")
    r = decode_aedat3(Source(io.BytesIO(vec)), header_end=vend, version="3.1")
    assert events_list(r) == exp["events"]


def test_truncated_policy(tmp_path: Path) -> None:
    data, end, exp = B.aedat3_conformance("3.1")
    # cut inside the second polarity packet: the first one (10 valid events) survives
    tail = (28 + 3 * 8) + 28  # the spike packet and the empty polarity packet after it
    cut = len(data) - tail - 30
    path = _write(tmp_path, data[:cut])
    with pytest.warns(FormatWarning, match="truncated AEDAT 3 file"):
        r = _decode(path, end)
    assert events_list(r) == exp["events"][: len(r["timestamps"])]
    assert 0 < len(r["timestamps"]) < len(exp["events"]) and "truncated" in r["metadata"]
    with pytest.raises(TruncatedFileError) as info:
        _decode(path, end, strict=True)
    assert info.value.offset is not None and info.value.offset >= end


def test_every_cut_point_gives_typed_outcome(tmp_path: Path) -> None:
    data, end, exp = B.aedat3_conformance("3.0")
    counts = set()
    for cut in range(end, len(data) + 1, 5):
        path = _write(tmp_path, data[:cut], f"c{cut}.aedat")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FormatWarning)
            r = _decode(path, end, "3.0")
        got = events_list(r)
        assert got == exp["events"][: len(got)]
        counts.add(len(got))
    assert {0, len(exp["events"])} <= counts


@pytest.mark.parametrize(
    "fields, match",
    [
        ((1, 1, 8, 4, 0, -1, 0, 0), "bad packet header"),  # negative capacity
        ((1, 1, 8, 4, 0, 1, 2, 2), "bad packet header"),  # number > capacity
        ((1, 1, 8, 4, -3, 1, 1, 1), "bad packet header"),  # negative overflow
        ((1, 1, 4, 0, 0, 1, 1, 1), "eventSize 4"),  # polarity events too small
        ((1, 1, 8, 6, 0, 1, 1, 1), "eventTSOffset 6"),  # timestamp would overrun the event
    ],
)
def test_corrupt_packet_headers(tmp_path: Path, fields: tuple[int, ...], match: str) -> None:
    head = B.header3("3.1")
    payload = bytes(max(fields[2], 0) * max(fields[5], 0))
    path = _write(tmp_path, head + struct.pack("<hhiiiiii", *fields) + payload)
    with pytest.raises(CorruptFileError, match=match) as info:
        _decode(path, len(head))
    assert info.value.offset == len(head) and str(path) in str(info.value)


def test_huge_declared_packet_is_truncation_not_allocation(tmp_path: Path) -> None:
    head = B.header3("3.1")
    path = _write(tmp_path, head + struct.pack("<hhiiiiii", 1, 1, 8, 4, 0, 2**31 - 1, 2**31 - 1, 0) + bytes(64))
    with pytest.warns(FormatWarning):
        r = _decode(path, len(head))
    assert len(r["timestamps"]) == 0
    with pytest.raises(TruncatedFileError):
        _decode(path, len(head), strict=True)


def test_header_end_outside_file(tmp_path: Path) -> None:
    path = _write(tmp_path, B.header3("3.1"))
    with pytest.raises(CorruptFileError, match="header end"):
        _decode(path, 10_000)
