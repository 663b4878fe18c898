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
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate
from typing import Any, TypeVar, Union

import numpy as np

from ._file_view import shrank

try:
    from .. import _textparse
except ImportError:  # built without a C compiler
    _textparse = None  # type: ignore[assignment]

__all__ = ["min_row_bytes", "native_available", "parse_native", "thread_count"]

#: each thread gets at least this many bytes (tests lower it to cut small blocks)
MIN_BYTES_PER_THREAD = 4 << 20
#: wider tables go to the other engines (the C tokenizer takes at most 2**20 columns)
MAX_NATIVE_COLUMNS = 1 << 20
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


def min_row_bytes(ncols: int, sep: str | None) -> int:
    """The fewest bytes a row of ``ncols`` cells can take, its ``'\\n'`` included.

    Runs of whitespace: a digit per cell and a blank between cells. Commas: a
    row may be nothing but separators (``",,,\\n"``, all cells empty), except
    that one column needs a number or a comma to be a row. Tabs: a row of
    tabs only is blank, so it needs one digit.
    """
    if sep in (None, " ", ""):
        return 2 * ncols
    if sep == ",":
        return max(ncols, 2)
    return ncols + 1


def parse_native(
    source: NativeSource,
    start: int,
    end: int,
    *,
    ncols: int,
    sep: str | None,
    comments: str | None,
    path: str,
    refused: list[int] | None = None,
    _cuts: Sequence[int] | None = None,
) -> np.ndarray | None:
    """Parse bytes ``[start, end)`` of ``source`` (a file descriptor or a buffer) into float64 rows.

    Returns None if the tokenizer refuses a line (or the table is wider than
    it handles), and then appends the offset of the first refused line to
    ``refused`` if given; raises TruncatedFileError if the source ends before ``end``.
    ``_cuts`` (tests only) gives the byte offsets where the ranges of the
    threads start, instead of cutting the block evenly.
    """
    assert _textparse is not None
    if ncols > MAX_NATIVE_COLUMNS:
        return None
    sep_arg = "" if sep in (None, " ") else sep
    comment_arg = comments or ""
    if _cuts is None:
        threads = thread_count(end - start)
        cuts = [start + (end - start) * k // threads for k in range(1, threads)]
    else:
        cuts = list(_cuts)
        threads = len(cuts) + 1
    bounds = [start]
    for cut in cuts:
        bounds.append(max(_textparse.line_start(source, min(max(cut, start), end), end), bounds[-1]))
    bounds.append(end)
    ranges = list(zip(bounds[:-1], bounds[1:]))
    per_row = min_row_bytes(ncols, sep)

    def count(piece: tuple[int, int]) -> int:
        """Rows the range can hold: its lines, and never more than its bytes allow
        (see :func:`min_row_bytes`), so blank lines cannot inflate the array."""
        lo, hi = piece
        status, newlines, offset = _textparse.count_lines(source, lo, hi)
        _check(status, offset, path)
        lines = int(newlines) + (hi == end)  # only the block's last line may lack its '\n'
        return min(lines, (hi - lo + 1) // per_row)

    capacity = _map(count, ranges, threads)
    first_row = list(accumulate(capacity[:-1], initial=0))
    out = np.empty((sum(capacity), ncols), dtype=np.float64)

    refusals: list[int] = []

    def parse(k: int) -> list[np.ndarray] | None:
        """Range ``k`` into its own rows ``[first_row[k], first_row[k] + capacity[k])`` of ``out``;
        rows past them (should the estimate be short) go to arrays of their own, never to the
        next range's rows. None if the tokenizer refused a line."""
        lo, hi = ranges[k]
        target, row0, row_end = out, first_row[k], first_row[k] + capacity[k]
        pieces: list[np.ndarray] = []
        while True:
            status, rows, offset = _textparse.parse(
                source, lo, hi, target, row0, row_end, ncols, sep_arg, comment_arg
            )
            _check(status, offset, path)
            if status == _textparse.REFUSED:
                refusals.append(offset)
                return None
            pieces.append(target[row0 : row0 + rows])
            if status != _textparse.FULL:
                return pieces
            # the slice is full: the rest of the range goes to a new array sized by its lines
            lo = offset
            status, newlines, at = _textparse.count_lines(source, lo, hi)
            _check(status, at, path)
            target = np.empty((int(newlines) + 1, ncols), dtype=np.float64)
            row0, row_end = 0, len(target)

    results = _map(parse, range(threads), threads)
    if any(pieces is None for pieces in results):
        if refused is not None:
            refused.append(min(refusals))
        return None
    done = [pieces for pieces in results if pieces is not None]
    rows = [len(pieces[0]) for pieces in done]
    total = sum(len(p) for pieces in done for p in pieces)
    contiguous = all(len(pieces) == 1 for pieces in done) and all(
        rows[k] == capacity[k] for k in range(threads - 1)
    )
    if contiguous and total >= len(out) * 7 // 8:
        return out[:total]  # no gaps, little unused room at the end: a view, no copy
    # blank or comment lines left gaps between the ranges, or much unused room: a compact copy
    compact: np.ndarray = np.concatenate([p for pieces in done for p in pieces]).reshape(-1, ncols)
    return compact


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
