"""Property tests: random content written by the byte-level builders decodes back exactly (3.1 and 4.0)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _aedat_test_support import builders, need  # noqa: E402

from neurofiles._framework.source import Source  # noqa: E402
from neurofiles.plugins.aer._aedat3 import decode_aedat3  # noqa: E402
from neurofiles.plugins.aer._aedat4 import decode_aedat4  # noqa: E402
from neurofiles.plugins.aer._flatbuffers import FlatBuffer, TableColumns  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(n=st.integers(0, 300), per=st.integers(1, 120), seed=st.integers(0, 2**16),
       comp=st.sampled_from(["none", "lz4", "zstd"]), table=st.booleans())
def test_aedat4_round_trip(tmp_path_factory, n: int, per: int, seed: int, comp: str, table: bool) -> None:
    if comp != "none":
        need("lz4.frame" if comp == "lz4" else "zstandard")
    content = builders.random_aedat4_content(n, seed=seed, frames=0 if n == 0 else 1)
    path = tmp_path_factory.mktemp("h") / "r.aedat4"
    path.write_bytes(builders.build_aedat4(content, compression=comp, with_data_table=table, events_per_packet=per))
    r = decode_aedat4(Source(path))
    ev = content.events
    assert np.array_equal(r["timestamps"], ev["t"])
    assert np.array_equal(r["x"], ev["x"]) and np.array_equal(r["y"], ev["y"])
    assert np.array_equal(r["polarity"], ev["p"].astype(bool))
    assert r["metadata"]["data_table"] is (table and True)


@SETTINGS
@given(
    sizes=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
    version=st.sampled_from(["3.0", "3.1"]),
)
def test_aedat3_round_trip(tmp_path_factory, sizes: list[int], seed: int, version: str) -> None:
    rng = np.random.default_rng(seed)
    packets, want = [], []
    cmax = 0x3FFF if version == "3.0" else 0x7FFF
    for overflow, k in enumerate(sizes):
        x, y = rng.integers(0, cmax + 1, k), rng.integers(0, cmax + 1, k)
        p, valid = rng.integers(0, 2, k), rng.random(k) < 0.9
        ts = np.sort(rng.integers(0, 2**31, k))
        packets.append(builders.polarity_packet(x, y, p, ts, valid, version, overflow))
        packets.append(builders.opaque_packet(int(rng.integers(2, 14)), int(rng.integers(1, 40)), int(rng.integers(0, 4))))
        want += [[(overflow << 31) | int(t), int(a), int(b), bool(c)] for t, a, b, c, v in zip(ts, x, y, p, valid) if v]
    data, end = builders.build_aedat3(packets, version)
    path = tmp_path_factory.mktemp("h") / "r.aedat"
    path.write_bytes(data)
    r = decode_aedat3(Source(path), header_end=end, version=version)
    got = [[int(a), int(b), int(c), bool(d)] for a, b, c, d in zip(r["timestamps"], r["x"], r["y"], r["polarity"])]
    assert got == want


@SETTINGS
@given(rows=st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), st.integers(-128, 127)), max_size=30))
def test_table_columns_match_scalar_reads(rows: list[tuple[int, int]]) -> None:
    trig = np.array(rows, dtype=builders.TRIGGER)
    data = builders.trigger_packet(trig)
    fb = FlatBuffer(data)
    root = fb.root(size_prefixed=True, identifier=b"TRIG")
    pos, count = root.vector(0, 4)
    cols = TableColumns(fb, pos, count)
    assert cols.column(0, "<i8").tolist() == [r[0] for r in rows]
    assert cols.column(1, "<i1").tolist() == [r[1] for r in rows]
    tables = root.tables(0)
    import struct

    assert [t.scalar(0, struct.Struct("<q"), 0) for t in tables] == [r[0] for r in rows]
