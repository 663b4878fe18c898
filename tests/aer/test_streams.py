"""Every stream of a recording (frames, IMU, triggers), automatic decode and the ecosystem shapes (issue 13)."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import neurofiles
from neurofiles.plugin.events import IMU_DTYPE, TRIGGER_DTYPE
from neurofiles._errors import FormatWarning, OptionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aedat_builders as B  # noqa: E402

DAVIS_VECTOR = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "aedat-davis"
#: sha256 of the 3 frames of davis.aedat4 as dv-processing 2.0.4 returns them
#: (``MonoCameraRecording.getNextFrame().image``, 260 x 346 uint8), recorded on 2026-11-29.
DAVIS_FRAME_SHA256 = [
    "e4a890d163af6c258156c4715b41194664297e713ab6d3fc8b100c6b6e766a18",
    "7189a0dee65e85d5e7234723729df42504beefa5f352f03fd5c96712a1101db5",
    "a7f737bcf2e10a45338ddb97848cc59e6e40560ffff471b7c765e0f1f938b004",
]


# ----------------------------------------------------------------------------- frames

def test_davis_aedat4_frames_match_recorded_dv_processing_values(testdata: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "davis.aedat4")
    frames = events.frames
    assert frames is not None and len(frames) == 3
    assert frames.images.shape == (3, 260, 346) and frames.images.dtype == np.uint8
    assert [hashlib.sha256(im.tobytes()).hexdigest() for im in frames.images] == DAVIS_FRAME_SHA256
    # dv-processing: timestamp = start of exposure, exposure = 4773 us
    assert frames.exposure_start.tolist() == [1633953690976518, 1633953691016518, 1633953691056518]
    assert (frames.exposure_end - frames.exposure_start).tolist() == [4773] * 3
    assert frames.width.tolist() == [346] * 3 and frames.position_x.tolist() == [0] * 3
    assert "frames (3 x 260x346 uint8)" in repr(events)
    assert events.metadata["frames"] == 3


def test_davis_aedat4_frames_pixel_identical_to_dv_processing(testdata: Path) -> None:
    dv = pytest.importorskip("dv_processing")  # test extra: installed in CI
    path = testdata / "aer" / "davis.aedat4"
    recording = dv.io.MonoCameraRecording(str(path))
    theirs = []
    while True:
        frame = recording.getNextFrame()
        if frame is None:
            break
        theirs.append((frame.timestamp, frame.image))
    mine = neurofiles.load(path).frames
    assert mine is not None and len(theirs) == len(mine) == 3
    for i, (stamp, image) in enumerate(theirs):
        assert np.array_equal(image, mine.images[i])
        assert stamp == mine.exposure_start[i]


def test_aedat4_frame_region_and_unsupported_format(tmp_path: Path) -> None:
    """A region frame keeps its position/size; a frame format not supported warns and is named."""
    content = B.random_aedat4_content(16, seed=3, frames=0)
    data = bytearray(B.build_aedat4(content, compression="none", with_data_table=False))
    region = B.frame_packet(1_700_000_000_000_500, 4, 3, position=(2, 1), seed=9)
    bad = B.frame_packet(1_700_000_000_000_600, 4, 3, fmt=5)
    data += struct.pack("<ii", 1, len(region)) + region + struct.pack("<ii", 1, len(bad)) + bad
    path = tmp_path / "region.aedat4"
    path.write_bytes(bytes(data))
    with pytest.warns(FormatWarning, match="frame format 5"):
        events = neurofiles.load(path)
    frames = events.frames
    assert frames is not None and len(frames) == 1
    assert frames.position_x.tolist() == [2] and frames.position_y.tolist() == [1]
    assert (frames.width.tolist(), frames.height.tolist()) == ([4], [3])
    assert np.array_equal(frames.images[0], B.frame_image(4, 3, 9))
    assert events.metadata["frames_skipped"] == {"frame format 5": 1}
    assert "frames skipped" in repr(events)


def test_aedat2_davis_vector_frames_imu_triggers() -> None:
    exp = json.loads((DAVIS_VECTOR / "davis128_aps_imu.json").read_text())
    events = neurofiles.load(DAVIS_VECTOR / exp["file"])  # the header names the chip: decoded on load
    assert events.metadata["decode_source"] == "header"
    got = [[int(t), int(x), int(y), bool(p)] for t, x, y, p in
           zip(events.timestamps, events.x, events.y, events.polarity)]
    assert got == exp["dvs"]
    frames = events.frames
    assert frames is not None and len(frames) == len(exp["frames"])
    for i, f in enumerate(exp["frames"]):
        assert list(frames.images[i].shape) == f["shape"] and frames.images.dtype == np.dtype(f["dtype"])
        assert hashlib.sha256(frames.images[i].tobytes()).hexdigest() == f["sha256"]
        assert int(frames.images[i][7, 5]) == f["pixel_5_7"]
        for key in ("frame_start", "frame_end", "exposure_start", "exposure_end"):
            assert int(getattr(frames, key)[i]) == f[key]
    assert events.metadata["decode"]["aps_frames_incomplete"] == exp["incomplete_frames"]
    imu = events.streams["imu"]
    assert imu.dtype == IMU_DTYPE and len(imu) == 1
    for key, value in exp["imu"].items():
        assert float(imu[key][0]) == pytest.approx(value, rel=1e-6)
    trig = events.streams["triggers"]
    assert trig.dtype == TRIGGER_DTYPE and [[int(a), int(b)] for a, b in trig] == exp["triggers"]


def test_imu_translboxes_units_fields_and_frames_reason(testdata: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "IMU_translBoxes.aedat")
    ref = neurofiles.load(testdata / "aer" / "davis.aedat4")
    imu, imu4 = events.streams["imu"], ref.streams["imu"]
    assert imu.dtype == imu4.dtype == IMU_DTYPE and len(imu) == 4833
    for sample in (imu, imu4):  # both at rest-ish: |a| close to 1 g, temperature in degrees C
        norm = np.sqrt(sample["accelerometer_x"] ** 2 + sample["accelerometer_y"] ** 2 + sample["accelerometer_z"] ** 2)
        assert 0.9 < float(np.median(norm)) < 1.1
        assert 15 < float(np.median(sample["temperature"])) < 45
        # register signs as libcaer reports them: the gravity axis agrees between AEDAT 2.0 and 4.0
        assert float(np.median(sample["accelerometer_y"])) < -0.9
    assert events.metadata["decode"]["imu_scales"] == {"accel_full_scale_g": 8, "gyro_full_scale_dps": 1000,
                                                       "scale_source": "header"}
    assert events.frames is None
    assert "APS readout was off" in events.metadata["decode"]["frames_note"]


def test_npz_stores_frames_and_t_x_y_p(testdata: Path, tmp_path: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "davis.aedat4")
    neurofiles.save(tmp_path / "d.npz", events)
    with np.load(tmp_path / "d.npz") as raw:
        assert {"t", "x", "y", "p"} <= set(raw.files)
        assert np.array_equal(raw["t"], events.timestamps)
    back = neurofiles.load(tmp_path / "d.npz")
    assert back.frames is not None and np.array_equal(back.frames.images, events.frames.images)
    assert np.array_equal(back.frames.exposure_end, events.frames.exposure_end)


def test_parquet_reads_back(testdata: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    events = neurofiles.load(testdata / "aer" / "sample.aedat4")
    neurofiles.save(tmp_path / "s.parquet", events)
    back = neurofiles.load(tmp_path / "s.parquet")
    for name in ("timestamps", "x", "y", "polarity"):
        assert np.array_equal(getattr(back, name), getattr(events, name))
    assert back.tick == events.tick and back.metadata["version"] == "4.0"


# ----------------------------------------------------------------------------- automatic decode

@pytest.mark.parametrize("name, layout", [("alex_walking_again.aedat", "dvs128"),
                                          ("IMU_translBoxes.aedat", "davis240"),
                                          ("sample_aedat_header.aedat", "davis346")])
def test_samples_naming_their_chip_decode_on_load(testdata: Path, name: str, layout: str) -> None:
    events = neurofiles.load(testdata / "aer" / name)
    assert events.x is not None and events.y is not None and events.polarity is not None
    assert events.metadata["decode"]["layout"] == layout
    explicit = neurofiles.load(testdata / "aer" / name, decode=layout)
    assert np.array_equal(events.x, explicit.x) and np.array_equal(events.timestamps, explicit.timestamps)
    raw = neurofiles.load(testdata / "aer" / name, decode=False)
    assert raw.x is None and len(raw) == raw.metadata["events_in_file"]


def test_files_without_chip_stay_raw(testdata: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "rotated_cam255_right_clamp_test1.aedat")
    assert events.x is None and len(events) == 110228
    addresses, _ = neurofiles.load_aer(testdata / "aer" / "IMU_translBoxes.aedat")
    assert len(addresses) == 196608  # load_aer keeps every raw record


# ----------------------------------------------------------------------------- ecosystem shapes

def test_to_structured_is_tonic_layout_and_tonic_toframe_accepts_it(testdata: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "alex_walking_again.aedat")
    structured = events.to_structured()
    assert structured.dtype == np.dtype([("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "?")])
    assert events.sensor_size == (128, 128, 2)
    tonic = pytest.importorskip("tonic")  # test extra
    assert structured.dtype == tonic.io.events_struct
    theirs = tonic.transforms.ToFrame(sensor_size=events.sensor_size, n_event_bins=1)(structured)
    assert theirs.shape == (1, 2, 128, 128)
    assert np.array_equal(theirs[0], events.to_frame())


def test_to_frame_counts_and_time_bins(testdata: Path) -> None:
    events = neurofiles.load(testdata / "aer" / "davis.aedat4")
    assert events.sensor_size == (346, 260, 2)
    hist = events.to_frame()
    assert hist.shape == (2, 260, 346) and int(hist.sum()) == len(events)
    on = events.polarity
    assert int(hist[1].sum()) == int(on.sum())
    x0, y0 = int(events.x[0]), int(events.y[0])
    assert hist[int(on[0]), y0, x0] == int(np.sum((events.x == x0) & (events.y == y0) & (on == on[0])))
    binned = events.to_frame(time_bins=4)
    assert binned.shape == (4, 2, 260, 346) and np.array_equal(binned.sum(axis=0), hist)
    assert events.to_frame(split_polarity=False).shape == (1, 260, 346)
    with pytest.raises(OptionError):
        events.to_frame(time_bins=0)
    raw = neurofiles.load(testdata / "aer" / "rotated_cam255_right_clamp_test1.aedat")
    with pytest.raises(OptionError):
        raw.to_structured()


def test_relative_windows(testdata: Path) -> None:
    path = testdata / "aer" / "davis.aedat4"
    whole = neurofiles.load(path)
    t0 = int(whole.timestamps[0])
    part = neurofiles.load(path, t_start=0.01, t_stop=0.02, relative=True)
    assert len(part) and int(part.timestamps.min()) >= t0 + 10_000 and int(part.timestamps.max()) < t0 + 20_000
    assert np.array_equal(part.timestamps, whole.window(0.01, 0.02, relative=True).timestamps)
    alex = testdata / "aer" / "alex_walking_again.aedat"
    a = neurofiles.load(alex, t_start=0.1, t_stop=0.6, relative=True)
    b = neurofiles.load(alex).window(0.1, 0.6, relative=True)
    assert len(a) > 0 and np.array_equal(a.timestamps, b.timestamps)
    with pytest.raises(OptionError):
        whole.window(0, 1, relative="yes")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- windows by packet

def _many_packets(shift: int = 0) -> bytes:
    content = B.random_aedat4_content(4000, seed=8, frames=0)
    content.events["t"] += shift
    return B.build_aedat4(content, compression="none", events_per_packet=40)


def test_aedat4_window_reads_only_the_packets_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "many.aedat4"
    path.write_bytes(_many_packets())
    whole = neurofiles.load(path)
    span = int(whole.timestamps[-1] - whole.timestamps[0])
    t_stop = 0.01 * span * 1e-6
    part = neurofiles.load(path, t_start=0.0, t_stop=t_stop, relative=True)
    assert np.array_equal(part.timestamps, whole.window(0.0, t_stop, relative=True).timestamps)
    read = part.metadata["window_packets"]
    assert read["in_file"] > 100 and read["read"] <= 5  # 1 % of the time: a few packets, not all
    # a relative window in the middle of the recording (the data table is shifted to the first event)
    a, b = 0.5 * span * 1e-6, 0.51 * span * 1e-6
    part = neurofiles.load(path, t_start=a, t_stop=b, relative=True)
    expected = whole.window(a, b, relative=True).timestamps
    assert len(expected) > 10 and np.array_equal(part.timestamps, expected)
    assert part.metadata["window_packets"]["read"] <= 6
    mid = int(whole.timestamps[2000]) * 1e-6
    part = neurofiles.load(path, t_start=mid, t_stop=mid + 0.002)
    assert np.array_equal(part.timestamps, whole.window(mid, mid + 0.002).timestamps)
    assert part.metadata["window_packets"]["read"] < 20


def test_aedat4_window_with_a_lying_data_table_walks_every_packet(tmp_path: Path) -> None:
    """A data table whose time ranges do not match the packets is dropped, not trusted."""
    honest = _many_packets()
    shifted = _many_packets(shift=123_456)  # same sizes (uncompressed), other timestamps
    dtp = struct.unpack_from("<I", honest, 14)[0]
    header_end = 18 + dtp
    table_at = len(honest) - (len(honest) - len(shifted)) if len(honest) == len(shifted) else None
    assert table_at is not None
    # header + table of `honest`, packet bodies of `shifted`
    from neurofiles.plugins.aer._aedat4_header import read_ioheader
    from neurofiles.plugin import Source

    path = tmp_path / "honest.aedat4"
    path.write_bytes(honest)
    with Source(path).open() as fh:
        position = read_ioheader(fh, path=path, file_size=len(honest), strict=False).data_table_position
    mixed = honest[:header_end] + shifted[header_end:position] + honest[position:]
    path = tmp_path / "lying.aedat4"
    path.write_bytes(mixed)
    whole = neurofiles.load(path)
    t = int(whole.timestamps[1000]) * 1e-6
    part = neurofiles.load(path, t_start=t, t_stop=t + 0.003)
    assert np.array_equal(part.timestamps, whole.window(t, t + 0.003).timestamps) and len(part)
    assert "data_table_error" in part.metadata and "window_packets" not in part.metadata


# ----------------------------------------------------------------------------- AEDAT 4 on every core

@pytest.mark.parametrize("compression", ["lz4", "zstd"])
def test_threaded_decode_equals_serial(tmp_path: Path, compression: str) -> None:
    pytest.importorskip("lz4" if compression == "lz4" else "zstandard")
    content = B.random_aedat4_content(6000, seed=12, frames=3)
    path = tmp_path / f"t.{compression}.aedat4"
    path.write_bytes(B.build_aedat4(content, compression=compression, events_per_packet=50))
    # a small max_packet_bytes lets the budget hold the packets in flight, so threads are used
    serial = neurofiles.load(path, threads=1)
    threaded = neurofiles.load(path, threads=3, max_packet_bytes=1 << 16)
    for name in ("timestamps", "x", "y", "polarity"):
        assert np.array_equal(getattr(serial, name), getattr(threaded, name))
    assert np.array_equal(serial.frames.images, threaded.frames.images)
    assert np.array_equal(serial.streams["imu"], threaded.streams["imu"])
    assert np.array_equal(serial.streams["triggers"], threaded.streams["triggers"])
    assert len(serial) == 6000
    # the data table places each packet: workers decode straight into the output arrays
    assert threaded.metadata["parallel"] == 3 and "parallel" not in serial.metadata
    assert threaded.metadata["elements"] == serial.metadata["elements"]
    assert threaded.metadata["packets"] == serial.metadata["packets"]
    part = neurofiles.load(path, threads=2, max_packet_bytes=1 << 16, t_start=0.001, t_stop=0.05, relative=True)
    expected = serial.window(0.001, 0.05, relative=True)
    assert part.metadata["parallel"] == 2 and np.array_equal(part.timestamps, expected.timestamps)
    assert np.array_equal(part.x, expected.x) and np.array_equal(part.streams["imu"], expected.streams["imu"])


def test_threaded_decode_with_a_lying_data_table_walks_every_packet(tmp_path: Path) -> None:
    """Workers check each packet against the table; a mismatch drops the table and decodes again."""
    content = B.random_aedat4_content(6000, seed=14, frames=2)
    path = tmp_path / "lying.aedat4"
    path.write_bytes(B.build_aedat4(content, compression="lz4", events_per_packet=50, fake_num_elements=3))
    serial = neurofiles.load(path, threads=1)
    threaded = neurofiles.load(path, threads=2, max_packet_bytes=1 << 16)
    assert np.array_equal(threaded.timestamps, content.events["t"])
    assert np.array_equal(serial.x, threaded.x) and np.array_equal(serial.frames.images, threaded.frames.images)
    assert "contents differ from the data table" in threaded.metadata["data_table_error"]
    assert "parallel" not in threaded.metadata


def test_threaded_decode_keeps_the_total_budget(tmp_path: Path) -> None:
    content = B.random_aedat4_content(6000, seed=13, frames=0)
    path = tmp_path / "budget.aedat4"
    path.write_bytes(B.build_aedat4(content, compression="lz4", events_per_packet=50, with_data_table=False))
    from neurofiles._errors import LimitExceededError

    with pytest.raises(LimitExceededError, match="max_decompressed_bytes"):
        neurofiles.load(path, threads=2, max_packet_bytes=1 << 13, max_decompressed_bytes=70_000)


def test_threaded_decode_with_table_keeps_the_total_budget(tmp_path: Path) -> None:
    content = B.random_aedat4_content(30_000, seed=13, frames=0)
    path = tmp_path / "budget.aedat4"
    path.write_bytes(B.build_aedat4(content, compression="lz4", events_per_packet=500))
    from neurofiles._errors import LimitExceededError

    # 480 kB of events: the budget leaves room for the 4 x 2 packets of 16 kB the workers need, not for all
    assert neurofiles.load(path, threads=2, max_packet_bytes=1 << 14).metadata["parallel"] == 2
    with pytest.raises(LimitExceededError, match="max_decompressed_bytes"):
        neurofiles.load(path, threads=2, max_packet_bytes=1 << 14, max_decompressed_bytes=300_000)


def test_aedat3_window_decodes_only_the_packets_it_needs(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    packets, t = [], 0
    for _ in range(100):
        ts = t + np.sort(rng.integers(0, 1000, 50))
        t = int(ts[-1]) + 1
        packets.append(B.polarity_packet(rng.integers(0, 346, 50), rng.integers(0, 260, 50), rng.integers(0, 2, 50),
                                         ts, np.ones(50, bool), "3.1", overflow=0))
    data, _ = B.build_aedat3(packets, "3.1")
    path = tmp_path / "w.aedat"
    path.write_bytes(data)
    whole = neurofiles.load(path)
    span = (int(whole.timestamps[-1]) - int(whole.timestamps[0])) * 1e-6
    for a, b, relative in ((0.5 * span, 0.51 * span, True), (0.0, 0.01 * span, True),
                           (int(whole.timestamps[3000]) * 1e-6, int(whole.timestamps[3100]) * 1e-6, False)):
        part = neurofiles.load(path, t_start=a, t_stop=b, relative=relative)
        expected = whole.window(a, b, relative=relative)
        assert len(expected) and np.array_equal(part.timestamps, expected.timestamps)
        assert np.array_equal(part.x, expected.x)
        assert part.metadata["window_packets"]["read"] <= 4 and part.metadata["window_packets"]["in_file"] == 100


def test_davis_vector_regenerates_byte_identically(tmp_path: Path) -> None:
    import importlib.util
    import shutil

    script = tmp_path / "generate.py"
    shutil.copy(DAVIS_VECTOR / "generate.py", script)
    spec = importlib.util.spec_from_file_location("davis_vector_generate", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()  # writes next to the copied script
    for name in ("davis128_aps_imu.aedat", "davis128_aps_imu.json"):
        assert (tmp_path / name).read_bytes() == (DAVIS_VECTOR / name).read_bytes()


@pytest.mark.parametrize("compression", ["lz4", "zstd"])
@pytest.mark.parametrize(("events", "per_packet"), [(1, 1), (2, 1), (5, 2), (64, 64), (65, 64), (97, 3), (1000, 7)])
def test_parallel_decode_equals_serial_on_odd_packet_shapes(tmp_path: Path, compression: str, events: int,
                                                           per_packet: int) -> None:
    """The table-driven parallel path against the one-thread walk: one-event packets, a last packet of one,
    many packets per worker batch, with frames, IMU and triggers interleaved."""
    pytest.importorskip("lz4" if compression == "lz4" else "zstandard")
    content = B.random_aedat4_content(events, seed=events + per_packet, frames=2)
    path = tmp_path / f"odd-{events}-{per_packet}.aedat4"
    path.write_bytes(B.build_aedat4(content, compression=compression, events_per_packet=per_packet))
    serial = neurofiles.load(path, threads=1)
    threaded = neurofiles.load(path, threads=2, max_packet_bytes=1 << 16)
    assert threaded.metadata.get("parallel") == 2  # the fast path really ran
    assert np.array_equal(serial.timestamps, content.events["t"])
    for name in ("timestamps", "x", "y", "polarity"):
        assert np.array_equal(getattr(serial, name), getattr(threaded, name)), name
    assert np.array_equal(serial.frames.images, threaded.frames.images)
    assert set(serial.streams) == set(threaded.streams)  # the builder interleaves IMU/triggers after event packets
    for stream in set(serial.streams) & {"imu", "triggers"}:
        assert np.array_equal(serial.streams[stream], threaded.streams[stream]), stream
