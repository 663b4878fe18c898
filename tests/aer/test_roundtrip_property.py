"""Property test: any timestamps the writer accepts read back identically (wraps included)."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from neurofiles import Events
from neurofiles.plugin import Source
from neurofiles.plugins.aer._reader import AedatReader
from neurofiles.plugins.aer._writer import write_aedat


def representable(ts: list[int]) -> bool:
    """Model of the format: store each value as a wrapped int32, unwrap (+2**32 per step < -2**31)."""
    out, offset, prev = [], 0, None
    for t in ts:
        raw = (t + 2**31) % 2**32 - 2**31
        if prev is not None and raw - prev < -(2**31):
            offset += 2**32
        out.append(raw + offset)
        prev = raw
    return out == ts


steps = st.lists(st.integers(min_value=-(2**31), max_value=2**31), min_size=0, max_size=60)


@settings(max_examples=150, deadline=None)
@given(start=st.integers(min_value=-(2**31), max_value=2**31 - 1), deltas=steps,
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_write_read_identical(start, deltas, seed):
    ts = np.cumsum(np.array([start, *deltas], dtype=np.int64))
    addresses = np.random.default_rng(seed).integers(0, 2**32, len(ts), dtype=np.uint64).astype(np.uint32)
    buffer = io.BytesIO()
    try:
        write_aedat(buffer, Events(ts, addresses=addresses), creation_time=0)
    except ValueError:
        assert not representable(ts.tolist())
        return
    assert representable(ts.tolist())
    buffer.seek(0)
    back = AedatReader(Source(buffer)).read()
    assert back.timestamps.tolist() == ts.tolist()
    assert back.addresses.tolist() == addresses.tolist()


@settings(max_examples=200, deadline=None)
@given(raw=st.lists(st.integers(min_value=-(2**31), max_value=2**31 - 1), max_size=80),
       cut=st.integers(min_value=1, max_value=20))
def test_unwrapper_any_chunking_matches_model(raw, cut):
    from neurofiles.plugins.aer._body import Unwrapper

    expected, offset = [], 0
    for i, t in enumerate(raw):
        if i and t - raw[i - 1] < -(2**31):
            offset += 2**32
        expected.append(t + offset)
    unwrap = Unwrapper()
    got = []
    for first in range(0, len(raw), cut):
        part = np.array(raw[first : first + cut], dtype=np.int64)
        unwrap(part)
        got.extend(part.tolist())
    assert got == expected
