"""Numeric text tables: the data block shared by the NEURON ``.dat`` and ATF readers.

The block is parsed from the file's bytes (never a memory map, never a Python
list of lines).
Four engines, tried in order until one accepts the block:

1. ``native``: the C tokenizer built with neurofiles (``_textparse``, on
   several threads; see :mod:`._text_native`), used whenever it was built;
2. ``pyarrow.csv`` (optional extra ``neurofiles[fast]``), used automatically
   when installed, the block has a one-character separator and is at least
   ``FAST_MIN_BYTES`` (1 MiB) long;
3. ``numpy.loadtxt`` on the whole block (numpy's C tokenizer);
4. a careful line-by-line parser, reached only when the others refuse the
   block; it reads empty cells as NaN, keeps text cells when allowed, and
   raises :class:`CorruptFileError` naming the file and the line otherwise.

``engine=`` (or the environment variable ``NEUROFILES_TEXT_ENGINE``) picks the
first engine to try; the numpy engine and the careful parser stay behind
every choice, so a refusal never becomes an error of its own.
"""

from __future__ import annotations

import io
import math
import os
import re
from array import array
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator, Union

import numpy as np

from .._errors import CorruptFileError, LimitExceededError, MissingDependencyError
from ._file_view import FileView, read_at, shrank
from .._framework.source import Source
from ._text_native import native_available, parse_native

__all__ = [
    "LINE_PROBE",
    "MAX_COLUMNS",
    "MAX_HEADER_LINE",
    "Buffer",
    "TableBlock",
    "check_columns",
    "count_fields",
    "detect_separator",
    "fast_engine_available",
    "first_nonblank",
    "line_at",
    "line_head",
    "skip_blank_lines",
    "native_available",
    "parse_block",
    "read_buffer",
    "read_whole",
    "text_column",
]

Buffer = Union[bytes, FileView]
ENGINES = ("auto", "native", "pyarrow", "numpy")
_ENV_ENGINE = "NEUROFILES_TEXT_ENGINE"
#: blocks smaller than this are parsed by numpy even when pyarrow is installed
FAST_MIN_BYTES = 1 << 20
_NONBLANK = re.compile(rb"\S")
_TOKEN = re.compile(rb"\S+")
#: columns a table may have unless a reader's ``max_columns=`` raises it
MAX_COLUMNS = 1 << 16
#: a first data line is looked at through its first LINE_PROBE bytes; longer ones are counted in pieces
LINE_PROBE = 1 << 20
#: a header line (titles, records, CSV labels) longer than this is a LimitExceededError
MAX_HEADER_LINE = 16 << 20
_DECIMAL_COMMA = re.compile(rb"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")


@dataclass
class TableBlock:
    """A parsed data block: float64 rows, plus text cells kept per column."""

    array: np.ndarray
    engine: str
    text: dict[int, np.ndarray] = field(default_factory=dict)
    last_line: int = 0
    decimal_commas: int = 0


def read_whole(open_stream: Callable[[], BinaryIO], size: int, path: str) -> bytes:
    """The file's first ``size`` bytes, read rather than mapped.

    Parsing a memory map of a file that another process truncates kills the
    interpreter (SIGBUS); a read that comes back short is a
    :class:`TruncatedFileError` instead.
    """
    with open_stream() as handle:
        return read_at(handle, 0, size, path)


def _check_not_shrunk(handle: BinaryIO, size: int, path: str) -> None:
    """After streaming a parse from ``handle``: the file must still hold ``size`` bytes."""
    now = os.fstat(handle.fileno()).st_size
    if now < size:
        raise shrank(path, now)


def check_engine(engine: str) -> str:
    """Return ``engine`` if it is one of :data:`ENGINES`, else raise ValueError."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


def read_buffer(source: Source) -> Buffer:
    """The whole file, for scanning headers: a :class:`FileView` (read on demand) for paths, else bytes.

    A view costs nothing until read, so a constructor can scan the first
    lines without reading the body, and, unlike a memory map, a file that
    shrinks meanwhile cannot crash the process. Parse the body from
    :func:`read_whole` or by streaming from ``source.open()``.
    """
    if source.path is not None and source.size is not None:
        return FileView(source, source.size)
    with source.open() as handle:
        return handle.read()


def first_nonblank(buf: Buffer, pos: int = 0) -> int:
    """Index of the first non-whitespace byte at or after ``pos``, or -1."""
    if isinstance(buf, FileView):
        return buf.search(_NONBLANK, pos)
    match = _NONBLANK.search(buf, pos)
    return -1 if match is None else match.start()


def skip_blank_lines(buf: Buffer, pos: int) -> tuple[int, int]:
    """Start of the first line at or after ``pos`` (a line start) holding a non-blank byte
    (``len(buf)`` if none), and the number of blank lines skipped; read in 64 KiB pieces,
    so a file of millions of blank lines costs no Python work per line."""
    skipped = 0
    while pos < len(buf):
        piece = buf[pos : pos + (1 << 16)]
        match = _NONBLANK.search(piece)
        if match is None:
            skipped += piece.count(b"\n")
            pos += len(piece)
            continue
        start = piece.rfind(b"\n", 0, match.start()) + 1
        return pos + start, skipped + piece.count(b"\n", 0, start)
    return len(buf), skipped


def line_at(buf: Buffer, pos: int) -> tuple[bytes, int]:
    """The line starting at byte ``pos`` (without EOL bytes) and the start of the next one."""
    end = buf.find(b"\n", pos)
    nxt = len(buf) if end < 0 else end + 1
    line = buf[pos : (len(buf) if end < 0 else end)]
    return line.rstrip(b"\r"), nxt


def line_head(buf: Buffer, pos: int, limit: int = LINE_PROBE) -> tuple[bytes, int, int]:
    """The first ``limit`` bytes at most of the line at ``pos`` (without EOL bytes when whole),
    the start of the next line, and the line's full length (``> limit`` when cut).

    Only the head is read: finding the end of a long line reads a :class:`FileView`
    in 64 KiB windows and keeps none of them.
    """
    end = buf.find(b"\n", pos)
    stop = len(buf) if end < 0 else end
    nxt = len(buf) if end < 0 else end + 1
    length = stop - pos
    if length > limit:
        return buf[pos : pos + limit], nxt, length
    return buf[pos:stop].rstrip(b"\r"), nxt, length


def count_fields(buf: Buffer, start: int, stop: int, sep: str | None, limit: int) -> tuple[int, bool]:
    """Fields of the line ``buf[start:stop]`` (EOL excluded), read in ``LINE_PROBE`` pieces.

    Returns the count (``limit + 1`` once it passes ``limit``: counting stops
    there) and whether the last field is empty (a trailing separator). Fields
    are as :func:`split_fields` with ``drop_trailing=False`` makes them.
    """
    count = 0
    pos = start
    if sep in (None, " "):
        in_token = False
        while pos < stop:
            piece = buf[pos : min(stop, pos + LINE_PROBE)]
            tokens = len(_TOKEN.findall(piece))
            if in_token and piece[:1].strip():
                tokens -= 1  # a token cut by the piece boundary
            count += tokens
            in_token = bool(piece[-1:].strip())
            pos += len(piece)
            if count > limit:
                return limit + 1, False
        return count, False
    code = sep.encode()
    last = b""
    count = 1
    while pos < stop:
        piece = buf[pos : min(stop, pos + LINE_PROBE)]
        count += piece.count(code)
        tail = piece.rstrip(b" \r")
        if tail:
            last = tail[-1:]
        pos += len(piece)
        if count > limit:
            return limit + 1, False
    return count, count > 1 and last == code


def check_columns(ncols: int, limit: int, *, path: str, line: int, what: str = "the rows have") -> None:
    """Raise :class:`LimitExceededError` if a table is wider than ``limit`` (``max_columns=``)."""
    if ncols > limit:
        raise LimitExceededError(
            f"{what} more than {limit} columns; pass max_columns= to read wider tables",
            path=path,
            line=line,
        )


def detect_separator(line: bytes) -> str | None:
    """The field separator of a data line: ``'\\t'``, ``','``, ``' '`` (single spaces)
    or None (any whitespace)."""
    stripped = line.strip(b" \r\n")
    if b"\t" in stripped:
        return "\t"
    if b"," in stripped:
        return ","
    if b" " in stripped and b"  " not in stripped and not line.startswith(b" "):
        return " "
    return None


def fast_engine_available() -> bool:
    """True if the optional pyarrow CSV engine can be imported."""
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def split_fields(line: bytes, sep: str | None, *, drop_trailing: bool = True) -> list[bytes]:
    """Fields of one data line: whitespace split, or ``sep`` split with spaces stripped.

    With ``drop_trailing``, one empty trailing field (a row ending in the
    separator, as ``Matrix.fprint(0, f, "%g\\t")`` and spreadsheets write) is removed.
    """
    if sep is None or sep == " ":
        return line.split()
    fields = [f.strip(b" \r") for f in line.rstrip(b"\r").split(sep.encode())]
    if drop_trailing and len(fields) > 1 and fields[-1] == b"":
        fields.pop()
    return fields


def parse_block(
    buf: Buffer,
    start: int,
    *,
    ncols: int,
    sep: str | None,
    path: str,
    first_line: int,
    engine: str = "auto",
    text_ok: bool = False,
    comments: str | None = None,
) -> TableBlock:
    """Parse the numeric block from byte ``start`` to the end of ``buf``.

    Parameters
    ----------
    ncols
        Number of columns every row must have.
    sep
        ``'\\t'``, ``','``, ``' '`` or None (any run of whitespace).
    path, first_line
        For error messages: the file name and the 1-based line number at ``start``.
    engine
        ``'auto'`` (native if built, else pyarrow when installed and the block
        is big), ``'native'``, ``'pyarrow'`` or ``'numpy'``.
    text_ok
        Keep non-numeric cells as text (their value becomes NaN) instead of raising.
    comments
        A comment prefix skipped by the numpy engines (``'#'`` for NEURON files), or None.

    When ``buf`` is a :class:`FileView` (a file on disk), the native engine
    reads the file by descriptor, the numpy engine streams from a handle, and
    the engines that need the whole block (pyarrow, the careful fallback) get
    it read once, so a file truncated meanwhile is a :class:`TruncatedFileError`.
    """
    engine = os.environ.get(_ENV_ENGINE, engine) if engine == "auto" else engine
    check_engine(engine)
    open_stream = buf.open if isinstance(buf, FileView) else None
    body: list[bytes] = []

    def whole() -> bytes:
        """The whole buffer as bytes in memory (read once, only if an engine needs it)."""
        if not isinstance(buf, FileView):
            return buf
        if not body:
            body.append(read_whole(buf.open, len(buf), path))
        return body[0]

    if first_nonblank(buf, start) < 0:
        return TableBlock(np.empty((0, ncols)), "numpy", last_line=first_line - 1)
    if engine == "pyarrow" and not fast_engine_available():
        raise MissingDependencyError(
            "engine='pyarrow' needs pyarrow.", install_hint="pip install 'neurofiles[fast]'"
        )
    if engine == "native" and not native_available():
        raise MissingDependencyError(
            "engine='native' needs the C tokenizer, which was not built with this installation.",
            install_hint="reinstall neurofiles where a C compiler is available",
        )
    if engine in ("auto", "native") and native_available():
        refused: list[int] = []
        array = _parse_native(start, len(buf), ncols, sep, comments, path, open_stream, whole, refused)
        if array is not None:
            return TableBlock(array, "native")
        if refused:
            _check_refused_line(buf, start, refused[0], ncols, sep, comments, path, first_line)
        engine = "numpy" if engine == "native" else engine
    big = len(buf) - start >= FAST_MIN_BYTES  # below this, importing pyarrow costs more than it saves
    if (engine == "pyarrow" or (engine == "auto" and big)) and sep is not None:
        if engine == "pyarrow" or fast_engine_available():
            array = _parse_pyarrow(whole(), start, ncols, sep or "\t")
            if array is not None:
                return TableBlock(array, "pyarrow")
    if open_stream is not None:
        with open_stream() as handle:
            handle.seek(start)
            array = _parse_loadtxt(handle, ncols, sep, comments)
            _check_not_shrunk(handle, len(buf), path)
    else:
        array = _parse_loadtxt(io.BytesIO(buf[start:]), ncols, sep, comments)
    if array is not None:
        return TableBlock(array, "numpy")
    return _parse_careful(
        whole()[start:],
        ncols=ncols,
        sep=sep,
        path=path,
        first_line=first_line,
        text_ok=text_ok,
        comments=comments,
    )


def _check_refused_line(
    buf: Buffer,
    start: int,
    offset: int,
    ncols: int,
    sep: str | None,
    comments: str | None,
    path: str,
    first_line: int,
) -> None:
    """A line the native engine refused that is far too wide for the table is a
    :class:`CorruptFileError` at once: the other engines would hold all its cells first."""
    _, _, length = line_head(buf, offset, 0)
    if length <= 64 * ncols + 4096:
        return
    stop = offset + length
    if comments:
        found = buf.find(comments.encode(), offset, stop)
        stop = stop if found < 0 else found  # the careful parser ignores the rest of the line
    count, _ = count_fields(buf, offset, stop, sep, ncols + 1)
    if count > ncols + 1:
        lineno = first_line + _count_newlines(buf, start, offset)
        raise CorruptFileError(
            f"row has more than {ncols + 1} fields, expected {ncols} (separator {sep or 'whitespace'!r})",
            path=path,
            line=lineno,
        )


def _count_newlines(buf: Buffer, start: int, stop: int) -> int:
    """``'\\n'`` bytes in ``buf[start:stop]``, read in LINE_PROBE pieces."""
    count = 0
    for pos in range(start, stop, LINE_PROBE):
        count += buf[pos : min(stop, pos + LINE_PROBE)].count(b"\n")
    return count


def _parse_native(
    start: int,
    end: int,
    ncols: int,
    sep: str | None,
    comments: str | None,
    path: str,
    open_stream: Callable[[], BinaryIO] | None,
    whole: Callable[[], bytes],
    refused: list[int],
) -> np.ndarray | None:
    """The native engine on the file itself (by descriptor) when it has one, else on bytes."""

    def run(source: int | bytes) -> np.ndarray | None:
        return parse_native(
            source, start, end, ncols=ncols, sep=sep, comments=comments, path=path, refused=refused
        )

    if open_stream is not None and os.name != "nt":  # pread: POSIX only
        with open_stream() as handle:
            try:
                fd = handle.fileno()
            except (OSError, io.UnsupportedOperation, AttributeError):
                fd = -1
            if fd >= 0:
                return run(fd)
    return run(whole())


def _parse_pyarrow(buf: Buffer, start: int, ncols: int, sep: str) -> np.ndarray | None:
    """pyarrow.csv on the block without copying it; None if it refuses the block."""
    import pyarrow as pa
    import pyarrow.csv as pc

    names = [f"f{i}" for i in range(ncols)]
    try:
        table = pc.read_csv(
            pa.BufferReader(pa.py_buffer(buf)[start:]),
            read_options=pc.ReadOptions(autogenerate_column_names=True),
            parse_options=pc.ParseOptions(delimiter=sep, quote_char=False, double_quote=False),
            convert_options=pc.ConvertOptions(
                column_types={n: pa.float64() for n in names},
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None
    if table.num_columns < ncols:
        return None
    for extra in table.columns[ncols:]:  # a trailing separator makes an all-empty column
        if extra.null_count != len(extra):
            return None
    # one copy per column straight from the Arrow chunks into a column-major array
    out = np.empty((table.num_rows, ncols), dtype=np.float64, order="F")
    # a line of tabs or spaces only is blank, as for the other engines; with single spaces
    # as separators, an empty cell anywhere else is a run of spaces the others would merge
    blank = np.ones(table.num_rows, dtype=bool) if sep in ("\t", " ") else None
    nulls = 0
    for i in range(ncols):
        target = out[:, i]
        offset = 0
        for chunk in table.column(i).chunks:
            n = len(chunk)
            target[offset : offset + n] = chunk.to_numpy(zero_copy_only=False)
            if blank is not None:
                blank[offset : offset + n] &= chunk.is_null().to_numpy(zero_copy_only=False)
            nulls += chunk.null_count
            offset += n
    if blank is not None and blank.any():
        if sep == " " and nulls != int(blank.sum()) * ncols:
            return None
        out = np.asfortranarray(out[~blank])
    elif sep == " " and nulls:
        return None
    return out


def _parse_loadtxt(handle: BinaryIO, ncols: int, sep: str | None, comments: str | None) -> np.ndarray | None:
    """numpy.loadtxt streaming from ``handle`` (as Brian did); None if it refuses the block
    or the width is wrong."""
    delimiter = sep if sep in (",", "\t") else None  # a tab-separated empty cell is a cell, not a blank
    text = io.TextIOWrapper(handle, encoding="latin-1", newline=None)
    try:
        array = np.loadtxt(text, dtype=np.float64, delimiter=delimiter, comments=comments, ndmin=2)
    except (ValueError, io.UnsupportedOperation):
        return None
    finally:
        text.detach()
    if array.shape[1] != ncols and array.size:
        return None
    return array.reshape(-1, ncols)


def _to_float(field: bytes) -> float | None:
    if b"_" in field:  # Python's float() takes "1_000"; no numeric file format does
        return None
    try:
        return float(field)
    except ValueError:
        return None


def _rows(
    body: bytes, ncols: int, sep: str | None, path: str, first_line: int, comments: str | None
) -> Iterator[tuple[int, list[bytes]]]:
    """Yield ``(line number, fields)`` of every non-blank data row; check the width of each."""
    lineno = first_line - 1
    comment = comments.encode() if comments else None
    pos = 0
    size = len(body)
    while pos < size:
        end = body.find(b"\n", pos)
        if end < 0:
            end = size
        line = body[pos:end]
        pos = end + 1
        lineno += 1
        if line[:1] == b"\x1a":  # Ctrl-Z: end of file for DOS-era writers (and Axon's reader)
            return
        if comment is not None and comment in line:
            line = line[: line.index(comment)]
        if not line.strip():
            continue
        if len(line) > 64 * ncols + 4096:  # count before splitting: a huge line is not a list of cells
            count, _ = count_fields(line, 0, len(line), sep, ncols + 1)
            if count > ncols + 1:
                raise CorruptFileError(
                    f"row has more than {ncols + 1} fields, expected {ncols} (separator {sep or 'whitespace'!r})",
                    path=path,
                    line=lineno,
                )
        fields = split_fields(line, sep, drop_trailing=False)
        if len(fields) == ncols + 1 and fields[-1] == b"":
            fields.pop()
        if len(fields) != ncols:
            raise CorruptFileError(
                f"row has {len(fields)} fields, expected {ncols} (separator {sep or 'whitespace'!r})",
                path=path,
                line=lineno,
            )
        yield lineno, fields


def _parse_careful(
    body: bytes,
    *,
    ncols: int,
    sep: str | None,
    path: str,
    first_line: int,
    text_ok: bool,
    comments: str | None,
) -> TableBlock:
    """Line-by-line parser: exact line numbers, empty cells as NaN, optional text cells.

    Values go to a compact ``array('d')``; the cells of text columns are
    collected in a second pass only when a text cell was found.
    """
    values = array("d")
    text_cols: set[int] = set()
    comma_decimals = text_ok and sep != ","  # a comma that is not the separator may be a decimal mark
    comma_cols: dict[int, int] = {}
    nrows = 0
    lineno = first_line - 1
    for lineno, fields in _rows(body, ncols, sep, path, first_line, comments):
        for col, cell in enumerate(fields):
            if cell == b"":
                values.append(math.nan)
                continue
            number = _to_float(cell)
            if number is None and comma_decimals and _DECIMAL_COMMA.match(cell):
                number = float(cell.replace(b",", b"."))
                comma_cols[col] = comma_cols.get(col, 0) + 1
            if number is None:
                if not text_ok:
                    shown = cell[:40].decode("latin-1")
                    raise CorruptFileError(
                        f"cannot read {shown!r} as a number (column {col + 1})", path=path, line=lineno
                    )
                text_cols.add(col)
                number = math.nan
            values.append(number)
        nrows += 1
    table = (
        np.frombuffer(values, dtype=np.float64).reshape(nrows, ncols).copy()
        if nrows
        else np.empty((0, ncols))
    )
    text: dict[int, np.ndarray] = {}
    if text_cols:
        cells: dict[int, list[str]] = {col: [] for col in sorted(text_cols)}
        for _, fields in _rows(body, ncols, sep, path, first_line, comments):
            for col, column in cells.items():
                column.append(_unquote(fields[col]).decode("latin-1"))
        text = {col: text_column(column, path=path, line=first_line) for col, column in cells.items()}
        for col in text_cols.intersection(comma_cols):  # a text column: "1,5" there is text, not 1.5
            table[:, col] = [_text_number(cell) for cell in cells[col]]
            del comma_cols[col]
    decimal_commas = sum(comma_cols.values())
    return TableBlock(table, "careful", text, last_line=lineno, decimal_commas=decimal_commas)


def text_column(cells: list[str], *, path: str, line: int) -> np.ndarray:
    """``cells`` as a numpy string array, unless its fixed width would need far more memory
    than the text itself (one long cell in a long column): then :class:`LimitExceededError`."""
    longest = max(map(len, cells), default=0)
    need = 4 * longest * len(cells)  # numpy's str dtype: 4 bytes per character, every cell as wide as the longest
    have = sum(map(len, cells))
    if need > 16 * have + (64 << 20):
        raise LimitExceededError(
            f"a text column of {len(cells)} cells up to {longest} characters long would take {need} bytes"
            f" as a fixed-width array (its text has {have})",
            path=path,
            line=line,
        )
    return np.array(cells, dtype=str)


def _text_number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def _unquote(cell: bytes) -> bytes:
    """A text cell without its enclosing double quotes, if it has them."""
    return cell[1:-1] if len(cell) >= 2 and cell[:1] == b'"' and cell[-1:] == b'"' else cell

TableBlock.__module__ = "neurofiles.plugin.text"  # its public name
