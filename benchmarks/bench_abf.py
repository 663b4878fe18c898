"""Benchmark: read every sweep of every channel of the 14 real ABF files, against pyabf and neo.

Run: ``NEUROFILES_TESTDATA=/path/to/testdata python benchmarks/bench_abf.py``. Every method runs in
this one process, best of ``--rounds`` interleaved rounds over all 14 files, with a warm page cache:

* ``ours (load)``: ``neurofiles.load(path)`` then ``traces.sweep(s).values[:, c]`` for every sweep
  and channel (event-driven variable-length files: ``reader.read_sweep(s, c)``);
* ``ours (lazy)``: ``AbfReader`` and ``read_sweep(s, c)``, one positioned read per sweep and channel;
* ``pyabf``: ``pyabf.ABF(path)`` then ``setSweep(s, c)`` and ``sweepY`` for every sweep and channel;
* ``neo``: ``neo.io.AxonIO(path).read_block()`` (all segments and signals loaded), if neo installs.

Printed: the seconds of each method and the ratio ``pyabf / ours`` (target >= 5) and ``neo / ours``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import warnings
from pathlib import Path
from typing import Callable

import neurofiles
from neurofiles.plugin import Source
from neurofiles.plugins.abf._reader import AbfReader


def _files() -> list[Path]:
    root = Path(
        os.environ.get("NEUROFILES_TESTDATA", Path(__file__).resolve().parents[2] / "shared" / "testdata")
    )
    files = sorted((root / "abf").glob("*.abf"))
    if len(files) != 14:
        raise SystemExit(f"expected the 14 ABF samples under {root / 'abf'}, found {len(files)}")
    return files


def ours_load(paths: list[Path]) -> float:
    total = 0.0
    for path in paths:
        traces = neurofiles.load(path)
        if "segments" in traces.metadata:
            with AbfReader(Source(path)) as reader:
                for s in range(reader.sweep_count):
                    for c in range(reader.head.nch):
                        total += float(reader.read_sweep(s, c)[-1])
            continue
        for s in range(traces.sweep_count):
            sweep = traces.sweep(s)
            for c in range(traces.channel_count):
                total += float(sweep.values[-1, c])
    return total


def ours_lazy(paths: list[Path]) -> float:
    total = 0.0
    for path in paths:
        with AbfReader(Source(path)) as reader:
            for s in range(reader.sweep_count):
                for c in range(reader.head.nch):
                    total += float(reader.read_sweep(s, c)[-1])
    return total


def pyabf_all(paths: list[Path]) -> float:
    import pyabf

    total = 0.0
    for path in paths:
        abf = pyabf.ABF(str(path))
        for s in abf.sweepList:
            for c in abf.channelList:
                abf.setSweep(s, c)
                total += float(abf.sweepY[-1])
    return total


def neo_all(paths: list[Path]) -> float:
    from neo.io import AxonIO

    total = 0.0
    for path in paths:
        block = AxonIO(filename=str(path)).read_block()
        for segment in block.segments:
            for signal in segment.analogsignals:
                total += float(signal.magnitude[-1, -1])
    return total


def _time(fn: Callable[[list[Path]], float], paths: list[Path]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(paths)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    paths = _files()
    methods: dict[str, Callable[[list[Path]], float]] = {"ours (load)": ours_load, "ours (lazy)": ours_lazy}
    try:
        import pyabf  # noqa: F401

        methods["pyabf"] = pyabf_all
    except ImportError:
        print("pyabf is not installed: pip install pyabf")
    try:
        from neo.io import AxonIO  # noqa: F401

        methods["neo"] = neo_all
    except ImportError:
        print("neo is not installed: pip install neo")
    best = {name: float("inf") for name in methods}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyabf warns about the stimulus file it cannot find
        for name, fn in methods.items():  # warm the page cache and imports
            fn(paths)
        for _ in range(args.rounds):
            for name, fn in methods.items():
                best[name] = min(best[name], _time(fn, paths))
    for name, seconds in best.items():
        print(f"{name:12s} {seconds * 1e3:9.1f} ms")
    for other in ("pyabf", "neo"):
        if other in best:
            for ours in ("ours (load)", "ours (lazy)"):
                print(f"{other} / {ours}: {best[other] / best[ours]:.1f}x")


if __name__ == "__main__":
    main()
