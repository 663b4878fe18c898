"""Example: four worker processes write results at once; one collation reads them all.

Each process writes its own session of a DataManager store, so nothing contends;
the parent then collates every session, and `neurofiles dm summary` describes it.

Run: python tests/examples/collate_processes.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import neurofiles
import numpy as np


def simulate(folder: str, seed: int) -> int:
    """One 'simulation': a firing rate and a voltage trace, stored in this worker's own session."""
    rng = np.random.default_rng(seed)
    with neurofiles.DataManager("sweep", folder) as dm, dm.session(f"seed{seed}") as session:
        session["rate"] = [float(rng.poisson(20))]
        session["voltage"] = rng.normal(-65.0, 2.0, size=100)
    return seed


def main(out: Path) -> None:
    with ProcessPoolExecutor(max_workers=4) as pool:
        done = sorted(pool.map(simulate, [str(out)] * 8, range(8)))
    print("workers finished:", done)
    with neurofiles.DataManager("sweep", str(out)) as dm:
        rates = dm.get_merged("rate")
        voltages = dm.get("voltage")
        print(f"{len(dm.session_names())} sessions, {dm.itemcount()} items")
        print(
            f"mean rate {np.mean(rates):.1f} Hz over {len(rates)} runs;"
            f" mean voltage {np.mean([v.mean() for v in voltages.values()]):.1f} mV"
        )
    summary = subprocess.run(
        [sys.executable, "-m", "neurofiles", "dm", "summary", str(out / "sweep.data")],
        capture_output=True,
        text=True,
        check=True,
    )
    print(summary.stdout, end="")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
