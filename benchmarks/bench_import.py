"""Import cost of ``import neurofiles``, from ``python -X importtime``, against ``import json``.

Run: python benchmarks/bench_import.py [--runs 7]

Prints the best-of-N cumulative import time of neurofiles itself (excluding the
interpreter's own start-up imports), the same for the stdlib ``json`` module as
a same-machine yardstick, and their ratio; then the first-call cost of plugin
discovery (``neurofiles.formats()``), which is paid lazily.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def cumulative_us(module: str) -> int:
    """Cumulative microseconds ``-X importtime`` reports for the top-level import of ``module``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    )
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def discovery_ms() -> float:
    code = "import time,neurofiles;t=time.perf_counter();neurofiles.formats();print((time.perf_counter()-t)*1e3)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    ours = min(cumulative_us("neurofiles") for _ in range(runs))
    json_us = min(cumulative_us("json") for _ in range(runs))
    first = min(discovery_ms() for _ in range(max(3, runs // 2)))
    print(f"import neurofiles: {ours / 1000:.2f} ms (best of {runs}, -X importtime cumulative)")
    print(f"import json:       {json_us / 1000:.2f} ms (same-machine yardstick)")
    print(f"ratio neurofiles/json: {ours / json_us:.2f}")
    print(f"first neurofiles.formats() (pluggy + importlib.metadata + entry-point scan): {first:.1f} ms")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
