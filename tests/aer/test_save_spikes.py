"""``neurofiles.save("x.aedat", ...)`` from what Brian 1's ``save_AER`` and Brian2 monitors hold."""

from __future__ import annotations

import math
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import OptionError, UnsupportedDataError

# Brian 2.9 calls pyparsing APIs that pyparsing 3.3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_pair_of_addresses_and_seconds(tmp_path: Path) -> None:
    addresses = np.array([3, 1, 2])
    times = np.array([0.0, 1.5e-6, 2.4999e-6])  # rint to 0, 2, 2 ticks of 1 us (1.5 -> 2: half to even)
    neurofiles.save(tmp_path / "x.aedat", (addresses, times))
    back = neurofiles.load(tmp_path / "x.aedat")
    assert back.addresses.tolist() == [3, 1, 2] and back.timestamps.tolist() == [0, 2, 2]
    assert back.tick == 1e-6
    neurofiles.save(tmp_path / "y.aedat", [list(addresses), [0.0, 0.5, 1.0]], tick=1e-3)
    back = neurofiles.load(tmp_path / "y.aedat")
    assert back.timestamps.tolist() == [0, 500, 1000] and back.tick == pytest.approx(1e-3)


def test_load_aer_round_trip(tmp_path: Path) -> None:
    addresses, times = np.arange(5), np.array([0.0, 1e-3, 2e-3, 3e-3, 4e-3])
    neurofiles.save(tmp_path / "x.aedat", (addresses, times))
    got_a, got_t = neurofiles.load_aer(tmp_path / "x.aedat")
    assert got_a.tolist() == addresses.tolist()
    np.testing.assert_allclose(got_t, times, atol=5e-7)


class StandIn:
    """What a Brian2 SpikeMonitor offers: ``i``, ``t`` and the unit-stripped ``t_`` (seconds)."""

    def __init__(self, i: list[int], t: list[float]) -> None:
        self.i = np.array(i)
        self.t_ = np.array(t)
        self.t = object()  # a Quantity in Brian2; never used when t_ is there


class PlainMonitor:
    def __init__(self, i: list[int], t: list[float]) -> None:
        self.i, self.t = i, t


def test_monitor_like_objects(tmp_path: Path) -> None:
    neurofiles.save(tmp_path / "m.aedat", StandIn([4, 5], [1e-3, 2e-3]))
    back = neurofiles.load(tmp_path / "m.aedat")
    assert back.addresses.tolist() == [4, 5] and back.timestamps.tolist() == [1000, 2000]
    neurofiles.save(tmp_path / "p.aedat", PlainMonitor([6], [3e-6]))
    assert neurofiles.load(tmp_path / "p.aedat").timestamps.tolist() == [3]


def test_real_brian2_spike_monitor(tmp_path: Path) -> None:
    b2 = pytest.importorskip("brian2")
    b2.start_scope()
    group = b2.SpikeGeneratorGroup(3, [0, 2, 1], [0.1, 0.3, 0.5] * b2.ms)
    monitor = b2.SpikeMonitor(group)
    b2.run(1 * b2.ms)
    neurofiles.save(tmp_path / "b.aedat", monitor)
    back = neurofiles.load(tmp_path / "b.aedat")
    assert back.addresses.tolist() == [0, 2, 1]
    assert back.timestamps.tolist() == [100, 300, 500]


@pytest.mark.parametrize("data, match", [
    ((np.array([1, 2]), np.array([0.0, -1e-6])), "time -1e-06 of event 1"),
    ((np.array([1, 2]), np.array([math.nan, 0.0])), "time nan of event 0"),
    ((np.array([1]), np.array([math.inf])), "time inf of event 0"),
    ((np.array([1, 2]), np.array([0.0])), "equal length"),
    ((np.array([-1]), np.array([0.0])), "address -1"),
    ((np.array([0.5]), np.array([0.0])), "addresses must be integers"),
    ((np.array([1]), np.array(["x"])), "times must be numbers"),
    ((np.array([1]), np.array([1e300])), "too large"),
    ((np.array([1]), np.array([3000.0])), "outside int32"),
    ((np.array([1, 2, 3]),), "takes Events"),
    ({"i": [1], "t": [0.0]}, "takes Events"),
])
def test_bad_spikes_are_unsupported_data_errors_and_write_nothing(tmp_path: Path, data: object, match: str) -> None:
    with pytest.raises(UnsupportedDataError, match=match):
        neurofiles.save(tmp_path / "bad.aedat", data)
    assert not (tmp_path / "bad.aedat").exists()


def test_bad_tick_for_seconds(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="tick="):
        neurofiles.save(tmp_path / "t.aedat", ([1], [0.0]), tick=0)
    with pytest.raises(OptionError, match="own tick"):
        neurofiles.save(tmp_path / "t.aedat", neurofiles.Events([1], addresses=[1]), tick=1e-6)
