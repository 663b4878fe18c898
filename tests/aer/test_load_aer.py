"""``load_aer`` (Brian 1 style), ``iter_chunks`` and time-window reads."""

from __future__ import annotations

import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import Events


def test_load_aer_tuple(aer_dir: Path):
    addresses, times = neurofiles.load_aer(aer_dir / "alex_walking_again.aedat")
    assert addresses.dtype == np.uint32 and times.dtype == np.float64
    assert len(addresses) == len(times) == 19182
    assert times[0] == pytest.approx(41.306606) and times[-1] == pytest.approx(48.193156)
    a2, t2 = neurofiles.load_aer(aer_dir / "alex_walking_again.aedat", reinit_time=True)
    assert t2[0] == 0.0 and t2[-1] == pytest.approx(48.193156 - 41.306606)
    assert np.array_equal(a2, addresses)


def test_load_aer_index(aer_dir: Path):
    result = neurofiles.load_aer(aer_dir / "synthetic_pair.aeidx")
    assert isinstance(result, list) and [len(a) for a, _ in result] == [19182, 110228]
    assert result[1][1][0] == pytest.approx(52.965624)


def test_load_aer_options(aer_dir: Path):
    addresses, times = neurofiles.load_aer(aer_dir / "enun_stereo_64ch_ONOFF_addr4b_ts1.aedat", version="2.0")
    assert len(addresses) == 428635 and times[-1] == pytest.approx(13.741184)


def test_check_sorted_is_stable(tmp_path: Path):
    ev = Events([30, 10, 20, 10, 5], addresses=[1, 2, 3, 4, 5])
    neurofiles.save(tmp_path / "u.aedat", ev, creation_time=0)
    addresses, times = neurofiles.load_aer(tmp_path / "u.aedat", check_sorted=True)
    assert addresses.tolist() == [5, 2, 4, 3, 1]
    assert np.allclose(times, [5e-6, 10e-6, 10e-6, 20e-6, 30e-6])
    unsorted, _ = neurofiles.load_aer(tmp_path / "u.aedat")
    assert unsorted.tolist() == [1, 2, 3, 4, 5]
    _, rel = neurofiles.load_aer(tmp_path / "u.aedat", check_sorted=True, reinit_time=True)
    assert rel[0] == 0 and rel[-1] == pytest.approx(25e-6)


def test_iter_chunks_matches_whole_file(aer_dir: Path):
    path = aer_dir / "IMU_translBoxes.aedat"
    whole = neurofiles.load(path, decode=False)
    chunks = list(neurofiles.iter_chunks(path, events=50_000, decode=False))
    assert [len(c) for c in chunks] == [50_000, 50_000, 50_000, 46_608]
    assert np.array_equal(np.concatenate([c.timestamps for c in chunks]), whole.timestamps)
    assert np.array_equal(np.concatenate([c.addresses for c in chunks]), whole.addresses)
    assert chunks[2].metadata["first_event"] == 100_000
    decoded = list(neurofiles.iter_chunks(path, events=100_000, decode="davis240"))
    assert sum(len(c) for c in decoded) == 162771
    with pytest.raises(ValueError):
        next(neurofiles.iter_chunks(path, events=0))


def test_iter_chunks_unwraps_across_chunks(tmp_path: Path):
    ts = np.arange(0, 10 * 2**30, 2**28, dtype=np.int64)  # crosses 2**31 and 2**32 several times
    ev = Events(ts, addresses=np.arange(len(ts)))
    neurofiles.save(tmp_path / "w.aedat", ev, creation_time=0)
    for size in (1, 3, 7, 1000):
        got = np.concatenate([c.timestamps for c in neurofiles.iter_chunks(tmp_path / "w.aedat", events=size)])
        assert got.tolist() == ts.tolist()


@pytest.mark.parametrize("t_start, t_stop", [(42.0, 43.0), (None, 41.5), (47.9, None), (0, 1), (41.306606, 41.309379)])
def test_time_window_matches_mask(aer_dir: Path, t_start, t_stop):
    path = aer_dir / "alex_walking_again.aedat"
    whole = neurofiles.load(path)
    win = neurofiles.load(path, t_start=t_start, t_stop=t_stop)
    mask = np.ones(len(whole), dtype=bool)
    if t_start is not None:
        mask &= whole.timestamps >= round(t_start * 1e6)
    if t_stop is not None:
        mask &= whole.timestamps < round(t_stop * 1e6)
    assert np.array_equal(win.timestamps, whole.timestamps[mask])
    assert np.array_equal(win.addresses, whole.addresses[mask])
    assert win.metadata["window_method"] == "bisect"


def test_time_window_unsorted_falls_back_to_mask(tmp_path: Path):
    ts = np.concatenate([np.arange(0, 1000, 2), np.arange(0, 1000, 3)])  # a timestamp reset mid-file
    ev = Events(ts, addresses=np.arange(len(ts)))
    neurofiles.save(tmp_path / "r.aedat", ev, creation_time=0)
    win = neurofiles.load(tmp_path / "r.aedat", t_start=100e-6, t_stop=110e-6)
    assert win.metadata["window_method"] == "mask"
    assert win.timestamps.tolist() == [100, 102, 104, 106, 108, 102, 105, 108]


def test_time_window_on_wrapped_file(tmp_path: Path):
    ts = np.arange(2**31 - 1000, 2**31 + 1000, 10, dtype=np.int64)
    neurofiles.save(tmp_path / "w.aedat", Events(ts, addresses=np.arange(len(ts))), creation_time=0)
    lo, hi = (2**31 - 5) * 1e-6, (2**31 + 25) * 1e-6
    win = neurofiles.load(tmp_path / "w.aedat", t_start=lo, t_stop=hi)
    assert win.timestamps.tolist() == [t for t in ts.tolist() if 2**31 - 5 <= t < 2**31 + 25]


def test_window_on_headerless_with_tick(aer_dir: Path):
    path = aer_dir / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        win = neurofiles.load(path, tick=2e-7, t_start=0.5, t_stop=0.6)
    assert len(win) > 0
    assert win.times.min() >= 0.5 and win.times.max() < 0.6


def test_iter_chunks_with_window(aer_dir: Path):
    path = aer_dir / "rotated_cam255_right_clamp_test1.aedat"
    whole = neurofiles.load(path, t_start=60.0, t_stop=61.5)
    chunks = list(neurofiles.iter_chunks(path, events=1000, t_start=60.0, t_stop=61.5))
    assert len(chunks) > 1
    assert np.array_equal(np.concatenate([c.timestamps for c in chunks]), whole.timestamps)


def test_whole_load_holds_one_copy(tmp_path: Path):
    import tracemalloc

    n = 2_000_000
    ev = Events(np.arange(n, dtype=np.int64) * 3, addresses=np.arange(n, dtype=np.uint32))
    neurofiles.save(tmp_path / "m.aedat", ev, creation_time=0)
    del ev
    tracemalloc.start()
    try:
        back = neurofiles.load(tmp_path / "m.aedat")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    output = back.addresses.nbytes + back.timestamps.nbytes
    assert len(back) == n
    assert peak <= 1.2 * output  # outputs + one small buffer, never the raw bytes twice
