"""Numeric text tables: the parser shared by the NEURON ``.dat`` and Axon ATF readers, public to every plugin.

A text reader finds where its numeric block starts (``first_nonblank``,
``line_at``, ``detect_separator``, ``split_fields`` work on the bytes or a
:class:`Buffer`), then hands the block to :func:`parse_block`, which runs the
fastest engine that accepts it: the C tokenizer built with neurofiles
(``native``, several threads), ``pyarrow.csv`` (``neurofiles[fast]``),
``numpy.loadtxt``, then a careful line-by-line parser that names the line of
the first bad cell (:class:`~neurofiles.plugin.CorruptFileError`).
``engine=`` (checked by :func:`check_engine`, one of :data:`ENGINES`) or the
environment variable ``NEUROFILES_TEXT_ENGINE`` picks the first engine tried.

:func:`read_buffer` gives the whole file as ``bytes`` (small files) or a
:class:`~neurofiles.plugin.io.FileView` (large ones); :func:`read_whole`
reads a stream completely with the shrink check.

Limits for hostile input: :data:`MAX_COLUMNS` columns, :data:`MAX_HEADER_LINE`
bytes in a header line, :data:`LINE_PROBE` bytes looked at per line;
:func:`line_head` reads a bounded line, :func:`count_fields` counts the
fields of one, :func:`check_columns` refuses too many, :func:`text_column`
keeps a column of text cells.

Writers format rows with :func:`format_rows` (shortest round-trip repr, or
``digits`` significant digits) and single values with :func:`format_number`.
"""

from __future__ import annotations

from ._text_format import format_number, format_rows
from ._text_table import (
    ENGINES,
    LINE_PROBE,
    MAX_COLUMNS,
    MAX_HEADER_LINE,
    Buffer,
    TableBlock,
    check_columns,
    check_engine,
    count_fields,
    detect_separator,
    fast_engine_available,
    first_nonblank,
    line_at,
    line_head,
    native_available,
    parse_block,
    read_buffer,
    read_whole,
    skip_blank_lines,
    split_fields,
    text_column,
)

__all__ = [
    "ENGINES",
    "LINE_PROBE",
    "MAX_COLUMNS",
    "MAX_HEADER_LINE",
    "Buffer",
    "TableBlock",
    "check_columns",
    "check_engine",
    "count_fields",
    "detect_separator",
    "fast_engine_available",
    "first_nonblank",
    "format_number",
    "format_rows",
    "line_at",
    "line_head",
    "native_available",
    "parse_block",
    "read_buffer",
    "read_whole",
    "skip_blank_lines",
    "split_fields",
    "text_column",
]
