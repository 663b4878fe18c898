"""A DAC driven by a stimulus file plays that file when it can be found (by base name only)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import FormatWarning, OptionError

from tests.conftest import need

ABF = "171116sh_0015-ATFwaveform.abf"
STIM = "sine sweep magnitude 20.atf"


def test_missing_stimulus_file_leaves_nan_quietly(testdata: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traces = neurofiles.load(testdata / "abf" / ABF)  # the .atf is in another folder
    assert np.isnan(traces.metadata["command"].values).all()
    assert "stimulus file read" not in traces.metadata["dacs"][0]


def test_stimulus_folder_option_equals_pyabf(testdata: Path) -> None:
    pyabf = need("pyabf", "test")
    traces = neurofiles.load(testdata / "abf" / ABF, stimulus_folder=testdata / "atf")
    command = traces.metadata["command"]
    stim = neurofiles.load(testdata / "atf" / STIM)
    assert traces.metadata["dacs"][0]["stimulus file read"] == str(testdata / "atf" / STIM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        abf = pyabf.ABF(str(testdata / "abf" / ABF), stimulusFileFolder=str(testdata / "atf"))
    for s in range(traces.sweep_count):
        np.testing.assert_array_equal(command.sweep(s)["Cmd 0"], stim.values[:, 0])
        abf.setSweep(s)
        np.testing.assert_allclose(command.sweep(s)["Cmd 0"], abf.sweepC, rtol=1e-6, atol=1e-6)


def test_same_folder_is_searched_by_default_and_false_disables(testdata: Path, tmp_path: Path) -> None:
    shutil.copy(testdata / "abf" / ABF, tmp_path / ABF)
    shutil.copy(testdata / "atf" / STIM, tmp_path / STIM)
    played = neurofiles.load(tmp_path / ABF).metadata["command"]
    assert np.isfinite(played.values).all() and played.values.max() == pytest.approx(20.0)
    assert np.isnan(neurofiles.load(tmp_path / ABF, stimulus_folder=False).metadata["command"].values).all()
    with pytest.raises(OptionError, match="stimulus_folder"):
        neurofiles.load(tmp_path / ABF, stimulus_folder=True)


def test_short_stimulus_file_ends_at_the_holding_level(testdata: Path, tmp_path: Path) -> None:
    shutil.copy(testdata / "abf" / ABF, tmp_path / ABF)
    short = neurofiles.Traces(np.arange(10) * 1e-4, np.linspace(1, 10, 10), ["Trace #1"], [""],
                              time_name="Time", time_unit="s")
    neurofiles.save(tmp_path / STIM, short)
    traces = neurofiles.load(tmp_path / ABF)
    col = traces.metadata["command"].sweep(1)["Cmd 0"]
    np.testing.assert_array_equal(col[:10], np.linspace(1, 10, 10))
    assert (col[10:] == traces.metadata["dacs"][0]["holding"]).all()


def test_unreadable_stimulus_file_warns_and_stays_nan(testdata: Path, tmp_path: Path) -> None:
    shutil.copy(testdata / "abf" / ABF, tmp_path / ABF)
    (tmp_path / STIM).write_bytes(b"ATF\t1.0\n999999\t2\ngarbage\n")
    with pytest.warns(FormatWarning, match="stimulus file"):
        traces = neurofiles.load(tmp_path / ABF)
    assert np.isnan(traces.metadata["command"].values).all()
    np.testing.assert_array_equal(traces.values, neurofiles.load(testdata / "abf" / ABF).values)


def test_played_stimulus_goes_to_nwb(testdata: Path, tmp_path: Path) -> None:
    pynwb = need("pynwb", "nwb")
    traces = neurofiles.load(testdata / "abf" / ABF, stimulus_folder=testdata / "atf")
    out = tmp_path / "x.nwb"
    neurofiles.save(out, traces)
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        stim = nwb.stimulus["sweep 0002 Cmd 0"]
        assert type(stim).__name__ == "VoltageClampStimulusSeries"
        np.testing.assert_array_equal(stim.data[:], traces.metadata["command"].sweep(2)["Cmd 0"])


def test_fifo_or_oversized_stimulus_file_is_refused_without_hanging(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from neurofiles.plugins.abf import _reader

    shutil.copy(testdata / "abf" / ABF, tmp_path / ABF)
    os.mkfifo(tmp_path / STIM)  # nobody writes: a blocking open would hang
    with pytest.warns(FormatWarning, match="not a regular file"):
        traces = neurofiles.load(tmp_path / ABF)
    assert np.isnan(traces.metadata["command"].values).all()
    (tmp_path / STIM).unlink()
    shutil.copy(testdata / "atf" / STIM, tmp_path / STIM)
    monkeypatch.setattr(_reader, "MAX_STIMULUS_BYTES", 1000)
    with pytest.warns(FormatWarning, match="more than a stimulus file may hold"):
        traces = neurofiles.load(tmp_path / ABF)
    assert np.isnan(traces.metadata["command"].values).all()


def test_chunks_read_the_stimulus_file_once_and_equal_the_whole_command(
    testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neurofiles.plugins.abf import _reader

    whole = neurofiles.load(testdata / "abf" / ABF, stimulus_folder=testdata / "atf")
    calls = []
    original = _reader.AbfReader._stimulus_file

    def counting(self: object, dac: object) -> object:
        calls.append(dac)
        return original(self, dac)  # type: ignore[arg-type]

    monkeypatch.setattr(_reader.AbfReader, "_stimulus_file", counting)
    chunks = list(neurofiles.iter_chunks(testdata / "abf" / ABF, samples=30_000, stimulus_folder=testdata / "atf"))
    assert len(chunks) > 3 and len(calls) == 1
    np.testing.assert_array_equal(
        np.concatenate([c.metadata["command"].values for c in chunks]), whole.metadata["command"].values
    )
