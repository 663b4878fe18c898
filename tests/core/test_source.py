"""Source normalisation: paths, file objects, and what is refused before guessing."""

from __future__ import annotations

import io
import os

import neurofiles
import pytest
from neurofiles._framework.source import Source, suffixes_of


def test_missing_file_is_file_not_found_before_guessing(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        neurofiles.load(tmp_path / "absent.aedat")
    assert isinstance(info.value, neurofiles.NeurofilesError)
    assert "absent.aedat" in str(info.value)
    with pytest.raises(FileNotFoundError):
        neurofiles.load(str(tmp_path / "absent.xyz"), format="no-such-format")


def test_directory_and_fifo_are_refused(tmp_path):
    with pytest.raises(neurofiles.NotARegularFileError, match="directory"):
        Source(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(neurofiles.NotARegularFileError, match="FIFO"):
        Source(fifo)  # must not block on open


def test_str_pathlike_and_tilde(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(b"0123456789")
    monkeypatch.setenv("HOME", str(tmp_path))
    for given in (str(path), path, "~/data.bin"):
        src = Source(given, header_size=4)
        assert src.header == b"0123" and src.size == 10 and src.path == path


def test_file_object_keeps_position_and_stays_open():
    stream = io.BytesIO(b"skipHEADERbody")
    stream.seek(4)
    src = Source(stream, header_size=6)
    assert src.header == b"HEADER" and src.size == 10
    with src.open() as handle:
        assert handle.read() == b"HEADERbody"
    assert not stream.closed


def test_text_and_unseekable_streams_are_refused(tmp_path):
    with pytest.raises(TypeError, match="binary"):
        Source(io.StringIO("text"))

    class Pipe(io.RawIOBase):
        def seekable(self) -> bool:
            return False

    with pytest.raises(TypeError, match="seekable"):
        Source(Pipe())
    with pytest.raises(TypeError, match="path"):
        Source(42)  # type: ignore[arg-type]


def test_suffixes_longest_first():
    assert suffixes_of("dir.v2/Run.TAR.GZ") == (".tar.gz", ".gz")
    assert suffixes_of("noext") == ()
    assert suffixes_of("trailing.") == ()


def test_handles_reach_the_file_checked_even_after_the_name_is_reused(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"original")
    src = Source(path, header_size=4)
    path.unlink()
    path.write_bytes(b"impostor")  # same name, another file
    with src.open() as handle:
        assert handle.read() == b"original"  # by descriptor, not by name
    with src.open(buffered=False) as raw:
        assert isinstance(raw, io.FileIO) and raw.read(4) == b"orig"
    src.close()  # without the descriptor the name is reopened, and found to be another file
    with pytest.raises(neurofiles.ReadError, match="replaced"):
        src.open()


def test_open_handles_have_their_own_position(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"0123456789")
    src = Source(path)
    with src.open() as a, src.open() as b:
        assert a.read(3) == b"012" and b.read(5) == b"01234" and a.read(2) == b"34"


def test_unknown_home_folder_is_source_not_found():
    with pytest.raises(neurofiles.SourceNotFoundError):
        Source("~no_such_user_neurofiles/x.aedat")


def test_errno_is_kept_on_typed_errors(tmp_path):
    import errno

    with pytest.raises(neurofiles.SourceNotFoundError) as info:
        Source(tmp_path / "absent")
    assert info.value.errno == errno.ENOENT and info.value.path == tmp_path / "absent"
    with pytest.raises(neurofiles.InvalidPathError) as bad:
        Source("a\0b")
    assert isinstance(bad.value, ValueError) and "'a\\x00b'" in str(bad.value)
