"""``.aeidx`` index files: relative resolution, refusal of escaping entries, bounds, writer."""

from __future__ import annotations

import os
from pathlib import Path

import neurofiles
import pytest
from neurofiles import CorruptFileError, Events, LimitExceededError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "rec"
    data.mkdir()
    neurofiles.save(data / "a.aedat", Events([1, 2, 3], addresses=[1, 2, 3]), creation_time=0)
    neurofiles.save(data / "b.aedat", Events([4, 5], addresses=[4, 5]), creation_time=0)
    (tmp_path / "outside.aedat").write_bytes((data / "a.aedat").read_bytes())
    return data


def test_lf_and_crlf_in_order(folder: Path):
    (folder / "lf.aeidx").write_bytes(b"b.aedat\na.aedat\n")
    (folder / "crlf.aeidx").write_bytes(b"a.aedat\r\n\r\nb.aedat\r\n")
    assert [len(e) for e in neurofiles.load(folder / "lf.aeidx")] == [2, 3]
    assert [len(e) for e in neurofiles.load(folder / "crlf.aeidx")] == [3, 2]


def test_options_passed_to_each_file(folder: Path):
    (folder / "i.aeidx").write_bytes(b"a.aedat\nb.aedat\n")
    result = neurofiles.load(folder / "i.aeidx", tick=1e-3)
    assert [e.tick for e in result] == [1e-3, 1e-3]


@pytest.mark.parametrize("entry", ["../outside.aedat", "sub/../../outside.aedat"])
def test_climbing_out_refused(folder: Path, entry: str):
    (folder / "i.aeidx").write_text(f"a.aedat\n{entry}\n")
    with pytest.raises(CorruptFileError, match="outside the index's folder") as info:
        neurofiles.load(folder / "i.aeidx")
    assert info.value.line == 2
    result = neurofiles.load(folder / "i.aeidx", allow_outside=True)
    assert [len(e) for e in result] == [3, 3]


def test_absolute_refused(folder: Path):
    target = (folder.parent / "outside.aedat").resolve()
    (folder / "i.aeidx").write_text(f"{target}\n")
    with pytest.raises(CorruptFileError, match="absolute entry"):
        neurofiles.load(folder / "i.aeidx")
    assert len(neurofiles.load(folder / "i.aeidx", allow_outside=True)) == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlink_escaping_refused(folder: Path):
    (folder / "link.aedat").symlink_to(folder.parent / "outside.aedat")
    (folder / "i.aeidx").write_text("link.aedat\n")
    with pytest.raises(CorruptFileError, match="outside"):
        neurofiles.load(folder / "i.aeidx")


def test_self_and_nested_index_refused(folder: Path):
    (folder / "self.aeidx").write_text("self.aeidx\n")
    with pytest.raises(CorruptFileError, match="nested indexes"):
        neurofiles.load(folder / "self.aeidx")


def test_entry_limit(folder: Path):
    (folder / "i.aeidx").write_text("a.aedat\n" * 5)
    with pytest.raises(LimitExceededError):
        neurofiles.load(folder / "i.aeidx", max_entries=3)
    assert len(neurofiles.load(folder / "i.aeidx", max_entries=5)) == 5


def test_missing_entry_is_file_not_found(folder: Path):
    (folder / "i.aeidx").write_text("nope.aedat\n")
    with pytest.raises(FileNotFoundError, match="nope.aedat"):
        neurofiles.load(folder / "i.aeidx")


def test_bad_bytes(folder: Path):
    (folder / "u.aeidx").write_bytes(b"a.aedat\n\xff\xfe.aedat\n")
    with pytest.raises(CorruptFileError) as info:
        neurofiles.load(folder / "u.aeidx")
    assert info.value.line == 2
    (folder / "bin.aeidx").write_bytes(b"\x00\x01\x02")
    with pytest.raises(neurofiles.FormatMismatchError):
        neurofiles.load(folder / "bin.aeidx", format="aeidx")


def test_writer_round_trip(folder: Path):
    neurofiles.save(folder / "w.aeidx", [folder / "b.aedat", "a.aedat"])
    assert (folder / "w.aeidx").read_bytes() == b"b.aedat\na.aedat\n"
    assert [len(e) for e in neurofiles.load(folder / "w.aeidx")] == [2, 3]
    with pytest.raises(ValueError, match="outside"):
        neurofiles.save(folder / "x.aeidx", [folder.parent / "outside.aedat"])
    with pytest.raises(ValueError, match="cannot be written"):
        neurofiles.save(folder / "x.aeidx", ["../outside.aedat"])
