"""Paths that cannot be opened: a typed error naming the path, from load, detect, iter_chunks and save."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import neurofiles
import numpy as np
import pytest

EVENTS = neurofiles.Events(np.arange(5), addresses=np.arange(5))


def bad_path(tmp_path: Path, kind: str) -> str:
    """A path of the given ``kind`` of trouble."""
    if kind == "missing":
        return str(tmp_path / "absent.aedat")
    if kind == "loop":
        loop = tmp_path / "loop.aedat"
        loop.symlink_to(loop)
        return str(loop)
    if kind == "long":
        return str(tmp_path / ("x" * 300 + ".aedat"))
    if kind == "notdir":
        (tmp_path / "file").write_bytes(b"x")
        return str(tmp_path / "file" / "x.aedat")
    if kind == "nul":
        return str(tmp_path / "a\0b.aedat")
    if kind == "directory":
        (tmp_path / "dir.aedat").mkdir()
        return str(tmp_path / "dir.aedat")
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.aedat")
        return str(tmp_path / "pipe.aedat")
    raise AssertionError(kind)


EXPECTED = {
    "missing": (neurofiles.SourceNotFoundError, FileNotFoundError, errno.ENOENT, "no such file"),
    "loop": (neurofiles.ReadError, OSError, errno.ELOOP, "symbolic links"),
    "long": (neurofiles.ReadError, OSError, errno.ENAMETOOLONG, "file name too long"),
    "notdir": (neurofiles.ReadError, OSError, errno.ENOTDIR, "not a folder"),
    "nul": (neurofiles.InvalidPathError, ValueError, None, "not a valid path"),
    "directory": (neurofiles.NotARegularFileError, OSError, None, "directory"),
    "fifo": (neurofiles.NotARegularFileError, OSError, None, "FIFO"),
}


def _iter(path: str) -> list:
    return list(neurofiles.iter_chunks(path))


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("call", [neurofiles.load, neurofiles.detect, _iter], ids=["load", "detect", "iter_chunks"])
def test_reading_a_bad_path_is_a_typed_error_naming_it(tmp_path, kind, call):
    path = bad_path(tmp_path, kind)
    cls, std, code, message = EXPECTED[kind]
    with pytest.raises(cls) as info:
        call(path)
    assert isinstance(info.value, neurofiles.NeurofilesError) and isinstance(info.value, std)
    assert message in str(info.value)
    shown = repr(path) if kind == "nul" else path
    assert shown in str(info.value)
    if code is not None:
        assert info.value.errno == code


WRITE_EXPECTED = {
    "long": (neurofiles.WriteError, errno.ENAMETOOLONG, "file name too long"),
    "notdir": (neurofiles.WriteError, errno.ENOTDIR, "not a folder"),
    "nul": (neurofiles.InvalidPathError, None, "not a valid path"),
    "directory": (neurofiles.WriteError, None, "directory"),
    "fifo": (neurofiles.WriteError, None, "FIFO"),
    "folderloop": (neurofiles.WriteError, errno.ELOOP, "symbolic links"),
    "nofolder": (neurofiles.WriteError, errno.ENOENT, "folder does not exist"),
}


@pytest.mark.parametrize("kind", list(WRITE_EXPECTED))
def test_saving_to_a_bad_path_is_a_typed_error_naming_it(tmp_path, kind):
    if kind == "folderloop":
        (tmp_path / "d").symlink_to(tmp_path / "d")
        path = str(tmp_path / "d" / "out.npz")
    elif kind == "nofolder":
        path = str(tmp_path / "missing" / "out.npz")
    else:
        path = bad_path(tmp_path, kind)[: -len(".aedat")] + ".npz"
        if kind in ("directory", "fifo"):
            os.rename(bad_path_target(tmp_path, kind), path)
    cls, code, message = WRITE_EXPECTED[kind]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(cls) as info:
        neurofiles.save(path, EVENTS)
    assert isinstance(info.value, neurofiles.NeurofilesError)
    assert message in str(info.value)
    assert (repr(path) if kind == "nul" else path) in str(info.value)
    if code is not None:
        assert info.value.errno == code
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def bad_path_target(tmp_path: Path, kind: str) -> Path:
    return tmp_path / ("dir.aedat" if kind == "directory" else "pipe.aedat")


def _as_unprivileged(check: Callable[[], None]) -> None:
    """Run ``check`` here, or as root in a forked child that dropped to uid/gid 65534 first."""
    if os.geteuid() != 0:
        check()
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: root reads any file, so become nobody (imports are already done)
        os.close(read_end)
        outcome = b"ok"
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            check()
        except BaseException as exc:  # reported to the parent, which fails the test
            outcome = f"{type(exc).__name__}: {exc}".encode()
        os.write(write_end, outcome)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    assert outcome == b"ok", outcome.decode()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_unreadable_file_is_a_permission_error():
    with tempfile.TemporaryDirectory() as folder:  # under /tmp, which every user can traverse
        _check_unreadable_file(Path(folder))


def _check_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n")
    readable = tmp_path / "readable.aedat"
    readable.write_bytes(b"#!AER-DAT2.0\r\n")
    neurofiles.load(readable)  # imports everything the reader needs before privileges drop
    tmp_path.chmod(0o755)
    path.chmod(0)

    def check() -> None:
        with pytest.raises(neurofiles.SourcePermissionError) as info:
            neurofiles.load(path)
        assert isinstance(info.value, PermissionError) and str(path) in str(info.value)

    _as_unprivileged(check)
