"""Issue 16, CLI side: messages for CLI users, suggestions, info facts, convert phases, decode, npz speed."""

from __future__ import annotations

import json
import os
import zipfile

import neurofiles
import numpy as np
import pytest

from .conftest import SAMPLES, assert_clean_failure, run_cli

COCHLEA = ("aer", "sound_mono_32ch_ONOFF_addr2b_ts02.aedat")


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"neurofiles {neurofiles.__version__}"


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["infi", "x"], "did you mean info?"),
        (["plot", "x", "-o", "y.png", "--kind", "rastr"], "did you mean raster?"),
        (["convert", "a", "b", "--zero-tme"], "did you mean --zero-time?"),
        (["info", "--fulll", "x"], "did you mean --full?"),
        (["dm", "summary", "x", "--sesions"], "did you mean --sessions"),
    ],
)
def test_usage_errors_suggest_close_names(args, hint):
    proc = run_cli(*args)
    assert proc.returncode == 2 and hint in proc.stderr, proc.stderr


def test_unknown_format_suggests_the_registered_name(testdata, tmp_path):
    proc = run_cli("info", "--format", "atf", str(testdata / "atf" / "data.atf"))
    assert_clean_failure(proc, "info")
    assert "Did you mean 'axon-atf'?" in proc.stderr and "`neurofiles formats`" in proc.stderr
    proc = run_cli("convert", str(testdata / "atf" / "data.atf"), str(tmp_path / "x.out"), "--to", "cvs")
    assert_clean_failure(proc, "convert")
    assert "Did you mean 'csv'?" in proc.stderr and not (tmp_path / "x.out").exists()


def test_an_option_no_reader_takes_is_its_own_error_first(testdata):
    proc = run_cli("info", "-O", "tik=2e-7", str(testdata.joinpath(*COCHLEA)))
    assert_clean_failure(proc, "info")
    assert "no reader accepted" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert "does not take option(s) tik" in first and "did you mean -O tick?" in first
    forced = run_cli("info", "--format", "aedat", "-O", "tik=2e-7", str(testdata.joinpath(*COCHLEA)))
    assert "did you mean -O tick?" in forced.stderr
    writer = run_cli("convert", str(SAMPLES / "dvs128_small.aedat"), "x.npz", "-W", "compres=1")
    assert_clean_failure(writer, "convert")
    assert "did you mean -W compress?" in writer.stderr


def test_messages_name_the_cli_flags(testdata, tmp_path):
    camera = str(testdata / "aer" / "davis.aedat4")
    proc = run_cli("convert", camera, str(tmp_path / "a.aedat"))
    assert_clean_failure(proc, "convert")
    assert "-W layout=dvs128" in proc.stderr and "layout='" not in proc.stderr
    proc = run_cli("convert", camera, str(tmp_path / "a.aedat"), "-W", "layout=davis346")
    assert_clean_failure(proc, "convert")
    assert "--zero-time" in proc.stderr and "subtract an offset" not in proc.stderr
    proc = run_cli("plot", str(testdata.joinpath(*COCHLEA)), "-o", str(tmp_path / "a.png"), "--kind", "image")
    assert_clean_failure(proc, "plot")
    assert "--layout" in proc.stderr and "layout=" not in proc.stderr


def test_info_json_numbers_are_si_with_the_unit_in_the_key(testdata):
    proc = run_cli("info", "--json", str(testdata / "aer" / "davis.aedat4"), str(testdata / "atf" / "sample.atf"))
    events, traces = json.loads(proc.stdout)
    for report in (events, traces):
        assert all(isinstance(report[k], float) for k in ("start_s", "stop_s", "duration_s"))
        assert not any(isinstance(v, str) and v.endswith(" s") for v in report.values())
    assert events["duration_s"] == pytest.approx(0.13, abs=0.001) and events["start_s"] > 1.6e9
    text = run_cli("info", str(testdata / "aer" / "davis.aedat4")).stdout
    assert "duration: 0.129999 s" in text


def test_info_shows_the_camera_and_frames_of_aedat4(testdata):
    report = json.loads(run_cli("info", "--json", str(testdata / "aer" / "davis.aedat4")).stdout)[0]
    assert report["camera"] == "DAVIS346_00000104" and report["resolution"] == "346 x 260"
    assert report["frames"] == 3


def test_info_says_what_it_skipped_and_how_to_get_it(tmp_path):
    big = tmp_path / "big.aedat"
    with open(big, "wb") as f:
        f.write(b"#!AER-DAT2.0\r\n")
        f.truncate(300 << 20)  # sparse: 300 MiB of zero events
    proc = run_cli("info", str(big))
    assert proc.returncode == 0, proc.stderr
    assert "body: not read: the file is 300 MiB, over 256 MiB; pass --full" in proc.stdout
    quick = run_cli("info", "--header-only", str(SAMPLES / "dvs128_small.aedat")).stdout
    assert "not read (--header-only)" in quick


def test_convert_decodes_addresses_and_writes_plain_npz(testdata, tmp_path):
    out = tmp_path / "imu.npz"
    proc = run_cli("convert", str(testdata / "aer" / "IMU_translBoxes.aedat"), str(out), "--decode", "auto")
    assert proc.returncode == 0, proc.stderr
    events = neurofiles.load(out)
    assert events.metadata["decode"]["layout"] == "davis240" and events.x.max() < 240 and events.y.max() < 180
    assert len(events) == 162771 and "imu" in events.streams  # IMU words left the DVS events
    with zipfile.ZipFile(out) as archive:  # as fast as numpy.savez: stored, not deflated
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    packed = tmp_path / "packed.npz"
    run_cli("convert", str(SAMPLES / "dvs128_small.aedat"), str(packed), "-W", "compress=true")
    with zipfile.ZipFile(packed) as archive:
        assert zipfile.ZIP_DEFLATED in {i.compress_type for i in archive.infolist()}
    bad = run_cli("convert", str(testdata / "aer" / "davis.aedat4"), str(tmp_path / "b.npz"), "--decode", "auto")
    assert_clean_failure(bad, "convert")
    assert "no raw addresses" in bad.stderr


def test_every_convert_phase_shows_progress(testdata, tmp_path, monkeypatch, capsys):
    from neurofiles.plugin import _progress
    from neurofiles._commandline.main import main

    monkeypatch.setattr(_progress, "MIN_SECONDS", 0.0)
    monkeypatch.setenv("NEUROFILES_PROGRESS", "1")
    out = tmp_path / "o.npz"
    assert main(["convert", str(testdata / "aer" / "IMU_translBoxes.aedat"), str(out), "--decode", "davis240", "-q"]) == 0
    err = capsys.readouterr().err
    assert "reading IMU_translBoxes.aedat [" in err  # the reader's own bar
    assert "decoding addresses (davis240)" in err and "writing o.npz" in err and err.count("done\n") >= 2


def test_a_phase_keeps_quiet_while_the_work_draws_its_own_bar(monkeypatch):
    import io
    import time

    from neurofiles.plugin import _progress

    monkeypatch.setattr(_progress, "MIN_SECONDS", 0.0)
    monkeypatch.setattr(_progress, "_bars_open", 1)  # a bar is drawing
    _progress.set_progress(True)
    try:
        stream = io.StringIO()
        with _progress.Phase("writing", stream=stream):
            time.sleep(0.3)
    finally:
        _progress.set_progress(None)
    assert stream.getvalue() == ""


def test_phase_draws_nothing_when_off_and_ends_its_line(monkeypatch):
    import io

    from neurofiles.plugin import _progress

    stream = io.StringIO()
    with _progress.Phase("quiet", stream=stream):
        pass
    assert stream.getvalue() == ""
    monkeypatch.setattr(_progress, "MIN_SECONDS", 0.0)
    _progress.set_progress(True)
    try:
        finished: list[bool] = []
        with _progress.Phase("busy", lambda: "0 MiB" if finished else "7 MiB", stream=stream):
            import time

            time.sleep(0.3)
            finished.append(True)  # like a renamed temporary file: the status is gone after the work
    finally:
        _progress.set_progress(None)
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("busy 7 MiB") and last.endswith("done\n")


def test_readme_does_not_write_into_the_checkout():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", ".gitignore"), encoding="utf-8") as f:
        ignored = f.read().split()
    assert "benchmarks/data/" in ignored and "results/" in ignored


def test_header_facts_that_look_like_times_are_printed_as_they_are():
    text = run_cli("info", str(SAMPLES / "dvs128_small.aedat")).stdout
    assert "start_time_ms: 1700000000000" in text and "time span: 1.000132 .. 1.399929 s" in text


def test_info_on_an_abf_file_gives_the_recording_facts(testdata):
    report = json.loads(run_cli("info", "--json", str(testdata / "abf" / "pclamp11_4ch.abf")).stdout)[0]
    assert report["format"] == "axon-abf" and report["version"] == "2.9.0.0"
    assert report["mode"] == "episodic stimulation" and report["sweeps"] == 10 and report["tags"] == 0
    assert report["sample rate (Hz)"] == 20000 and report["protocol"]
    assert report["columns"] == ["Time (s)", "IN 0 (pA)", "IN 1 (pA)", "IN 2 (pA)", "IN 3 (pA)"]  # one per channel
    assert report["duration_s"] == pytest.approx(0.19995)
    proc = run_cli("info", str(testdata / "abf" / "pclamp11_4ch.abf"))
    assert proc.returncode == 0 and "warning" not in proc.stderr
