"""``neurofiles dm summary``'s byte counts: regular files only, no symbolic link followed."""

from __future__ import annotations

import os
from pathlib import Path

from neurofiles import DataManager
from neurofiles._commandline.dm import store_summary


def test_summary_bytes_do_not_follow_links(tmp_path: Path) -> None:
    dm = DataManager("sim", tmp_path)
    with dm.session("run0") as s:
        s["rate"] = [1.0]
    dm.close()
    base = tmp_path / "sim.data"
    before = store_summary(str(base))["bytes"]
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(50_000_000)  # sparse: 50 MB of apparent size outside the store
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.bin").write_bytes(b"x" * 1_000_000)
    os.symlink(big, base / "linked.bin")
    os.symlink(outside, base / "linked_dir")
    os.symlink(big, base / "run0.nflog.extra")
    summary = store_summary(str(base))
    assert summary["bytes"] == before < 10_000, summary["bytes"]
    assert summary["sessions"] == 1
