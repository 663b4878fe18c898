"""save(): writer choice, options, atomic writes."""

from __future__ import annotations

import pytest
from neurofiles import UnknownFormatError, WriteError
from neurofiles._frontend.atomic import write_atomic as _atomic_write
from neurofiles._framework.lookup import choose_writer as _choose_writer

from .conftest import make_registry


def test_writer_chosen_by_extension_and_explicit_format():
    registry = make_registry("formats_plugin")
    assert _choose_writer(registry, "out.txt", "x", None).name == "text"
    assert _choose_writer(registry, "out.bin", "x", "text").name == "text"
    with pytest.raises(UnknownFormatError):
        _choose_writer(registry, "out.bin", "x", None)
    with pytest.raises(UnknownFormatError):  # a reader-only format has no writer
        _choose_writer(registry, "out.alp", "x", "alpha")


def test_atomic_write_leaves_nothing_partial(tmp_path):
    target = tmp_path / "out.fail"
    target.write_bytes(b"old content")

    def failing(stream, path):
        stream.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(WriteError, match="(?i)no space left") as info:
        _atomic_write(target, failing)
    assert info.value.path == target
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fail"]


def test_atomic_write_replaces_on_success(tmp_path):
    target = tmp_path / "out.txt"
    _atomic_write(target, lambda stream, path: stream.write(b"new"))
    assert target.read_bytes() == b"new"


def test_write_into_missing_folder_is_a_write_error(tmp_path):
    with pytest.raises(WriteError, match="folder does not exist"):
        _atomic_write(tmp_path / "missing" / "x.txt", lambda s, p: None)


def test_saved_files_get_ordinary_permissions(tmp_path):
    import os

    target = tmp_path / "out.txt"
    old = os.umask(0o022)
    try:
        _atomic_write(target, lambda stream, path: stream.write(b"x"))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_fifo_destination_is_refused_without_opening_it(tmp_path):
    import os

    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match="FIFO"):
        _atomic_write(fifo, lambda stream, path: stream.write(b"x"))  # would block if it were opened
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_directory_destination_is_refused(tmp_path):
    (tmp_path / "out.txt").mkdir()
    with pytest.raises(WriteError, match="directory"):
        _atomic_write(tmp_path / "out.txt", lambda stream, path: stream.write(b"x"))


def test_a_symlink_destination_is_replaced_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    _atomic_write(link, lambda stream, path: stream.write(b"new"))
    assert not link.is_symlink() and link.read_bytes() == b"new"
    assert victim.read_bytes() == b"keep me"


def test_stale_temporaries_cleaned_only_of_our_pattern_owner_and_age(tmp_path):
    import os
    import time

    from neurofiles._frontend.atomic import clean_stale_temps

    target = tmp_path / "out.npz"
    old = time.time() - 7200

    def make(name, data=b"x"):
        path = tmp_path / name
        path.write_bytes(data)
        os.utime(path, (old, old))
        return path

    stale = make(".out.npz.abc_1234.tmp")
    young = tmp_path / ".out.npz.zzzz9999.tmp"
    young.write_bytes(b"y")
    others = [make(".out.npz.abc.tmp"), make(".other.npz.abcd1234.tmp"), make("out.npz.abcd1234.tmp"),
              make(".out.npz.ABCD1234.tmp"), make(".out.npz.abcd1234.tmp.bak")]
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / ".out.npz.link1234.tmp"
    link.symlink_to(victim)
    os.utime(link, (old, old), follow_symlinks=False)
    foreign = None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        foreign = make(".out.npz.nobody12.tmp")
        os.chown(foreign, 65534, 65534)
    removed = clean_stale_temps(target)
    assert removed == [stale.name] and not stale.exists()
    assert young.exists() and link.is_symlink() and victim.read_bytes() == b"keep"
    assert all(p.exists() for p in others)
    assert foreign is None or foreign.exists()
