"""Helpers shared by the AEDAT 3/4 tests (no fixtures here: tests/aer/conftest.py belongs to the aer branch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import need as need_extra

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import aedat_builders as builders  # noqa: E402

VECTORS = HERE.parents[1] / "spec" / "vectors"


def need(module: str) -> Any:
    """An AEDAT 4 decompressor (extra ``aedat4``): skip locally, fail under CI=true."""
    return need_extra(module, "aedat4")


def expected(rel: str) -> dict[str, Any]:
    return json.loads((VECTORS / rel).with_suffix(".json").read_text())


def events_list(result: dict[str, Any]) -> list[list[Any]]:
    return [[int(a), int(b), int(c), bool(d)] for a, b, c, d in
            zip(result["timestamps"], result["x"], result["y"], result["polarity"])]


__all__ = ["VECTORS", "builders", "events_list", "expected", "need"]
