"""Seeded structure-aware fuzzing in CI: every format's generated inputs end in a result or a typed error.

Each format's generator (``tests/fuzz/generators``) draws valid files whose
content it knows and hostile files built around the format's structure; each
input is loaded in a forked child under an address-space and CPU cap
(``tests/fuzz/sandbox.py``). Any UNTYPED, HANG, MEMORY, CRASH, WRONG or
UNNAMED outcome fails the format's test, unless it is explained by an open
known finding (``generators/known.py``), whose reproducer is then an
``xfail(strict=True)`` test here: once the fix is merged it XPASSes, and the
finding must be closed (``open=False``).
"""

from __future__ import annotations

import pytest

from .generators import FAMILIES, SIZE_CAP
from .generators.known import KNOWN, Known, explained
from .sandbox import Case, Outcome, Truth, compare, run_cases
from .structured import Report, run

#: inputs per format in CI, and the seed that makes the run repeatable
CI_COUNT = 120
CI_SEED = 20261129
CI_MAX_BYTES = 1 << 20


@pytest.fixture(scope="module")
def report() -> Report:
    saved = SIZE_CAP["bytes"]
    SIZE_CAP["bytes"] = CI_MAX_BYTES
    try:
        return run(sorted(FAMILIES), CI_COUNT, CI_SEED, workers=2)
    finally:
        SIZE_CAP["bytes"] = saved


def _describe(bad: list[tuple[Case, Outcome]]) -> str:
    return "\n".join(f"  {o.klass} {c.variant} ({len(c.data)} bytes, format={c.force}): {o.detail[:300]}"
                     for c, o in bad[:20])


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generated_inputs_give_result_or_typed_error(report: Report, family: str) -> None:
    counts = report.counts.get(family, {})
    assert sum(counts.values()) >= CI_COUNT // 2, f"{family}: only {dict(counts)} inputs were generated"
    bad = [(c, o) for c, o in report.bad if c.family == family and explained(c, o.klass) is None]
    assert not bad, f"{family}: {len(bad)} property violations:\n{_describe(bad)}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generators_make_valid_files_that_load(report: Report, family: str) -> None:
    """The valid half of each generator must mostly load (or the WRONG check is idle).

    Variants of open known findings are left out: they fail for a reason already reported.
    """
    open_variants = {v for k in KNOWN if k.open and k.family == family for v in k.variants}
    counted = {(variant, klass): n for (variant, klass), n in report.variants[family].items()
               if variant.startswith("valid") and variant not in open_variants}
    valid = sum(counted.values())
    loaded = sum(n for (variant, klass), n in counted.items() if klass == "ok")
    assert valid >= CI_COUNT // 5 and loaded >= 0.8 * valid, f"{family}: {loaded} of {valid} valid inputs loaded"


def _known_params() -> list[object]:
    return [pytest.param(k, id=k.id, marks=[pytest.mark.xfail(strict=True, reason=f"fixed on branch {k.branch}: {k.reason}")]
                         if k.open else []) for k in KNOWN]


@pytest.mark.parametrize("known", _known_params())
def test_known_finding_reproducer(known: Known) -> None:
    case = known.build()
    [(_, outcome)] = run_cases([case], workers=1)
    assert outcome.klass in ("ok", "typed"), f"{known.id}: {outcome.klass}: {outcome.detail[:500]}"


def test_truth_comparison_catches_a_dropped_row_and_a_changed_value() -> None:
    import numpy as np

    class Traces:  # stands in for neurofiles.Traces (compare() checks the class name)
        def __init__(self, values: np.ndarray) -> None:
            self.values, self.times = values, None

    truth = Truth("traces", (("values", np.array([[1.0], [np.nan]])), ("times", None)))
    assert compare(Traces(np.array([[1.0], [np.nan]])), truth) is None
    assert "shape" in str(compare(Traces(np.array([[1.0]])), truth))
    assert "differ" in str(compare(Traces(np.array([[1.0], [2.0]])), truth))
