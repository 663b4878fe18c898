"""The native engine for numeric text tables: the C tokenizer ``_textparse``, run on several threads.

The block is cut at line starts into one byte range per thread. Each thread
counts the lines of its range, then parses its range into its own rows of
one preallocated array; the C code releases the GIL, so the threads run in
parallel. Files are read with ``pread`` in 1 MiB pieces (never memory
mapped): a file that shrinks meanwhile is a :class:`TruncatedFileError`.

The tokenizer is strict and refuses what it does not handle (text cells,
decimal commas, ``\\r``-only line ends, ...): :func:`parse_native` then
returns None and the caller tries the general engines, which report
problems with their line numbers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any, TypeVar, Union

import numpy as np

from ._file_view import shrank

try:
    from . import _textparse
except ImportError:  # built without a C compiler
    _textparse = None  # type: ignore[assignment]

__all__ = ["native_available", "parse_native", "thread_count"]

#: each thread gets at least this many bytes
MIN_BYTES_PER_THREAD = 4 << 20
_ENV_THREADS = "NEUROFILES_THREADS"

NativeSource = Union[int, bytes, bytearray, memoryview]
T = TypeVar("T")


def native_available() -> bool:
    """True if the C tokenizer was built with this installation."""
    return _textparse is not None


def thread_count(nbytes: int) -> int:
    """Threads for a block of ``nbytes``: the usable CPUs (or ``NEUROFILES_THREADS``), at least 4 MiB each."""
    configured = os.environ.get(_ENV_THREADS, "")
    if configured.isdigit() and int(configured) > 0:
        cpus = int(configured)
    elif hasattr(os, "sched_getaffinity"):
        cpus = len(os.sched_getaffinity(0))
    else:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, nbytes // MIN_BYTES_PER_THREAD))


def parse_native(
    source: NativeSource,
    start: int,
    end: int,
    *,
    ncols: int,
    sep: str | None,
    comments: str | None,
    path: str,
) -> np.ndarray | None:
    """Parse bytes ``[start, end)`` of ``source`` (a file descriptor or a buffer) into float64 rows.

    Returns None if the tokenizer refuses a line; raises TruncatedFileError
    if the source ends before ``end``.
    """
    assert _textparse is not None
    sep_arg = "" if sep in (None, " ") else sep
    comment_arg = comments or ""
    threads = thread_count(end - start)
    bounds = [start]
    for k in range(1, threads):
        cut = _textparse.line_start(source, start + (end - start) * k // threads, end)
        bounds.append(max(cut, bounds[-1]))
    bounds.append(end)
    ranges = list(zip(bounds[:-1], bounds[1:]))

    def count(piece: tuple[int, int]) -> int:
        """Rows the range can hold: its lines, and never more than its bytes allow
        (a row takes at least ``ncols + 1`` bytes), so blank lines cannot inflate the array."""
        lo, hi = piece
        status, newlines, offset = _textparse.count_lines(source, lo, hi)
        _check(status, offset, path)
        lines = int(newlines) + (hi == end)  # only the block's last line may lack its '\n'
        return min(lines, (hi - lo + 1) // (ncols + 1))

    capacity = _map(count, ranges, threads)
    first_row = list(accumulate(capacity[:-1], initial=0))
    out = np.empty((sum(capacity), ncols), dtype=np.float64)

    def parse(k: int) -> tuple[int, int, int]:
        lo, hi = ranges[k]
        return _textparse.parse(source, lo, hi, out, first_row[k], ncols, sep_arg, comment_arg)

    results = _map(parse, range(threads), threads)
    for status, _, offset in results:
        _check(status, offset, path)
        if status != _textparse.OK:
            return None
    rows = [r for _, r, _ in results]
    total = sum(rows)
    if all(rows[k] == capacity[k] for k in range(threads - 1)) and total >= len(out) * 7 // 8:
        return out[:total]  # no gaps, little unused room at the end: a view, no copy
    # blank or comment lines left gaps between the ranges, or much unused room: a compact copy
    return np.concatenate([out[first_row[k] : first_row[k] + rows[k]] for k in range(threads)])


def _check(status: int, offset: int, path: str) -> None:
    assert _textparse is not None
    if status == _textparse.SHORT_READ:
        raise shrank(path, offset)


def _map(fn: Callable[[Any], T], items: Iterable[Any], threads: int) -> list[T]:
    """``[fn(item) for item in items]``, on ``threads`` threads when there is more than one."""
    if threads == 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # ~5 ms to import; only blocks over 8 MiB need it

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))
