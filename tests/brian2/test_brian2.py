"""The Brian2 hand-off: duplicate policies, index modes, and a real network round trip."""

from __future__ import annotations

from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles.brian2 import events_from_monitor, save_monitor, spike_generator_group, spike_input

# Brian 2.9 calls pyparsing APIs that pyparsing 3.3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "dvs128_small.aedat"


def toy_events():
    # neuron 5 fires three times within 0.25 ms; neuron 6 once in between
    return neurofiles.Events([1000, 1050, 1100, 1250, 3000], addresses=[5, 5, 6, 5, 2])


def brian_accepts(b2, spikes) -> None:
    """Brian2 itself runs the group without complaining about repeated spikes."""
    b2.start_scope()
    group = spikes.group()
    monitor = b2.SpikeMonitor(group)
    b2.run(float(spikes.times[-1] / b2.second) * b2.second + 2 * spikes.dt)
    assert monitor.num_spikes == len(spikes.indices)


def test_duplicates_drop(b2):
    spikes = spike_input(toy_events(), dt=0.1 * b2.ms, duplicates="drop")
    assert spikes.dropped == 1 and spikes.N == 7
    assert spikes.indices.tolist() == [5, 6, 5, 2]
    np.testing.assert_allclose(spikes.times / b2.ms, [0, 0.1, 0.25, 2.0])
    brian_accepts(b2, spikes)


def test_duplicates_shift_keeps_every_spike_on_a_free_step(b2):
    spikes = spike_input(toy_events(), dt=0.1 * b2.ms, duplicates="shift")
    # steps of neuron 5: 0, 0 (0.05 ms), 2 (0.25 ms) -> the second moves to the free step 1, exactly on the grid
    assert spikes.shifted == 1 and len(spikes.indices) == 5
    fives = np.asarray(spikes.times / b2.ms)[spikes.indices == 5]
    np.testing.assert_allclose(fives, [0.0, 0.1, 0.25])
    crowded = neurofiles.Events([0, 10, 20, 30, 200], addresses=[1, 1, 1, 1, 1])
    moved = spike_input(crowded, dt=0.1 * b2.ms, duplicates="shift")
    np.testing.assert_allclose(np.asarray(moved.times / b2.ms), [0.0, 0.1, 0.2, 0.3, 0.4])
    assert moved.shifted == 4
    brian_accepts(b2, spikes)


def test_duplicates_error_and_keep(b2):
    with pytest.raises(ValueError, match="1 spikes repeat a neuron within one time step"):
        spike_input(toy_events(), dt=0.1 * b2.ms, duplicates="error")
    kept = spike_input(toy_events(), dt=0.1 * b2.ms, duplicates="keep")
    assert len(kept.indices) == 5
    b2.start_scope()
    group = kept.group()  # noqa: F841 (Brian2's magic network collects it from this frame)
    with pytest.raises(Exception) as info:
        b2.run(1 * b2.ms)
    assert "more than once" in str(info.value.__cause__ or info.value)


def test_index_modes(b2):
    events = neurofiles.load(SAMPLE, decode=False)  # raw addresses; the header's chip would decode them
    compact = spike_input(events, dt=0.1 * b2.ms, index="compact")
    assert compact.N == len(np.unique(events.addresses))
    np.testing.assert_array_equal(
        np.sort(np.unique(compact.addresses[compact.indices])), np.unique(events.addresses)
    )
    decoded = events.decode("dvs128")
    pixel = spike_input(decoded, dt=0.1 * b2.ms, index="pixel", duplicates="keep")
    assert pixel.N == 128 * 128
    order = np.argsort(decoded.times, kind="stable")
    np.testing.assert_array_equal(pixel.indices, (decoded.y.astype(int) * 128 + decoded.x)[order])
    both = spike_input(decoded, dt=0.1 * b2.ms, index="pixel_polarity", duplicates="keep")
    assert both.N == 2 * 128 * 128 and np.all(both.indices // 2 == pixel.indices)
    with pytest.raises(ValueError, match="decode"):
        spike_input(events, index="pixel")
    with pytest.raises(ValueError, match="duplicates must be"):
        spike_input(events, duplicates="maybe")
    file_clock = spike_input(events, dt=0.1 * b2.ms, origin="file", duplicates="keep")
    assert abs(float(file_clock.times[0] / b2.second) - events.times[0]) < 1e-12


def test_round_trip_through_a_network_and_aedat(b2, tmp_path):
    """Shipped AER sample -> SpikeGeneratorGroup -> relay neurons -> SpikeMonitor -> AEDAT -> load."""
    events = neurofiles.load(SAMPLE)
    spikes = spike_input(events, dt=0.1 * b2.ms, index="compact", duplicates="shift")
    assert len(spikes.indices) == len(events)  # shift loses nothing

    b2.start_scope()
    source = spikes.group(name="retina")
    relay = b2.NeuronGroup(
        spikes.N,
        "dv/dt = -v / (20*ms) : 1",
        threshold="v > 0.5",
        reset="v -= 1",
        method="exact",
        dt=spikes.dt,
    )
    synapses = b2.Synapses(source, relay, on_pre="v += 1", delay=1 * b2.ms, dt=spikes.dt)
    synapses.connect(j="i")
    monitor = b2.SpikeMonitor(relay)
    b2.run(float(spikes.times[-1] / b2.second) * b2.second + 5 * b2.ms)

    # every input spike makes exactly one relay spike, of the same neuron, a fixed delay later
    assert monitor.num_spikes == len(spikes.indices)
    for neuron in np.unique(spikes.indices)[:: max(1, spikes.N // 200)]:
        t_in = np.sort(np.asarray(spikes.times / b2.ms)[spikes.indices == neuron])
        t_out = np.sort(np.asarray(monitor.t / b2.ms)[np.asarray(monitor.i) == neuron])
        delay = t_out - t_in
        assert np.all(delay >= 1.0 - 1e-9) and np.all(delay <= 1.0 + 0.35), (neuron, delay)

    path = tmp_path / "relay.aedat"
    written = save_monitor(path, monitor, addresses=spikes.addresses, t_offset=spikes.t_offset)
    back = neurofiles.load(path)
    assert neurofiles.detect(path).format == "aedat" and back.metadata["version"] == "2.0"
    assert len(back) == monitor.num_spikes
    np.testing.assert_array_equal(back.addresses, written.addresses)
    np.testing.assert_array_equal(back.timestamps, written.timestamps)
    # the relay spikes carry the input addresses on the file's own clock, shifted by the delay
    assert sorted(back.addresses.tolist()) == sorted(events.addresses.tolist())
    assert 1e-3 <= back.times[0] - events.times[0] <= 1.5e-3
    np.testing.assert_allclose(
        np.sort(back.times), np.sort(spikes.times / b2.second + spikes.t_offset), atol=1.5e-3
    )
    # and the AER file decodes as the DVS128 camera the input came from
    assert len(back.decode("dvs128")) == len(back)


def test_spike_generator_group_and_monitor_without_mapping(b2):
    b2.start_scope()
    group = spike_generator_group(toy_events(), dt=0.1 * b2.ms, name="toy")
    assert group.name == "toy" and group.N == 7
    monitor = b2.SpikeMonitor(group)
    b2.run(3 * b2.ms)
    events = events_from_monitor(monitor, tick=1e-5)
    assert events.tick == 1e-5 and events.addresses.tolist() == [5, 6, 5, 2]
    assert events.timestamps.tolist() == [0, 10, 20, 200]  # Brian2 spikes sit on the 0.1 ms grid
