"""The fuzz property: any input gives a result or a ``NeurofilesError``, quickly.

Seeds are the real files (their first 64 KiB), the conformance vectors and the
shipped samples; each seed is assigned to the format ``detect()`` picks for it.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import neurofiles
from neurofiles import NeurofilesError

REPO = Path(__file__).resolve().parents[2]
SEED_BYTES = 65536
#: an input may take this long plus time proportional to its size
BASE_SECONDS = 2.0
SECONDS_PER_BYTE = 2e-6


class NamedBytesIO(io.BytesIO):
    """In-memory file with a name, so extension rules apply as for a real file."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


@dataclass(frozen=True)
class Seed:
    format: str
    name: str
    data: bytes


def _seed_paths(testdata: Path | None) -> list[Path]:
    roots = [REPO / "spec" / "vectors", REPO / "tests" / "samples"]
    if testdata is not None:
        roots.append(testdata)
    paths = [p for root in roots if root.is_dir() for p in sorted(root.rglob("*")) if p.is_file()]
    return [p for p in paths if p.suffix.lower() not in (".json", ".md")]


def collect_seeds(testdata: Path | None) -> dict[str, list[Seed]]:
    """Seeds grouped by the format that reads them."""
    seeds: dict[str, list[Seed]] = {}
    for path in _seed_paths(testdata):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fmt = neurofiles.detect(path).format
        except NeurofilesError:
            continue
        with open(path, "rb") as stream:
            data = stream.read(SEED_BYTES)
        seeds.setdefault(fmt, []).append(Seed(fmt, path.name, data))
    return seeds


def check_one(data: bytes, name: str, fmt: str | None) -> str:
    """Load ``data``; return the outcome name, or raise AssertionError on a property violation."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            neurofiles.load(NamedBytesIO(data, name), format=fmt)
        outcome = "ok"
    except NeurofilesError as exc:
        outcome = type(exc).__name__
    except Exception as exc:  # the property: nothing else may escape
        raise AssertionError(
            f"{type(exc).__name__} escaped for format={fmt} name={name} ({len(data)} bytes): {exc}"
        ) from exc
    elapsed = time.perf_counter() - start
    limit = BASE_SECONDS + SECONDS_PER_BYTE * len(data)
    if elapsed > limit:
        raise AssertionError(f"format={fmt} name={name}: {elapsed:.2f} s for {len(data)} bytes (limit {limit:.2f} s)")
    return outcome

