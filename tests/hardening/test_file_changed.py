"""A file rewritten, truncated or grown while ``load()`` reads it is a FileChangedError, not mixed data."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

import neurofiles
from neurofiles.plugin import Source

OLD = 1_000_000_000  # an mtime long past: a rewrite now cannot fall in the same clock tick


def _csv(path: Path, value: int, rows: int = 20_000) -> None:
    path.write_bytes(b"t,v\n" + b"".join(b"%d,%d\n" % (i, value) for i in range(rows)))
    os.utime(path, (OLD, OLD))


class RewrittenWhileRead(io.FileIO):
    """A real file whose bytes another writer replaces in place after the reader's first body read."""

    def __init__(self, path: Path, replacement: bytes) -> None:
        super().__init__(path, "rb")
        self._replacement = replacement
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.reads += 1
        if self.reads == 2:  # the first read was the header probe
            with open(self.name, "r+b") as writer:
                writer.write(self._replacement)
        return data


def test_a_file_rewritten_in_place_during_load_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    _csv(path, 1)
    replacement = path.read_bytes().replace(b",1\n", b",2\n")
    assert len(replacement) == path.stat().st_size  # same size: only the times can tell
    with RewrittenWhileRead(path, replacement) as handle:
        with pytest.raises(neurofiles.FileChangedError, match="rewritten while it was read") as info:
            neurofiles.load(handle, format="csv")
    assert isinstance(info.value, OSError) and str(path) in str(info.value)
    got = neurofiles.load(path)  # once nothing writes, the new version reads cleanly
    assert np.all(np.asarray(got.channel("v")) == 2)


def test_a_file_not_changed_loads(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    _csv(path, 3)
    with open(path, "rb") as handle:
        assert np.all(np.asarray(neurofiles.load(handle, format="csv").channel("v")) == 3)
    assert np.all(np.asarray(neurofiles.load(path).channel("v")) == 3)


@pytest.mark.parametrize("change", ["append", "truncate", "rewrite"])
def test_source_sees_each_kind_of_change(tmp_path: Path, change: str) -> None:
    path = tmp_path / "table.csv"
    _csv(path, 4, rows=10)
    source = Source(path)
    source.check_unchanged()  # nothing happened yet
    with open(path, "r+b") as writer:
        if change == "append":
            writer.seek(0, os.SEEK_END)
            writer.write(b"10,4\n")
        elif change == "truncate":
            writer.truncate(8)
        else:
            writer.write(b"t,w\n")
    with pytest.raises(neurofiles.FileChangedError, match="resized" if change != "rewrite" else "rewritten"):
        source.check_unchanged()
    source.close()


def test_in_memory_file_objects_are_not_checked() -> None:
    source = Source(io.BytesIO(b"t,v\n0,1\n"))
    source.check_unchanged()  # nothing to stat: no error, no crash


def test_a_new_hard_link_or_chmod_is_no_change(tmp_path: Path) -> None:
    # both move the change time (ctime) but not one byte: a backup tool's hard link must not fail a read
    path = tmp_path / "table.csv"
    _csv(path, 5, rows=10)
    source = Source(path)
    os.link(path, tmp_path / "backup.csv")
    os.chmod(path, 0o600)
    source.check_unchanged()
    source.close()
