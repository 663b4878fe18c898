"""save(..., format="neuron-dat" | "neuron-vwrite" | "axon-atf") and reading back."""

from __future__ import annotations

import numpy as np
import pytest

import neurofiles
from neurofiles import Traces


def _traces(rows: int = 200, cols: int = 1, seed: int = 0) -> Traces:
    rng = np.random.default_rng(seed)
    t = np.arange(rows) * 0.025
    v = rng.standard_normal((rows, cols)) * 10 - 65  # full float64 mantissas
    return Traces(t, v, [f"soma.v{i}" for i in range(cols)], ["mV"] * cols, time_name="t", time_unit="ms")


def test_neuron_clipboard_layout_exact_bytes(tmp_path) -> None:
    tr = Traces(np.array([0.0, 0.025]), np.array([[-65.0], [-64.9993]]), ["soma.v(0.5)"])
    path = tmp_path / "v.dat"
    neurofiles.save(path, tr, format="neuron-dat", digits=6)
    assert path.read_bytes() == b"label:soma.v(0.5)\n2\n0\t-65\n0.025\t-64.9993\n"


def test_neuron_clipboard_full_precision_round_trip(tmp_path) -> None:
    tr = _traces()
    path = tmp_path / "v.dat"
    neurofiles.save(path, tr)  # .dat -> neuron-dat by extension
    back = neurofiles.load(path)
    assert back.metadata["variant"] == "clipboard" and back.metadata["count check"] == "ok"
    np.testing.assert_array_equal(back.times, tr.times)
    np.testing.assert_array_equal(back.values, tr.values)  # bit-exact
    assert back.metadata["label"] == "soma.v0"


def test_neuron_multicolumn_uses_matrix_layout(tmp_path) -> None:
    tr = _traces(cols=3)
    path = tmp_path / "m.dat"
    neurofiles.save(path, tr, format="neuron-dat")
    assert path.read_bytes().split(b"\n", 1)[0] == b"200 4"  # Matrix.scanf header: nrow ncol
    back = neurofiles.load(path)
    assert back.metadata["variant"] == "Matrix.fprint"
    np.testing.assert_array_equal(back.to_array(), tr.to_array())


def test_neuron_values_only_round_trip(tmp_path) -> None:
    values = np.array([[-65.0], [-64.5], [1e-300]])
    path = tmp_path / "vec.dat"
    neurofiles.save(path, Traces(None, values), format="neuron-dat")
    assert path.read_bytes() == b"-65\n-64.5\n1e-300\n"
    back = neurofiles.load(path)
    assert back.times is None
    np.testing.assert_array_equal(back.values, values)


@pytest.mark.parametrize("vtype,tol", [(4, 0.0), (3, 1e-5), (2, 2e-3), (1, 0.5), (5, 1.0)])
def test_vwrite_round_trip(tmp_path, vtype: int, tol: float) -> None:
    tr = _traces(rows=50)
    path = tmp_path / "tv.vec"
    neurofiles.save(path, tr, type=vtype)
    back = neurofiles.load(path, times_first=True)
    np.testing.assert_allclose(back.values, tr.values, atol=tol, rtol=0)
    if vtype == 4:
        np.testing.assert_array_equal(back.times, tr.times)
    assert path.stat().st_size == 2 * (
        8 + (16 if vtype in (1, 2) else 0) + 50 * {1: 1, 2: 2, 3: 4, 4: 8, 5: 4}[vtype]
    )


def test_atf_layout_follows_axon(tmp_path) -> None:
    tr = Traces(
        np.array([0.0, 1e-4]),
        np.array([[-65.0, 1.5], [-64.25, 1.75]]),
        ["Trace #1", "Trace #1"],
        ["pA", "mV"],
        time_name="Time",
        time_unit="s",
        layout=np.array([[0, 1]]),
        channel_names=["IN 0", "IN 1"],
        sweep_starts=np.array([0.0]),
    )
    path = tmp_path / "w.atf"
    neurofiles.save(path, tr, digits=12)
    raw = path.read_bytes()
    lines = raw.split(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")  # CRLF everywhere
    assert lines[0] == b"ATF\t1.0"
    assert lines[1] == b"3\t3     "  # Axon's in-place rewrite leaves the placeholder's trailing spaces
    assert lines[2] == b'"SweepStartTimesMS=0.000"'
    assert lines[3] == b'"SignalsExported=IN 0,IN 1"'
    assert lines[4] == b'"Signals="\t"IN 0"\t"IN 1"'
    assert lines[5] == b'"Time (s)"\t"Trace #1 (pA)"\t"Trace #1 (mV)"'
    assert lines[6] == b"0\t-65\t1.5"
    assert lines[7] == b"0.0001\t-64.25\t1.75"
    back = neurofiles.load(path)
    assert back.channel_names == ["IN 0", "IN 1"] and back.units == ["pA", "mV"]


def test_atf_twelve_digits_like_axon(tmp_path) -> None:
    tr = Traces(np.array([9.99990000002, 1 / 3]), np.array([[np.pi], [np.e]]), ["x"])
    path = tmp_path / "d.atf"
    neurofiles.save(path, tr, digits=12)
    assert b"9.99990000002\t3.14159265359" in path.read_bytes()
    assert b"0.333333333333\t2.71828182846" in path.read_bytes()


def test_atf_full_precision_round_trip_multi_sweep(tmp_path, testdata) -> None:
    src = neurofiles.load(testdata / "atf" / "18702001-step.atf")
    path = tmp_path / "copy.atf"
    neurofiles.save(path, src)
    back = neurofiles.load(path)
    np.testing.assert_array_equal(back.to_array(), src.to_array())
    assert back.metadata["records"] == src.metadata["records"]
    assert back.labels == src.labels and back.sweep_count == 3 and back.channel_names == ["IN 0", "IN 1"]
    np.testing.assert_array_equal(back.sweep_starts, src.sweep_starts)


def test_atf_random_doubles_bit_exact_and_comma(tmp_path) -> None:
    tr = _traces(rows=500, cols=2, seed=3)
    tr.time_unit = "s"
    for sep in ("\t", ","):
        path = tmp_path / f"r{ord(sep)}.atf"
        neurofiles.save(path, tr, separator=sep)
        back = neurofiles.load(path)
        np.testing.assert_array_equal(back.to_array(), tr.to_array())


def test_atf_results_table_round_trip(tmp_path, testdata) -> None:
    src = neurofiles.load(testdata / "atf" / "test.atf")
    path = tmp_path / "table.atf"
    neurofiles.save(path, src)
    back = neurofiles.load(path)
    assert list(back.text["File Path"]) == list(src.text["File Path"])
    np.testing.assert_array_equal(back.values, src.values)


def test_save_accepts_plain_arrays(tmp_path) -> None:
    arr = np.column_stack([np.arange(5.0), np.arange(5.0) ** 2])
    path = tmp_path / "a.dat"
    neurofiles.save(path, arr)
    np.testing.assert_array_equal(neurofiles.load(path).to_array(), arr)


def test_writer_rejects_bad_options(tmp_path) -> None:
    with pytest.raises(ValueError, match="separator"):
        neurofiles.save(tmp_path / "x.atf", _traces(), separator=";")
    with pytest.raises(neurofiles.OptionError):
        neurofiles.save(tmp_path / "x.dat", _traces(), colour="red")
    assert not list(tmp_path.iterdir())  # atomic: nothing left behind


def test_vwrite_scaled_bytes_match_neuron() -> None:
    """Payload bytes NEURON 9.0.2 wrote for v = -65, -64.9993, -64.9985 (min -75.2613, max 39.4106)."""
    import struct

    from neurofiles.plugins.neuron._vwrite import encode_record

    vmin = struct.unpack("<d", bytes.fromhex("ca164e8db9d052c0"))[0]
    x = np.array([-65.0, -64.9993, -64.9985, vmin, 39.41062501723249])
    t1 = encode_record(x, 1)
    assert t1[:8] == struct.pack("<ii", 5, 1)
    assert t1[16:24] == bytes.fromhex("ca164e8db9d052c0")
    assert struct.unpack("<d", t1[8:16])[0] == pytest.approx(2.223734745341375, rel=1e-12)
    assert t1[24:27] == bytes.fromhex("979797")
    t2 = encode_record(x, 2)
    assert t2[24:30] == bytes.fromhex("e816e816e916")


@pytest.mark.parametrize("vtype", [1, 2, 3, 4, 5])
def test_vwrite_encoder_reproduces_neuron_files(vtype: int) -> None:
    """Our encoder writes the same bytes NEURON 9.0.2 wrote for the same vector."""
    from neurofiles.plugins.neuron._vwrite import encode_record

    from ._helpers import SPEC_VECTORS, load_expected

    v = np.array(load_expected("neuron-nrn9")["nrn_fwrite.dat"]["all"])
    written = (SPEC_VECTORS / "neuron-nrn9" / f"nrn_vwrite_t{vtype}.dat").read_bytes()
    assert encode_record(v, vtype) == written


def test_values_only_starting_with_row_count_is_not_a_count_line(tmp_path) -> None:
    values = np.array([[3.0], [1.0], [2.0], [3.0]])  # first value equals the number of values after it
    path = tmp_path / "v.dat"
    neurofiles.save(path, Traces(None, values), format="neuron-dat")
    back = neurofiles.load(path)
    np.testing.assert_array_equal(back.values, values)
