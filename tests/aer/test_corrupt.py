"""Bad input gives typed errors naming the file; nothing hangs, crashes or allocates without bound."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import CorruptFileError, Events, LimitExceededError, TruncatedFileError
from neurofiles.plugin import Source
from neurofiles.plugins.aer import _header
from neurofiles.plugins.aer._reader import AedatReader


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("line", [b"#!AER-DATx\r\n", b"#!AER-DAT\r\n", b"#!AER-DAT2.0.1\r\n", b"#!AER-DAT9.0\r\n"])
def test_bad_version_line(tmp_path: Path, line: bytes):
    path = write(tmp_path, "v.aedat", line + b"\x00" * 8)
    with pytest.raises(CorruptFileError) as info:
        neurofiles.load(path)
    assert str(path) in str(info.value)


def test_truncated_record_strict(tmp_path: Path):
    path = write(tmp_path, "t.aedat", b"#!AER-DAT2.0\r\n" + b"\x00" * 11)
    with pytest.raises(TruncatedFileError) as info:
        neurofiles.load(path, strict=True)
    assert info.value.offset == 14 + 8
    with pytest.warns(neurofiles.FormatWarning, match="3 trailing byte"):
        assert len(neurofiles.load(path)) == 1


def test_file_shrinking_during_read(tmp_path: Path):
    events = Events(np.arange(100_000), addresses=np.arange(100_000))
    path = tmp_path / "s.aedat"
    neurofiles.save(path, events, creation_time=0)
    reader = AedatReader(Source(path))
    with open(path, "r+b") as handle:
        handle.truncate(reader.header.end + 8 * 10)
    with pytest.raises(TruncatedFileError, match="shrink"):
        reader.read()


def test_header_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_header, "MAX_HEADER", 1000)
    path = write(tmp_path, "h.aedat", b"#!AER-DAT2.0\r\n" + b"# filler line of text\r\n" * 200)
    with pytest.raises(LimitExceededError):
        neurofiles.load(path)


def test_endless_line_is_data_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_header, "MAX_LINE", 100)
    body = b"#" + b"A" * 999  # '#' then no line end: binary record, not a header
    path = write(tmp_path, "l.dat", body + b"\x00" * 2)
    reader = AedatReader(Source(path), version="2.0")
    assert reader.header.end == 0 and reader.count == len(path.read_bytes()) // 8


def test_text_dat_is_refused(tmp_path: Path):
    path = write(tmp_path, "neuron.dat", b"label:v\n3\n0 -65\n0.025 -64.9\n0.05 -64.8\n")
    with pytest.raises(neurofiles.FormatMismatchError, match="text"):
        neurofiles.load(path, format="aedat")
    with pytest.raises(neurofiles.FormatMismatchError, match="empty"):
        neurofiles.load(write(tmp_path, "empty.dat", b""), format="aedat")


def test_bad_options(tmp_path: Path):
    path = write(tmp_path, "a.dat", b"\x00\x01" * 6)
    with pytest.raises(ValueError, match="version"):
        neurofiles.load(path, format="aedat", version="5.0")
    with pytest.raises(ValueError, match="tick"):
        neurofiles.load(path, format="aedat", tick=-1)
    with pytest.raises(ValueError, match="tick"):
        neurofiles.load(path, format="aedat", tick="fast")
    with pytest.raises(neurofiles.OptionError):
        neurofiles.load(path, format="aedat", bogus=1)
    with pytest.raises(ValueError, match="finite"):
        neurofiles.load(path, format="aedat", t_start=float("nan"))


def test_version_option_ignored_when_file_states_it(tmp_path: Path):
    neurofiles.save(tmp_path / "x.aedat", Events([1], addresses=[2]), creation_time=0)
    with pytest.warns(neurofiles.FormatWarning, match="ignored"):
        ev = neurofiles.load(tmp_path / "x.aedat", version="1.0")
    assert ev.metadata["version"] == "2.0" and ev.addresses.tolist() == [2]


def test_tick_is_never_evaluated(tmp_path: Path):
    line = b"# Timestamps tick is __import__('os').system('false') us\r\n"
    path = write(tmp_path, "e.aedat", b"#!AER-DAT2.0\r\n" + line + b"\x00" * 8)
    with pytest.warns(neurofiles.FormatWarning, match="line 2: byte 14: cannot read the tick line"):
        ev = neurofiles.load(path)
    assert ev.tick == 1e-6 and ev.metadata["tick_source"] == "guessed" and ev.metadata["tick_guessed"]


@pytest.mark.parametrize("text, seconds", [
    ("Timestamps tick is 1 us", 1e-6), ("Timestamps tick: 1 us", 1e-6), ("Timestamps tick: 0.2 us", 2e-7),
    ("timestamps tick is 10 ns", 1e-8), ("Timestamps tick: 1 ms", 1e-3), ("Timestamps tick: 1e-6 s", 1e-6),
    ("Timestamps tick: fast", None), ("Timestamps tick: 0 us", "nan"), ("Timestamps tick: 1e999 us", "nan"),
    ("Timestamps tick: -1 us", "nan"), ("Timestamps tick: nan us", "nan"),
])
def test_parse_tick(text, seconds):
    result = _header.parse_tick(text)
    if seconds == "nan":  # a stated but unusable tick
        assert result is not None and result != result
    else:
        assert result == (pytest.approx(seconds) if seconds else None)


def test_file_object_source(tmp_path: Path):
    neurofiles.save(tmp_path / "f.aedat", Events([1, 2, 3], addresses=[4, 5, 6]), creation_time=0)
    buffer = io.BytesIO(b"junk" + (tmp_path / "f.aedat").read_bytes())
    buffer.seek(4)
    ev = neurofiles.load(buffer)
    assert ev.addresses.tolist() == [4, 5, 6]
    assert buffer.closed is False


def test_random_garbage_never_crashes(tmp_path: Path):
    rng = np.random.default_rng(7)
    for i in range(40):
        data = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        if i % 2:
            data = b"#!AER-DAT2.0\r\n#" + data
        path = write(tmp_path, f"g{i}.aedat", data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ev = neurofiles.load(path, format="aedat")
            except (neurofiles.FormatError, ValueError):
                continue
        assert len(ev) == (os.path.getsize(path) - ev.metadata["header_size"]) // ev.metadata["record_size"]


def test_records_memmap_and_summary(tmp_path: Path):
    path = write(tmp_path, "m.aedat", b"#!AER-DAT2.0\r\n#End Of ASCII Header\r\n"
                 + bytes.fromhex("0000000100000002 0000000300000004") + b"\x07")
    reader = AedatReader(Source(path))
    records = reader.records()
    assert records.shape == (2,) and records["addr"].tolist() == [1, 3] and records["ts"].tolist() == [2, 4]
    summary = reader.summary()
    assert summary["events_in_file"] == 2 and summary["leftover_bytes"] == 1 and summary["version"] == "2.0"
    assert summary["end_marker"] == "#End Of ASCII Header"
    del records
    with pytest.raises(TypeError, match="path"):
        AedatReader(Source(io.BytesIO(path.read_bytes()))).records()


def test_header_line_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_header, "MAX_LINES", 50)
    path = write(tmp_path, "n.aedat", b"#!AER-DAT2.0\r\n" + b"#\r\n" * 60)
    with pytest.raises(LimitExceededError, match="50 lines") as info:
        neurofiles.load(path)
    assert info.value.offset is not None


def test_non_utf8_header_text_is_kept(tmp_path: Path):
    path = write(tmp_path, "u.aedat", b"#!AER-DAT2.0\r\n# AEChip: caf\xe9 cam\r\n#End Of ASCII Header\r\n" + b"\x00" * 8)
    ev = neurofiles.load(path)
    assert ev.metadata["chip"] == "caf\ufffd cam" and len(ev) == 1
