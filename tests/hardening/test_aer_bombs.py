"""Small AER files that ask for huge allocations: a typed error, fast, within a bound.

Peaks are traced with ``tracemalloc``; the full 6 GiB ZSTD bomb is also loaded in a
subprocess under ``RLIMIT_AS`` so that a real allocation would show as a MemoryError.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import neurofiles
import pytest
from neurofiles import LimitExceededError, NeurofilesError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aer"))
import bomb_builders  # noqa: E402

MIB = 1 << 20


def traced(path: Path, **options: Any) -> tuple[object, int, float]:
    """``(result or exception, traced peak bytes, seconds)`` of ``neurofiles.load(path)``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result: object = neurofiles.load(path, **options)
    except NeurofilesError as exc:
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak, time.perf_counter() - start


@pytest.fixture(autouse=True)
def _codecs() -> None:
    pytest.importorskip("zstandard")
    pytest.importorskip("lz4.frame")


def test_zstd_packets_past_the_total_budget_stop_with_a_typed_error(tmp_path: Path) -> None:
    # 12 valid packets of 16 MiB each: 192 MiB from a ~20 kB file (default budget: 64 MiB).
    n = 16 * MIB // 16 - 8
    path = tmp_path / "total.aedat4"
    path.write_bytes(bomb_builders.zstd_total_bomb(packets=12, events_per_packet=n))
    assert path.stat().st_size < 100_000
    result, peak, _ = traced(path)
    assert isinstance(result, LimitExceededError), result
    assert "max_decompressed_bytes" in str(result) and result.offset is not None
    assert peak < 2 * 64 * MIB, peak  # events kept from the packets within the budget, plus one packet
    with pytest.raises(LimitExceededError, match="max_decompressed_bytes"):
        neurofiles.load(path, threads=2)
    # the budget is the user's to raise
    events = neurofiles.load(path, max_decompressed_bytes=12 * 17 * MIB)
    assert len(events) == 12 * n


def test_full_zstd_bomb_under_an_address_space_limit(tmp_path: Path) -> None:
    """24 packets of 256 MiB (6 GiB) from a 198 kB file, loaded with 1 GiB of address space."""
    path = tmp_path / "bomb.aedat4"
    path.write_bytes(bomb_builders.zstd_total_bomb())
    assert path.stat().st_size < 250_000
    script = textwrap.dedent(
        f"""
        import resource, neurofiles
        import neurofiles.plugins.aer._aedat4, zstandard
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        try:
            neurofiles.load({str(path)!r})
        except neurofiles.LimitExceededError as exc:
            print("LimitExceededError", exc.offset)
        """
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and done.stdout.startswith("LimitExceededError"), done.stderr[-1500:]


def test_unwalkable_lz4_frames_allocate_no_limit_sized_buffer(tmp_path: Path) -> None:
    path = tmp_path / "lz4.aedat4"
    path.write_bytes(bomb_builders.lz4_unwalkable(packets=8))
    assert path.stat().st_size < 4096
    result, peak, _ = traced(path)
    assert isinstance(result, neurofiles.TruncatedFileError), result
    assert peak < 4 * MIB, peak


def test_lz4_declared_content_size_beyond_its_blocks_sizes_nothing() -> None:
    import lz4.frame

    from neurofiles.plugins.aer import _compression

    frame = bytearray(lz4.frame.compress(b"abc" * 100, store_size=True))
    assert _compression.lz4_bound(bytes(frame)) == 300
    struct.pack_into("<Q", frame, 6, 1 << 40)
    assert _compression.lz4_bound(bytes(frame)) is None
    tracemalloc.start()
    try:
        with pytest.raises(NeurofilesError):
            _compression.decompress(bytes(frame), 1, limit=256 * MIB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB


def test_deeply_nested_info_node_is_refused_early(tmp_path: Path) -> None:
    path = tmp_path / "deep.aedat4"
    path.write_bytes(bomb_builders.deep_info_node(200_000))
    result, peak, seconds = traced(path)
    assert isinstance(result, LimitExceededError) and "nests deeper" in str(result), result
    assert result.offset == 18
    assert peak < 12 * MIB, peak
    assert seconds < 5


def test_info_node_with_too_many_elements(tmp_path: Path) -> None:
    path = tmp_path / "wide.aedat4"
    path.write_bytes(bomb_builders.aedat4_file(0, [], info="<a>" + "<b/>" * 200_001 + "</a>"))
    with pytest.raises(LimitExceededError, match="more than 100000 elements"):
        neurofiles.load(path)


def test_blank_index_is_fast(tmp_path: Path) -> None:
    path = tmp_path / "blank.aeidx"
    path.write_bytes(b"\n" * (40 * 10**6 - 1))
    result, peak, seconds = traced(path)
    assert result == []
    assert seconds < 5, seconds  # 18 s (and 250 s on a busy machine) before
    assert peak < 8 * MIB, peak


def test_whitespace_index_is_fast(tmp_path: Path) -> None:
    path = tmp_path / "spaces.aeidx"
    path.write_bytes(b" \t \r\n" * (8 * 10**6))
    result, _, seconds = traced(path)
    assert result == [] and seconds < 5, seconds

