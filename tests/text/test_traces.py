"""The Traces result type, the Brian-compatible functions, and the shipped samples."""

from __future__ import annotations

import numpy as np
import pytest

import neurofiles
from neurofiles import Traces, read_atf, read_neuron_dat

from ._helpers import SPEC_VECTORS, brian_atf, brian_neuron

SAMPLES = SPEC_VECTORS.parents[1] / "tests" / "samples"


def _two_sweeps() -> Traces:
    return neurofiles.load(SPEC_VECTORS / "atf" / "two_sweeps.atf")


def test_accessors_by_title_name_and_index() -> None:
    tr = _two_sweeps()
    np.testing.assert_array_equal(tr[0], tr.values[:, 0])
    np.testing.assert_array_equal(tr[-1], tr.values[:, 3])
    np.testing.assert_array_equal(tr["Time (s)"], tr.times)
    np.testing.assert_array_equal(tr["Time"], tr.times)
    with pytest.raises(KeyError, match="not unique"):
        tr["Trace #1"]  # two columns share the name, the units differ
    np.testing.assert_array_equal(tr["Trace #1 (mV)"], tr.values[:, 1])
    with pytest.raises(KeyError, match="no column"):
        tr["Trace #9"]
    with pytest.raises(IndexError):
        tr[7]


def test_sweeps_and_channels() -> None:
    tr = _two_sweeps()
    assert tr.sweep_count == 2 and tr.channel_count == 2
    s1 = tr.sweep(1)
    assert s1.columns == ["IN 0", "IN 1"] and s1.units == ["pA", "mV"]
    np.testing.assert_array_equal(s1.values, tr.values[:, [2, 3]])
    assert s1.metadata["sweep_start"] == 1.0
    ch = tr.channel("IN 1")
    np.testing.assert_array_equal(ch.values, tr.values[:, [1, 3]])
    np.testing.assert_array_equal(tr.channel(1).values, ch.values)
    with pytest.raises(KeyError):
        tr.channel("IN 7")
    with pytest.raises(IndexError):
        tr.sweep(2)


def test_repr_says_what_was_loaded() -> None:
    text = repr(_two_sweeps())
    assert "<Traces 4 rows x 4 value columns [axon-atf, ATF 1.0]" in text
    assert "2 sweeps x 2 channels" in text and "Trace #1 (pA)" in text
    vec = repr(neurofiles.load(SPEC_VECTORS / "neuron" / "vec_printf.dat"))
    assert "times: none" in vec and "Vector.printf" in vec


def test_constructor_validates_shapes() -> None:
    with pytest.raises(ValueError, match="times"):
        Traces(np.arange(3.0), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="names"):
        Traces(None, np.zeros((4, 2)), ["a"])
    tr = Traces(None, np.arange(4.0))
    assert tr.shape == (4, 1) and len(tr) == 4 and tr.sweep(0).values.shape == (4, 1)


def test_classic_neuron_variants_brian_got_wrong() -> None:
    folder = SPEC_VECTORS / "neuron"
    t, v = read_neuron_dat(folder / "file_printf_tab.dat")  # Brian silently drops 2 of 6 rows here
    assert t.shape == (6,) and v.shape == (6,) and v[0] == -65.0
    assert brian_neuron(folder / "file_printf_tab.dat")[0].shape == (4,)
    t, v1, v2 = read_neuron_dat(folder / "file_printf_multicol.dat")  # Brian's M.T unpacking
    assert t.shape == v1.shape == v2.shape == (6,)
    table = neurofiles.load(folder / "file_printf_multicol.dat").to_array()
    np.testing.assert_array_equal(np.column_stack([t, v1, v2]), table)
    t, v = read_neuron_dat(folder / "vec_printf.dat")
    assert t is None and v.shape == (6,)
    t, v = read_neuron_dat(folder / "vwrite_tv.dat")  # binary: first vector as times
    np.testing.assert_array_equal(t, [i * 0.025 for i in range(6)])


def test_classic_neuron_matches_brian_on_clipboard() -> None:
    path = SPEC_VECTORS / "neuron" / "clipboard_crlf.dat"
    for got, ref in zip(read_neuron_dat(path), brian_neuron(path)):
        np.testing.assert_array_equal(got, ref)


def test_classic_atf_count_too_large_keeps_rows() -> None:
    path = SPEC_VECTORS / "atf" / "count_too_large.atf"
    with pytest.warns(neurofiles.FormatWarning):
        t, v = read_atf(path)
    assert t.shape == (4,) and v.shape == (4, 4)
    assert brian_atf(path)[0].shape == (2,)  # Brian silently loses 2 rows


def test_samples_load() -> None:
    clip = neurofiles.load(SAMPLES / "neuron_clipboard.dat")
    assert clip.metadata["variant"] == "clipboard" and clip.shape == (401, 1)
    assert clip.metadata["label"] == "soma.v(0.5)" and clip.values.max() > 20
    atf = neurofiles.load(SAMPLES / "clampfit_two_channels.atf")
    assert atf.sweep_count == 2 and atf.channel_names == ["IN 0", "IN 1"]
    np.testing.assert_allclose(atf.sweep_starts, [0.0, 0.1])
    for path in SAMPLES.glob("*"):
        if path.suffix in (".dat", ".atf") and path.name.startswith(("neuron_", "clampfit_")):
            assert path.stat().st_size < 100_000


@pytest.mark.parametrize("name", ["neuron/clipboard.dat", "atf/two_sweeps.atf", "atf/empty_cells.atf"])
def test_file_objects_read_like_paths(name: str) -> None:
    import io

    path = SPEC_VECTORS / name
    expected = neurofiles.load(path).to_array()
    stream = io.BytesIO(b"junk" + path.read_bytes())
    stream.seek(4)  # a file object is read from its current position
    for engine in ("auto", "numpy"):
        stream.seek(4)
        got = neurofiles.load(stream, engine=engine)
        np.testing.assert_array_equal(got.to_array(), expected)
    assert neurofiles.load(io.BytesIO(path.read_bytes()), engine="numpy").metadata["engine"] != "careful" or (
        "empty" in name
    )
