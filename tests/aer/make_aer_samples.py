"""Regenerate the small AER samples in tests/samples/ with neurofiles' own AEDAT 2.0 writer.

``dvs128_small.aedat``: 8000 synthetic DVS128 events (a bar rotating once around the
sensor centre over 0.4 s; ON events on the leading edge, OFF on the trailing edge),
jAER address layout, 1 us ticks. ``dvs128_small.aeidx`` lists it.
Run: ``python tests/aer/make_aer_samples.py``.
"""

from __future__ import annotations

from pathlib import Path

import neurofiles
import numpy as np
from neurofiles import Events
from neurofiles._results.aer_decode import encode_addresses

HERE = Path(__file__).resolve().parents[1] / "samples"


def rotating_bar(n: int = 8000, seed: int = 2024) -> Events:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(0, 400_000, n)) + 1_000_000
    angle = 2 * np.pi * (ts - ts[0]) / 400_000
    radius = rng.uniform(-60, 60, n)
    edge = rng.integers(0, 2, n).astype(bool)  # leading edge = ON
    offset = np.where(edge, 1.5, -1.5)
    x = np.clip(np.round(63.5 + radius * np.cos(angle) - offset * np.sin(angle)), 0, 127).astype(int)
    y = np.clip(np.round(63.5 + radius * np.sin(angle) + offset * np.cos(angle)), 0, 127).astype(int)
    addresses = encode_addresses(x, y, edge, "dvs128")
    return Events(ts, addresses=addresses, metadata={"chip": "ch.unizh.ini.jaer.chip.retina.DVS128"})


def main() -> None:
    neurofiles.save(HERE / "dvs128_small.aedat", rotating_bar(), creation_time=1_700_000_000,
                    header_lines=["Synthetic rotating bar written by tests/aer/make_aer_samples.py"])
    neurofiles.save(HERE / "dvs128_small.aeidx", ["dvs128_small.aedat"])


if __name__ == "__main__":
    main()
