"""The Events result type and the address decoders."""

from __future__ import annotations

import numpy as np
import pytest
from neurofiles import Events
from neurofiles._results.aer_decode import encode_addresses


def make(n=10, tick=1e-6):
    ts = np.arange(n, dtype=np.int64) * 100
    return Events(ts, addresses=np.arange(n, dtype=np.uint16), tick=tick, metadata={"version": "2.0",
                                                                                     "source": "/x/f.aedat"})


def test_constructor_normalises_dtypes_and_byte_order():
    ev = Events(np.array([1, 2, 3], dtype=">i4"), addresses=np.array([7, 8, 9], dtype=">u2"),
                x=[1, 2, 3], y=[4, 5, 6], polarity=[1, 0, 1])
    assert ev.timestamps.dtype == np.int64 and ev.timestamps.dtype.isnative
    assert ev.addresses.dtype == np.uint32 and ev.addresses.dtype.isnative
    assert ev.x.dtype == np.uint16 and ev.y.dtype == np.uint16 and ev.polarity.dtype == np.bool_
    assert ev.polarity.tolist() == [True, False, True]


def test_constructor_rejects_bad_input():
    with pytest.raises(ValueError, match="addresses has 2 items"):
        Events([1, 2, 3], addresses=[1, 2])
    with pytest.raises(ValueError, match="tick"):
        Events([1], tick=0)
    with pytest.raises(ValueError, match="one-dimensional"):
        Events(np.zeros((2, 2)))


def test_times_len_slicing_repr():
    ev = make()
    assert len(ev) == 10
    assert ev.times.dtype == np.float64 and ev.times[3] == pytest.approx(300e-6)
    part = ev[2:5]
    assert isinstance(part, Events) and part.timestamps.tolist() == [200, 300, 400]
    assert part.addresses.tolist() == [2, 3, 4]
    assert ev[-1].timestamps.tolist() == [900]
    assert ev[ev.addresses % 2 == 0].addresses.tolist() == [0, 2, 4, 6, 8]
    text = repr(ev)
    assert "10 events" in text and "AEDAT 2.0" in text and "'f.aedat'" in text and "0.0009 s" in text


def test_window_sorted_and_unsorted():
    ev = make()
    win = ev.window(0.0002, 0.0005)
    assert win.timestamps.tolist() == [200, 300, 400]
    assert ev.window(t_start=0.00085).timestamps.tolist() == [900]
    assert ev.window(t_stop=0.0001).timestamps.tolist() == [0]
    shuffled = Events([500, 100, 300, 200], addresses=[5, 1, 3, 2])
    assert not shuffled.is_sorted()
    assert shuffled.window(0.00015, 0.0004).addresses.tolist() == [3, 2]


def test_dvs128_decode_masks_foreign_bits_and_separates_sync():
    addresses = np.array([0x0000, 0x0001, 0x7FFF, 0x8001, 0x00010000, 0x80000000], dtype=np.uint32)
    ev = Events(np.arange(6), addresses=addresses)
    out = ev.decode("dvs128")
    assert len(out) == 3
    assert out.x.tolist() == [127, 127, 0]
    assert out.y.tolist() == [0, 0, 127]
    assert out.polarity.tolist() == [True, False, False]
    info = out.metadata["decode"]
    assert info["special"] == 2 and info["out_of_range"] == 1 and info["dvs"] == 3
    assert out.streams["special"]["addresses"].tolist() == [0x8001, 0x80000000]


def test_davis346_decode_out_of_range_aps_imu_and_ext():
    dvs_ok = (259 << 22) | (345 << 12) | (1 << 11)
    dvs_bad = (306 << 22) | (10 << 12)          # y = 306 as in DHP19 issue 8
    ext = 0x403
    aps = 0x80000000 | (3 << 22) | (4 << 12) | (1 << 10) | 0x155
    imu = [0x80000C00 | (code << 28) | ((code * 1000) << 12) for code in range(7)]
    addresses = np.array([dvs_ok, dvs_bad, ext, aps, *imu, 0x80000C00], dtype=np.uint32)
    ev = Events(np.arange(len(addresses)), addresses=addresses)
    out = ev.decode("davis346")
    assert len(out) == 1
    assert out.x.tolist() == [0] and out.y.tolist() == [259] and out.polarity.tolist() == [True]
    info = out.metadata["decode"]
    assert info["out_of_range"] == 1 and info["special"] == 1 and info["aps"] == 1
    assert info["imu_words"] == 8 and info["imu_samples"] == 1 and info["imu_words_unpaired"] == 1
    assert out.streams["aps"]["adc"].tolist() == [0x155] and out.streams["aps"]["readout"].tolist() == [1]
    assert out.streams["aps"]["x"].tolist() == [345 - 4]
    assert out.streams["imu"]["gz"].tolist() == [6000]
    assert out.metadata["sensor_size"] == (346, 260)


def test_decode_never_crashes_on_random_addresses():
    rng = np.random.default_rng(1)
    addresses = rng.integers(0, 2**32, 10000, dtype=np.uint64).astype(np.uint32)
    ev = Events(np.arange(10000), addresses=addresses)
    for layout in ("dvs128", "davis240", "davis346", "davis640"):
        out = ev.decode(layout)
        w, h = out.metadata["sensor_size"]
        assert len(out) == 0 or (out.x.max() < w and out.y.max() < h)


def test_decode_errors():
    with pytest.raises(ValueError, match="unknown address layout"):
        make().decode("dvs999")
    with pytest.raises(ValueError, match="no raw addresses"):
        Events([1], x=[1], y=[1], polarity=[True]).decode("dvs128")


@pytest.mark.parametrize("layout, w, h", [("dvs128", 128, 128), ("davis240", 240, 180), ("davis346", 346, 260)])
def test_encode_decode_round_trip(layout, w, h):
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, w, 500), rng.integers(0, h, 500)
    pol = rng.integers(0, 2, 500).astype(bool)
    addresses = encode_addresses(x, y, pol, layout)
    out = Events(np.arange(500), addresses=addresses).decode(layout)
    assert out.x.tolist() == x.tolist() and out.y.tolist() == y.tolist() and out.polarity.tolist() == pol.tolist()
    with pytest.raises(ValueError, match="outside"):
        encode_addresses([w], [0], [True], layout)


def test_int_index_bounds_and_no_iteration():
    ev = make(3)
    assert ev[-3].timestamps.tolist() == [0] and ev[2].timestamps.tolist() == [200]
    with pytest.raises(IndexError):
        ev[3]
    with pytest.raises(IndexError):
        ev[-4]
    with pytest.raises(TypeError, match="not iterable"):
        list(ev)


def test_pickle_round_trip():
    import pickle

    ev = make(5).decode("dvs128")
    back = pickle.loads(pickle.dumps(ev))
    assert back.timestamps.tolist() == ev.timestamps.tolist() and back.x.tolist() == ev.x.tolist()
    assert back.metadata == ev.metadata and back.tick == ev.tick and repr(back) == repr(ev)
