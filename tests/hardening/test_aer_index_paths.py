"""Hostile ``.aeidx`` entries: typed errors naming the index and the line, never a raw OSError."""

from __future__ import annotations

import os
from pathlib import Path

import neurofiles
import pytest
from neurofiles import CorruptFileError, Events, NeurofilesError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX paths")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "rec"
    (data / "sub").mkdir(parents=True)
    neurofiles.save(data / "a.aedat", Events([1, 2, 3], addresses=[1, 2, 3]), creation_time=0)
    neurofiles.save(tmp_path / "outside.aedat", Events([9], addresses=[9]), creation_time=0)
    return data


def index(folder: Path, *lines: str) -> Path:
    path = folder / "i.aeidx"
    path.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape"))
    return path


def error_of(path: Path, **options: object) -> NeurofilesError:
    with pytest.raises(NeurofilesError) as info:
        neurofiles.load(path, **options)
    return info.value


@pytest.mark.parametrize("entry", ["x" * 4000, "d/" * 1000 + "x.aedat", ("y" * 255 + "/") * 15 + "a.aedat"])
def test_overlong_entries(folder: Path, entry: str) -> None:
    err = error_of(index(folder, "a.aedat", entry))
    assert err.line == 2 and str(folder / "i.aeidx") in str(err)
    assert isinstance(err, (CorruptFileError, FileNotFoundError))


def test_symlink_loops(folder: Path) -> None:
    os.symlink("loop2", folder / "loop1")
    os.symlink("loop1", folder / "loop2")
    for entry in ("loop1", "loop1/x.aedat"):
        err = error_of(index(folder, entry))
        assert isinstance(err, CorruptFileError) and err.line == 1 and "symbolic link" in str(err)
        err = error_of(index(folder, entry), allow_outside=True)
        assert isinstance(err, CorruptFileError) and err.line == 1


def test_nul_and_control_characters(folder: Path) -> None:
    assert isinstance(error_of(index(folder, "a\x00.aedat"), format="aeidx"), neurofiles.FormatMismatchError)
    err = error_of(index(folder, "a.aedat", "a\x7f.aedat"))
    assert isinstance(err, CorruptFileError) and err.line == 2


def test_directory_and_fifo_entries(folder: Path) -> None:
    os.mkfifo(folder / "pipe.aedat")
    for entry in ("sub", "pipe.aedat"):
        err = error_of(index(folder, entry))
        assert isinstance(err, neurofiles.NotARegularFileError) and err.line == 1
        err = error_of(index(folder, entry), allow_outside=True)
        assert isinstance(err, neurofiles.NotARegularFileError)


def test_symlinks_inside_the_folder_are_refused_unless_allowed(folder: Path) -> None:
    os.symlink("a.aedat", folder / "alias.aedat")
    os.symlink(".", folder / "here")
    for entry in ("alias.aedat", "here/a.aedat"):
        err = error_of(index(folder, entry))
        assert isinstance(err, CorruptFileError) and "symbolic link" in str(err) and err.line == 1
        assert len(neurofiles.load(index(folder, entry), allow_outside=True)[0]) == 3


def test_entries_that_stay_inside(folder: Path) -> None:
    neurofiles.save(folder / "sub" / "b.aedat", Events([5], addresses=[5]), creation_time=0)
    result = neurofiles.load(index(folder, "sub/../a.aedat", "./sub/b.aedat", "sub//b.aedat"))
    assert [e.addresses.tolist() for e in result] == [[1, 2, 3], [5], [5]]
    assert result[1].metadata["source"] == str(folder / "./sub/b.aedat")


def test_missing_entry_and_missing_component(folder: Path) -> None:
    for entry in ("nope.aedat", "nodir/a.aedat"):
        err = error_of(index(folder, entry))
        assert isinstance(err, FileNotFoundError) and err.line == 1 and entry in str(err)


def test_index_listing_itself_under_another_name(folder: Path) -> None:
    os.link(folder / "i.aeidx" if (folder / "i.aeidx").exists() else index(folder, "x"), folder / "copy.dat")
    err = error_of(index(folder, "copy.dat"))
    assert isinstance(err, CorruptFileError) and "index itself" in str(err)
