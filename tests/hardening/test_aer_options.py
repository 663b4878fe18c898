"""AER option values and header numbers: every bad one is a typed error naming the option, file and line."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import CorruptFileError, Events, FormatWarning, LimitExceededError, OptionError

SPEC = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "aedat4"


@pytest.fixture
def aedat2(tmp_path: Path) -> Path:
    path = tmp_path / "x.aedat"
    neurofiles.save(path, Events([1, 2, 3], addresses=[4, 5, 6]), creation_time=0)
    return path


@pytest.mark.parametrize("option, value", [
    ("tick", 0), ("tick", -1e-6), ("tick", math.nan), ("tick", math.inf), ("tick", "x"), ("tick", True),
    ("t_start", math.nan), ("t_start", "x"), ("t_stop", math.inf), ("t_stop", [1]),
    ("decode", "nope"), ("decode", 3), ("version", "7.0"), ("version", "x"), ("version", True),
    ("max_packet_bytes", 0), ("max_packet_bytes", "big"), ("max_packet_bytes", 1.5),
    ("max_decompressed_bytes", -1), ("threads", 0), ("threads", "2"), ("strict", "yes"),
])
def test_bad_option_value_is_an_option_error(aedat2: Path, option: str, value: object) -> None:
    with pytest.raises(OptionError) as info:
        neurofiles.load(aedat2, **{option: value})
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert option in str(info.value)


def test_option_the_reader_does_not_take(aedat2: Path) -> None:
    with pytest.raises(OptionError, match="byteorder"):
        neurofiles.load(aedat2, format="aedat", byteorder="middle")
    with pytest.raises(neurofiles.NeurofilesError, match="does not take option.s. byteorder"):
        neurofiles.load(aedat2, byteorder="middle")


@pytest.mark.parametrize("option, value", [("tick", 0), ("t_start", math.nan), ("decode", "nope"),
                                           ("max_entries", 0), ("allow_outside", "yes")])
def test_bad_option_value_through_an_index(aedat2: Path, option: str, value: object) -> None:
    index = aedat2.with_name("i.aeidx")
    index.write_text("x.aedat\n")
    with pytest.raises(OptionError, match=option):
        neurofiles.load(index, **{option: value})


def test_events_api_values_are_option_errors() -> None:
    events = Events([1, 2], addresses=[1, 2])
    for call in (lambda: events.decode("nope"), lambda: events.window(math.nan),
                 lambda: events.window(1e308), lambda: Events([1], tick=0), lambda: Events([1], tick="x"),
                 lambda: Events([[1]])):
        with pytest.raises(OptionError):
            call()


def test_documented_aedat4_limits_are_accepted_by_load() -> None:
    path = SPEC / "mixed_zstd.aedat4"
    pytest.importorskip("zstandard")
    plain = neurofiles.load(path)
    threaded = neurofiles.load(path, threads=2, max_packet_bytes=1 << 20, max_decompressed_bytes=1 << 24)
    assert threaded.timestamps.tolist() == plain.timestamps.tolist()
    with pytest.raises(LimitExceededError, match="max_packet_bytes"):
        neurofiles.load(path, max_packet_bytes=100)
    with pytest.raises(LimitExceededError, match="max_decompressed_bytes") as info:
        neurofiles.load(path, max_decompressed_bytes=1000)
    assert info.value.offset is not None


def _with_line(tmp_path: Path, line: bytes) -> Path:
    path = tmp_path / "h.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n" + line + b"\r\n#End Of ASCII Header\r\n" + b"\x00\x00\x00\x01\x00\x00\x00\x02")
    return path


@pytest.mark.parametrize("tick", [b"1e999 us", b"0 us", b"-1 us", b"nan us", b"0.0 s", b"inf ms"])
def test_unusable_header_tick_is_a_corrupt_file_error(tmp_path: Path, tick: bytes) -> None:
    path = _with_line(tmp_path, b"# Timestamps tick: " + tick)
    with pytest.raises(CorruptFileError) as info:
        neurofiles.load(path)
    assert info.value.line == 2 and info.value.offset == 14 and "tick=" in str(info.value)
    events = neurofiles.load(path, tick=1e-3)  # the user can still read it
    assert events.tick == 1e-3 and events.timestamps.tolist() == [2]


@pytest.mark.parametrize("line", [b"# Timestamps tick is 2*us", b"# Timestamps tick: fast", b"# timestamps tick = ?"])
def test_unreadable_tick_line_warns_and_is_recorded(tmp_path: Path, line: bytes) -> None:
    path = _with_line(tmp_path, line)
    with pytest.warns(FormatWarning, match="line 2: byte 14: cannot read the tick line"):
        events = neurofiles.load(path)
    assert events.tick == 1e-6
    assert events.metadata["tick_guessed"] is True and events.metadata["tick_source"] == "guessed"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert neurofiles.load(path, tick=1e-6).metadata["tick_guessed"] is False


def test_readable_tick_line_is_not_guessed(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = neurofiles.load(_with_line(tmp_path, b"# Timestamps tick is 10 us"))
    assert events.tick == pytest.approx(1e-5) and events.metadata["tick_guessed"] is False


@pytest.mark.parametrize("key", [b"Creation time", b"DataStartTime"])
def test_huge_header_integers(tmp_path: Path, key: bytes) -> None:
    path = _with_line(tmp_path, b"# " + key + b": System.currentTimeMillis() " + b"9" * 5000)
    events = neurofiles.load(path)
    assert "start_time_ms" not in events.metadata and "data_start_time_ms" not in events.metadata
    path = _with_line(tmp_path, b"# " + key + b": System.currentTimeMillis() " + "²".encode())
    assert len(neurofiles.load(path)) == 1


def test_huge_info_node_integers(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aer"))
    import bomb_builders

    info = ('<dv><node name="outInfo"><node name="' + "9" * 5000 + '"><attr key="typeIdentifier" type="string">EVTS'
            '</attr><attr key="sizeX" type="int">' + "7" * 5000 + "</attr></node></node></dv>")
    path = tmp_path / "big.aedat4"
    path.write_bytes(bomb_builders.aedat4_file(0, [], info=info))
    events = neurofiles.load(path)
    assert len(events) == 0 and np.asarray(events.timestamps).dtype == np.int64
