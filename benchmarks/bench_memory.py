"""Peak traced memory of each whole-file load, as a ratio to the size of what it returns.

Run: python benchmarks/bench_memory.py [--testdata DIR]

For every real sample (``../shared/testdata``) and shipped sample, loads the file
under ``tracemalloc`` and prints peak allocated bytes / bytes of the result's
numpy arrays. A ratio near 1 means the reader held little beyond its output;
the AER whole-file target is <= 1.2 (benchmarks/bench_aer.py measures it at
50 M events). Small files have ratios dominated by fixed costs: read the large ones.
"""

from __future__ import annotations

import argparse
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import neurofiles

REPO = Path(__file__).resolve().parents[1]


def result_bytes(result: object) -> int:
    """Bytes held by the numpy arrays of a result (recursing into lists, dicts and attributes)."""
    seen: set[int] = set()

    def walk(obj: object, depth: int = 0) -> int:
        if id(obj) in seen or depth > 4:
            return 0
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            return obj.nbytes
        if isinstance(obj, (list, tuple)):
            return sum(walk(o, depth + 1) for o in obj)
        if isinstance(obj, dict):
            return sum(walk(o, depth + 1) for o in obj.values())
        slots = getattr(type(obj), "__slots__", ())
        attrs = list(getattr(obj, "__dict__", {}).values()) + [getattr(obj, s, None) for s in slots]
        return sum(walk(o, depth + 1) for o in attrs)

    return walk(result)


def measure(path: Path) -> tuple[str, int, int, int]:
    neurofiles.detect(path)  # readers imported before tracing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        result = neurofiles.load(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return neurofiles.detect(path).format, path.stat().st_size, peak, result_bytes(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testdata", type=Path, default=REPO.parent / "shared" / "testdata")
    args = parser.parse_args()
    files = sorted(p for d in ("aer", "atf", "neuron") for p in (args.testdata / d).glob("*") if p.suffix != ".md")
    files += sorted((REPO / "tests" / "samples").glob("*"))
    print(f"{'file':<44}{'format':<14}{'file MB':>9}{'peak MB':>9}{'out MB':>9}{'peak/out':>9}")
    for path in files:
        fmt, size, peak, out = measure(path)
        ratio = f"{peak / out:.2f}" if out else "-"
        print(f"{path.name[:43]:<44}{fmt:<14}{size / 1e6:>9.2f}{peak / 1e6:>9.2f}{out / 1e6:>9.2f}{ratio:>9}")


if __name__ == "__main__":
    main()
