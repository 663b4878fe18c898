"""Structure-aware fuzz campaign: generated inputs per format, run in sandboxed children.

    python -m tests.fuzz.run_structured --format csv --count 2000 --seed 1 --save /work/fuzz-findings

Prints a table of outcome classes per format (and per generator variant with
``--variants``) and writes every input classed UNTYPED, HANG, MEMORY, CRASH,
WRONG or UNNAMED to ``--save`` for reproduction (``case.json`` says how to
load it). Formats: see ``tests.fuzz.generators.FAMILIES``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generators import FAMILIES, SIZE_CAP
from .sandbox import BAD, CLASSES, Case, Outcome
from .structured import Report, run, save_case


def print_table(report: Report, variants: bool) -> None:
    width = max([len(f) for f in report.counts] + [10])
    print(f"{'format':<{width}} " + " ".join(f"{c:>7}" for c in CLASSES) + "   inputs/s")
    for family, counts in report.counts.items():
        total = sum(counts.values())
        rate = total / report.seconds.get(family, 1) if report.seconds.get(family) else 0
        print(f"{family:<{width}} " + " ".join(f"{counts.get(c, 0):>7}" for c in CLASSES) + f"   {rate:8.0f}")
        if variants:
            for (variant, klass), n in sorted(report.variants[family].items()):
                print(f"    {variant:<28} {klass:<8} {n}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", action="append", choices=sorted(FAMILIES), help="repeatable; default all")
    parser.add_argument("--count", type=int, default=500, help="inputs per format")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-bytes", type=int, default=SIZE_CAP["bytes"], help="cap on generated file sizes")
    parser.add_argument("--save", type=Path, help="folder for failing inputs")
    parser.add_argument("--variants", action="store_true", help="break the table down by generator variant")
    parser.add_argument("--seconds", type=float, help="time budget per format (stops drawing when spent)")
    args = parser.parse_args(argv)
    SIZE_CAP["bytes"] = args.max_bytes
    seen: set[tuple[str, str, str]] = set()

    def on_done(case: Case, outcome: Outcome) -> None:
        if outcome.klass not in BAD:
            return
        key = (case.family, case.variant, outcome.klass)
        first = key not in seen
        seen.add(key)
        where = save_case(case, outcome, args.save) if args.save else None
        if first:
            print(f"[{outcome.klass}] {case.family}/{case.variant} ({len(case.data)} bytes): {outcome.detail[:300]}"
                  + (f"  -> {where}" if where else ""), flush=True)

    report = run(args.format or sorted(FAMILIES), args.count, args.seed, args.workers, on_done=on_done,
                 seconds=args.seconds)
    print_table(report, args.variants)
    return 1 if report.bad else 0


if __name__ == "__main__":
    sys.exit(main())
