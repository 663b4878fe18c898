"""Helpers shared by the AEDAT 3/4 tests (no fixtures here: tests/aer/conftest.py belongs to the aer branch)."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import aedat_builders as builders  # noqa: E402

VECTORS = HERE.parents[1] / "spec" / "vectors"


def need(module: str) -> Any:
    """Import an optional extra; skip locally when missing, fail under CI=true."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail(f"optional dependency {module!r} missing under CI=true (install neurofiles[aedat4])")
        pytest.skip(f"optional dependency {module!r} not installed (neurofiles[aedat4])")


def expected(rel: str) -> dict[str, Any]:
    return json.loads((VECTORS / rel).with_suffix(".json").read_text())


def events_list(result: dict[str, Any]) -> list[list[Any]]:
    return [[int(a), int(b), int(c), bool(d)] for a, b, c, d in
            zip(result["timestamps"], result["x"], result["y"], result["polarity"])]


__all__ = ["VECTORS", "builders", "events_list", "expected", "need"]
