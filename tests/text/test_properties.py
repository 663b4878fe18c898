"""Property tests: any float64 data written by our writers reads back bit-exact."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import neurofiles
from neurofiles import Traces

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def traces(draw: st.DrawFn) -> Traces:
    rows = draw(st.integers(1, 30))
    cols = draw(st.integers(1, 4))
    values = draw(arrays(np.float64, (rows, cols), elements=FLOATS))
    has_times = draw(st.booleans())
    times = draw(arrays(np.float64, (rows,), elements=st.floats(-1e6, 1e6))) if has_times else None
    return Traces(
        times, values, [f"c{i}" for i in range(cols)], ["mV"] * cols, time_name="Time", time_unit="s"
    )


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True)
    finite = ~np.isnan(a)
    assert np.array_equal(np.signbit(a[finite]), np.signbit(b[finite]))  # -0.0 stays -0.0


@settings(max_examples=60, deadline=None)
@given(traces())
def test_neuron_dat_round_trip(tmp_path_factory, tr: Traces) -> None:
    path = tmp_path_factory.mktemp("nd") / "x.dat"
    neurofiles.save(path, tr, format="neuron-dat")
    back = neurofiles.load(path, format="neuron-dat")
    _same(back.to_array(), tr.to_array())
    if tr.values.shape[1] == 1:  # with several columns the text layout cannot say whether column 0 is time
        assert (back.times is None) == (tr.times is None)


@settings(max_examples=60, deadline=None)
@given(traces())
def test_atf_round_trip(tmp_path_factory, tr: Traces) -> None:
    path = tmp_path_factory.mktemp("atf") / "x.atf"
    neurofiles.save(path, tr)
    back = neurofiles.load(path)
    _same(back.to_array(), tr.to_array())
    assert back.units == tr.units


@settings(max_examples=40, deadline=None)
@given(traces())
def test_vwrite_round_trip(tmp_path_factory, tr: Traces) -> None:
    path = tmp_path_factory.mktemp("vw") / "x.vec"
    neurofiles.save(path, tr, format="neuron-vwrite")
    back = neurofiles.load(path, format="neuron-vwrite")
    _same(back.values, tr.to_array())
