"""Example: read an Axon Text File, walk its sweeps and channels, export one channel.

Run: python tests/examples/traces_sweeps.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import neurofiles

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main(out: Path) -> None:
    traces = neurofiles.load(SAMPLES / "clampfit_two_channels.atf")
    print(traces)
    for i in range(traces.sweep_count):
        sweep = traces.sweep(i)
        peaks = ", ".join(
            f"{name} max {sweep[name].max():.3g} {unit}" for name, unit in zip(sweep.columns, sweep.units)
        )
        print(f"sweep {i}: {peaks}")
    voltage = traces.channel(traces.channel_names[0])  # one column per sweep
    neurofiles.save(out / "voltage.csv", voltage)
    back = neurofiles.load(out / "voltage.csv")
    assert (back.values == voltage.values).all() and back.units == voltage.units
    print(f"wrote {out / 'voltage.csv'}: {back.shape[0]} rows x {back.shape[1]} sweeps in {back.units[0]}")
    t, v = neurofiles.read_atf(SAMPLES / "clampfit_two_channels.atf")  # Brian 1 style
    print(f"read_atf: {len(t)} times, values {v.shape}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
