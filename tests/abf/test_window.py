"""Lazy reads through the public API: ``load(path, t_start=, t_stop=)`` and ``iter_chunks(path, samples=)``.

A few-MB gap-free file built in the test: opening it reads the header only, a window
reads only its bytes (counted with ``rchar`` of ``/proc/self/io``), and the values equal
the whole-file load at every boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import neurofiles
import numpy as np
import pytest
from neurofiles import OptionError
from neurofiles.plugins.abf import _reader

from tests.abf.abf_builder import Abf2, EpochSpec, build_abf2

RATE = 20_000.0  # 50 µs
NCH = 2
SAMPLES = 1_000_000  # per channel: 4 MB of int16 data


def _rchar() -> int:
    with open("/proc/self/io", "rb") as f:
        for line in f.read().splitlines():
            if line.startswith(b"rchar:"):
                return int(line.split()[1])
    raise AssertionError("no rchar line")


def _bytes_read(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()`` and the bytes the process read meanwhile (less the cost of reading /proc/self/io)."""
    a = _rchar()
    b = _rchar()
    result = fn()
    c = _rchar()
    return result, (c - b) - (b - a)


needs_proc = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes with /proc/self/io (Linux)")


@pytest.fixture(scope="module")
def gapfree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    raw = np.random.default_rng(5).integers(-32768, 32767, SAMPLES * NCH, dtype=np.int16)
    spec = Abf2(raw, nch=NCH, mode=3, names=("IN 0", "IN 1"), units=("pA", "mV"), scale=0.5, offset=2.0)
    path = tmp_path_factory.mktemp("gapfree") / "gapfree.abf"
    path.write_bytes(build_abf2(spec))
    return path, neurofiles.load(path)


def test_window_equals_the_whole_load_on_boundaries(gapfree: tuple[Path, Any]) -> None:
    path, full = gapfree
    t = full.times
    cases = [
        (0.0, 1 / RATE),  # first sample only
        ((SAMPLES - 1) / RATE, SAMPLES / RATE),  # last sample only
        ((SAMPLES - 1) / RATE, None),  # open end
        (None, 3 / RATE),  # open start
        (-5.0, 2 / RATE),  # before the start: clipped
        (12.3456, 12.3456 + 1.0),  # a second in the middle, bounds between samples
        (49.0, 1e300),  # past the end: cut at the end
        (0.1, 0.1),  # empty
        (0.2, 0.1),  # reversed: empty
        (SAMPLES / RATE, SAMPLES / RATE + 5),  # entirely past the end: empty
    ]
    for t_start, t_stop in cases:
        part = neurofiles.load(path, t_start=t_start, t_stop=t_stop)
        keep = np.ones(len(t), bool)
        if t_start is not None:
            keep &= t >= t_start - 1e-12
        if t_stop is not None:
            keep &= t < t_stop - 1e-12
        assert part.shape == (int(keep.sum()), NCH), (t_start, t_stop)
        np.testing.assert_array_equal(part.values, full.values[keep])
        np.testing.assert_array_equal(part.times, t[keep])
        assert part.units == full.units and part.channel_names == full.channel_names
        assert part.metadata["window"] == {"t_start": t_start, "t_stop": t_stop, "relative": False}
        if keep.any():
            assert part.metadata["first sample"] == int(np.argmax(keep))


def test_relative_is_the_same_axis_for_fixed_length_files(gapfree: tuple[Path, Any]) -> None:
    path, full = gapfree
    a = neurofiles.load(path, t_start=1.0, t_stop=1.5, relative=True)
    np.testing.assert_array_equal(a.values, full.values[20_000:30_000])


@needs_proc
def test_open_reads_the_header_and_a_window_only_its_bytes(gapfree: tuple[Path, Any]) -> None:
    path, full = gapfree
    size = path.stat().st_size
    neurofiles.detect(path)  # imports and registry loaded before counting
    _, opened = _bytes_read(lambda: neurofiles.detect(path))
    assert opened < 16 << 10, opened  # header, sections; not the 4 MB of data
    part, read = _bytes_read(lambda: neurofiles.load(path, t_start=20.0, t_stop=21.0))
    payload = int(RATE) * NCH * 2
    assert part.shape == (int(RATE), NCH)
    assert payload <= read < payload + (16 << 10), (read, payload, size)
    np.testing.assert_array_equal(part.values, full.values[400_000:420_000])


@needs_proc
def test_iter_chunks_reads_one_chunk_at_a_time(gapfree: tuple[Path, Any]) -> None:
    path, full = gapfree
    chunks = neurofiles.iter_chunks(path, samples=300_000)
    sizes = []
    got = []
    while True:
        chunk, read = _bytes_read(lambda: next(chunks, None))
        if chunk is None:
            break
        got.append(chunk)
        sizes.append(read)
    assert [len(c) for c in got] == [300_000, 300_000, 300_000, 100_000]
    assert [c.metadata["first sample"] for c in got] == [0, 300_000, 600_000, 900_000]
    assert max(sizes[1:]) <= 300_000 * NCH * 2 + (16 << 10)  # one chunk's bytes, not the file
    np.testing.assert_array_equal(np.concatenate([c.values for c in got]), full.values)
    np.testing.assert_array_equal(np.concatenate([c.times for c in got]), full.times)


def test_iter_chunks_honours_the_window_and_crosses_the_read_block(
    gapfree: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, full = gapfree
    monkeypatch.setattr(_reader, "BLOCK_VALUES", 1001)  # odd: reads end mid-row of the 2 channels
    got = list(neurofiles.iter_chunks(path, samples=777, t_start=0.5, t_stop=0.6))
    np.testing.assert_array_equal(np.concatenate([c.values for c in got]), full.values[10_000:12_000])
    whole = neurofiles.load(path)  # the whole load in 500-row pieces too
    np.testing.assert_array_equal(whole.values, full.values)
    assert list(neurofiles.iter_chunks(path, samples=10, t_start=99, t_stop=100)) == []


@pytest.mark.parametrize("block", [1 << 22, 4000, 3999, 7])  # all sweeps, 2 per read, 1 per read, rows
def test_episodic_window_cuts_every_sweep_and_its_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    raw = (np.arange(4 * 1000 * 2) % 3000).astype(np.int16)
    spec = Abf2(raw, nch=2, sweeps=4, names=("IN 0", "IN 1"), units=("pA", "mV"),
                epochs=[EpochSpec(type=2, level=10, level_inc=5, duration=300), EpochSpec(level=-20, duration=200)])
    path = tmp_path / "ep.abf"
    path.write_bytes(build_abf2(spec))
    expected = raw.astype(np.float64).reshape(4, 1000, 2) * (10.0 / 32768)
    monkeypatch.setattr(_reader, "BLOCK_VALUES", block)
    full = neurofiles.load(path)
    for k in range(4):
        np.testing.assert_array_equal(full.sweep(k).values, expected[k])
    part = neurofiles.load(path, t_start=200 * 50e-6, t_stop=650 * 50e-6)
    assert part.sweep_count == 4 and len(part) == 450
    np.testing.assert_array_equal(part.values, full.values[200:650])
    np.testing.assert_array_equal(
        part.metadata["command"].values, full.metadata["command"].values[200:650]
    )
    chunks = list(neurofiles.iter_chunks(path, samples=333))
    np.testing.assert_array_equal(np.concatenate([c.values for c in chunks]), full.values)
    np.testing.assert_array_equal(
        np.concatenate([c.metadata["command"].values for c in chunks]), full.metadata["command"].values
    )


def test_variable_length_window_uses_recording_time(tmp_path: Path) -> None:
    lengths = [100, 40, 250]
    starts = [0, 1000, 5000]  # samples (synch unit 0)
    raw = (np.arange(sum(lengths)) % 500).astype(np.int16)
    spec = Abf2(raw, mode=1, synch=list(zip(starts, lengths)))
    path = tmp_path / "var.abf"
    path.write_bytes(build_abf2(spec))
    full = neurofiles.load(path)
    t0, t1 = 1020 * 50e-6, 5010 * 50e-6
    part = neurofiles.load(path, t_start=t0, t_stop=t1)
    keep = (full.times >= t0 - 1e-12) & (full.times < t1 - 1e-12)
    np.testing.assert_array_equal(part.values, full.values[keep])
    np.testing.assert_array_equal(part.times, full.times[keep])
    assert [s["samples"] for s in part.metadata["segments"]] == [20, 10]
    chunks = list(neurofiles.iter_chunks(path, samples=64))
    assert all(len(c) <= 64 for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c.values for c in chunks]), full.values)
    np.testing.assert_array_equal(np.concatenate([c.times for c in chunks]), full.times)


@pytest.mark.parametrize(
    "options",
    [{"t_start": float("nan")}, {"t_stop": "1"}, {"t_start": True}, {"relative": 1}, {"t_stop": float("inf")}],
)
def test_bad_window_options_are_option_errors(gapfree: tuple[Path, Any], options: dict[str, Any]) -> None:
    with pytest.raises(OptionError):
        neurofiles.load(gapfree[0], **options)


def test_bad_chunk_sizes(gapfree: tuple[Path, Any]) -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(OptionError):
            next(neurofiles.iter_chunks(gapfree[0], samples=bad))
    with pytest.raises(OptionError):
        next(neurofiles.iter_chunks(gapfree[0], samples=10, events=10))


def test_relative_window_counts_from_the_first_event(tmp_path: Path) -> None:
    lengths, starts = [100, 40], [500, 1000]  # the first event starts 25 ms into the recording
    raw = (np.arange(sum(lengths)) % 500).astype(np.int16)
    path = tmp_path / "late.abf"
    path.write_bytes(build_abf2(Abf2(raw, mode=1, synch=list(zip(starts, lengths)))))
    full = neurofiles.load(path)
    assert neurofiles.load(path, t_start=0, t_stop=10 * 50e-6).shape[0] == 0  # absolute: before the first event
    first = neurofiles.load(path, t_start=0, t_stop=10 * 50e-6, relative=True)
    np.testing.assert_array_equal(first.values, full.values[:10])
    np.testing.assert_allclose(first.times, 500 * 50e-6 + np.arange(10) * 50e-6)
    second = neurofiles.load(path, t_start=500 * 50e-6, relative=True)  # from 25 ms after the first event
    np.testing.assert_array_equal(second.values, full.values[100:])


def test_windows_and_chunks_of_many_events_and_sweeps_are_vectorised(tmp_path: Path) -> None:
    import time

    n = 200_000  # one-sample events (a per-event Python loop took seconds)
    raw = (np.arange(n + 1) % 100).astype(np.int16)
    path = tmp_path / "events.abf"
    path.write_bytes(build_abf2(Abf2(raw, mode=1, synch=[(2 * i, 1) for i in range(n - 1)] + [(2 * n, 2)])))
    full = neurofiles.load(path)
    start = time.perf_counter()
    part = neurofiles.load(path, t_start=1.0, t_stop=3.0)
    chunks = list(neurofiles.iter_chunks(path, samples=30_000))
    assert time.perf_counter() - start < 5
    keep = (full.times >= 1.0 - 1e-12) & (full.times < 3.0 - 1e-12)
    np.testing.assert_array_equal(part.values, full.values[keep])
    np.testing.assert_array_equal(np.concatenate([c.values for c in chunks]), full.values)
    raw2 = (np.arange(2 * n) % 100).astype(np.int16)
    path2 = tmp_path / "sweeps.abf"
    path2.write_bytes(build_abf2(Abf2(raw2, sweeps=n)))  # 200,000 sweeps of 2 samples
    start = time.perf_counter()
    one = neurofiles.load(path2, t_start=50e-6)  # the second sample of every sweep
    assert time.perf_counter() - start < 5
    np.testing.assert_array_equal(one.values[0], raw2[1::2] * (10.0 / 32768))
