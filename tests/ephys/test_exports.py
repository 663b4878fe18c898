"""Traces and Events exported to pandas, xarray and neo keep their numbers and units."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import neurofiles
import numpy as np
import pytest
from neurofiles._errors import MissingDependencyError, OptionError
from neurofiles._results.exports import events_to_neo, events_to_pandas

from tests.conftest import need

FILES = ["abf/18702001-step.abf", "abf/model_vc_ramp.abf", "atf/18702001-step.atf", "atf/model_vc_ramp.atf"]


def _load(testdata: Path, name: str) -> Any:
    return neurofiles.load(testdata / name)


@pytest.mark.parametrize("name", FILES)
def test_pandas_round_trips_numbers_and_units(testdata: Path, name: str) -> None:
    need("pandas", "pandas")
    traces = _load(testdata, name)
    frame = traces.to_pandas()
    assert frame.attrs["time_unit"] == "s"
    np.testing.assert_array_equal(frame.index.to_numpy(), traces.times)
    for s in range(traces.sweep_count):
        for c, ch in enumerate(traces.channel_names):
            key = (s, ch) if traces.sweep_count > 1 else ch
            j = traces.layout[s, c]
            np.testing.assert_array_equal(frame[key].to_numpy(), traces.values[:, j])
            assert frame.attrs["units"][key] == traces.units[j]
    assert frame.attrs["sweep_starts"] == traces.sweep_starts.tolist()


@pytest.mark.parametrize("name", FILES)
def test_xarray_round_trips_numbers_units_and_sweep_starts(testdata: Path, name: str) -> None:
    need("xarray", "xarray")
    traces = _load(testdata, name)
    da = traces.to_xarray()
    assert da.dims == ("sweep", "time", "channel")
    assert da.shape == (traces.sweep_count, len(traces), traces.channel_count)
    assert da["time"].attrs["units"] == "s"
    np.testing.assert_array_equal(da["sweep_start"].to_numpy(), traces.sweep_starts)
    for s in range(traces.sweep_count):
        sweep = traces.sweep(s)
        for ch in traces.channel_names:
            np.testing.assert_array_equal(da.sel(sweep=s, channel=ch).to_numpy(), sweep[ch])
            assert str(da["unit"].sel(channel=ch).item()) == sweep.units[sweep.columns.index(ch)]


@pytest.mark.parametrize("name", FILES)
def test_neo_block_has_a_segment_per_sweep_with_units_and_rate(testdata: Path, name: str) -> None:
    need("neo", "neo")
    pq = need("quantities", "neo")
    traces = _load(testdata, name)
    block = traces.to_neo()
    assert len(block.segments) == traces.sweep_count
    rate = traces.metadata.get("sample rate (Hz)") or 1.0 / float(np.diff(traces.times[:2])[0])
    for s, segment in enumerate(block.segments):
        sweep = traces.sweep(s)
        assert [sig.name for sig in segment.analogsignals] == traces.channel_names
        for sig, ch, unit in zip(segment.analogsignals, sweep.columns, sweep.units):
            assert sig.units == pq.Quantity(1.0, unit).units
            np.testing.assert_array_equal(sig.magnitude[:, 0], sweep[ch])
            assert float(sig.sampling_rate.rescale("Hz")) == pytest.approx(rate, rel=1e-6)
            t0 = float(traces.sweep_starts[s] + traces.times[0])
            assert float(sig.t_start.rescale("s")) == pytest.approx(t0, abs=1e-9)


def test_abf_and_atf_exports_agree(testdata: Path) -> None:
    need("xarray", "xarray")
    a = _load(testdata, "abf/18702001-step.abf").to_xarray()
    b = _load(testdata, "atf/18702001-step.atf").to_xarray()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-5, atol=1e-4)
    assert list(a["unit"].to_numpy()) == list(b["unit"].to_numpy())


def test_neuron_results_export(testdata: Path) -> None:
    need("pandas", "pandas")
    need("xarray", "xarray")
    need("neo", "neo")
    pq = need("quantities", "neo")
    traces = _load(testdata, "neuron/iclamp.dat")
    frame = traces.to_pandas()
    np.testing.assert_array_equal(frame.to_numpy()[:, 0], traces.values[:, 0])
    da = traces.to_xarray()
    np.testing.assert_array_equal(da.to_numpy()[0, :, 0], traces.values[:, 0])
    with pytest.raises(OptionError, match="time_unit"):
        traces.to_neo()  # NEURON .dat says nothing of its time unit
    block = traces.to_neo(time_unit="ms")
    sig = block.segments[0].analogsignals[0]
    np.testing.assert_array_equal(sig.magnitude[:, 0], traces.values[:, 0])
    assert float(sig.sampling_period.rescale("ms")) == pytest.approx(float(traces.times[1] - traces.times[0]))
    assert sig.units == pq.dimensionless  # the file has no unit: not invented


def test_values_only_traces_need_a_rate_for_neo() -> None:
    need("neo", "neo")
    traces = neurofiles.Traces(None, np.arange(5.0), ["v"], ["mV"])
    with pytest.raises(OptionError, match="sampling_rate"):
        traces.to_neo()
    sig = traces.to_neo(sampling_rate=10.0).segments[0].analogsignals[0]
    assert float(sig.sampling_rate) == 10.0 and str(sig.units.dimensionality) == "mV"


def test_uneven_times_give_irregular_signals() -> None:
    need("neo", "neo")
    traces = neurofiles.Traces(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 3.0]), ["i"], ["pA"], time_unit="s")
    block = traces.to_neo()
    assert not block.segments[0].analogsignals
    signal = block.segments[0].irregularlysampledsignals[0]
    assert type(signal).__name__ == "IrregularlySampledSignal"
    np.testing.assert_array_equal(signal.times.rescale("s").magnitude, [0.0, 1.0, 3.0])


def test_aer_events_to_pandas_and_spike_trains(testdata: Path) -> None:
    need("pandas", "pandas")
    need("neo", "neo")
    events = _load(testdata, "aer/sound_mono_32ch_ONOFF_addr2b_ts02.aedat")
    frame = events_to_pandas(events)
    np.testing.assert_array_equal(frame["timestamp"].to_numpy(), events.timestamps)
    np.testing.assert_array_equal(frame["address"].to_numpy(), events.addresses)
    assert frame.attrs["units"]["time"] == "s"
    block = events_to_neo(events)
    trains = block.segments[0].spiketrains
    assert len(trains) == len(np.unique(events.addresses))
    assert sum(len(t) for t in trains) == len(events)
    for train in trains[:5]:
        expected = np.sort(events.times[events.addresses == train.annotations["address"]])
        np.testing.assert_array_equal(train.rescale("s").magnitude, expected)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("pandas", "xarray", "neo"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    import importlib

    real_import_module = importlib.import_module

    def fake_module(name: str, package: Any = None) -> Any:
        if name.split(".")[0] in ("pandas", "xarray", "neo"):
            raise ImportError(f"No module named {name!r}")
        return real_import_module(name, package)

    monkeypatch.setattr(importlib, "import_module", fake_module)
    monkeypatch.setattr(builtins, "__import__", fake)
    traces = neurofiles.Traces(np.arange(3.0), np.arange(3.0), ["v"], ["mV"], time_unit="s")
    for method, extra in (("to_pandas", "pandas"), ("to_xarray", "xarray"), ("to_neo", "neo")):
        with pytest.raises(MissingDependencyError, match=rf"neurofiles\[{extra}\]"):
            getattr(traces, method)()


@pytest.mark.parametrize("rate", [10_000.0, 20_000.0, 3_333.0, 48_000.0, 1 / 3, np.pi * 1e3])
def test_uniform_rate_is_the_rate_the_times_were_made_with(rate: float) -> None:
    from neurofiles.plugin.units import uniform_rate

    times = np.arange(100_000) / rate  # as readers make them: sample index over the header's rate
    got = uniform_rate(times)
    assert got is not None and got == pytest.approx(rate, rel=1e-12)
    if rate == float(f"{rate:.9g}"):  # a rate a header states (10 kHz) comes back exactly, not 9999.999999999998
        assert got == rate


def test_nwb_and_neo_carry_the_header_rate_exactly(testdata: Path, tmp_path: Path) -> None:
    pynwb = need("pynwb", "nwb")
    need("neo", "neo")
    source = testdata / "abf" / "18702001-step.abf"
    traces = neurofiles.load(source)
    rate = traces.metadata["sample rate (Hz)"]
    assert float(traces.to_neo().segments[0].analogsignals[0].sampling_rate.rescale("Hz")) == rate
    neurofiles.save(tmp_path / "x.nwb", traces)
    with pynwb.NWBHDF5IO(str(tmp_path / "x.nwb"), "r") as io:
        series = next(iter(io.read().acquisition.values()))
        assert series.rate == rate
