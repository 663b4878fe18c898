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


def test_formats_table_pads_every_column_to_its_widest_cell():
    proc = cli("formats")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if not ln.startswith("broken plugin")]
    header = lines[0]
    provided = header.index("provided by")
    magic = header.index("magic")
    for line in lines[1:]:
        assert line[provided - 2 : provided] == "  " and line[provided] != " ", line  # nothing runs into the next column
        assert line[magic - 1] == " " and line[magic] != " ", line
    row = next(ln for ln in lines if ln.startswith("npz "))
    assert "PK\\x03\\x04" in row  # non-printable magic bytes escaped, never a Python bytes repr


def test_formats_json_gives_magic_as_hex_and_text_and_writer_extensions():
    proc = cli("formats", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["npz"]["magic"] == [{"offset": 0, "hex": "504b0304", "text": "PK\\x03\\x04"}]
    assert rows["aedat"]["magic"][0]["text"] == "#!AER-DAT"
    assert ".dat" in rows["aedat"]["extensions"] and ".dat" not in rows["aedat"]["write_extensions"]
    assert rows["aedat"]["write_extensions"] == [".aedat", ".aedat2"]


def test_formats_never_claims_a_write_extension_that_save_refuses(tmp_path):
    import neurofiles

    for info in neurofiles.formats():
        if info.name == "aedat":
            assert ".dat" not in info.write_extensions
    # every advertised write extension is one save() would choose this format for, for the data it accepts
    from neurofiles._framework.discovery import get_registry

    registry = get_registry()
    for info in neurofiles.formats():
        for ext in info.write_extensions:
            spec = registry.writers[info.name][0]
            assert ext in spec.extensions
