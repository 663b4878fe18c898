"""Small ABF 2 files built in the test: scaling, modes, protocol, dates, tags; they run anywhere."""

from __future__ import annotations

import io
import math
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import CorruptFileError
from neurofiles.plugin import Source
from neurofiles.plugins.abf._reader import AbfReader

from tests.abf.abf_builder import Abf2, EpochSpec, build_abf2
from tests.conftest import need


def _write(tmp_path: Path, spec: Abf2, name: str = "x.abf") -> Path:
    path = tmp_path / name
    path.write_bytes(build_abf2(spec))
    return path


def _ramp(n: int, nch: int = 1) -> np.ndarray:
    return (np.arange(n * nch, dtype=np.int64) % 30000 - 15000).astype(np.int16)


def test_episodic_int16_scaling_and_layout(tmp_path: Path) -> None:
    raw = _ramp(3 * 100, 2)
    spec = Abf2(
        raw,
        nch=2,
        sweeps=3,
        names=("IN 0", "IN 1"),
        units=("pA", "mV"),
        scale=0.5,
        signal_gain=2.0,
        prog_gain=4.0,
        offset=1.25,
    )
    traces = neurofiles.load(_write(tmp_path, spec))
    gain = 10.0 / 32768 / (0.5 * 2.0 * 4.0)
    expected = raw.astype(np.float64).reshape(3, 100, 2) * gain + 1.25
    assert traces.shape == (100, 6) and traces.sweep_count == 3 and traces.channel_names == ["IN 0", "IN 1"]
    assert traces.units == ["pA", "mV"] * 3
    for s in range(3):
        np.testing.assert_array_equal(traces.sweep(s)["IN 1"], expected[s, :, 1])
        np.testing.assert_array_equal(traces.channel("IN 0").values[:, s], expected[s, :, 0])
    np.testing.assert_allclose(traces.times, np.arange(100) * 50e-6)
    np.testing.assert_allclose(traces.sweep_starts, [0, 0.005, 0.01])
    assert traces.metadata["protocol"] == "test" and traces.metadata["sample rate (Hz)"] == 20000


def test_telegraph_gain_divides_only_when_enabled(tmp_path: Path) -> None:
    raw = _ramp(50)
    on = neurofiles.load(_write(tmp_path, Abf2(raw, telegraph=(1, 5.0)), "on.abf"))
    off = neurofiles.load(_write(tmp_path, Abf2(raw, telegraph=(0, 5.0)), "off.abf"))
    np.testing.assert_allclose(on.values * 5.0, off.values)


def test_float32_data_is_not_scaled(tmp_path: Path) -> None:
    raw = np.linspace(-1, 1, 40, dtype=np.float32)
    traces = neurofiles.load(_write(tmp_path, Abf2(raw, scale=3.0)))
    np.testing.assert_array_equal(traces.values[:, 0], raw.astype(np.float64))


def test_file_object_source() -> None:
    raw = _ramp(64)
    data = build_abf2(Abf2(raw, sweeps=2))
    with AbfReader(Source(io.BytesIO(data))) as reader:
        traces = reader.read()
        np.testing.assert_array_equal(reader.read_sweep(1, "IN 0"), traces.sweep(1)["IN 0"])
    assert traces.sweep_count == 2


def test_gap_free_is_one_sweep_and_reads_slices(tmp_path: Path) -> None:
    raw = _ramp(1000, 2)
    path = _write(tmp_path, Abf2(raw, nch=2, sweeps=7, mode=3, names=("a", "b"), units=("V", "V")))
    with AbfReader(Source(path)) as reader:
        assert reader.sweep_count == 1
        full = reader.read()
        np.testing.assert_array_equal(reader.read_range(990, 2000), full.values[990:])
        assert reader.read_range(5, 3).shape == (0, 2)
    assert full.shape == (1000, 2)


def test_fixed_length_event_mode_takes_sweep_starts_from_the_synch_array(tmp_path: Path) -> None:
    raw = _ramp(3 * 20)
    spec = Abf2(raw, sweeps=3, mode=2, synch=[(0, 20), (1000, 20), (5000, 20)], synch_unit=10.0)
    traces = neurofiles.load(_write(tmp_path, spec))
    np.testing.assert_allclose(traces.sweep_starts, [0, 0.01, 0.05])
    assert traces.metadata["header"]["sweep origin"] == "synch array"


def test_variable_length_sweeps_keep_their_lengths(tmp_path: Path) -> None:
    raw = _ramp(30 + 12, 2)
    spec = Abf2(
        raw, nch=2, sweeps=2, mode=1, names=("a", "b"), units=("pA", "pA"), synch=[(100, 60), (400, 24)]
    )
    path = _write(tmp_path, spec)
    traces = neurofiles.load(path)
    assert [s["samples"] for s in traces.metadata["segments"]] == [30, 12]
    assert traces.shape == (42, 2)
    np.testing.assert_allclose(traces.times[:2], [100 / 20000, 101 / 20000])
    np.testing.assert_allclose(traces.times[30], 400 / 20000)
    with AbfReader(Source(path)) as reader:
        assert reader.read_sweep(1).shape == (12, 2)


def test_variable_length_lengths_that_disagree_with_the_data_are_refused(tmp_path: Path) -> None:
    spec = Abf2(_ramp(40), sweeps=2, mode=1, synch=[(0, 30), (100, 30)])
    with pytest.raises(CorruptFileError, match="synch array"):
        neurofiles.load(_write(tmp_path, spec))


@pytest.mark.parametrize(("date", "ms"), [(20240230, 0), (0, 0), (99999999, 5), (20240101, 90_000_000)])
def test_impossible_dates_are_unknown(tmp_path: Path, date: int, ms: int) -> None:
    traces = neurofiles.load(_write(tmp_path, Abf2(_ramp(10), date=date, time_ms=ms)))
    assert traces.metadata["start"] is None


def test_start_date_and_time(tmp_path: Path) -> None:
    start = neurofiles.load(_write(tmp_path, Abf2(_ramp(10), date=20240102, time_ms=3_723_456))).metadata[
        "start"
    ]
    assert start == "2024-01-02T01:02:03.456000"


def test_tags_with_times(tmp_path: Path) -> None:
    spec = Abf2(_ramp(40), sweeps=2, tags=[(200, "drug on"), (2000, "wash")], synch_unit=5.0)
    tags = neurofiles.load(_write(tmp_path, spec)).metadata["tags"]
    assert [t["comment"] for t in tags] == ["drug on", "wash"]
    assert [t["time (s)"] for t in tags] == pytest.approx([0.001, 0.01], rel=1e-12)
    assert [t["sweep"] for t in tags] == [1, 1]


def test_epoch_table_and_command_waveform(tmp_path: Path) -> None:
    epochs = [
        EpochSpec(type=1, level=-80.0, level_inc=10.0, duration=20, duration_inc=5),
        EpochSpec(type=2, level=0.0, duration=10),
        EpochSpec(type=3, level=20.0, duration=12, period=4, width=2),
    ]
    npts = 128
    traces = neurofiles.load(_write(tmp_path, Abf2(_ramp(2 * npts), sweeps=2, epochs=epochs, holding=-70.0)))
    dac = traces.metadata["dacs"][0]
    assert [e["type"] for e in dac["epochs"]] == ["Step", "Ramp", "Pulse"]
    assert [e["epoch"] for e in dac["epochs"]] == ["A", "B", "C"]
    assert dac["holding"] == -70.0 and dac["unit"] == "mV"
    command = traces.metadata["command"]
    assert command.channel_names == ["Cmd 0"] and command.sweep_count == 2
    c1 = command.sweep(1)["Cmd 0"]
    pre = npts // 64
    assert np.all(c1[:pre] == -70.0)
    assert np.all(c1[pre : pre + 25] == -70.0)  # step: -80 + 10 * sweep, 20 + 5 * sweep samples
    ramp = c1[pre + 25 : pre + 35]
    np.testing.assert_allclose(ramp, np.linspace(-70.0, 0.0, 10))
    pulse = c1[pre + 35 : pre + 47]
    np.testing.assert_array_equal(pulse, [20, 20, 0, 0] * 3)
    assert np.all(c1[pre + 47 :] == -70.0)
    c0 = command.sweep(0)["Cmd 0"]
    assert np.all(c0[pre : pre + 20] == -80.0)


def test_keep_last_level_between_sweeps(tmp_path: Path) -> None:
    epochs = [EpochSpec(type=1, level=-50.0, level_inc=5.0, duration=10)]
    traces = neurofiles.load(
        _write(tmp_path, Abf2(_ramp(2 * 64), sweeps=2, epochs=epochs, keep_last_level=1))
    )
    c = traces.metadata["command"]
    assert c.sweep(0)["Cmd 0"][-1] == -50.0 and c.sweep(1)["Cmd 0"][0] == -50.0
    assert c.sweep(1)["Cmd 0"][-1] == -45.0


def test_epoch_longer_than_the_sweep_is_cut(tmp_path: Path) -> None:
    epochs = [EpochSpec(type=2, level=10.0, duration=2_000_000_000)]
    c = neurofiles.load(_write(tmp_path, Abf2(_ramp(64), epochs=epochs))).metadata["command"]
    assert c.shape == (64, 1) and not math.isnan(c.values[-1, 0])


@pytest.mark.parametrize("kind", [1, 2, 3, 4, 5, 7])
def test_every_epoch_type_equals_pyabf_waveform_synthesis(kind: int) -> None:
    """Train epochs (pulse, triangle, cosine, biphasic) are in no sample file: compare with
    pyabf's own synthesis of the same epoch list."""
    waveform = need("pyabf.waveform", "test")
    from neurofiles.plugins.abf._model import Dac, Epoch
    from neurofiles.plugins.abf._protocol import command_sweep

    epochs = [
        Epoch(0, 1, -60.0, 0.0, 40, 0),
        Epoch(1, kind, 20.0, 5.0, 200, 0, 50, 20),
        Epoch(2, 1, -10.0, 0.0, 30, 0),
    ]
    dac = Dac(0, "Cmd 0", "mV", -70.0, True, 1, False, epochs=epochs)
    npts = 640
    for sweep in (0, 1):
        ours, _ = command_sweep(dac, sweep, npts, -70.0)
        ref = waveform.EpochSweepWaveform()
        pre = npts // 64
        ref.addEpoch(0, pre, -70.0, "Step", 0, 0, [0] * 8)
        pos = pre
        for e in epochs:
            level = e.level + e.level_inc * sweep
            ref.addEpoch(pos, pos + e.duration, level, e.type_name, e.pulse_width, e.pulse_period, [0] * 8)
            pos += e.duration
        ref.addEpoch(pos, npts, -70.0, "Step", 0, 0, [0] * 8)
        np.testing.assert_allclose(ours, ref.getWaveform(), rtol=1e-12, atol=1e-9, equal_nan=True)
