"""Example: open an AER recording, decode the camera's pixels, cut a time window, save and plot it.

Run: python tests/examples/events_quicklook.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import neurofiles

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main(out: Path) -> None:
    events = neurofiles.load(SAMPLES / "dvs128_small.aedat")  # raw addresses + timestamps
    print("loaded:", events)
    pixels = events.decode("dvs128")  # x, y, polarity (jAER convention)
    first = pixels.window(t_start=events.times[0], t_stop=events.times[0] + 0.1)
    on = int(first.polarity.sum())
    print(f"first 100 ms: {len(first)} events, {on} ON, {len(first) - on} OFF")
    neurofiles.save(out / "first_100ms.npz", first)  # lossless, metadata included
    neurofiles.save(out / "first_100ms.csv", first)  # for spreadsheets
    neurofiles.save(out / "first_100ms.aedat", first)  # back to AEDAT 2.0 (re-encoded addresses)
    again = neurofiles.load(out / "first_100ms.aedat")
    assert (again.addresses == first.addresses).all()
    try:
        figure = neurofiles.plot(pixels, title="rotating bar")
    except neurofiles.MissingDependencyError as exc:
        print("no plot:", exc)
    else:
        figure.savefig(out / "events.png")
        print("plot:", out / "events.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
