"""Write the small sample files in tests/samples/ with our own writers.

Run from the repository root: ``python tests/text/make_samples.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import neurofiles
from neurofiles import Traces

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _spike_train(t: np.ndarray) -> np.ndarray:
    """A smooth membrane-potential-like trace: rest at -65 mV with two spikes."""
    v = -65.0 + 2.0 * (1 - np.exp(-t / 2.0))
    for t0 in (2.0, 6.5):
        v += 95.0 * np.exp(-(((t - t0) / 0.25) ** 2))
    return v


def main() -> None:
    SAMPLES.mkdir(exist_ok=True)
    t = np.arange(401) * 0.025 * 1.0  # 0..10 ms, dt 0.025 ms: NEURON's usual grid
    v = _spike_train(t)
    clip = Traces(t, v.reshape(-1, 1), ["soma.v(0.5)"], ["mV"], time_name="t", time_unit="ms")
    neurofiles.save(SAMPLES / "neuron_clipboard.dat", clip, format="neuron-dat", digits=6)  # NEURON's %g
    ts = np.arange(500) * 1e-4  # 10 kHz, 50 ms per sweep
    cols = []
    for sweep in range(2):
        cols.append(_spike_train(ts * 1000 / 5) + sweep)  # IN 0, mV
        cols.append(np.where((ts > 0.01) & (ts < 0.03), 0.1 * (sweep + 1), 0.0))  # IN 1, nA
    atf = Traces(
        ts,
        np.column_stack(cols),
        ["Trace #1", "Trace #1", "Trace #2", "Trace #2"],
        ["mV", "nA", "mV", "nA"],
        time_name="Time",
        time_unit="s",
        layout=np.array([[0, 1], [2, 3]]),
        channel_names=["IN 0", "IN 1"],
        sweep_starts=np.array([0.0, 0.1]),
    )
    neurofiles.save(SAMPLES / "clampfit_two_channels.atf", atf, format="axon-atf", digits=12)


if __name__ == "__main__":
    main()
