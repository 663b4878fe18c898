"""Every CLI command on every sample file, run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles._results.tabular import to_table

from .conftest import assert_clean_failure, need, real_samples, run_cli, shipped_samples


def _same_content(a, b) -> None:
    """Two results hold the same columns (names, dtypes, values) and units."""
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _same_content(x, y)
        return
    ta, tb = to_table(a), to_table(b)
    assert ta.kind == tb.kind
    assert list(ta.columns) == list(tb.columns)
    for name in ta.columns:
        assert ta.columns[name].dtype == tb.columns[name].dtype, name
        np.testing.assert_array_equal(ta.columns[name], tb.columns[name], err_msg=name)
    assert ta.units == tb.units


def _check_file(path: Path, tmp_path: Path) -> None:
    # info: JSON report with the format, the reason and content facts
    proc = run_cli("info", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    (report,) = json.loads(proc.stdout)
    detection = neurofiles.detect(path)
    assert report["format"] == detection.format and report["why"]
    original = neurofiles.load(path)
    if isinstance(original, list):
        assert report["recordings"] == len(original)
    else:
        assert report["rows"] == len(original) and report["columns"]
    text = run_cli("info", str(path))
    assert text.returncode == 0 and f"format: {detection.format}" in text.stdout

    # convert to npz: lossless; to csv: readable again with the same numbers
    base = path.name.replace(" ", "_").replace(".", "_")
    out = tmp_path / (base + ".npz")
    proc = run_cli("convert", str(path), str(out))
    assert proc.returncode == 0, proc.stderr
    if isinstance(original, list):
        back = [neurofiles.load(tmp_path / f"{base}_{i}.npz") for i in range(len(original))]
    else:
        back = neurofiles.load(out)
    _same_content(original, back)
    if not isinstance(original, list):
        csv_out = tmp_path / (base + ".csv")
        proc = run_cli("convert", str(path), str(csv_out))
        assert proc.returncode == 0, proc.stderr
        table = neurofiles.load(csv_out)
        columns = to_table(original, with_times=True).columns
        numeric = [np.asarray(c, dtype=np.float64) for c in columns.values() if c.dtype.kind in "biuf"]
        got = table.to_array()
        assert got.shape[0] == len(original)
        for j, expected in enumerate(numeric[: got.shape[1]]):
            if not np.all(np.isnan(expected)):
                np.testing.assert_array_equal(got[:, j], expected)


def test_every_shipped_sample(tmp_path):
    samples = shipped_samples()
    assert len(samples) >= 3
    for path in samples:
        _check_file(path, tmp_path)


def test_every_real_sample(testdata, tmp_path):
    files = real_samples(testdata)
    assert len(files) >= 15
    for path in files:
        _check_file(path, tmp_path)


def test_plot_every_sample(testdata, tmp_path):
    need("matplotlib", "plot")
    files = shipped_samples() + real_samples(testdata)
    for path in files:
        out = tmp_path / (path.name.replace(" ", "_") + ".png")
        proc = run_cli("plot", str(path), "-o", str(out))
        if path.name == "test.atf":  # a Clampfit results table, not a time series: refused with a message
            assert_clean_failure(proc, "plot")
            assert "table of results" in proc.stderr and not out.exists()
            continue
        assert proc.returncode == 0, (path, proc.stderr)
        assert out.stat().st_size > 5000, path


def test_convert_window_and_overrides(testdata, tmp_path):
    src = testdata / "aer" / "alex_walking_again.aedat"
    out = tmp_path / "window.aedat"
    proc = run_cli("convert", str(src), str(out), "--t-start", "42", "--t-stop", "43.5")
    assert proc.returncode == 0, proc.stderr
    full = neurofiles.load(src)
    expected = full.window(42.0, 43.5)
    got = neurofiles.load(out)
    assert 0 < len(got) < len(full)
    np.testing.assert_array_equal(got.timestamps, expected.timestamps)
    np.testing.assert_array_equal(got.addresses, expected.addresses)
    # --to forces the writer whatever the extension; --format forces the reader
    forced = tmp_path / "events.bin"
    assert run_cli("convert", str(out), str(forced), "--to", "npz", "--format", "aedat").returncode == 0
    assert neurofiles.detect(forced).format == "npz"
    # -O passes reader options: a 0.2 us tick shrinks every time by 5
    tick = tmp_path / "tick.npz"
    proc = run_cli("convert", str(out), str(tick), "-O", "tick=2e-7")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(neurofiles.load(tick).times, got.times / 5)


def test_convert_refuses_to_overwrite_without_force(tmp_path):
    src = shipped_samples()[0]
    out = tmp_path / "x.npz"
    assert run_cli("convert", str(src), str(out)).returncode == 0
    before = out.read_bytes()
    proc = run_cli("convert", str(src), str(out))
    assert_clean_failure(proc, "convert")
    assert "--force" in proc.stderr and out.read_bytes() == before
    assert run_cli("convert", str(src), str(out), "--force").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["convert", "{missing}", "{tmp}/o.npz"], "no such file"),
        (["convert", "{sample}", "{tmp}/o.unknownext"], "no format writes '.unknownext' files"),
        (["convert", "{sample}", "{tmp}/o.npz", "--to", "nosuchformat"], "unknown format"),
        (["convert", "{sample}", "{tmp}/nofolder/o.npz"], "does not exist"),
        (["convert", "{sample}", "{tmp}/o.npz", "-O", "bogus=1"], "does not take option"),
        (["info", "{junk}"], "no reader accepted"),
        (["plot", "{missing}", "-o", "{tmp}/o.png"], "no such file"),
    ],
)
def test_failures_are_one_clean_message(tmp_path, args, message):
    junk = tmp_path / "junk.xyz"
    junk.write_bytes(bytes(range(256)))
    values = {
        "missing": str(tmp_path / "absent.aedat"),
        "tmp": str(tmp_path),
        "junk": str(junk),
        "sample": str(shipped_samples()[0]),
    }
    proc = run_cli(*[a.format(**values) for a in args])
    assert_clean_failure(proc, args[0])
    assert message in proc.stderr


def test_info_header_only_and_metadata(testdata):
    path = testdata / "aer" / "IMU_translBoxes.aedat"
    quick = json.loads(run_cli("info", "--json", "--header-only", str(path)).stdout)[0]
    assert quick["events_in_file"] == 196608 and "rows" not in quick
    deep = json.loads(run_cli("info", "--json", "--metadata", str(path)).stdout)[0]
    # the header names the DAVIS240C, so the load decodes: 162771 DVS events, the IMU words become samples
    assert deep["rows"] == 162771 and deep["metadata"]["chip"].endswith("DAVIS240C")
    assert "imu" in deep["streams"]
    assert isinstance(deep["duration_s"], float) and deep["start_s"] <= deep["stop_s"]


def test_info_many_paths_reports_each_and_fails_if_one_fails(tmp_path):
    good = shipped_samples()
    proc = run_cli("info", "--json", *map(str, good), str(tmp_path / "absent.aedat"))
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)) == len(good)
    assert proc.stderr.count("neurofiles info:") == 1


def test_formats_lists_the_tabular_plugin():
    rows = {r["name"]: r for r in json.loads(run_cli("formats", "--json").stdout)}
    assert rows["npz"]["can_read"] and rows["npz"]["can_write"]
    assert rows["csv"]["can_write"] and rows["parquet"]["can_write"] and rows["parquet"]["can_read"]  # load() reads its Parquet back (issue 13)
    assert rows["npz"]["plugin"] == "tabular" and rows["npz"]["distribution"] == "neurofiles"


def test_help_everywhere_and_usage_errors():
    for command in (
        ["formats"],
        ["backends"],
        ["info"],
        ["convert"],
        ["plot"],
        ["dm"],
        ["dm", "summary"],
        ["dm", "get"],
    ):
        proc = run_cli(*command, "--help")
        assert proc.returncode == 0 and "usage: neurofiles" in proc.stdout, command
    for bad in (["convert"], ["plot", "x.aedat"], ["dm"], ["dm", "bogus"], ["info", "--bogus", "x"]):
        proc = run_cli(*bad)
        assert proc.returncode == 2 and "usage:" in proc.stderr, bad


def test_progress_bar_only_when_forced(tmp_path):
    """Off a terminal nothing is drawn; NEUROFILES_PROGRESS=1 forces the bars on stderr."""
    n = 2_500_000
    rng = np.random.default_rng(1)
    big = tmp_path / "big.aedat"
    events = neurofiles.Events(np.cumsum(rng.integers(0, 5, n)), addresses=rng.integers(0, 1 << 15, n))
    neurofiles.save(big, events)
    quiet = run_cli("convert", str(big), str(tmp_path / "a.csv"))
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = run_cli("convert", str(big), str(tmp_path / "b.csv"), env={"NEUROFILES_PROGRESS": "1"})
    assert loud.returncode == 0, loud.stderr
    assert "write csv [" in loud.stderr and f"/{n} rows" in loud.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_convert_aedat4_camera_to_aedat2_with_zero_time(testdata, tmp_path):
    src = testdata / "aer" / "davis.aedat4"
    out = tmp_path / "davis.aedat"
    proc = run_cli("convert", str(src), str(out), "-W", "layout=davis346")
    assert_clean_failure(proc, "convert")  # Unix-microsecond timestamps do not fit AEDAT 2.0's int32
    assert "int32" in proc.stderr and not out.exists()
    proc = run_cli("convert", str(src), str(out), "-W", "layout=davis346", "--zero-time")
    assert proc.returncode == 0, proc.stderr
    original = neurofiles.load(src)
    back = neurofiles.load(out).decode("davis346")
    np.testing.assert_array_equal(back.timestamps, original.timestamps - original.timestamps.min())
    np.testing.assert_array_equal(back.x, original.x)
    np.testing.assert_array_equal(back.y, original.y)
    np.testing.assert_array_equal(back.polarity, original.polarity)


def test_convert_between_text_formats(testdata, tmp_path):
    atf = testdata / "atf" / "18702001-step.atf"
    dat = tmp_path / "step.dat"
    assert run_cli("convert", str(atf), str(dat)).returncode == 0
    assert neurofiles.detect(dat).format == "neuron-dat"
    original, back = neurofiles.load(atf), neurofiles.load(dat)
    np.testing.assert_allclose(back.times, original.times)
    np.testing.assert_allclose(back.values, original.values, rtol=1e-6)
    again = tmp_path / "again.atf"
    assert run_cli("convert", str(dat), str(again)).returncode == 0
    assert neurofiles.detect(again).format == "axon-atf"
    # every number survives (whether the ATF reader calls the NEURON "x" column a time column is its own rule)
    np.testing.assert_allclose(neurofiles.load(again).to_array(), back.to_array())


def test_a_reader_bug_is_one_line_unless_debugging(tmp_path):
    """An unexpected exception (a plugin bug) still gives one line and exit 1; NEUROFILES_DEBUG shows it."""
    code = (
        "import sys, neurofiles._commandline.data as d\n"
        "def boom(*a, **k):\n"
        "    raise AttributeError('boom')\n"
        "d.load_with_progress = boom\n"
        "from neurofiles._commandline.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    sample = str(shipped_samples()[0])
    for args in (["convert", sample, str(tmp_path / "o.npz")], ["info", sample]):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], check=False, capture_output=True, text=True
        )
        assert_clean_failure(proc, args[0])
        assert "internal error AttributeError: boom" in proc.stderr
    debug = subprocess.run(
        [sys.executable, "-c", code, "convert", sample, str(tmp_path / "o.npz")],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "NEUROFILES_DEBUG": "1"},
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_info_names_the_text_engine():
    """info says which engine parsed a text block; NEUROFILES_TEXT_ENGINE reaches the subprocess."""
    from neurofiles.plugin._text_native import native_available

    sample = next(p for p in shipped_samples() if p.suffix == ".atf")
    report = json.loads(run_cli("info", "--json", str(sample)).stdout)[0]
    assert report["engine"] == ("native" if native_available() else "numpy")
    proc = run_cli("info", "--json", str(sample), env={"NEUROFILES_TEXT_ENGINE": "numpy"})
    assert json.loads(proc.stdout)[0]["engine"] == "numpy", proc.stderr
