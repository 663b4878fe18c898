"""Type stubs for the C tokenizer (core/_textparse.c)."""

from typing import Any, Union

import numpy as np

_Source = Union[int, bytes, bytearray, memoryview]

OK: int
REFUSED: int
SHORT_READ: int
FULL: int

def count_lines(source: _Source, start: int, end: int, /) -> tuple[int, int, int]: ...
def line_start(source: _Source, pos: int, end: int, /) -> int: ...
def parse(
    source: _Source,
    start: int,
    end: int,
    out: np.ndarray[Any, np.dtype[np.float64]],
    row0: int,
    row_end: int,
    ncols: int,
    sep: str,
    comment: str,
    /,
) -> tuple[int, int, int]: ...
