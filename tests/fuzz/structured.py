"""Drive the structure-aware generators through the sandbox.

Hypothesis draws each case (``phases=[generate]``: no shrinking, no database),
and the test body hands it to the fork server, so generation in the parent
overlaps with loading in the children.
"""

from __future__ import annotations

import collections
import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from .generators import FAMILIES
from .sandbox import BAD, Case, Limits, Outcome, Sandbox


@dataclass
class Report:
    """Outcome counts per family, and every bad case."""

    counts: dict[str, collections.Counter[str]] = field(default_factory=dict)
    variants: dict[str, collections.Counter[tuple[str, str]]] = field(default_factory=dict)
    bad: list[tuple[Case, Outcome]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, case: Case, outcome: Outcome) -> None:
        self.counts.setdefault(case.family, collections.Counter())[outcome.klass] += 1
        self.variants.setdefault(case.family, collections.Counter())[(case.variant, outcome.klass)] += 1
        if outcome.klass in BAD:
            self.bad.append((case, outcome))


def generate(family: str, count: int, seed: int, consume: Callable[[Case], None]) -> None:
    """Draw up to ``count`` cases of ``family`` and pass each to ``consume``."""
    strategy = FAMILIES[family]()

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(case: Case) -> None:
        consume(case)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Generating overly large repr")  # multi-MiB inputs, by design
        draw()


class _Budget(Exception):
    """Raised from inside hypothesis to stop drawing when a family's time budget is spent."""


def run(families: list[str], count: int, seed: int, workers: int = 2, limits: Limits | None = None,
        on_done: Callable[[Case, Outcome], None] | None = None, seconds: float | None = None) -> Report:
    """Generate and run ``count`` cases per family (or fewer, when ``seconds`` per family run out)."""
    import time

    report = Report()

    def done(case: Case, outcome: Outcome) -> None:
        report.add(case, outcome)
        if on_done is not None:
            on_done(case, outcome)

    box = Sandbox(done, workers, limits)
    try:
        for family in families:
            start = time.perf_counter()

            def submit(case: Case) -> None:
                if seconds is not None and time.perf_counter() - start > seconds:
                    raise _Budget
                box.submit(case)

            try:
                generate(family, count, seed, submit)
            except _Budget:
                pass
            box.drain()
            report.seconds[family] = time.perf_counter() - start
    finally:
        box.close()
    return report


def save_case(case: Case, outcome: Outcome, root: Path) -> Path:
    """Write a failing case (its files and a JSON description) under ``root/family/class-variant-hash``."""
    digest = hashlib.sha1(case.data + case.name.encode()).hexdigest()[:12]
    folder = root / case.family / f"{outcome.klass}-{case.variant}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / case.name).write_bytes(case.data)
    for name, data in case.extra_files:
        (folder / name).write_bytes(data)
    description = {
        "family": case.family, "variant": case.variant, "class": outcome.klass, "detail": outcome.detail,
        "seconds": round(outcome.seconds, 3), "peak_bytes": outcome.peak_bytes, "size": len(case.data),
        "load": f"neurofiles.load({case.name!r}, format={case.force!r}, **{dict(case.options)!r})",
        "has_truth": case.truth is not None,
    }
    (folder / "case.json").write_text(json.dumps(description, indent=1))
    return folder
