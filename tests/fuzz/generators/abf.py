"""Generator for Axon Binary Format 2 files (``axon-abf``), built with ``tests/abf/abf_builder.py``.

Valid files hold float32 samples (read unscaled, so their values are known
exactly) or int16 samples (checked for shape only), gap-free or episodic, with
epochs, synch arrays and tags. Hostile files take a valid file and set the
header fields and section-map entries that size allocations (sweep count,
block/size/count of every section, protocol interval and resolution, epoch
durations) to extreme values, or cut the file at a block boundary.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tests.abf.abf_builder import BLOCK, SECTION, Abf2, EpochSpec, build_abf2

from ._common import Case, Truth

__all__ = ["abf_cases"]

_EXTREME_U32 = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 20, 1 << 24]
_EXTREME_I64 = [0, 1, -1, 2**31, 2**40, 2**62, 2**63 - 1, -(2**63)]
_EXTREME_F32 = [0.0, -0.0, -1.0, 1e-30, 1e30, float("inf"), float("-inf"), float("nan")]


def _spec(draw: Any, float_data: bool) -> tuple[Abf2, np.ndarray | None]:
    nch = draw(st.integers(1, 4))
    mode = draw(st.sampled_from([3, 5]))
    sweeps = draw(st.integers(1, 5)) if mode == 5 else 1
    samples = draw(st.integers(1, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if float_data:
        raw = rng.normal(0, 100, size=sweeps * samples * nch).astype(np.float32)
    else:
        raw = rng.integers(-32768, 32767, size=sweeps * samples * nch).astype(np.int16)
    epochs = [EpochSpec(type=draw(st.sampled_from([0, 1, 2, 3])), level=float(draw(st.integers(-100, 100))),
                        duration=draw(st.integers(0, samples)), period=draw(st.integers(0, 20)),
                        width=draw(st.integers(0, 10))) for _ in range(draw(st.integers(0, 3)))]
    spec = Abf2(raw, nch=nch, sweeps=sweeps, mode=mode, names=tuple(f"IN {c}" for c in range(nch)),
                units=tuple(draw(st.sampled_from(["pA", "mV", "V"])) for _ in range(nch)),
                interval_us=draw(st.sampled_from([10.0, 50.0, 100.0])), epochs=epochs,
                synch=[(s * samples, samples * nch) for s in range(sweeps)] if mode == 5 and draw(st.booleans()) else (),
                tags=[(draw(st.integers(0, sweeps * samples * nch)), "tag") for _ in range(draw(st.integers(0, 3)))])
    if not float_data:
        return spec, None
    # float32 samples are read as they are: column s * nch + c holds sweep s of channel c
    values = raw.astype(np.float64).reshape(sweeps, samples, nch).transpose(1, 0, 2).reshape(samples, sweeps * nch)
    return spec, values


@st.composite
def abf_valid(draw: Any) -> Case:
    float_data = draw(st.booleans())
    spec, values = _spec(draw, float_data)
    truth = Truth("traces", (("values", values),)) if values is not None else None
    return Case("axon-abf", f"valid-{'float32' if float_data else 'int16'}-mode{spec.mode}", "rec.abf",
                build_abf2(spec), truth=truth, force=draw(st.sampled_from([None, "axon-abf"])))


@st.composite
def abf_hostile(draw: Any) -> Case:
    spec, _ = _spec(draw, draw(st.booleans()))
    data = bytearray(build_abf2(spec))
    kind = draw(st.sampled_from(["section-map", "sweeps", "protocol", "epochs", "cut", "strings"]))
    if kind == "section-map":
        for _ in range(draw(st.integers(1, 3))):
            entry = SECTION[draw(st.sampled_from(sorted(SECTION)))]
            field = draw(st.sampled_from(["block", "size", "count"]))
            if field == "count":
                struct.pack_into("<q", data, entry + 8, draw(st.sampled_from(_EXTREME_I64)))
            else:
                struct.pack_into("<I", data, entry + (0 if field == "block" else 4), draw(st.sampled_from(_EXTREME_U32)))
    elif kind == "sweeps":
        struct.pack_into("<I", data, 12, draw(st.sampled_from(_EXTREME_U32)))
    elif kind == "protocol":
        block = struct.unpack_from("<I", data, SECTION["Protocol"])[0] * BLOCK
        at = draw(st.sampled_from([2, 14, 110]))  # sample interval, synch time unit, ADC range
        struct.pack_into("<f", data, block + at, draw(st.sampled_from(_EXTREME_F32)))
        if draw(st.booleans()):
            struct.pack_into("<i", data, block + 118, draw(st.sampled_from([0, -1, 1, 2**31 - 1])))  # resolution
    elif kind == "epochs":
        block = struct.unpack_from("<I", data, SECTION["EpochPerDAC"])[0] * BLOCK
        count = struct.unpack_from("<q", data, SECTION["EpochPerDAC"] + 8)[0]
        if count == 0:
            struct.pack_into("<q", data, SECTION["EpochPerDAC"] + 8, draw(st.sampled_from([1, 4096, 4097])))
        else:
            for at in (10, 14, 18, 22, 26):  # level increment, duration, its increment, period, width
                if draw(st.booleans()):
                    struct.pack_into("<i", data, block + at, draw(st.sampled_from([-1, 2**31 - 1, -(2**31)])))
    elif kind == "strings":
        block = struct.unpack_from("<I", data, SECTION["Strings"])[0] * BLOCK
        struct.pack_into("<I", data, block + 8, draw(st.sampled_from(_EXTREME_U32)))
    else:
        blocks = len(data) // BLOCK
        del data[draw(st.integers(0, blocks)) * BLOCK - draw(st.sampled_from([0, 1, 4])):]
    return Case("axon-abf", f"hostile-{kind}", "rec.abf", bytes(data), force=draw(st.sampled_from([None, "axon-abf"])))


def abf_cases() -> st.SearchStrategy[Case]:
    return st.one_of(abf_valid(), abf_valid(), abf_hostile())
