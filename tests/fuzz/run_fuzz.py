"""Long fuzz run: N mutated inputs per format, spread over processes.

    python -m tests.fuzz.run_fuzz --per-format 100000 --processes 2

Prints, per format, the number of inputs, the outcome counts (result or error
type) and every property violation with what is needed to rebuild the input:
seed file, mutation and generator seed (``tests.fuzz.mutations.mutate``).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import time

from tests.conftest import find_testdata

from .harness import check_one, collect_seeds
from .mutations import MUTATIONS, mutate


def _work(args: tuple[str, int, int]) -> dict:
    fmt, start, count = args
    seeds = collect_seeds(find_testdata())[fmt]
    names = sorted(MUTATIONS)
    outcomes: collections.Counter[str] = collections.Counter()
    failures = []
    for i in range(start, start + count):
        seed = seeds[i % len(seeds)]
        mutation = names[(i // len(seeds)) % len(names)]
        data = mutate(seed.data, mutation, i)
        for forced in (fmt, None):
            try:
                outcomes[check_one(data, seed.name, forced)] += 1
            except AssertionError as exc:
                failures.append({"seed": seed.name, "mutation": mutation, "rng": i, "forced": forced, "error": str(exc)})
    return {"outcomes": outcomes, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-format", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--formats", nargs="*")
    args = parser.parse_args()
    formats = args.formats or sorted(collect_seeds(find_testdata()))
    chunk = max(1, args.per_format // (args.processes * 8))
    report = {}
    with multiprocessing.Pool(args.processes) as pool:
        for fmt in formats:
            started = time.perf_counter()
            jobs = [(fmt, s, min(chunk, args.per_format - s)) for s in range(0, args.per_format, chunk)]
            outcomes: collections.Counter[str] = collections.Counter()
            failures: list[dict] = []
            for part in pool.imap_unordered(_work, jobs):
                outcomes.update(part["outcomes"])
                failures.extend(part["failures"])
            report[fmt] = {
                "inputs": args.per_format,
                "loads": sum(outcomes.values()) + len(failures),
                "seconds": round(time.perf_counter() - started, 1),
                "outcomes": dict(outcomes.most_common()),
                "failures": failures[:50],
                "failure_count": len(failures),
            }
            print(json.dumps({fmt: report[fmt]}, indent=1), flush=True)


if __name__ == "__main__":
    main()
