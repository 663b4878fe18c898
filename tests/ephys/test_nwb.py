"""NWB files written from ABF, ATF, NEURON and AER results read back with pynwb and pass nwbinspector."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import neurofiles
import numpy as np
import pytest
from neurofiles import OptionError
from neurofiles._commandline.main import main as cli

from tests.conftest import need

START = "2020-01-01T10:00:00+00:00"


def _inspect(path: Path) -> list[Any]:
    """nwbinspector messages of importance CRITICAL or above, subject checks aside."""
    inspector = need("nwbinspector", "test")
    messages = list(
        inspector.inspect_nwbfile(nwbfile_path=path, importance_threshold=inspector.Importance.CRITICAL)
    )
    return [m for m in messages if m is not None and not m.check_function_name.startswith("check_subject")]


def _read(path: Path) -> Any:
    pynwb = need("pynwb", "nwb")
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


@pytest.mark.parametrize("name", ["abf/18702001-step.abf", "abf/05210017_vc_abf1.abf", "atf/18702001-step.atf"])
def test_patch_clamp_sweeps_read_back(testdata: Path, tmp_path: Path, name: str) -> None:
    traces = neurofiles.load(testdata / name)
    out = tmp_path / "x.nwb"
    neurofiles.save(out, traces, session_start_time=START, subject_id="cell-7", species="Mus musculus", sex="F", age="P30D")
    io, nwb = _read(out)
    with io:
        assert len(nwb.intracellular_recordings) == traces.sweep_count * traces.channel_count
        assert len(nwb.icephys_simultaneous_recordings) == traces.sweep_count
        assert nwb.subject.subject_id == "cell-7" and nwb.subject.species == "Mus musculus"
        assert nwb.subject.sex == "F" and nwb.subject.age == "P30D"
        for s in range(traces.sweep_count):
            sweep = traces.sweep(s)
            for ch, unit in zip(sweep.columns, sweep.units):
                series = nwb.acquisition[f"sweep {s:04d} {ch}"]
                np.testing.assert_array_equal(series.data[:], sweep[ch])
                kind = {"A": "VoltageClampSeries", "V": "CurrentClampSeries"}[unit[-1]]
                assert type(series).__name__ in (kind, "PatchClampSeries")
                factor = {"pA": 1e-12, "A": 1.0, "mV": 1e-3, "V": 1.0}[unit]
                assert series.conversion == factor
                assert series.rate == pytest.approx(1 / float(traces.times[1] - traces.times[0]), rel=1e-4)
                assert series.starting_time == pytest.approx(float(traces.sweep_starts[s] + traces.times[0]))
                assert series.sweep_number == s
    assert _inspect(out) == []


def test_abf_command_waveform_is_the_stimulus(testdata: Path, tmp_path: Path) -> None:
    traces = neurofiles.load(testdata / "abf/18702001-step.abf")
    command = traces.metadata["command"]
    out = tmp_path / "x.nwb"
    neurofiles.save(out, traces)  # the ABF holds its start time: no option needed
    io, nwb = _read(out)
    with io:
        assert nwb.session_start_time.replace(tzinfo=None) == dt.datetime.fromisoformat(traces.metadata["start"])
        assert nwb.identifier == traces.metadata["guid"]
        assert nwb.subject is None  # nothing invented
        for s in range(traces.sweep_count):
            stim = nwb.stimulus[f"sweep {s:04d} Cmd 0"]
            assert type(stim).__name__ == "VoltageClampStimulusSeries"
            assert stim.conversion == 1e-3
            np.testing.assert_array_equal(stim.data[:], command.sweep(s)["Cmd 0"])
            response = nwb.acquisition[f"sweep {s:04d} IN 0"]
            assert type(response).__name__ == "VoltageClampSeries"
        row = nwb.intracellular_recordings[0]
        assert row[("stimuli", "stimulus")].iloc[0][2].name == "sweep 0000 Cmd 0"
    assert _inspect(out) == []


def test_stimulus_file_dac_is_not_written_as_nan(testdata: Path, tmp_path: Path) -> None:
    traces = neurofiles.load(testdata / "abf/171116sh_0015-ATFwaveform.abf")
    out = tmp_path / "x.nwb"
    neurofiles.save(out, traces)
    io, nwb = _read(out)
    with io:
        for series in nwb.stimulus.values():
            assert np.all(np.isfinite(series.data[:]))
        np.testing.assert_array_equal(nwb.acquisition["sweep 0000 IN 0"].data[:], traces.values[:, 0])
    assert _inspect(out) == []


def test_neuron_traces_are_time_series(testdata: Path, tmp_path: Path) -> None:
    traces = neurofiles.load(testdata / "neuron/iclamp.dat")
    out = tmp_path / "x.nwb"
    with pytest.raises(OptionError, match="time_unit"):
        neurofiles.save(out, traces, session_start_time=START)
    with pytest.raises(OptionError, match="session_start_time"):
        neurofiles.save(out, traces, time_unit="ms")
    assert not out.exists()
    neurofiles.save(out, traces, session_start_time=START, time_unit="ms")
    io, nwb = _read(out)
    with io:
        (series,) = nwb.acquisition.values()
        assert type(series).__name__ == "TimeSeries"
        np.testing.assert_array_equal(series.data[:], traces.values[:, 0])
        assert series.rate == pytest.approx(1 / (float(traces.times[1] - traces.times[0]) * 1e-3), rel=1e-6)
        assert series.starting_time == pytest.approx(float(traces.times[0]) * 1e-3)
    assert _inspect(out) == []


def test_aer_events_become_units(testdata: Path, tmp_path: Path) -> None:
    events = neurofiles.load(testdata / "aer/sound_mono_32ch_ONOFF_addr2b_ts02.aedat")
    out = tmp_path / "x.nwb"
    neurofiles.save(out, events, session_start_time=START)
    io, nwb = _read(out)
    with io:
        units = nwb.units
        assert len(units) == len(np.unique(events.addresses))
        assert units.resolution == events.tick
        total = 0
        for k in range(len(units)):
            address = units["address"][k]
            times = units["spike_times"][k]
            np.testing.assert_array_equal(times, np.sort(events.times[events.addresses == address]))
            total += len(times)
        assert total == len(events)
    assert _inspect(out) == []


def test_pixel_events_become_an_event_table(testdata: Path, tmp_path: Path) -> None:
    events = neurofiles.load(testdata / "aer/davis.aedat4")
    out = tmp_path / "x.nwb"
    neurofiles.save(out, events, session_start_time=START)
    io, nwb = _read(out)
    with io:
        table = nwb.processing["misc"]["aer_events"]
        np.testing.assert_array_equal(table["timestamp"].data[:], events.timestamps)
        np.testing.assert_array_equal(table["x"].data[:], events.x)
        np.testing.assert_array_equal(table["polarity"].data[:], events.polarity)
    assert _inspect(out) == []


def test_convert_cli_passes_writer_options(testdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.nwb"
    src = testdata / "atf/model_vc_ramp.atf"
    args = ["convert", str(src), str(out), "-q", "-W", f"session_start_time={START}"]
    assert cli([*args, "-W", "subject_id=mouse-001", "-W", "sex=M", "-W", "session_description=ramp test"]) == 0
    io, nwb = _read(out)
    with io:
        assert nwb.subject.subject_id == "mouse-001" and nwb.subject.sex == "M"
        assert nwb.session_description == "ramp test"
        assert len(nwb.acquisition) == 50
    assert _inspect(out) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("sex", "female"), ("age", "30 days"), ("session_start_time", "yesterday"), ("rate", -1.0), ("max_units", -2)],
)
def test_bad_options_are_option_errors_and_write_nothing(tmp_path: Path, option: str, value: Any) -> None:
    need("pynwb", "nwb")
    traces = neurofiles.Traces(np.arange(4.0), np.arange(4.0), ["v"], ["mV"], time_unit="s")
    out = tmp_path / "x.nwb"
    options: dict[str, Any] = {"session_start_time": START, option: value}
    with pytest.raises(OptionError, match=option):
        neurofiles.save(out, traces, **options)
    assert not out.exists()


ABF_FILES = [
    "05210017_vc_abf1.abf",
    "14o16001_vc_pair_step.abf",
    "16d22006_kim_gapfree.abf",
    "2018_12_09_pCLAMP11_0001.abf",
    "2020_06_16_0001.abf",
    "File_axon_7.abf",
    "invalidDate-abf1.abf",
    "model_vc_ramp.abf",
    "pclamp11_4ch_abf1.abf",
    "user-list-durations.abf",
]  # multichannelAbf1WithTags.abf (374 series, ~25 s) and pclamp11_4ch.abf pass too, run by hand


@pytest.mark.parametrize("name", ABF_FILES)
def test_every_abf_mode_converts(testdata: Path, tmp_path: Path, name: str) -> None:
    traces = neurofiles.load(testdata / "abf" / name)
    out = tmp_path / "x.nwb"
    options = {} if traces.metadata["start"] else {"session_start_time": START}
    if not options:
        neurofiles.save(out, traces)
    else:  # invalidDate-abf1.abf: an impossible date is unknown, so it must be given
        with pytest.raises(OptionError, match="session_start_time"):
            neurofiles.save(out, traces)
        neurofiles.save(out, traces, **options)
    io, nwb = _read(out)
    with io:
        assert len(nwb.intracellular_recordings) == traces.sweep_count * traces.channel_count
        first = nwb.acquisition[f"sweep 0000 {traces.channel_names[0]}"]
        np.testing.assert_array_equal(first.data[:], traces.sweep(0).values[:, 0])
        if "segments" in traces.metadata:  # variable-length events: real times, not a rate
            np.testing.assert_allclose(first.timestamps[:], traces.times)
        assert nwb.identifier
    assert _inspect(out) == []


def test_repeated_channel_names_and_no_events_still_write(tmp_path: Path) -> None:
    need("pynwb", "nwb")
    traces = neurofiles.Traces(np.arange(3.0) / 10, np.array([[1.0, 2], [3, 4], [5, 6]]), ["a", "a"], ["pA", "mV"],
                               time_unit="s", metadata={"format": "axon-abf"}, channel_names=["IN", "IN"])
    neurofiles.save(tmp_path / "a.nwb", traces, session_start_time=START)
    io, nwb = _read(tmp_path / "a.nwb")
    with io:
        np.testing.assert_array_equal(nwb.acquisition["sweep 0000 IN"].data[:], [1, 3, 5])
        np.testing.assert_array_equal(nwb.acquisition["sweep 0000 IN #2"].data[:], [2, 4, 6])
    empty = neurofiles.Events(np.zeros(0, np.int64), addresses=np.zeros(0, np.uint32))
    neurofiles.save(tmp_path / "e.nwb", empty, session_start_time=START)
    io, nwb = _read(tmp_path / "e.nwb")
    with io:
        assert len(nwb.processing["misc"]["aer_events"]) == 0
