"""Time windows restrict every stream (events, IMU, triggers, frames...), and chunked reads lose nothing.

A window ``[t_start, t_stop)`` keeps the items whose timestamp ``t`` has ``t_start <= t < t_stop``;
a frame is judged by its ``timestamps`` value (dv-processing's ``Frame.timestamp``: start of
exposure), whatever its readout end. The reference here is the whole load cut by hand.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neurofiles

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aedat_builders as B  # noqa: E402

DAVIS_VECTOR = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "aedat-davis" / "davis128_aps_imu.aedat"


def _times(content: Any) -> np.ndarray:
    if isinstance(content, Mapping):
        return np.asarray(content["timestamps"])
    names = content.dtype.names
    return content["timestamp"] if "timestamp" in names else content["t"]


def _cut(content: Any, lo: int, hi: int) -> Any:
    t = _times(content)
    keep = (t >= lo) & (t < hi)
    if isinstance(content, Mapping):
        return {k: v[keep] for k, v in content.items() if isinstance(v, np.ndarray) and len(v) == len(t)}
    return content[keep]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        return set(a) == set(b) and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)
    if a.dtype.names:
        return a.dtype == b.dtype and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")
                                          for k in a.dtype.names)
    return np.array_equal(a, b)


def assert_window(path: Path, whole: Any, lo: int, hi: int, t_start: float, t_stop: float, relative: bool,
                  **options: Any) -> Any:
    """Load ``path`` with the window and check every stream against the whole load cut to ``[lo, hi)`` ticks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = neurofiles.load(path, t_start=t_start, t_stop=t_stop, relative=relative, **options)
    keep = (whole.timestamps >= lo) & (whole.timestamps < hi)
    assert np.array_equal(part.timestamps, whole.timestamps[keep])
    if whole.x is not None:
        assert np.array_equal(part.x, whole.x[keep]) and np.array_equal(part.polarity, whole.polarity[keep])
    for name, content in whole.streams.items():
        expected = _cut(content, lo, hi)
        got = part.streams.get(name)
        if got is None:  # a stream wholly outside the window may be absent
            assert len(_times(expected)) == 0, name
            continue
        assert _equal(_cut(got, lo, hi), got), f"{name} has items outside the window"
        assert _equal(got, expected), name
    # the in-memory window gives the same
    memory = whole.window(t_start, t_stop, relative=relative)
    assert np.array_equal(memory.timestamps, part.timestamps)
    for name, content in memory.streams.items():
        assert _equal(content, _cut(whole.streams[name], lo, hi)), name
    return part


def _bounds(whole: Any, a: int, b: int, relative: bool) -> tuple[int, int, float, float]:
    origin = int(whole.timestamps[0]) if relative else 0
    return origin + a, origin + b, a * 1e-6, b * 1e-6


# ----------------------------------------------------------------------------- AEDAT 4.0

def _aedat4(tmp_path: Path) -> tuple[Path, Any, int]:
    content = B.random_aedat4_content(4000, seed=21, n_trig=40, n_imu=60, frames=12)
    path = tmp_path / "w.aedat4"
    path.write_bytes(B.build_aedat4(content, compression="none", events_per_packet=40))
    whole = neurofiles.load(path)
    assert len(whole.frames) == 12 and len(whole.streams["imu"]) == 60 and len(whole.streams["triggers"]) == 40
    return path, whole, int(content.events["t"][0]) - 1_700_000_000_000_000


def test_aedat4_window_inside_packets_restricts_every_stream(tmp_path: Path) -> None:
    path, whole, _ = _aedat4(tmp_path)
    t0 = 1_700_000_000_000_000
    frames_t = whole.frames.timestamps
    cases = [
        (t0 + 1500, t0 + 3500),  # inside the one IMU packet and the one trigger packet
        (t0 + 2000, t0 + 3000),  # exact trigger and IMU timestamps: start kept, stop not
        (int(frames_t[3]), int(frames_t[6])),  # exact frame timestamps
        (int(frames_t[3]) + 1, int(frames_t[6]) + 1),
        (int(whole.timestamps[1234]), int(whole.timestamps[2345])),
    ]
    for lo, hi in cases:
        part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
        assert part.metadata["window_packets"]["read"] < part.metadata["window_packets"]["in_file"]
    part = assert_window(path, whole, t0 + 1500, t0 + 3500, (t0 + 1500) * 1e-6, (t0 + 3500) * 1e-6, False)
    assert part.streams["triggers"]["timestamp"].tolist() == [t0 + 2000, t0 + 3000]
    assert part.streams["imu"]["timestamp"].tolist() == [t0 + 1500, t0 + 2000, t0 + 2500, t0 + 3000]
    part = assert_window(path, whole, int(frames_t[3]), int(frames_t[6]), int(frames_t[3]) * 1e-6,
                         int(frames_t[6]) * 1e-6, False)
    assert part.frames.timestamps.tolist() == frames_t[3:6].tolist()


def test_aedat4_relative_and_empty_windows(tmp_path: Path) -> None:
    path, whole, _ = _aedat4(tmp_path)
    for a, b in ((0, 1000), (1500, 3500), (2500, 2600)):
        lo, hi, t_start, t_stop = _bounds(whole, a, b, True)
        assert_window(path, whole, lo, hi, t_start, t_stop, True)
    last = int(whole.timestamps[-1])
    for lo, hi in ((last + 10**6, last + 2 * 10**6), (last - 5000, last - 5000), (0, 1)):
        part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
        assert len(part) == 0 and part.frames is None or len(part.frames) == 0
        assert all(len(_times(c)) == 0 for c in part.streams.values())


def test_davis_aedat4_sample_windows(testdata: Path) -> None:
    path = testdata / "aer" / "davis.aedat4"
    whole = neurofiles.load(path)
    f = whole.frames.timestamps
    imu = whole.streams["imu"]["timestamp"]
    for lo, hi in ((int(f[1]), int(f[2])), (int(f[0]) + 1, int(f[2]) + 1), (int(imu[10]), int(imu[40]))):
        part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
        assert 0 < len(part.streams["imu"]) < len(imu)
    part = assert_window(path, whole, int(f[1]), int(f[2]), int(f[1]) * 1e-6, int(f[2]) * 1e-6, False)
    assert part.frames.timestamps.tolist() == [int(f[1])]
    for a, b in ((0, 30_000), (45_000, 61_000)):
        lo, hi, t_start, t_stop = _bounds(whole, a, b, True)
        assert_window(path, whole, lo, hi, t_start, t_stop, True)


def test_sample_aedat4_imu_window(testdata: Path) -> None:
    path = testdata / "aer" / "sample.aedat4"
    whole = neurofiles.load(path)
    lo, hi, t_start, t_stop = _bounds(whole, 100_000, 200_000, True)
    part = assert_window(path, whole, lo, hi, t_start, t_stop, True)
    assert 0 < len(part.streams["imu"]) < len(whole.streams["imu"])


# ----------------------------------------------------------------------------- AEDAT 3.x

def _aedat3(tmp_path: Path, version: str) -> tuple[Path, Any]:
    rng = np.random.default_rng(4)
    packets, t = [], 0
    for k in range(30):
        ts = t + np.sort(rng.integers(0, 1000, 50))
        t = int(ts[-1]) + 1
        packets.append(B.polarity_packet(rng.integers(0, 346, 50), rng.integers(0, 260, 50), rng.integers(0, 2, 50),
                                         ts, np.ones(50, bool), version, overflow=0))
        if k % 10 == 3:  # IMU, frames and special events spread over the packet's time span
            stamps = np.linspace(int(ts[0]), int(ts[-1]), 6).astype(int)
            packets.append(B.imu6_packet([[0.1 * i, 0.2, 0.3, 1.0, 2.0, 3.0, 25.0] for i in range(6)], stamps))
            image = np.arange(48, dtype=np.uint16).reshape(6, 8) + k
            packets.append(B.frame_packet3([(int(s) - 5, int(s) + 50, int(s), int(s) + 40, 0, image)
                                            for s in stamps[:4]]))
            packets.append(B.special_packet([1] * 5, [0] * 5, [int(s) for s in stamps[1:]], overflow=0))
    data, _ = B.build_aedat3(packets, version)
    path = tmp_path / f"w{version}.aedat"
    path.write_bytes(data)
    whole = neurofiles.load(path)
    assert len(whole.frames) == 12 and len(whole.streams["imu"]) == 18 and len(whole.streams["triggers"]) == 15
    return path, whole


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_aedat3_windows_restrict_every_stream(tmp_path: Path, version: str) -> None:
    path, whole = _aedat3(tmp_path, version)
    imu = whole.streams["imu"]["timestamp"]
    f = whole.frames.timestamps
    for lo, hi in ((int(imu[1]) + 1, int(imu[4])), (int(imu[1]), int(imu[4])), (int(f[1]), int(f[2])),
                   (int(f[5]), int(f[9]) + 1), (int(whole.timestamps[700]), int(whole.timestamps[800]))):
        part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
    part = assert_window(path, whole, int(imu[1]), int(imu[4]), int(imu[1]) * 1e-6, int(imu[4]) * 1e-6, False)
    assert part.streams["imu"]["timestamp"].tolist() == imu[1:4].tolist()  # start inclusive, stop exclusive
    for a, b in ((0, 5000), (3000, 3001), (10**9, 2 * 10**9)):
        lo, hi, t_start, t_stop = _bounds(whole, a, b, True)
        assert_window(path, whole, lo, hi, t_start, t_stop, True)


# ----------------------------------------------------------------------------- AEDAT 2.0

def test_aedat2_davis_vector_windows() -> None:
    whole = neurofiles.load(DAVIS_VECTOR)
    assert len(whole.frames) == 1 and int(whole.frames.timestamps[0]) == 1000
    # IMU (t 200) and the external event (t 250) only
    part = assert_window(DAVIS_VECTOR, whole, 150, 300, 150e-6, 300e-6, False)
    assert len(part) == 0 and len(part.streams["imu"]) == 1 and len(part.streams["triggers"]) == 1
    assert part.frames is None or len(part.frames) == 0
    # a window that holds the frame's start but not its readout: the frame is kept, whole
    part = assert_window(DAVIS_VECTOR, whole, 1000, 1001, 1000e-6, 1001e-6, False)
    assert len(part.frames) == 1 and np.array_equal(part.frames.images, whole.frames.images)
    assert "imu" not in part.streams or len(part.streams["imu"]) == 0
    for lo, hi in ((0, 1000), (1001, 10**6), (101, 102), (0, 10**6)):
        assert_window(DAVIS_VECTOR, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
    # relative: the origin is the first event (t 100)
    part = assert_window(DAVIS_VECTOR, whole, 1000, 1010, 900e-6, 910e-6, True)
    assert len(part.frames) == 1


def test_aedat2_davis_vector_window_expectations() -> None:
    """The conformance vector states what each window holds (``windows`` in its JSON)."""
    import json

    exp = json.loads(DAVIS_VECTOR.with_suffix(".json").read_text())
    assert len(exp["windows"]) >= 5
    for w in exp["windows"]:
        part = neurofiles.load(DAVIS_VECTOR, t_start=w["t_start_us"] * 1e-6, t_stop=w["t_stop_us"] * 1e-6)
        counts = {"dvs": len(part), "frames": 0 if part.frames is None else len(part.frames),
                  **{k: len(part.streams.get(k, ())) for k in ("imu", "triggers")}}
        assert counts == {k: w[k] for k in counts}, w


def test_aedat2_generated_davis_windows(tmp_path: Path) -> None:
    path = tmp_path / "davis.aedat"
    path.write_bytes(B.davis_aedat2(3))
    whole = neurofiles.load(path)
    f = whole.frames.timestamps
    imu = whole.streams["imu"]["timestamp"]
    assert len(f) == 3 and len(imu) > 40 and len(whole.streams["triggers"]) > 10
    for lo, hi in ((int(f[1]), int(f[2])), (int(f[1]) + 1, int(f[2]) + 1), (int(imu[5]), int(imu[9])),
                   (int(f[2]) - 3, int(f[2]) + 3), (int(whole.timestamps[500]), int(whole.timestamps[900]))):
        assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
    lo, hi, t_start, t_stop = _bounds(whole, int(f[1]) - int(whole.timestamps[0]), int(f[1]) + 7
                                      - int(whole.timestamps[0]), True)
    part = assert_window(path, whole, lo, hi, t_start, t_stop, True)
    assert part.frames.timestamps.tolist() == [int(f[1])]


def test_aedat2_imu_sample_window(testdata: Path) -> None:
    path = testdata / "aer" / "IMU_translBoxes.aedat"
    whole = neurofiles.load(path)
    imu = whole.streams["imu"]["timestamp"]
    for lo, hi in ((int(imu[100]), int(imu[200])), (int(imu[100]) + 1, int(imu[200]) + 1)):
        part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
        assert len(part.streams["imu"]) == 100


# ----------------------------------------------------------------------------- chunks == whole load

def _concat(chunks: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamps": np.concatenate([c.timestamps for c in chunks])}
    for name in ("x", "y", "polarity", "addresses"):
        out[name] = np.concatenate([getattr(c, name) for c in chunks])
    names = {n for c in chunks for n in c.streams}
    for name in names:
        parts = [c.streams[name] for c in chunks if name in c.streams]
        if isinstance(parts[0], Mapping):
            out[name] = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        else:
            out[name] = np.concatenate(parts)
    return out


def assert_chunks_equal_whole(path: Path, size: int, **options: Any) -> None:
    whole = neurofiles.load(path, **options)
    got = _concat(list(neurofiles.iter_chunks(path, events=size, **options)))
    for name in ("timestamps", "x", "y", "polarity", "addresses"):
        assert np.array_equal(got[name], getattr(whole, name)), name
    assert set(got) - {"timestamps", "x", "y", "polarity", "addresses"} == set(whole.streams)
    for name, content in whole.streams.items():
        assert _equal(got[name], content), (name, size)


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_iter_chunks_keeps_a_frame_cut_at_every_position(size: int) -> None:
    assert_chunks_equal_whole(DAVIS_VECTOR, size)


def test_layout_spelled_as_decode_accepts_it() -> None:
    """``decode="DAVIS-128"`` is accepted by the option check; windows and chunks decode with it too."""
    part = neurofiles.load(DAVIS_VECTOR, decode="DAVIS-128", t_start=0.001, t_stop=0.0011)
    assert len(part.frames) == 1
    assert_chunks_equal_whole(DAVIS_VECTOR, 1000, decode="Davis_128")


@pytest.mark.parametrize("size", [7, 997, 16384, 40000, 10**6])
def test_iter_chunks_equals_whole_load_generated_davis(tmp_path: Path, size: int) -> None:
    path = tmp_path / "davis.aedat"
    path.write_bytes(B.davis_aedat2(3, seed=size))
    assert_chunks_equal_whole(path, size)
    whole = neurofiles.load(path)
    f = whole.frames.timestamps
    window = {"t_start": (int(f[1]) - 50) * 1e-6, "t_stop": (int(f[2]) + 2) * 1e-6}
    assert_chunks_equal_whole(path, size, **window)


@pytest.mark.parametrize("size", [1, 50, 4096])
def test_iter_chunks_equals_whole_load_imu_sample(testdata: Path, size: int) -> None:
    path = testdata / "aer" / "IMU_translBoxes.aedat"
    whole = neurofiles.load(path)
    imu = whole.streams["imu"]["timestamp"]
    window = {"t_start": int(imu[100]) * 1e-6, "t_stop": int(imu[110]) * 1e-6}
    assert_chunks_equal_whole(path, size, **window)
    if size > 1:
        assert_chunks_equal_whole(path, size)


# ----------------------------------------------------------------------------- two-thread AEDAT 2.0 conversion

@pytest.mark.parametrize("start", [0, 2**31 - 3000, -50_000])
def test_parallel_conversion_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: int) -> None:
    """Large reads are converted by two threads; wraps (unwrapped afterwards) and windows come out the same."""
    from neurofiles.plugins.aer import _body

    rng = np.random.default_rng(3)
    n = 20_000
    ts = (start + np.cumsum(rng.integers(0, 5, n))).astype(np.int64)
    ts[12_345:] += 2**32 - 2**31  # pass 2**31 - 1 at least once: a wrap to negative raw values
    raw = ((ts + 2**31) % 2**32 - 2**31).astype(np.int64)
    rec = np.empty(n, [("a", ">u4"), ("t", ">i4")])
    rec["a"] = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    rec["t"] = raw
    path = tmp_path / "wraps.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n" + rec.tobytes())
    serial = neurofiles.load(path)
    monkeypatch.setattr(_body, "PARALLEL_RECORDS", 1000)
    monkeypatch.setattr(_body, "TASK_RECORDS", 3001)
    monkeypatch.setattr(_body, "CHUNK", 700)
    monkeypatch.setattr(_body, "_cores", lambda: 2)
    threaded = neurofiles.load(path)
    assert np.array_equal(threaded.timestamps, serial.timestamps)
    assert np.array_equal(threaded.addresses, serial.addresses)
    assert threaded.metadata["wraps"] == serial.metadata["wraps"]
    if start > 0:
        assert serial.metadata["wraps"] >= 1 and (np.diff(threaded.timestamps) >= 0).all()
    t = int(serial.timestamps[15_000]) * 1e-6
    window = neurofiles.load(path, t_start=t, t_stop=t + 0.001)
    assert np.array_equal(window.timestamps, serial.window(t, t + 0.001).timestamps)


def test_aedat2_window_reads_on_only_for_a_frame_begun_inside_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading past the window's records stops once its last frame is complete (later frames do not count)."""
    from neurofiles.plugins.aer import _body

    path = tmp_path / "many.aedat"
    path.write_bytes(B.davis_aedat2(8, seed=2))
    whole = neurofiles.load(path)
    f = whole.frames.timestamps
    assert len(f) == 8
    read: list[int] = []
    chunks = _body.Body.chunks

    def counting(self: Any, start: int, stop: int, size: int = _body.CHUNK) -> Any:
        for first, part in chunks(self, start, stop, size):
            read.append(len(part))
            yield first, part

    monkeypatch.setattr(_body.Body, "chunks", counting)
    lo, hi = int(f[1]), int(f[1]) + 1
    part = assert_window(path, whole, lo, hi, lo * 1e-6, hi * 1e-6, False)
    assert part.frames.timestamps.tolist() == [lo]
    total = (path.stat().st_size - len(b"#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS128\r\n")) // 8
    assert sum(read) < total // 2  # about one frame's records, not the rest of the file
