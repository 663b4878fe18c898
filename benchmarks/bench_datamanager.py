"""DataManager collation speed per backend, against Brian 1's reopen-every-shelf approach.

Writes 1000 sessions x 20 keys (``k00``..``k19``: lists of 10 floats; every
10th session holds a 1e5-float64 array in ``k19``) with each built-in
backend, plus a Brian-1 store (stdlib ``shelve``, protocol 2, one shelf per
session ``user.uuid``). The baseline queries that store the way Brian's
``DataManager`` did: list the sessions and open, read and close every shelf
on every call (with its glob bug fixed, so it can run at all). Times are the
best of ``--repeat`` warm runs, in milliseconds; ratios are baseline / ours.

    python benchmarks/bench_datamanager.py [--sessions 1000] [--repeat 3] [--dir benchmarks/data/dm]

``--fresh`` measures what a simulation user sees instead: ``--sessions`` sessions of 3 small keys
(``rate``, ``n``, ``g``) written by the default backend and by Brian 1's shelve, the write cost
and disk use per session, then a NEW PROCESS (interpreter start and imports included) for the
first collation (``get_merged("rate")``, index not built yet), a new process for a later one,
and the warm in-process call, against Brian's reopen-every-shelf read in a new process.

    python benchmarks/bench_datamanager.py --fresh --sessions 20000

``--dask`` writes ``--sessions`` such sessions with the same writer, then reads every value of
every session three ways in this process's run: serially (``map_sessions`` without an executor,
a new DataManager, index cold), with ``map_sessions`` on a ``LocalCluster`` of 2 worker
processes, and with ``to_bag().count()`` on it. It reports each wall time and its ratio to the
serial one, the number of tasks and the pickled bytes of each graph (``to_bag``'s dask graph;
``map_sessions``' submitted specs), and the most file descriptors each worker process held open
(``/proc/<pid>/fd`` sampled every 20 ms during the runs; above the worker's idle count too).

    python benchmarks/bench_datamanager.py --dask --sessions 100000
"""

from __future__ import annotations

import argparse
import getpass
import os
import shelve
import shutil
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from neurofiles import DataManager

KEYS = [f"k{i:02d}" for i in range(20)]


def payload(i: int) -> dict[str, Any]:
    rng = np.random.default_rng(i)
    values: dict[str, Any] = {k: rng.random(10).tolist() for k in KEYS}
    if i % 10 == 0:
        values["k19"] = rng.random(100_000)
    return values


def write_store(root: Path, backend: str, n: int, **options: Any) -> float:
    start = time.perf_counter()
    dm = DataManager(backend, root, backend=backend, **options)
    user = getpass.getuser()
    for i in range(n):
        with dm.session(f"{user}.{uuid.uuid4()}") as s:
            for key, value in payload(i).items():
                s[key] = value
    dm.close()
    return time.perf_counter() - start


def write_brian(root: Path, n: int) -> float:
    start = time.perf_counter()
    base = root / "brian.data"
    base.mkdir(parents=True)
    user = getpass.getuser()
    for i in range(n):
        shelf = shelve.open(str(base / f"{user}.{uuid.uuid4()}"), protocol=2)
        for key, value in payload(i).items():
            shelf[key] = value
        shelf.close()
    return time.perf_counter() - start


class Brian:
    """Brian 1's collation: every call lists the sessions and opens every shelf again."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def names(self) -> list[str]:
        stems = {os.path.splitext(e.name)[0] for e in os.scandir(self.base) if e.name.endswith((".dat", ".dir"))}
        return sorted(os.path.join(self.base, s) for s in stems)

    def get(self, key: str) -> dict[str, Any]:
        ret = {}
        for name in self.names():
            shelf = shelve.open(name, flag="r", protocol=2)
            if key in shelf:
                ret[os.path.basename(name)] = shelf[key]
            shelf.close()
        return ret

    def get_merged(self, key: str) -> list[Any]:
        out: list[Any] = []
        for value in self.get(key).values():
            out.extend(value)
        return out

    def keys(self) -> list[str]:
        found: set[str] = set()
        for name in self.names():
            shelf = shelve.open(name, flag="r", protocol=2)
            found.update(shelf.keys())
            shelf.close()
        return sorted(found)

    def itemcount(self) -> int:
        total = 0
        for name in self.names():
            shelf = shelve.open(name, flag="r", protocol=2)
            total += len(shelf)
            shelf.close()
        return total

    def iteritems(self) -> Any:
        for name in self.names():
            shelf = shelve.open(name, flag="r", protocol=2)
            yield from shelf.items()
            shelf.close()


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, result


def operations(m: Any) -> dict[str, Callable[[], Any]]:
    return {
        "get(k05)": lambda: m.get("k05"),
        "get(k19) (100 arrays)": lambda: m.get("k19"),
        "get_merged(k05)": lambda: m.get_merged("k05"),
        "keys()": lambda: m.keys(),
        "itemcount()": lambda: m.itemcount(),
        "iterate all items": lambda: sum(1 for _ in m.iteritems()),
    }


SMALL_KEYS = ("rate", "n", "g")


def small_payload(i: int) -> dict[str, Any]:
    return {"rate": [float(i % 97), 0.5], "n": i, "g": (i % 10) / 10}


def disk_use(folder: Path) -> int:
    """Bytes allocated on disk (``st_blocks``) by every file below ``folder``."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
            except OSError:
                pass
    return total


_OURS = """
import time, sys
t0 = time.perf_counter()
from neurofiles import DataManager
dm = DataManager("fresh", sys.argv[1])
merged = dm.get_merged("rate")
print(len(merged), time.perf_counter() - t0)
"""

_BRIAN = """
import time, sys, os, shelve
t0 = time.perf_counter()
base = sys.argv[1]
stems = sorted({os.path.splitext(e.name)[0] for e in os.scandir(base) if e.name.endswith(".dir")})
merged = []
for stem in stems:
    shelf = shelve.open(os.path.join(base, stem), flag="r", protocol=2)
    if "rate" in shelf:
        merged.extend(shelf["rate"])
    shelf.close()
print(len(merged), time.perf_counter() - t0)
"""


def fresh_process(code: str, arg: str) -> tuple[float, float, int]:
    """Run ``code`` in a new interpreter: (wall seconds, seconds measured inside, items merged)."""
    import subprocess
    import sys

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    count, inside = proc.stdout.split()
    return wall, float(inside), int(count)


def fresh_main(root: Path, n: int, repeat: int) -> None:
    import dbm.dumb

    print(f"writing {n} sessions x {len(SMALL_KEYS)} small keys into {root} ...")
    ours_write = write_small(root, n)
    user = getpass.getuser()
    base = root / "brian.data"
    base.mkdir(parents=True)
    start = time.perf_counter()
    for i in range(n):
        shelf = shelve.Shelf(dbm.dumb.open(str(base / f"{user}.{uuid.uuid4()}"), "c"), protocol=2)
        for key, value in small_payload(i).items():
            shelf[key] = value
        shelf.close()
    brian_write = time.perf_counter() - start
    ours_disk, brian_disk = disk_use(root / "fresh.data"), disk_use(base)

    brian = min((fresh_process(_BRIAN, str(base)) for _ in range(repeat)), key=lambda r: r[0])
    first = fresh_process(_OURS, str(root))
    later = min((fresh_process(_OURS, str(root)) for _ in range(repeat)), key=lambda r: r[0])
    assert first[2] == later[2] == brian[2] == 2 * n, (first, later, brian)
    dm = DataManager("fresh", root)
    dm.get_merged("rate")
    warm_ms, merged = best(lambda: dm.get_merged("rate"), max(repeat, 3))
    assert len(merged) == 2 * n
    dm.close()

    print()
    print(f"{n} sessions x {len(SMALL_KEYS)} small keys; default backend {DataManager('fresh', root).backend_name!r}")
    print(f"  write per session:   ours {ours_write / n * 1000:7.3f} ms   Brian {brian_write / n * 1000:7.3f} ms"
          f"   ({brian_write / ours_write:4.2f}x)")
    print(f"  disk per session:    ours {ours_disk / n / 1024:7.2f} KiB  Brian {brian_disk / n / 1024:7.2f} KiB"
          f"  ({brian_disk / max(ours_disk, 1):4.2f}x)")
    print("  new process, wall (inside) seconds:")
    print(f"    Brian get_merged           {brian[0]:7.3f} ({brian[1]:7.3f})")
    print(f"    ours first (index cold)    {first[0]:7.3f} ({first[1]:7.3f})   {brian[0] / first[0]:5.2f}x Brian")
    print(f"    ours later (new process)   {later[0]:7.3f} ({later[1]:7.3f})   {brian[0] / later[0]:5.2f}x Brian")
    print(f"  warm in-process call:        {warm_ms:7.1f} ms          {brian[1] * 1000 / warm_ms:5.1f}x Brian (inside)")


def _partition_totals(view: Any) -> tuple[int, float]:
    """Per partition: (items read, sum of every ``rate`` value); runs on the worker."""
    count, total = 0, 0.0
    for _session, key, value in view.iter_session_items():
        count += 1
        if key == "rate":
            total += sum(value)
    return count, total


def _open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


class FdSampler:
    """Sample the open descriptors of some processes in a thread; keep the most seen per process."""

    def __init__(self, pids: list[int], period: float = 0.02) -> None:
        import threading

        self.pids = pids
        self.idle = {pid: _open_fds(pid) for pid in pids}
        self.peak = dict(self.idle)
        self.samples = 0
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], _open_fds(pid))
            self.samples += 1
            self._stop.wait(self._period)

    def __enter__(self) -> FdSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def write_small(root: Path, n: int, name: str = "fresh") -> float:
    """Write ``n`` sessions of :data:`SMALL_KEYS` with the default backend; return the seconds taken."""
    dm = DataManager(name, root)
    start = time.perf_counter()
    for i in range(n):
        with dm.session() as s:  # a new <user>.<uuid4> session, as Brian's dm.session()
            for key, value in small_payload(i).items():
                s[key] = value
    seconds = time.perf_counter() - start
    dm.close()
    return seconds


def dask_main(root: Path, n: int) -> None:
    import pickle

    import cloudpickle
    from distributed import Client, LocalCluster

    print(f"writing {n} sessions x {len(SMALL_KEYS)} small keys into {root} ...")
    write_s = write_small(root, n)
    expect_items, expect_total = 3 * n, float(sum(i % 97 + 0.5 for i in range(n)))

    dm = DataManager("fresh", root)  # a new manager: nothing parsed yet, as a fresh analysis
    start = time.perf_counter()
    serial = dm.map_sessions(_partition_totals)
    serial_s = time.perf_counter() - start
    npart = len(serial)
    assert sum(r[0] for r in serial) == expect_items and abs(sum(r[1] for r in serial) - expect_total) < 1e-6 * n

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    cluster_s = time.perf_counter() - start
    try:
        pids = sorted(client.run(os.getpid).values())
        specs = dm.partitions()
        spec_bytes = sum(len(pickle.dumps(s)) for s in specs)
        with FdSampler(pids) as fds:
            start = time.perf_counter()
            mapped = dm.map_sessions(_partition_totals, client)
            map_s = time.perf_counter() - start
            assert sum(r[0] for r in mapped) == expect_items and len(mapped) == npart
            bag = dm.to_bag()
            graph = dict(bag.__dask_graph__())
            graph_bytes = len(cloudpickle.dumps(graph))
            start = time.perf_counter()
            counted = bag.count().compute(scheduler=client)
            bag_s = time.perf_counter() - start
            assert counted == expect_items, counted
    finally:
        client.close()
        cluster.close()
    dm.close()

    print()
    print(f"{n} sessions x {len(SMALL_KEYS)} small keys; backend {dm.backend_name!r}; {npart} partitions;"
          f" LocalCluster 2 worker processes x 1 thread (started in {cluster_s:.1f} s, not counted)")
    print(f"  write: {write_s:.1f} s ({write_s / n * 1000:.3f} ms per session)")
    print(f"  serial map_sessions (this process, cold): {serial_s:7.2f} s")
    print(f"  dask map_sessions:                        {map_s:7.2f} s  ({serial_s / map_s:4.2f}x serial);"
          f" {len(specs)} tasks, {spec_bytes} bytes of pickled specs")
    print(f"  dask to_bag().count():                    {bag_s:7.2f} s  ({serial_s / bag_s:4.2f}x serial);"
          f" graph {len(graph)} tasks, {graph_bytes} bytes pickled")
    for pid in pids:
        print(f"  worker pid {pid}: open files idle {fds.idle[pid]}, peak {fds.peak[pid]}"
              f" (+{fds.peak[pid] - fds.idle[pid]}), {fds.samples} samples")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=str(Path(__file__).parent / "data" / "dm"))
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    parser.add_argument("--fresh", action="store_true", help="new-process first/later collation, small sessions")
    parser.add_argument("--dask", action="store_true", help="map_sessions/to_bag on a 2-process LocalCluster")
    args = parser.parse_args()
    root = Path(args.dir)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    n = args.sessions
    if args.dask:
        try:
            dask_main(root, n)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        return
    if args.fresh:
        try:
            fresh_main(root, n, args.repeat)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        return
    warnings.simplefilter("error")  # a clean store must collate without a single warning

    print(f"writing {n} sessions x {len(KEYS)} keys per store into {root} ...")
    write_s = {"sqlite": write_store(root, "sqlite", n)}
    write_s["dbm"] = write_store(root, "dbm", n)
    write_s["shelve"] = write_store(root, "shelve", n)
    write_s["brian"] = write_brian(root, n)
    for name, seconds in write_s.items():
        print(f"  write {name:<8} {seconds:6.2f} s")

    baseline = Brian(root / "brian.data")
    stores: dict[str, Any] = {
        "sqlite": DataManager("sqlite", root),
        "sqlite, no index": DataManager("sqlite", root, index=False),
        "dbm": DataManager("dbm", root),
        "shelve": DataManager("shelve", root),
    }
    dbm_flavour = stores["dbm"].backend.options["flavour"]

    # first call: opens every session (and builds the sqlite index)
    first = {}
    for name, dm in stores.items():
        start = time.perf_counter()
        dm.get("k05")
        first[name] = (time.perf_counter() - start) * 1000

    results: dict[str, dict[str, float]] = {}
    base_ops = operations(baseline)
    for op, fn in base_ops.items():
        ms, expected = best(fn, args.repeat)
        results.setdefault(op, {})["baseline"] = ms
        for name, dm in stores.items():
            ms, got = best(operations(dm)[op], args.repeat)
            results[op][name] = ms
            if op.startswith(("get(", "get_merged")):
                assert len(got) == len(expected), (name, op, len(got), len(expected))
            elif op != "iterate all items" and not isinstance(got, list):
                assert got == expected, (name, op, got, expected)

    cols = ["baseline", *stores]
    print()
    print(f"DataManager collation, {n} sessions x {len(KEYS)} keys, best of {args.repeat} (ms; ratio = baseline/backend)")
    print("baseline: Brian 1 style, shelve + dbm.dumb + pickle protocol 2, every shelf reopened per call")
    print(f"dbm flavour: {dbm_flavour}; shelve flavour: {stores['shelve'].backend.options['flavour']}")
    header = f"{'operation':<24}" + "".join(f"{c:>22}" for c in cols)
    print(header)
    print("-" * len(header))
    for op, row in results.items():
        cells = [f"{row['baseline']:>22.1f}"]
        for name in stores:
            cells.append(f"{row[name]:>11.1f} ({row['baseline'] / row[name]:6.1f}x)".rjust(22))
        print(f"{op:<24}" + "".join(cells))
    print(f"{'first get (cold)':<24}{'':>22}" + "".join(f"{first[s]:>22.1f}" for s in stores))
    ratio = results["get(k05)"]["baseline"] / results["get(k05)"]["sqlite"]
    print()
    print(f"get(key) sqlite vs Brian baseline: {ratio:.1f}x (target >= 20x): {'MET' if ratio >= 20 else 'NOT MET'}")
    for dm in stores.values():
        dm.close()
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
