"""The real NEURON and ATF samples in ../shared/testdata, pinned by sha256 (values from SOURCES.md)."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

import neurofiles
from neurofiles import FormatWarning, read_atf, read_neuron_dat

from ._helpers import brian_atf, brian_neuron

# name: (sha256, shape of to_array(), first row, last row)
NEURON = {
    "gsyn.dat": (
        "e33d7d5a74e2bf7f60af4e829e30d8b344f6ce385535fae9e8c25e7381bde4f6",
        (801, 2),
        [0.0125, 5.26789e-17],
        [20.0125, 0.0182819],
    ),
    "iclamp.dat": (
        "5c049df3be58f327962fd7d8cee3bd8a51cde31bf830d77f2ef69c24d643a00f",
        (8001, 2),
        [0, -70],
        [200, -69.9913],
    ),
    "p050pA_average_e86.dat": (
        "a857a61fbf26b2ad72b0a36896084a7548c71f0d62f0f831109a8d56af800d1a",
        (6454, 2),
        [0, -86.008],
        [129.06, -85.93],
    ),
}
NEURON_LABELS = {"gsyn.dat": "ampakin[0].g", "iclamp.dat": "v(.5)", "p050pA_average_e86.dat": "v(.5)"}
ATF = {
    "18702001-step.atf": (
        "66039116e7b34d45196c02999f29c07dfd98d8c46fc7e4f0104a66c3d204a274",
        (20000, 7),
        [0, -10.498, -1.03546, -11.3525, -1.03668, -11.9629, -1.03577],
        [0.99995, -11.7187, -1.03577, -11.4746, -1.03516, -10.8643, -1.03546],
    ),
    "model_vc_ramp.atf": (
        "484839f6d3c1fa279ac35bd3867751e7e08e6a24925c20a7fa473bc9859f745a",
        (2400, 51),
        [0, -138.428, -135.62, -139.282, -142.334],
        [0.11995, -136.108, -139.16, -140.869],
    ),
    "sine sweep magnitude 20.atf": (
        "d5c298775475ee3d75722cf5d0a571327b63013cc80e702fb5b478bb4ffeaf20",
        (100000, 2),
        [0, 0],
        [9.99990000002, 16.3103],
    ),
    "SSFINEST.atf": (
        "33e2faf909ccb2f1a4b2a59b9f9d274daa528656b02e2866f0e70cd84b652aab",
        (111001, 3),
        [0, 0, 0],
        [2.22, 0, 0],
    ),
    "TRIPPLE.atf": (
        "9998970b19c502cbadec40a22ff039d5412d0561ac8435e01a34e31aae93c408",
        (30001, 34),
        [0] * 34,
        [0.6] + [0] * 33,
    ),
    "sample.atf": (
        "2cce26f81e96f9bc6450f0868d5d388ec02a92a4ba15ab1c2b5c205ff9e93740",
        (10000, 2),
        [0, -10.91],
        [0.9999, -10.2844],
    ),
    "test.atf": (
        "86ba8b5017e029f0736caf14caf476f62855c051bf4055d0bfae024dce7ea290",
        (100, 6),
        [None, 1, 0, -393.415, 0.190045, None],
        [None, 100, 1.98e6, -551.371, 0.169994, None],
    ),
    "data.atf": (
        "2ab31d0b43b4e5bfbc83d70f449ff7cb607a3cf359b47719b052244f8da5724f",
        (3, 5),
        [1, 4, 7, 10, 13],
        [3, 6, 9, 12, 15],
    ),
}
# sweeps x channels from the Signals= record
LAYOUT = {
    "18702001-step.atf": (3, ["IN 0", "IN 1"]),
    "model_vc_ramp.atf": (50, ["IN 0"]),
    "SSFINEST.atf": (1, ["Signal 00", "Signal 01"]),
    "TRIPPLE.atf": (3, [f"Signal {i:02d}" for i in range(11)]),
    "sample.atf": (1, ["IN 0"]),
    "data.atf": (4, ["whol Vm"]),
}


def _row(expected: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in expected], dtype=float)


def _pinned(path, sha: str):
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, f"{path.name} changed"
    return path


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatWarning)  # none of the real files may warn
        return neurofiles.load(path)


@pytest.mark.parametrize("name", sorted(NEURON))
def test_neuron_real(testdata, name: str) -> None:
    sha, shape, first, last = NEURON[name]
    path = _pinned(testdata / "neuron" / name, sha)
    traces = _load(path)
    assert neurofiles.detect(path).format == "neuron-dat"
    array = traces.to_array()
    assert array.shape == shape and array.dtype == np.float64
    np.testing.assert_array_equal(array[0], _row(first))
    np.testing.assert_array_equal(array[-1], _row(last))
    assert traces.metadata["label"] == NEURON_LABELS[name]
    assert traces.metadata["count check"] == "ok"
    t, v = read_neuron_dat(path)
    bt, bv = brian_neuron(path)  # Brian reads these three correctly: identical results
    np.testing.assert_array_equal(t, bt)
    np.testing.assert_array_equal(v, bv)


def test_neuron_rows_cols_count_line(testdata) -> None:
    traces = _load(testdata / "neuron" / "p050pA_average_e86.dat")
    assert traces.metadata["declared count"] == (6454, 2)
    assert traces.metadata["variant"] == "clipboard with rows/columns count line"


@pytest.mark.parametrize("name", sorted(ATF))
def test_atf_real(testdata, name: str) -> None:
    sha, shape, first, last = ATF[name]
    path = _pinned(testdata / "atf" / name, sha)
    traces = _load(path)
    array = traces.to_array()
    assert array.shape == shape and array.dtype == np.float64
    np.testing.assert_array_equal(array[0][: len(first)], _row(first))
    np.testing.assert_array_equal(array[-1][: len(last)], _row(last))
    assert traces.metadata["format"] == "axon-atf"
    if name in LAYOUT:
        sweeps, channels = LAYOUT[name]
        assert traces.sweep_count == sweeps
        assert traces.channel_names == channels


@pytest.mark.parametrize("name", sorted(set(ATF) - {"test.atf"}))
def test_atf_classic_matches_brian(testdata, name: str) -> None:
    path = testdata / "atf" / name
    t, v = read_atf(path)
    bt, bv = brian_atf(path)
    np.testing.assert_array_equal(t, bt)
    first_values = v if v.ndim == 1 else v[:, 0]
    np.testing.assert_array_equal(first_values, bv)
    assert v.ndim == (1 if ATF[name][1][1] == 2 else 2)


def test_tripple_duplicate_titles_keep_34_columns(testdata) -> None:
    traces = _load(testdata / "atf" / "TRIPPLE.atf")
    assert len(traces.columns) == 33 and traces.labels.count("Trace #1 (mV)") == 6
    with pytest.raises(KeyError, match="not unique"):
        traces["Trace #1 (mV)"]
    sweep2 = traces.sweep(1)
    assert sweep2.columns == traces.channel_names
    assert sweep2.labels[0] == "Signal 00 (pA)"
    np.testing.assert_allclose(traces.sweep_starts, [0.0, 0.60002, 1.20004])
    ch = traces.channel("Signal 03")
    assert ch.values.shape == (30001, 3)
    np.testing.assert_array_equal(ch.values[:, 2], traces.values[:, 2 * 11 + 3])


def test_step_sweeps_and_channels(testdata) -> None:
    traces = _load(testdata / "atf" / "18702001-step.atf")
    assert traces.units == ["pA", "A"] * 3
    assert traces.time_name == "Time" and traces.time_unit == "s"
    np.testing.assert_allclose(traces.sweep_starts, [0.0, 1.0, 2.0])
    in1 = traces.channel("IN 1")
    np.testing.assert_array_equal(in1.values[0], [-1.03546, -1.03668, -1.03577])
    sw = traces.sweep(2)
    np.testing.assert_array_equal(sw.values[-1], [-10.8643, -1.03546])
    assert sw.metadata["sweep_start"] == 2.0
    records = traces.metadata["header"]
    assert records["AcquisitionMode"] == "Episodic Stimulation"
    assert records["Signals"] == ["IN 0", "IN 1"] * 3
    assert records["YTop"] == "4000,10"


def test_sine_sweep_keeps_twelve_digits(testdata) -> None:
    traces = _load(testdata / "atf" / "sine sweep magnitude 20.atf")
    assert traces.times[-1] == 9.99990000002  # float32 peers return 9.9998999
    assert traces.units == [""] and traces.columns == ["Trace #1"]


def test_crlf_sample(testdata) -> None:
    path = testdata / "atf" / "sample.atf"
    assert b"\r\n" in path.read_bytes()[:20]
    traces = _load(path)
    assert traces.metadata["header"]["AcquisitionMode"] == "Gap-Free"
    assert traces.channel_names == ["IN 0"]


def test_results_table_text_columns(testdata) -> None:
    traces = _load(testdata / "atf" / "test.atf")
    assert traces.times is None
    assert set(traces.text) == {"File Name", "File Path"}
    assert traces.text["File Name"][0] == "21o26015.abf"
    assert traces.text["File Path"][-1].endswith("WYO SNAP\\")
    assert "Data & Manuscripts" in traces.text["File Path"][0]
    assert traces["Trace Start"][-1] == 1.98e6
    assert traces.units[2] == "ms"
    with pytest.raises(neurofiles.CorruptFileError, match="text columns"):
        read_atf(testdata / "atf" / "test.atf")


def test_data_atf_time_starts_at_one(testdata) -> None:
    traces = _load(testdata / "atf" / "data.atf")
    assert traces.times[0] == 1.0
    assert traces.metadata["layout source"] == "SignalsExported"
