"""AEDAT 2.0 read benchmark: neurofiles against numpy and Brian-style baselines, in one process.

The methods are timed in interleaved rounds (each round runs every method once) and the
best of the rounds is kept, so that all of them see the same load on a shared machine.
Generates (once) a synthetic AEDAT 2.0 file under ``benchmarks/data/`` as described in
the project notes (DAVIS346 layout, seed 42, sorted timestamps), then prints best-of-3
times and the ratios:

(a) whole-file load (native addresses + int64 timestamps) vs ``np.memmap`` + ``astype``;
(b) the same load (and ``load_aer``) vs the Brian-style read (all bytes, frombuffer, byteswap, *1e-6);
(c) a time-window read of 1 % of the events vs the whole-file load;
(d) peak traced memory of the whole-file load vs the size of the output arrays.

Usage: ``python benchmarks/bench_aer.py [--events N] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from pathlib import Path

import neurofiles
import numpy as np

DATA = Path(__file__).resolve().parent / "data"
HEADER = (
    b"#!AER-DAT2.0\r\n"
    b"# This is a raw AE data file - do not edit\r\n"
    b"# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n"
    b"# Timestamps tick is 1 us\r\n"
    b"# created by neurofiles benchmarks/bench_aer.py\r\n"
    b"#End Of ASCII Header\r\n"
)
RECORD = np.dtype([("addr", ">u4"), ("ts", ">i4")])


def generate(path: Path, n: int) -> None:
    """Write ``n`` random DAVIS346 DVS events with sorted timestamps (chunks of 5 M)."""
    rng = np.random.default_rng(42)
    tmp = path.with_suffix(".tmp")
    last = 0
    with open(tmp, "wb") as out:
        out.write(HEADER)
        for first in range(0, n, 5_000_000):
            m = min(5_000_000, n - first)
            x = rng.integers(0, 346, m, dtype=np.uint32)
            y = rng.integers(0, 260, m, dtype=np.uint32)
            p = rng.integers(0, 2, m, dtype=np.uint32)
            rec = np.empty(m, dtype=RECORD)
            rec["addr"] = (y << 22) | (x << 12) | (p << 11)
            ts = np.cumsum(rng.integers(0, 40, m, dtype=np.int64)) + last
            last = int(ts[-1])
            rec["ts"] = ts
            out.write(rec.tobytes())
    tmp.replace(path)


def interleaved(functions: dict, repeat: int) -> dict:
    """Best time of each function over ``repeat`` rounds; each round runs every function once,
    so that all of them see the same machine load (the machine is shared)."""
    times: dict = {name: [] for name in functions}
    for _ in range(repeat):
        for name, fn in functions.items():
            gc.collect()
            t = time.perf_counter()
            result = fn()
            times[name].append(time.perf_counter() - t)
            if name == "window":
                times.setdefault("_window_len", len(result))
            del result
    return {name: min(v) if name != "_window_len" else v for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"bench{args.events}.aedat"
    if not path.exists() or path.stat().st_size != len(HEADER) + 8 * args.events:
        t = time.perf_counter()
        generate(path, args.events)
        print(f"generated {path} in {time.perf_counter() - t:.1f} s")
    offset = len(HEADER)
    with open(path, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass

    def numpy_baseline():
        d = np.memmap(path, dtype=RECORD, mode="r", offset=offset)
        return d["addr"].astype(np.uint32), d["ts"].astype(np.int32)

    def brian_style():
        with open(path, "rb") as f:
            raw = f.read()[offset:]
        x = np.frombuffer(raw, dtype=">i4")
        return x[::2].astype(np.int32), x[1::2] * 1e-6

    def ours():
        ev = neurofiles.load(path)
        return ev.addresses, ev.timestamps

    def ours_load_aer():
        return neurofiles.load_aer(path)

    n = args.events
    t0, t1 = 0.495 * n * 19.5e-6, 0.505 * n * 19.5e-6  # ~1 % of the events around the middle

    def window():
        return neurofiles.load(path, t_start=t0, t_stop=t1)

    best = interleaved({"numpy": numpy_baseline, "brian": brian_style, "ours": ours,
                        "load_aer": ours_load_aer, "window": window}, args.repeat)
    t_np, t_brian, t_ours, t_aer, t_win = (best[k] for k in ("numpy", "brian", "ours", "load_aer", "window"))
    frac = best["_window_len"] / n
    gc.collect()

    tracemalloc.start()
    ev = neurofiles.load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out_bytes = ev.addresses.nbytes + ev.timestamps.nbytes
    assert len(ev) == n
    del ev

    print(f"events: {n:,}  file: {path.stat().st_size / 1e6:.1f} MB")
    print(f"numpy memmap+astype baseline : {t_np:.3f} s")
    print(f"brian-style baseline         : {t_brian:.3f} s")
    print(f"neurofiles.load (addr+ts)    : {t_ours:.3f} s")
    print(f"neurofiles.load_aer          : {t_aer:.3f} s")
    print(f"neurofiles.load 1% window    : {t_win:.4f} s  ({frac * 100:.2f} % of events)")
    print(f"(a) load / numpy baseline           = {t_ours / t_np:.2f}x   (target <= 1.4)")
    print(f"(b) brian-style / load               = {t_brian / t_ours:.2f}x   (target >= 3)")
    print(f"    brian-style / load_aer           = {t_brian / t_aer:.2f}x")
    print(f"(c) whole load / 1% window           = {t_ours / t_win:.1f}x   (target >= 20)")
    print(f"(d) peak traced memory / output size = {peak / out_bytes:.3f}x  "
          f"(peak {peak / 1e6:.1f} MB, output {out_bytes / 1e6:.1f} MB; target <= 1.2)")


if __name__ == "__main__":
    main()
