"""``neurofiles convert`` of a big AER file to npz, as a ratio against a bare ``numpy.savez`` in the same run.

Run: nice python benchmarks/bench_convert.py [--events 50000000] [--rounds 2]

The input is an AEDAT 2.0 file of DAVIS346 addresses generated once into
``benchmarks/data/`` (git-ignored). One process reads and decodes it (as
``convert --decode davis346`` does), then times, interleaved, best of
``--rounds``:

* ``convert write``: the CLI's write phase (``save_many`` with the options
  ``convert`` passes for ``.npz``: uncompressed unless ``-W compress=true``);
* ``np.savez``: a bare ``numpy.savez`` of the same columns (timestamps, x, y, polarity).

It also times a whole ``neurofiles convert IN OUT.npz --decode davis346``
(read + decode + write, in this process) for the record. Outputs go to a
temporary folder under ``benchmarks/data/`` and are removed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"


def make_input(n: int) -> Path:
    """An AEDAT 2.0 file of ``n`` DAVIS346 DVS events (big-endian address, timestamp)."""
    path = DATA / f"davis346_{n}.aedat"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        out.write(b"#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS346B\r\n")
        done, t0 = 0, 0
        while done < n:
            k = min(5_000_000, n - done)
            x = rng.integers(0, 346, k, dtype=np.int64)
            y = rng.integers(0, 260, k, dtype=np.int64)
            p = rng.integers(0, 2, k, dtype=np.int64)
            address = (y << 22) | ((345 - x) << 12) | (p << 11)
            ts = t0 + np.cumsum(rng.integers(0, 3, k, dtype=np.int64))
            t0 = int(ts[-1])
            rec = np.empty((k, 2), dtype=">i4")
            rec[:, 0], rec[:, 1] = address, ts
            out.write(rec.tobytes())
            done += k
    tmp.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import neurofiles
    from neurofiles._frontend.api import save_many
    from neurofiles._commandline.main import main as cli
    from neurofiles._results.tabular import to_table

    source = make_input(args.events)
    work = Path(tempfile.mkdtemp(prefix="bench_convert_", dir=DATA))
    try:
        start = time.perf_counter()
        status = cli(["convert", str(source), str(work / "cli.npz"), "--decode", "davis346", "-q"])
        whole = time.perf_counter() - start
        assert status == 0
        data = neurofiles.load(source).decode("davis346")
        arrays = dict(to_table(data).columns)
        size = sum(a.nbytes for a in arrays.values())
        ours, bare = [], []
        for i in range(args.rounds):
            (work / "a.npz").unlink(missing_ok=True)
            start = time.perf_counter()
            save_many([(work / "a.npz", data)], compress=False)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            np.savez(work / "b.npz", **arrays)
            bare.append(time.perf_counter() - start)
        print(f"{len(data):,} events, {size / 1e6:,.0f} MB of columns ({', '.join(arrays)})")
        print(f"whole `neurofiles convert --decode davis346` (read+decode+write): {whole:.1f} s")
        print(f"convert write {min(ours):.2f} s, bare np.savez {min(bare):.2f} s, ratio {min(ours) / min(bare):.2f}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
