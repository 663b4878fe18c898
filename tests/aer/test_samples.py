"""Every real AER sample (except AEDAT 4.0) loads with the counts and timestamps of SOURCES.md."""

from __future__ import annotations

import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import FormatWarning

# name, options, version, count, first ts, last ts, header bytes, tick
CASES = [
    ("alex_walking_again.aedat", {}, "2.0", 19182, 41306606, 48193156, 4612, 1e-6),
    ("rotated_cam255_right_clamp_test1.aedat", {}, "2.0", 110228, 52965624, 70984609, 185, 1e-6),
    ("IMU_translBoxes.aedat", {}, "2.0", 196608, 294976755, 297049406, 175268, 1e-6),
    ("sound_mono_32ch_ONOFF_addr2b_ts02.aedat", {"tick": 2e-7}, "1.0", 49864, 573010, 6296705, 0, 2e-7),
    ("enun_stereo_64ch_ONOFF_addr4b_ts1.aedat", {"version": "2.0"}, "2.0", 428635, 0, 13741184, 0, 1e-6),
    ("sample_aedat_header.aedat", {}, "2.0", 0, None, None, 599, 1e-6),
]


@pytest.mark.parametrize("name, options, version, count, first, last, header, tick", CASES)
def test_sample_counts_and_timestamps(aer_dir: Path, name, options, version, count, first, last, header, tick):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatWarning)  # none of these may warn
        events = neurofiles.load(aer_dir / name, **options)
    assert isinstance(events, neurofiles.Events)
    assert len(events) == count
    assert events.metadata["version"] == version
    assert events.metadata["header_size"] == header
    assert events.metadata["leftover_bytes"] == 0
    assert events.tick == tick
    assert events.timestamps.dtype == np.int64 and events.timestamps.dtype.isnative
    assert events.addresses is not None and events.addresses.dtype == np.uint32
    if count:
        assert int(events.timestamps[0]) == first
        assert int(events.timestamps[-1]) == last
        assert events.is_sorted()
        assert events.times[0] == pytest.approx(first * tick)


def test_alex_first_records_and_dvs128_decode(aer_dir: Path):
    events = neurofiles.load(aer_dir / "alex_walking_again.aedat")
    assert events.addresses[:2].tolist() == [30339, 24926]
    assert events.timestamps[:2].tolist() == [41306606, 41309379]
    assert events.addresses.min() == 92 and events.addresses.max() == 32762
    assert events.metadata["chip"] == "ch.unizh.ini.jaer.chip.retina.DVS128"
    assert events.metadata["header"]["HardwareInterface"] == "DVS128-V1 0298"
    assert events.metadata["header"]["created"].startswith("Fri Apr 15 09:54:36")
    assert events.metadata["line_ending"] == "CRLF" and events.metadata["end_marker"] is None
    dvs = events.decode("dvs128")
    assert len(dvs) == 19182
    a = events.addresses
    assert np.array_equal(dvs.x, 127 - ((a & 0xFE) >> 1))
    assert np.array_equal(dvs.y, (a & 0x7F00) >> 8)
    assert dvs.x.min() == 0 and dvs.x.max() == 127 and dvs.y.min() == 0 and dvs.y.max() == 127
    assert dvs.polarity.mean() == pytest.approx(np.mean((a & 1) == 0))  # raw 0 = ON (jAER)
    assert round(float(dvs.polarity.mean()), 2) == 0.37


def test_matlab_file_keeps_bit15_events(aer_dir: Path):
    events = neurofiles.load(aer_dir / "rotated_cam255_right_clamp_test1.aedat")
    bit15 = (events.addresses & 0x8000) != 0
    assert int(bit15.sum()) == 318
    assert events.metadata["header"] == {}
    assert "saveaerdat.m" in events.metadata["header_lines"][1]
    decoded = events.decode("dvs128")
    assert len(decoded) == 110228 - 318
    assert decoded.metadata["decode"]["special"] == 318
    assert len(decoded.streams["special"]["timestamps"]) == 318


def test_davis240_imu_separation(aer_dir: Path):
    events = neurofiles.load(aer_dir / "IMU_translBoxes.aedat", decode="davis240")
    info = events.metadata["decode"]
    assert info["dvs"] == 162771 == len(events)
    assert info["imu_words"] == 33837
    assert info["imu_samples"] == 4833 and info["imu_words_unpaired"] == 6
    assert info["aps"] == 0 and info["out_of_range"] == 0
    assert events.metadata["chip"] == "eu.seebetter.ini.chips.davis.DAVIS240C"
    assert events.x.min() == 0 and events.x.max() == 239
    assert events.y.min() == 0 and events.y.max() == 179
    assert round(float(events.polarity.mean()), 2) == 0.51
    imu = events.streams["imu"]
    assert len(imu["timestamps"]) == 4833
    assert set(imu) >= {"ax", "ay", "az", "temperature", "gx", "gy", "gz"}
    assert imu["ax"].dtype == np.int16


def test_header_only_lf_sample(aer_dir: Path):
    events = neurofiles.load(aer_dir / "sample_aedat_header.aedat")
    meta = events.metadata
    assert len(events) == 0 and meta["line_ending"] == "LF"
    assert meta["start_time_ms"] == 1695355587880
    assert meta["chip"] == "eu.seebetter.ini.chips.davis.Davis346red"
    assert meta["tick"] == 1e-6 and meta["tick_source"] == "header"
    assert "0 events" in repr(events)


def test_headerless_default_is_v1_and_reports_leftover(aer_dir: Path):
    path = aer_dir / "enun_stereo_64ch_ONOFF_addr4b_ts1.aedat"
    with pytest.warns(FormatWarning) as caught:
        events = neurofiles.load(path)
    messages = [str(w.message) for w in caught]
    assert any("2 trailing byte" in m for m in messages)
    assert any("only increase when read as 8-byte records" in m for m in messages)
    assert len(events) == 571513
    assert events.metadata["leftover_bytes"] == 2
    assert events.metadata["version"] == "1.0" and events.metadata["version_source"] == "default"
    with pytest.raises(neurofiles.TruncatedFileError) as info:
        neurofiles.load(path, strict=True)
    assert info.value.offset == 3429078 and str(path) in str(info.value)


def test_nas_mono_duration_with_tick(aer_dir: Path):
    events = neurofiles.load(aer_dir / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat", tick=2e-7)
    assert events.duration == pytest.approx(1.14, abs=0.01)
    assert events.addresses.min() == 0 and events.addresses.max() == 63
    default = neurofiles.load(aer_dir / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat")
    assert default.duration == pytest.approx(5.72, abs=0.01)


def test_selection_chooses_aedat_by_content(aer_dir: Path):
    for name, reason in [("alex_walking_again.aedat", "magic"), ("sound_mono_32ch_ONOFF_addr2b_ts02.aedat", "sniff")]:
        detection = neurofiles.detect(aer_dir / name)
        assert detection.format == "aedat"
        assert detection.reason.startswith(reason)


def test_aeidx_sample(aer_dir: Path):
    result = neurofiles.load(aer_dir / "synthetic_pair.aeidx")
    assert [len(e) for e in result] == [19182, 110228]
    assert [Path(e.metadata["source"]).name for e in result] == [
        "alex_walking_again.aedat", "rotated_cam255_right_clamp_test1.aedat"]


@pytest.mark.parametrize("name", ["sample.aedat4", "davis.aedat4"])
def test_aedat4_samples_detected_with_header_only(aer_dir: Path, name: str):
    from neurofiles._frontend.api import summarize

    detection, summary = summarize(aer_dir / name)
    assert detection.format == "aedat" and detection.reason.startswith("magic")
    assert summary["version"] == "4.0" and summary["header_size"] == len(b"#!AER-DAT4.0\r\n")
    assert "events_in_file" not in summary  # packet format: counted by its decoder, not from the size


@pytest.mark.parametrize("name, count, camera", [("sample.aedat4", 111954, "DVXplorer_DXB00010"),
                                                 ("davis.aedat4", 117667, "DAVIS346_00000104")])
def test_aedat4_load_keeps_file_as_source(aer_dir: Path, name: str, count: int, camera: str):
    events = neurofiles.load(aer_dir / name)
    assert len(events) == count
    assert events.metadata["source"] == str(aer_dir / name) and events.metadata["camera"] == camera
    assert repr(events).endswith(f"from {name!r}>")
