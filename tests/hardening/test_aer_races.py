"""``.aeidx`` entries swapped while indexes are loaded: never the outside file, never a hang.

A thread keeps replacing an entry (atomically, with ``os.replace``) by a
symbolic link to a file outside the index's folder, or by a FIFO, and back to
the real file, while the main thread loads the index many times. Errors are
allowed; returning the outside file's events, or blocking, is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import neurofiles
import pytest
from neurofiles import Events, NeurofilesError

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or os.name != "posix", reason="POSIX only")

INSIDE = [1, 2, 3]
SECRET = [666]


def _layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    folder = tmp_path / "index"
    folder.mkdir()
    neurofiles.save(tmp_path / "secret.aedat", Events([7], addresses=SECRET), creation_time=0)
    neurofiles.save(tmp_path / "original.aedat", Events([1, 2, 3], addresses=INSIDE), creation_time=0)
    entry = folder / "entry.aedat"
    os.link(tmp_path / "original.aedat", entry)  # swapping back restores the very same inode
    index = folder / "list.aeidx"
    index.write_text("entry.aedat\n")
    return folder, entry, index


_SWAPPER = """
WARM_UP = %d
import os, sys
entry, original, kind, target, stop, ready = sys.argv[1:7]
tmp = entry + ".swap"
swaps = 0
while not os.path.exists(stop):
    if swaps == WARM_UP:
        open(ready, "w").close()
    for make in (kind, "file"):
        if os.path.lexists(tmp):
            os.unlink(tmp)
        if make == "symlink":
            os.symlink(target, tmp)
        elif make == "fifo":
            os.mkfifo(tmp)
        else:
            os.link(original, tmp)
        os.replace(tmp, entry)
        swaps += 1
print(swaps)
""" % 100


class _Swapper:
    """A separate process (true parallelism, no GIL) replacing ``entry`` by a symlink or FIFO and back."""

    def __init__(self, tmp_path: Path, entry: Path, kind: str, target: str = "") -> None:
        self.stop_file = tmp_path / "stop-swapping"
        self.ready_file = tmp_path / "swapping"
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SWAPPER, str(entry), str(tmp_path / "original.aedat"), kind, target,
             str(self.stop_file), str(self.ready_file)], stdout=subprocess.PIPE, text=True)

    def __enter__(self) -> _Swapper:
        """Return once the swapper is running (100 swaps made), so the loads overlap it however busy the machine."""
        deadline = time.monotonic() + 60
        while not self.ready_file.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                pytest.fail("the swapper process did not start swapping")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_file.touch()
        try:
            out, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.swaps = int(out or 0)


def test_swapping_an_entry_for_a_symlink_never_reads_the_outside_file(tmp_path: Path) -> None:
    folder, entry, index = _layout(tmp_path)
    outcomes: dict[str, int] = {}
    leaked = []
    with _Swapper(tmp_path, entry, "symlink", "../secret.aedat") as swapper:
        for _ in range(300):
            try:
                result = neurofiles.load(index)
            except NeurofilesError as exc:
                outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
                continue
            addresses = result[0].addresses.tolist()
            if addresses != INSIDE:
                leaked.append(addresses)
            outcomes["ok"] = outcomes.get("ok", 0) + 1
    assert swapper.swaps > 100, swapper.swaps
    assert not leaked, f"{len(leaked)} of 300 loads returned the outside file: {outcomes}"
    assert outcomes.get("ok", 0) > 0 and sum(outcomes.values()) == 300, outcomes
    assert set(outcomes) <= {"ok", "CorruptFileError"}, outcomes


def test_swapping_an_entry_for_a_fifo_never_blocks(tmp_path: Path) -> None:
    _, entry, index = _layout(tmp_path)
    script = textwrap.dedent(
        f"""
        import neurofiles
        kinds = set()
        for _ in range(300):
            try:
                result = neurofiles.load({str(index)!r})
                assert result[0].addresses.tolist() == {INSIDE!r}
                kinds.add("ok")
            except neurofiles.NeurofilesError as exc:
                kinds.add(type(exc).__name__)
        print(" ".join(sorted(kinds)))
        """
    )
    with _Swapper(tmp_path, entry, "fifo") as swapper:
        try:
            done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("loading an index whose entry is swapped for a FIFO blocked")
    assert swapper.swaps > 100, swapper.swaps
    assert done.returncode == 0, done.stderr[-2000:]
    kinds = set(done.stdout.split())
    assert "ok" in kinds and kinds <= {"ok", "NotARegularFileError", "CorruptFileError"}, done.stdout


def test_entry_replaced_by_a_fifo_after_the_index_was_opened(tmp_path: Path) -> None:
    from neurofiles._frontend.api import open_reader_for

    _, entry, index = _layout(tmp_path)
    reader, _ = open_reader_for(index)
    with reader:
        os.unlink(entry)
        os.mkfifo(entry)
        with pytest.raises(neurofiles.NotARegularFileError) as info:
            reader.read()
    assert info.value.line == 1 and "entry.aedat" in str(info.value)
