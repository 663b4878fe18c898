"""Benchmark: read every sweep of every channel of the 14 real ABF files, against pyabf and neo.

Run: ``NEUROFILES_TESTDATA=/path/to/testdata python benchmarks/bench_abf.py``. Every method runs in
this one process, best of ``--rounds`` interleaved rounds over all 14 files, with a warm page cache:

* ``ours (load)``: ``neurofiles.load(path)`` then ``traces.sweep(s).values[:, c]`` for every sweep
  and channel (event-driven variable-length files: ``reader.read_sweep(s, c)``);
* ``ours (lazy)``: ``AbfReader`` and ``read_sweep(s, c)``, one positioned read per sweep and channel;
* ``pyabf``: ``pyabf.ABF(path)`` then ``setSweep(s, c)`` and ``sweepY`` for every sweep and channel;
* ``neo``: ``neo.io.AxonIO(path).read_block()`` (all segments and signals loaded), if neo installs.

Printed: the seconds of each method and the ratio ``pyabf / ours`` (target >= 5) and ``neo / ours``.

``--gapfree DIR`` then builds a 1 GiB gap-free ABF 2 file in DIR by concatenating data blocks: the
header and sections of ``16d22006_kim_gapfree.abf`` (everything before its data block, which is the
last section), then its 1.93 MB data block repeated until the file passes ``--gapfree-size`` bytes, with
the data section's entry count patched. It measures, through the public API, with the bytes the process
read (``rchar`` of ``/proc/self/io``): ``neurofiles.detect`` (the reader opened: header only), a 1 s
window of every channel in its middle (``neurofiles.load(path, t_start=, t_stop=)``: just its bytes),
the first 1 s chunk of ``neurofiles.iter_chunks(path, samples=rate)``, and a sequential scan of the
whole file for scale. The file is deleted.
"""

from __future__ import annotations

import argparse
import gc
import os
import struct
import tempfile
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


#: ABF 2 section map entry of the data block: uBlockIndex u32, uBytes u32, llNumEntries i64.
_DATA_SECTION = 236


def build_gapfree(source: Path, dest: Path, size: int) -> int:
    """Write a gap-free ABF 2 file of at least ``size`` bytes from ``source``'s header and data block."""
    blob = source.read_bytes()
    block, item, count = struct.unpack_from("<IIq", blob, _DATA_SECTION)
    start, length = block * 512, item * count
    if start + length > len(blob) or any(
        struct.unpack_from("<I", blob, off)[0] * 512 > start for off in range(76, 76 + 18 * 16, 16)
    ):
        raise SystemExit(f"{source.name}: the data block is not the last section")
    data = blob[start : start + length]
    repeats = max(1, -(-(size - start) // length))
    head = bytearray(blob[:start])
    struct.pack_into("<q", head, _DATA_SECTION + 8, count * repeats)
    with open(dest, "wb") as out:
        out.write(head)
        for _ in range(repeats):
            out.write(data)
    return start + length * repeats


def _rchar() -> int | None:
    """Bytes this process has read through read()/pread() so far (Linux), or None."""
    try:
        with open("/proc/self/io", "rb") as f:
            for line in f.read().splitlines():
                if line.startswith(b"rchar:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _measure(fn: Callable[[], object]) -> tuple[float, int | None]:
    """(seconds, bytes read) of ``fn()``, less what reading /proc/self/io itself costs."""
    a = _rchar()
    b = _rchar()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    c = _rchar()
    if a is None or b is None or c is None:
        return seconds, None
    return seconds, max(0, (c - b) - (b - a))


def bench_gapfree(folder: str, size: int) -> None:
    source = next(p for p in _files() if p.name == "16d22006_kim_gapfree.abf")
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "gapfree_1GiB.abf"
        t0 = time.perf_counter()
        total = build_gapfree(source, path, size)
        print(f"built {total / 2**30:.2f} GiB gap-free file in {time.perf_counter() - t0:.1f} s")
        neurofiles.detect(source)  # imports and plugin registry, not counted
        open_s, open_b = _measure(lambda: neurofiles.detect(path))
        with AbfReader(Source(path)) as reader:
            rate = int(round(reader.head.rate))
            nch = reader.head.nch
            samples = reader.head.data_count // nch
            item = reader.head.dtype.itemsize
        middle = samples // 2
        t_mid = middle / rate
        holder: dict[str, neurofiles.Traces] = {}

        def window() -> None:
            holder["w"] = neurofiles.load(path, t_start=t_mid, t_stop=t_mid + 1.0)

        slice_s, slice_b = _measure(window)
        one = holder["w"]
        payload = rate * nch * item
        assert one.shape == (rate, nch), one.shape
        with AbfReader(Source(source)) as small:  # the data repeat the source's block
            per = small.head.data_count // nch
            if middle % per + rate <= per:
                assert (one.values == small.read_range(middle % per, middle % per + rate)).all()
        chunks = neurofiles.iter_chunks(path, samples=rate)
        chunk_s, chunk_b = _measure(lambda: next(chunks))
        chunks.close()

        def scan() -> None:
            with open(path, "rb", buffering=0) as f:
                buf = bytearray(16 << 20)
                while f.readinto(buf):
                    pass

        scan(), scan()  # warm the page cache for a fair comparison
        scan_s, scan_b = _measure(scan)
        print(f"samples per channel {samples:,}, {nch} channels, {rate} Hz")
        print(f"neurofiles.detect (header only)        {open_s * 1e3:8.2f} ms  read {open_b} bytes" + (
            f" = 1/{total / open_b:,.0f} of the file" if open_b else ""))
        print(f"load(t_start=mid, t_stop=mid + 1 s)    {slice_s * 1e3:8.2f} ms  read {slice_b} bytes for"
              f" {payload} bytes of samples" + (f", 1/{total / slice_b:,.0f} of the file" if slice_b else ""))
        print(f"first iter_chunks(samples=rate) chunk  {chunk_s * 1e3:8.2f} ms  read {chunk_b} bytes")
        print(f"full scan (raw, for scale)             {scan_s * 1e3:8.1f} ms  read {scan_b} bytes")
        print(f"scan / detect: {scan_s / open_s:,.0f}x   scan / 1 s window: {scan_s / slice_s:,.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gapfree", metavar="DIR", help="also run the 1 GiB gap-free lazy-load benchmark in DIR")
    parser.add_argument("--gapfree-size", type=int, default=2**30)
    parser.add_argument("--gapfree-only", action="store_true", help="skip the 14-file comparison")
    args = parser.parse_args()
    if args.gapfree:
        bench_gapfree(args.gapfree, args.gapfree_size)
        if args.gapfree_only:
            return
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
