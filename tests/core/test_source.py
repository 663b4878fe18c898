"""Source normalisation: paths, file objects, and what is refused before guessing."""

from __future__ import annotations

import io
import os

import neurofiles
import pytest
from neurofiles._source import Source, suffixes_of


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
