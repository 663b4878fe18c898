"""AEDAT 2.0 writer: jAER layout, vectorised, reads back identically."""

from __future__ import annotations

import io
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import Events


def jaer_header_length(data: bytes) -> int:
    """Header length the way jAER computes it: '#' lines, chars + CRLF, stop at the end marker."""
    pos = 0
    while data[pos : pos + 1] == b"#":
        nl = data.index(b"\n", pos)
        line = data[pos + 1 : nl - 1].decode()  # jAER assumes CRLF
        pos += len(line) + 3
        if line.strip().lower() == "end of ascii header":
            break
    return pos


def random_events(n: int, seed: int = 0) -> Events:
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(0, 50, n)) + 1000
    return Events(ts, addresses=rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32),
                  metadata={"chip": "eu.seebetter.ini.chips.davis.DAVIS346B"})


def test_round_trip_identical(tmp_path: Path):
    events = random_events(50_000)
    path = tmp_path / "out.aedat"
    neurofiles.save(path, events, creation_time=1_700_000_000)
    back = neurofiles.load(path, decode=False)  # raw addresses, not the chip's decoding
    assert np.array_equal(back.timestamps, events.timestamps)
    assert np.array_equal(back.addresses, events.addresses)
    assert back.tick == events.tick
    assert back.metadata["chip"] == "eu.seebetter.ini.chips.davis.DAVIS346B"
    assert back.metadata["start_time_ms"] == 1_700_000_000_000
    assert back.metadata["end_marker"] == "#End Of ASCII Header"


def test_header_is_jaer_style(tmp_path: Path):
    path = tmp_path / "out.aedat"
    neurofiles.save(path, random_events(10), creation_time=0)
    data = path.read_bytes()
    head = data[: neurofiles.load(path).metadata["header_size"]]
    lines = head.split(b"\r\n")[:-1]
    assert lines[0] == b"#!AER-DAT2.0"
    assert all(line.startswith(b"#") for line in lines)
    assert b"\n" not in head.replace(b"\r\n", b"")  # every line ends in CRLF
    assert b"# Timestamps tick: 1 us" in lines
    assert lines[-1] == b"#End Of ASCII Header"
    assert jaer_header_length(data) == len(head)
    assert len(data) == len(head) + 8 * 10


def test_big_endian_records(tmp_path: Path):
    ev = Events([1, 2], addresses=[0x01020304, 0xA0B0C0D0])
    buffer = io.BytesIO()
    from neurofiles.plugins.aer._writer import write_aedat

    write_aedat(buffer, ev, creation_time=0)
    body = buffer.getvalue()[-16:]
    assert body == bytes.fromhex("01020304 00000001 a0b0c0d0 00000002")


def test_wrapped_timestamps_round_trip(tmp_path: Path):
    ts = np.array([2**31 - 10, 2**31 + 5, 2**32 + 7, 3 * 2**32 // 2 + 1], dtype=np.int64)
    ev = Events(ts, addresses=[1, 2, 3, 4])
    path = tmp_path / "wrap.aedat"
    neurofiles.save(path, ev, creation_time=0)
    back = neurofiles.load(path, decode=False)  # raw addresses, not the chip's decoding
    assert back.timestamps.tolist() == ts.tolist()
    assert back.metadata["wraps"] == 2
    raw = np.frombuffer(path.read_bytes()[back.metadata["header_size"]:], dtype=">i4")[1::2]
    assert raw.min() < 0  # stored as int32 wrapping like a device counter


def test_unrepresentable_timestamps_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="outside int32"):
        neurofiles.save(tmp_path / "a.aedat", Events([2**40], addresses=[1]))
    with pytest.raises(ValueError, match="steps back"):
        neurofiles.save(tmp_path / "b.aedat", Events([2**31 - 1, 2**31 + 2**32], addresses=[1, 2]))
    assert not (tmp_path / "b.aedat").exists()  # atomic save left nothing behind


def test_coordinates_encoded_with_layout(tmp_path: Path):
    ev = Events([5, 6, 7], x=[0, 100, 345], y=[0, 259, 3], polarity=[True, False, True])
    with pytest.raises(ValueError, match="layout"):
        neurofiles.save(tmp_path / "c.aedat", ev)
    neurofiles.save(tmp_path / "c.aedat", ev, layout="davis346")
    back = neurofiles.load(tmp_path / "c.aedat", decode="davis346")
    assert back.x.tolist() == [0, 100, 345] and back.y.tolist() == [0, 259, 3]
    assert back.polarity.tolist() == [True, False, True]


def test_tick_and_extra_header_lines(tmp_path: Path):
    ev = Events([1, 2], addresses=[1, 2], tick=2e-7)
    path = tmp_path / "t.aedat"
    neurofiles.save(path, ev, header_lines=["Recorded-by: test"], creation_time=0)
    back = neurofiles.load(path, decode=False)  # raw addresses, not the chip's decoding
    assert back.tick == pytest.approx(2e-7) and back.metadata["tick_source"] == "header"
    assert back.metadata["header"]["Recorded-by"] == "test"
    with pytest.raises(ValueError, match="line breaks"):
        neurofiles.save(path, ev, header_lines=["a\r\nb"])


def test_empty_events(tmp_path: Path):
    path = tmp_path / "e.aedat"
    neurofiles.save(path, Events([], addresses=[]), creation_time=0)
    assert len(neurofiles.load(path)) == 0


def test_writer_through_chunk_boundary(tmp_path: Path):
    from neurofiles.plugins.aer import _writer

    events = random_events(_writer._CHUNK + 17, seed=5)
    path = tmp_path / "big.aedat"
    neurofiles.save(path, events, creation_time=0)
    back = neurofiles.load(path, decode=False)  # raw addresses, not the chip's decoding
    assert np.array_equal(back.timestamps, events.timestamps)
    assert np.array_equal(back.addresses, events.addresses)
