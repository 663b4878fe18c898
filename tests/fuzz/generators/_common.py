"""Strategies shared by the format generators: numbers as text, extreme integers, size multipliers."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..sandbox import Case, Truth

__all__ = ["Case", "Truth", "traces_truth", "events_truth", "number_token", "hostile_count",
           "hostile_cell", "repeat_count", "newline", "HUGE_DIGITS"]

#: Python refuses int() of more than 4300 digits (ValueError): counts of this length probe that
HUGE_DIGITS = 4300

#: float spellings every reader must accept (Python's float() does), with their value
SPELLINGS = ("nan", "NaN", "NAN", "-nan", "inf", "-inf", "Inf", "-Infinity", "infinity", "1e999", "-1e999",
             "1e+006", "1E-3", "+1.5", ".5", "5.", "-0", "0.0", "1e-320", "2.2250738585072014e-308",
             "9007199254740993", "0.1000000000000000055511151231257827")


def _from_float(value: float) -> tuple[bytes, float]:
    text = repr(float(value))
    return text.encode(), float(text)


def _from_g(value: float) -> tuple[bytes, float]:
    text = f"{value:g}"
    return text.encode(), float(text)


def _spelled(text: str) -> tuple[bytes, float]:
    return text.encode(), float(text)


def number_token(huge: bool = True) -> st.SearchStrategy[tuple[bytes, float]]:
    """A numeric cell as text and the value Python's ``float()`` gives it."""
    options: list[st.SearchStrategy[tuple[bytes, float]]] = [
        st.floats(allow_nan=False, allow_infinity=False).map(_from_float),
        st.floats(-1e6, 1e6, allow_nan=False).map(_from_g),
        st.integers(-(10**12), 10**12).map(lambda i: _spelled(str(i))),
        st.sampled_from(SPELLINGS).map(_spelled),
    ]
    if huge:
        options.append(st.integers(20, 400).map(lambda n: _spelled("1" + "0" * n)))
        options.append(st.integers(HUGE_DIGITS - 5, HUGE_DIGITS + 50).map(lambda n: _spelled("9" * n)))
    return st.one_of(*options)


def hostile_count() -> st.SearchStrategy[bytes]:
    """A count field that no file of a few bytes can honour, or that is not an integer at all."""
    return st.one_of(
        st.sampled_from([2**31 - 1, 2**31, 2**32, 2**32 + 1, 2**40, 2**63 - 1, 2**63, 2**64, 10**18, -1, -(2**31)])
        .map(lambda v: str(v).encode()),
        st.integers(HUGE_DIGITS - 5, HUGE_DIGITS + 200).map(lambda n: b"9" * n),
        st.integers(HUGE_DIGITS, HUGE_DIGITS + 20).map(lambda n: b"1" + b"0" * n),
        st.sampled_from([b"1e999", b"nan", b"inf", b"-0", b"+5", b"0x10", b"1_000", b"1e3", b"\xef\xbc\x91",
                         b"", b"5.5", b"00000000000000000000000000000000005"]),
    )


def hostile_cell() -> st.SearchStrategy[bytes]:
    """A data cell that is not a plain number."""
    return st.one_of(
        st.sampled_from([b"", b"x", b"1,5", b'"1"', b"0x10", b"1_000", b"\xff\xfe", b"1e", b"--1", b"nan(0x1)",
                         b"\x00", b"\x1a", b"1e-99999999999", b"\xc2\xa01", b"\x0c", b"\r"]),
        st.integers(HUGE_DIGITS - 2, HUGE_DIGITS + 20).map(lambda n: b"9" * n + b"x"),
        st.binary(min_size=1, max_size=8),
    )


def repeat_count(big: bool = True) -> st.SearchStrategy[int]:
    """How many times a row is repeated: mostly once, sometimes enough to cross buffer and thread boundaries."""
    small = st.integers(1, 3)
    if not big:
        return small
    return st.one_of(small, small, small, small, st.sampled_from([100, 1000, 4097, 20_000]),
                     st.sampled_from([200_000, 1_000_000]))


def newline() -> st.SearchStrategy[bytes]:
    return st.sampled_from([b"\n", b"\n", b"\r\n"])


def traces_truth(times: Any, values: Any) -> Truth:
    v = np.asarray(values, dtype=np.float64)
    t = None if times is None else np.asarray(times, dtype=np.float64)
    return Truth("traces", (("values", v), ("times", t)))


def events_truth(**arrays: Any) -> Truth:
    return Truth("events", tuple((k, np.asarray(v)) for k, v in arrays.items()))


#: largest input a generator builds by repetition (set lower for the CI subset)
SIZE_CAP = {"bytes": 12 << 20}


def clamp_repeat(repeat: int, unit: int, fixed: int = 0) -> int:
    """The largest repeat count <= ``repeat`` that keeps ``fixed + repeat * unit`` within the size cap."""
    room = max(0, SIZE_CAP["bytes"] - fixed)
    return max(1, min(repeat, room // max(1, unit)))
