"""Example: feed a DVS recording into a Brian2 network and save its output spikes as AEDAT.

Needs pip install "neurofiles[brian2]". Run: python tests/examples/brian2_retina.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import brian2 as b2
import neurofiles
import numpy as np
from neurofiles.brian2 import save_monitor, spike_input

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main(out: Path) -> None:
    b2.prefs.codegen.target = "numpy"
    events = neurofiles.load(SAMPLES / "dvs128_small.aedat").decode("dvs128")
    # one input neuron per pixel; two events of a pixel in one 0.1 ms step are merged into one
    spikes = spike_input(events, dt=0.1 * b2.ms, index="pixel", duplicates="drop")
    print(spikes)
    retina = spikes.group()
    # 8x8 pooling: each of 16x16 output neurons sums a block of pixels and fires after 3 inputs
    pool = b2.NeuronGroup(
        256, "dv/dt = -v / (5*ms) : 1", threshold="v > 2.5", reset="v = 0", method="exact", dt=spikes.dt
    )
    synapses = b2.Synapses(retina, pool, on_pre="v += 1", dt=spikes.dt)
    pixel = np.arange(128 * 128)
    synapses.connect(i=pixel, j=(pixel // 128 // 8) * 16 + (pixel % 128) // 8)
    monitor = b2.SpikeMonitor(pool)
    b2.run(float(spikes.times[-1] / b2.second) * b2.second + 1 * b2.ms)
    print(f"{len(spikes.indices)} input spikes -> {monitor.num_spikes} pooled spikes")
    written = save_monitor(out / "pooled.aedat", monitor, t_offset=spikes.t_offset)
    back = neurofiles.load(out / "pooled.aedat")
    assert len(back) == len(written) == monitor.num_spikes
    print(f"saved and reloaded {out / 'pooled.aedat'}: {back}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
