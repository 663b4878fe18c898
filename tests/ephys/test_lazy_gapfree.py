"""A big gap-free ABF built by concatenating data blocks opens by its header and slices by its bytes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from neurofiles.plugin import Source
from neurofiles.plugins.abf._reader import AbfReader

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_abf.py"


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_abf", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read with /proc/self/io (Linux)")
def test_open_reads_the_header_and_a_slice_only_its_bytes(testdata: Path, tmp_path: Path) -> None:
    bench = _bench()
    source = testdata / "abf" / "16d22006_kim_gapfree.abf"
    path = tmp_path / "big.abf"
    size = bench.build_gapfree(source, path, 64 << 20)  # type: ignore[attr-defined]
    assert path.stat().st_size == size >= 64 << 20
    holder: dict[str, AbfReader] = {}
    _, opened = bench._measure(lambda: holder.setdefault("r", AbfReader(Source(path))))  # type: ignore[attr-defined]
    reader = holder["r"]
    with reader, AbfReader(Source(source)) as small:
        assert opened is not None and opened < 64 << 10  # the header and sections, not the data
        per = small.head.data_count // small.head.nch
        assert reader.head.data_count == small.head.data_count * (size - 4608) // (per * small.head.nch * 2)
        rate = int(reader.head.rate)
        start = 7 * per + 1000  # inside the 8th copy of the block
        seconds, read = bench._measure(lambda: reader.read_range(start, start + rate))  # type: ignore[attr-defined]
        assert read == rate * reader.head.nch * 2
        np.testing.assert_array_equal(reader.read_range(start, start + rate), small.read_range(1000, 1000 + rate))
