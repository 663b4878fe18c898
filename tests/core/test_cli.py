"""The CLI, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurofiles", *args], capture_output=True, text=True, timeout=120)


def test_formats_lists_entry_point_plugins():
    proc = cli("formats", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["spikes"]["distribution"] == "neurofiles-example"
    table = cli("formats").stdout
    assert table.splitlines()[0].split()[:3] == ["format", "read", "write"]


def test_info_reports_format_reason_and_summary(tmp_path):
    import neurofiles
    from neurofiles_example._spikes import SpikeList

    path = tmp_path / "run.spk"
    neurofiles.save(path, SpikeList(np.array([1]), np.array([0.5])))
    proc = cli("info", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["format"] == "spikes" and report["why"].startswith("magic") and report["version"] == 1
    text = cli("info", str(path)).stdout
    assert "format: spikes" in text


def test_info_on_missing_and_unknown_files_fails_cleanly(tmp_path):
    junk = tmp_path / "junk.xyz"
    junk.write_bytes(b"\x00\x01\x02")
    proc = cli("info", str(tmp_path / "absent.aedat"), str(junk))
    assert proc.returncode == 1
    assert "absent.aedat: no such file" in proc.stderr
    assert "no reader accepted" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_errors_exit_2_and_help_works():
    assert cli().returncode == 2
    assert cli("bogus").returncode == 2
    for command in ("formats", "backends", "info"):
        proc = cli(command, "--help")
        assert proc.returncode == 0 and "usage: neurofiles" in proc.stdout
