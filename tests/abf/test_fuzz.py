"""Seeded fuzzing of the ABF reader: mutated and structurally damaged files give a result or a
typed ``NeurofilesError``, quickly, never another exception. ``ABF_FUZZ_SCALE=10`` runs ten times more."""

from __future__ import annotations

import os
import random
import struct
import time
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles import NeurofilesError

from tests.abf.abf_builder import Abf2, EpochSpec, build_abf2
from tests.conftest import find_testdata
from tests.fuzz.harness import NamedBytesIO

SCALE = float(os.environ.get("ABF_FUZZ_SCALE", "1"))
BOUNDARY_INTS = [0, 1, -1, 2, 7, 255, 511, 512, 32767, -32768, 65535, 2**31 - 1, -(2**31), 2**32 - 1]
BOUNDARY_FLOATS = [0.0, -0.0, 1e-45, -1.0, 1e38, float("inf"), float("-inf"), float("nan")]
REAL_SMALL = [
    "2018_12_09_pCLAMP11_0001.abf",
    "2020_06_16_0001.abf",
    "File_axon_7.abf",
    "invalidDate-abf1.abf",
    "pclamp11_4ch_abf1.abf",
    "multichannelAbf1WithTags.abf",
]


def _synthetic_seeds() -> list[bytes]:
    ramp = (np.arange(2 * 3 * 128) % 300 - 150).astype(np.int16)
    epochs = [EpochSpec(1, -80, 5, 20, 3), EpochSpec(2, 10, 0, 30), EpochSpec(3, 20, 0, 40, 0, 8, 3)]
    return [
        build_abf2(
            Abf2(
                ramp,
                nch=2,
                sweeps=3,
                names=("a", "b"),
                units=("pA", "mV"),
                epochs=epochs,
                tags=[(10, "x"), (99, "y")],
                synch=[(0, 256), (500, 256), (1000, 256)],
                synch_unit=5.0,
            )
        ),
        build_abf2(Abf2(ramp, nch=1, sweeps=1, mode=3)),
        build_abf2(Abf2(ramp[:100], nch=1, sweeps=2, mode=1, synch=[(3, 60), (90, 40)])),
        build_abf2(Abf2(np.linspace(-1, 1, 64, dtype=np.float32), sweeps=4, telegraph=(1, 2.0))),
    ]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(6)
    # the header, section map and the first sections hold nearly every count and pointer
    hot = min(len(buf), rng.choice([512, 2048, 6144, len(buf)]))
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(hot)] = rng.randrange(256)
    elif kind == 1 and hot >= 8:
        off = rng.randrange(0, hot - 8) & ~1
        struct.pack_into(
            "<I",
            buf,
            off,
            (rng.choice(BOUNDARY_INTS) & 0xFFFFFFFF) if rng.random() < 0.5 else rng.getrandbits(31),
        )
    elif kind == 2 and hot >= 8:
        off = rng.randrange(0, hot - 8) & ~1
        struct.pack_into("<f", buf, off, rng.choice(BOUNDARY_FLOATS))
    elif kind == 3 and hot >= 8:
        off = rng.randrange(0, hot - 8) & ~1
        struct.pack_into("<h", buf, off, rng.choice([0, 1, -1, 2, 3, 4, 5, 6, 16, 17, 32767, -32768]))
    elif kind == 4:
        del buf[rng.randrange(len(buf)) :]
    else:  # a section-map entry pointed somewhere else, or a count multiplied
        entry = rng.randrange(76, 364, 16)
        if entry + 16 <= len(buf):
            struct.pack_into("<I", buf, entry + rng.choice([0, 4]), rng.choice(BOUNDARY_INTS) & 0xFFFFFFFF)
    return bytes(buf)


def _check(data: bytes, label: str) -> None:
    start = time.perf_counter()
    try:
        neurofiles.load(NamedBytesIO(data, "fuzz.abf"), format="axon-abf")
    except NeurofilesError:
        pass
    except Exception as exc:  # the property
        raise AssertionError(f"{label}: {type(exc).__name__} escaped: {exc}") from exc
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0 + len(data) * 2e-6, f"{label}: {elapsed:.2f} s"


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_synthetic(seed: int) -> None:
    bases = _synthetic_seeds()
    rng = random.Random(1000 + seed)
    for i in range(int(400 * SCALE)):
        base = bases[rng.randrange(len(bases))]
        data = _mutate(rng, base)
        if rng.random() < 0.2:
            data = _mutate(rng, data)
        _check(data, f"seed {seed} case {i}")


@pytest.mark.parametrize("name", REAL_SMALL)
def test_fuzz_real_headers(name: str) -> None:
    root = find_testdata()
    if root is None:
        pytest.skip("real test data not found")
    base = (Path(root) / "abf" / name).read_bytes()
    rng = random.Random(name)
    for i in range(int(120 * SCALE)):
        _check(_mutate(rng, base), f"{name} case {i}")
