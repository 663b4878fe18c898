"""Speed of the tabular writers and the npz reader, as ratios against plain numpy/pyarrow in the same run.

Run: python benchmarks/bench_tabular.py [--events 2000000] [--rounds 3]

Baselines (what a user would write by hand):
* csv write (times, timestamps, addresses) vs ``numpy.savetxt(fmt="%.17g")`` of the same columns (round-trip exact too);
* npz write  vs ``numpy.savez_compressed`` of the bare arrays (timestamps, addresses);
* npz read   vs ``numpy.load`` of that bare archive (all arrays materialised);
* parquet write vs ``pyarrow.parquet.write_table`` of a table built from the arrays (if pyarrow is installed).
Best of ``--rounds`` interleaved rounds; files under /tmp.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import neurofiles
import numpy as np


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.events
    events = neurofiles.Events(
        np.cumsum(rng.integers(0, 5, n)), addresses=rng.integers(0, 1 << 15, n).astype(np.uint32)
    )
    cols = {"times": events.times, "timestamps": events.timestamps, "addresses": events.addresses}
    raw = {
        "timestamps": events.timestamps,
        "addresses": events.addresses,
    }  # what npz stores (times are derived)
    folder = Path(tempfile.mkdtemp(prefix="bench_tabular_"))
    pairs = {
        "csv write": (
            lambda: neurofiles.save(folder / "a.csv", events),
            lambda: np.savetxt(
                folder / "b.csv", np.column_stack(list(cols.values())), fmt="%.17g", delimiter=","
            ),
        ),
        "npz write": (
            lambda: neurofiles.save(folder / "a.npz", events),
            lambda: np.savez_compressed(folder / "b.npz", **raw),
        ),
    }
    for fn in (pairs["npz write"][0], pairs["npz write"][1]):
        fn()
    pairs["npz read"] = (
        lambda: neurofiles.load(folder / "a.npz"),
        lambda: {k: v for k, v in np.load(folder / "b.npz").items()},
    )
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pairs["parquet write"] = (
            lambda: neurofiles.save(folder / "a.parquet", events),
            lambda: pq.write_table(pa.table(cols), folder / "b.parquet", compression="zstd"),
        )
    except ImportError:
        print("parquet: pyarrow not installed, skipped")
    print(
        f"{n} events (times, timestamps, addresses); best of {args.rounds}; load average {os.getloadavg()[0]:.2f}"
    )
    for name, (ours, baseline) in pairs.items():
        t_ours, t_base = best(ours, args.rounds), best(baseline, args.rounds)
        print(
            f"{name:<14} neurofiles {t_ours:7.3f} s   baseline {t_base:7.3f} s   ratio {t_ours / t_base:5.2f}"
        )
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
