"""Benchmark: NEURON .dat and ATF parsing against np.loadtxt (Brian 1), pyabf and pyarrow.

Run: ``python benchmarks/bench_text.py`` (generates the files under
benchmarks/data/ on first use). Every method runs in this one process, best
of 5 interleaved rounds with a warm page cache and settled memory (``settle``);
the script prints the times and the ratios the issue asks for:

* numpy only (``engine="numpy"``, what an install without the C tokenizer
  uses): ``loadtxt / ours`` >= 1, ``pyabf / ours`` >= 3;
* fast path, used automatically (the C tokenizer built with neurofiles):
  ``loadtxt / ours`` >= 8, ``ours / the engine called directly`` <= 1.25;
* the pyarrow engine (extra ``neurofiles[fast]``, ``engine="pyarrow"``):
  ``loadtxt / ours`` and ``ours / pyarrow.csv called directly``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import neurofiles

DATA = Path(__file__).resolve().parent / "data"
DAT = DATA / "big_neuron.dat"
ATF = DATA / "big.atf"
DAT_ROWS = 5_000_000
ATF_ROWS = 2_000_000
ATF_HEADER_LINES = 11


def _write_rows(handle: Any, fmt: str, columns: list[np.ndarray], eol: str, chunk: int = 200_000) -> None:
    line = fmt + eol
    for start in range(0, len(columns[0]), chunk):
        block = zip(*(c[start : start + chunk].tolist() for c in columns))
        handle.write("".join(line % row for row in block).encode())


def make_files() -> None:
    """Generate the two benchmark files if they are missing."""
    DATA.mkdir(parents=True, exist_ok=True)
    if not DAT.exists():
        t = np.arange(DAT_ROWS) * 0.025
        v = -65.0 + 20.0 * np.sin(t / 7.0) * np.exp(-((t % 50.0) / 20.0))
        with open(DAT, "wb") as f:
            f.write(f"label:soma.v(0.5)\n{DAT_ROWS}\n".encode())
            _write_rows(f, "%g\t%g", [t, v], "\n")  # NEURON's clipboard_save format
    if not ATF.exists():
        t = np.arange(ATF_ROWS) * 5e-5
        a = -10.0 + 3.0 * np.sin(t * 40.0)
        b = -1.03 + 0.01 * np.cos(t * 13.0)
        header = [
            "ATF\t1.0",
            "8\t3     ",
            '"AcquisitionMode=Gap Free"',
            '"Comment="',
            '"YTop=4000,10"',
            '"YBottom=-4000,-10"',
            '"SyncTimeUnits=6.25"',
            '"SweepStartTimesMS=0.000"',
            '"SignalsExported=IN 0,IN 1"',
            '"Signals="\t"IN 0"\t"IN 1"',
            '"Time (s)"\t"Trace #1 (pA)"\t"Trace #1 (A)"',
        ]
        with open(ATF, "wb") as f:
            f.write(("\r\n".join(header) + "\r\n").encode())
            _write_rows(f, "%.12g\t%.6g\t%.6g", [t, a, b], "\r\n")  # Clampfit: 12 digits for time, CRLF


def settle() -> None:
    """Put every method in the same state before it is timed: memory touched and CPUs awake.

    On these shared VMs whichever method followed np.loadtxt ran up to 1.6x
    slower than the next one (with ``transparent_hugepage/defrag=madvise`` its
    first large allocation waits for the kernel to compact memory), so the
    order of methods decided the ratios. Allocating and touching 128 MB on
    every CPU before every timed call, whatever the method, takes that out.
    """
    def touch() -> None:
        np.ones(1 << 23)

    threads = [threading.Thread(target=touch) for _ in range(os.cpu_count() or 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def interleaved(methods: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Best wall time of each method over ``repeat`` rounds, the methods interleaved.

    Interleaving (A B C, A B C, ...) spreads the load of other processes on
    this shared machine over every method instead of penalising one of them.
    """
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeat):
        for name, fn in methods.items():
            settle()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(ts) for name, ts in times.items()}


def brian_loadtxt(path: Path, skip: int) -> np.ndarray:
    """Brian 1's method: skip the header lines of a text-mode file, np.loadtxt the rest."""
    with open(path, encoding="latin-1") as f:
        for _ in range(skip):
            f.readline()
        return np.loadtxt(f)


def pyarrow_direct(path: Path, skip: int) -> np.ndarray:
    """pyarrow.csv on the same file, no wrapper: the engine's own speed."""
    import pyarrow.csv as pc

    table = pc.read_csv(
        path,
        read_options=pc.ReadOptions(skip_rows=skip, autogenerate_column_names=True),
        parse_options=pc.ParseOptions(delimiter="\t"),
    )
    return np.column_stack([c.to_numpy() for c in table.columns])


def native_direct(path: Path, skip: int, ncols: int) -> np.ndarray | None:
    """The C tokenizer through its thread driver on the same bytes, no reader around it."""
    from neurofiles.plugin._text_native import parse_native

    with open(path, "rb") as f:
        start = 0
        for _ in range(skip):
            start += len(f.readline())
        end = os.fstat(f.fileno()).st_size
        return parse_native(f.fileno(), start, end, ncols=ncols, sep="\t", comments=None, path=str(path))


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def run(repeat: int) -> None:
    make_files()
    from neurofiles.plugin._text_native import native_available

    for label, path, skip, ncols in (
        ("neuron .dat 5M x 2", DAT, 2, 2),
        ("ATF 2M x 3", ATF, ATF_HEADER_LINES, 3),
    ):
        mb = path.stat().st_size / 1e6
        # correctness first (outside the timings): every path returns Brian's numbers
        ref = brian_loadtxt(path, skip)
        assert np.array_equal(neurofiles.load(path, engine="numpy").to_array(), ref), "numpy path differs"
        methods: dict[str, Callable[[], Any]] = {
            "raw read": path.read_bytes,
            "np.loadtxt (Brian)": lambda: brian_loadtxt(path, skip),
            # the result object, complete (times + 2-D values); no extra copy to one array
            "neurofiles numpy-only": lambda: neurofiles.load(path, engine="numpy"),
        }
        if native_available():
            auto = neurofiles.load(path)
            assert auto.metadata["engine"] == "native" and np.array_equal(auto.to_array(), ref)
            assert np.array_equal(native_direct(path, skip, ncols), ref)
            methods["neurofiles auto (native)"] = lambda: neurofiles.load(path)
            methods["native direct"] = lambda: native_direct(path, skip, ncols)
        if _has("pyarrow"):
            assert np.array_equal(neurofiles.load(path, engine="pyarrow").to_array(), ref), "pyarrow differs"
            assert np.array_equal(pyarrow_direct(path, skip), ref)
            methods["pyarrow.csv direct"] = lambda: pyarrow_direct(path, skip)
            methods["neurofiles engine=pyarrow"] = lambda: neurofiles.load(path, engine="pyarrow")
        if path is ATF and _has("pyabf"):
            import pyabf

            methods["pyabf.ATF (float32)"] = lambda: pyabf.ATF(str(path)).data
        row = interleaved(methods, repeat)
        print(f"\n{label}: {path.name}, {mb:.1f} MB, best of {repeat} interleaved rounds")
        for name, seconds in row.items():
            print(f"  {name:28s} {seconds:8.3f} s  {mb / seconds:8.1f} MB/s")
        base = row["np.loadtxt (Brian)"]
        print(
            f"  ratio loadtxt / numpy-only          = {base / row['neurofiles numpy-only']:.2f}x  (need >= 1)"
        )
        if "neurofiles auto (native)" in row:
            fast_t = row["neurofiles auto (native)"]
            print(f"  ratio loadtxt / auto (native)       = {base / fast_t:.2f}x  (need >= 8)")
            print(f"  ratio auto / native direct          = {fast_t / row['native direct']:.2f}x  (need <= 1.25)")
        if "neurofiles engine=pyarrow" in row:
            arrow_t = row["neurofiles engine=pyarrow"]
            print(f"  ratio loadtxt / engine=pyarrow      = {base / arrow_t:.2f}x")
            direct = row["pyarrow.csv direct"]
            print(f"  ratio engine=pyarrow / pyarrow.csv  = {arrow_t / direct:.2f}x  (need <= 1.25)")
        if "pyabf.ATF (float32)" in row:
            ratio = row["pyabf.ATF (float32)"] / row["neurofiles numpy-only"]
            print(f"  ratio pyabf / numpy-only            = {ratio:.2f}x  (need >= 3)")
    print(f"\ncpu count {os.cpu_count()}, load average {os.getloadavg()}, numpy {np.__version__}")


def explore_numpy(repeat: int) -> None:
    """The numpy-only alternatives tried for the stretch goal (2x np.loadtxt), on the .dat data block."""
    make_files()
    body = DAT.read_bytes().split(b"\n", 2)[2]

    def split_float() -> np.ndarray:
        return np.array(body.split(), dtype=np.float64).reshape(-1, 2)

    def map_float() -> np.ndarray:
        return np.fromiter(map(float, body.split()), np.float64).reshape(-1, 2)

    def fromstring() -> np.ndarray:
        return np.fromstring(body, sep=" ").reshape(-1, 2)

    def bytes_astype() -> np.ndarray:
        return np.array(body.split()).astype(np.float64).reshape(-1, 2)

    methods = {
        "np.loadtxt (Brian)": lambda: brian_loadtxt(DAT, 2),
        "np.array(split, float64)": split_float,
        "np.fromiter(map(float, split))": map_float,
        "np.fromstring(sep=' ')": fromstring,
        "bytes array .astype(float64)": bytes_astype,
    }
    row = interleaved(methods, repeat)
    base = row["np.loadtxt (Brian)"]
    print(f"\nnumpy-only alternatives on {DAT.name} (best of {repeat} interleaved rounds)")
    for name, seconds in row.items():
        print(f"  {name:32s} {seconds:8.3f} s  loadtxt/this = {base / seconds:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--explore", action="store_true", help="also time numpy-only alternatives (stretch goal)"
    )
    args = parser.parse_args()
    run(args.repeat)
    if args.explore:
        explore_numpy(3)


if __name__ == "__main__":
    main()
