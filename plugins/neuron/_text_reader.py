"""Reader for NEURON text output (format ``neuron-dat``).

Clipboard files (*Vector > Save to File*), headerless ``File.printf`` /
``np.savetxt`` tables, ``Matrix.fprint``, single-column ``Vector.printf`` and
PrintWindowManager Ascii dumps. See ``spec/formats/neuron-dat.md``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from neurofiles.plugin.text import (
    Buffer,
    check_engine,
    detect_separator,
    MAX_COLUMNS,
    parse_block,
    read_buffer,
    read_whole,
    TableBlock,
)
from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    Reader,
    Source,
    Traces,
)

from ._layout import EPS_MAGIC, PWM_HEADS, TextLayout, scan_layout
from ._pwm import read_pwm

__all__ = ["NeuronDatReader", "looks_binary"]

_TEXT_BYTES = frozenset(b"\t\n\r\x0c\x1a") | frozenset(range(32, 256))
#: a single-line vector is parsed in pieces of this many bytes
SINGLE_LINE_PIECE = 4 << 20
_SPACES_TO_LINES = bytes.maketrans(b" \t", b"\n\n")


def looks_binary(head: bytes) -> bool:
    """True if ``head`` holds NUL or control bytes that text files never have."""
    return bool(head) and (b"\x00" in head or not set(head) <= _TEXT_BYTES)


class NeuronDatReader(Reader):
    """Reads NEURON's text layouts into :class:`~neurofiles.Traces`.

    Parameters
    ----------
    strict
        Raise :class:`CorruptFileError` when the count line disagrees with the
        rows found, instead of warning with :class:`FormatWarning`.
    engine
        ``'auto'`` (pyarrow when installed), ``'numpy'`` or ``'pyarrow'``.
    max_columns
        Widest table read (default 65,536); a wider row is a
        :class:`LimitExceededError`. A single-line vector is one column, whatever its length.
    """

    def __init__(
        self, source: Source, *, strict: bool = False, engine: str = "auto", max_columns: int = MAX_COLUMNS
    ) -> None:
        super().__init__(source)
        check_engine(engine)
        self.max_columns = max_columns
        self.strict, self.engine = strict, engine
        head = source.header
        path = source.name
        if head.lstrip().startswith(EPS_MAGIC):
            raise CorruptFileError(
                "this is Encapsulated PostScript (Graph.printfile writes a picture, not data);"
                " export the curves with PrintWindowManager 'Print to File > Ascii' or Vector > Save to File",
                path=path,
                line=1,
            )
        if not head.strip():
            raise FormatMismatch("empty file")
        if looks_binary(head):
            raise FormatMismatch("binary content (NUL or control bytes)")
        self.pwm = head.lstrip().split(b"\n", 1)[0].strip() in PWM_HEADS
        self._buf: Buffer = read_buffer(source)
        self.layout: TextLayout | None = None
        if self.pwm:
            return
        found = scan_layout(self._buf, path, max_columns)
        if isinstance(found, str):
            raise FormatMismatch(found)
        self.layout = found
        self._check_count_size()

    def _check_count_size(self) -> None:
        lay = self.layout
        assert lay is not None
        if lay.count is None:
            return
        surely_count = lay.label is not None or len(lay.count) != lay.ncols
        max_rows = (self.source.size or len(self._buf)) // 2 + 1
        if surely_count and lay.count[0] > max_rows:
            raise LimitExceededError(
                f"count line declares {lay.count[0]} rows;"
                f" a file of {self.source.size} bytes holds at most {max_rows}",
                path=self.source.name,
                line=lay.count_line,
            )

    def summary(self) -> dict[str, Any]:
        """Header facts: variant, label, declared count, columns."""
        if self.pwm or self.layout is None:
            return {"variant": "PrintWindowManager Ascii"}
        lay = self.layout
        return {
            "label": lay.label,
            "count line": lay.count,
            "columns": lay.ncols,
            "column names": lay.names,
            "first data line": lay.data_line,
        }

    def read(self) -> Traces:
        """Parse the data block and return the traces."""
        path = self.source.name
        if self.pwm:  # small GUI dumps: parse them from read bytes, not through the header view
            traces = read_pwm(read_whole(self.source.open, len(self._buf), path), path)
            traces.metadata["source"] = path
            return traces
        lay = self.layout
        assert lay is not None
        if lay.single_line:
            block = self._single_line(lay)
        else:
            block = parse_block(
                self._buf,
                lay.data_start,
                ncols=lay.ncols,
                sep=lay.sep,
                path=path,
                first_line=lay.data_line,
                engine=self.engine,
                comments="#",
            )
        array = block.array
        meta: dict[str, Any] = {"format": "neuron-dat", "source": path, "engine": block.engine}
        count_is_header = self._count_is_header(array.shape[0])
        if lay.count is not None and not count_is_header:
            assert lay.count_values is not None
            array = np.vstack([np.array(lay.count_values, dtype=np.float64).reshape(1, -1), array])
            meta["note"] = (
                f"line {lay.count_line} ({lay.count_text.decode()!r}) is read as data, not as a count line"
            )
        elif lay.count is not None:
            self._check_count(array.shape[0], lay, meta)
        meta["variant"] = self._variant(count_is_header, array.shape[0])
        if lay.label is not None:
            meta["label"] = lay.label
        if lay.names is not None:
            meta["header names"] = lay.names
        if (
            lay.first_data.startswith(b" ")
            and count_is_header
            and lay.count is not None
            and len(lay.count) == 2
        ):
            meta["precision note"] = "Matrix.fprint writes 3 significant digits by default"
        meta["rows"] = int(array.shape[0])
        return self._traces(array, meta)

    def _single_line(self, lay: TextLayout) -> TableBlock:
        """The one line of a single-line vector as one column, parsed in pieces of
        SINGLE_LINE_PIECE bytes cut between numbers (each piece's blanks become line ends)."""
        path = self.source.name
        pieces: list[np.ndarray] = []
        engine = "native"
        pos, stop = lay.data_start, lay.data_end
        while pos < stop:
            chunk = self._buf[pos : min(stop, pos + SINGLE_LINE_PIECE)]
            if pos + len(chunk) < stop:
                cut = max(chunk.rfind(b" "), chunk.rfind(b"\t"))
                if cut < 0:
                    raise CorruptFileError(
                        f"no blank in {len(chunk)} bytes of a single-line vector: not a number",
                        path=path,
                        line=lay.data_line,
                        offset=pos,
                    )
                chunk = chunk[: cut + 1]
            try:
                block = parse_block(
                    chunk.translate(_SPACES_TO_LINES),
                    0,
                    ncols=1,
                    sep=None,
                    path=path,
                    first_line=lay.data_line,
                    engine=self.engine,
                    comments="#",
                )
            except CorruptFileError as exc:
                raise CorruptFileError(exc.reason, path=path, line=lay.data_line) from None
            pieces.append(block.array)
            engine = block.engine
            pos += len(chunk)
        return TableBlock(np.concatenate(pieces) if pieces else np.empty((0, 1)), engine)

    def _count_is_header(self, rows: int) -> bool:
        """Decide whether the integer line before the data is a count line or the first data row."""
        lay = self.layout
        assert lay is not None
        if lay.count is None:
            return False
        if lay.label is not None or lay.names is not None or len(lay.count) != lay.ncols:
            return True
        if lay.ncols == 1:
            return False  # no NEURON writer puts a count above one column of values: it is a value
        if lay.count[0] == rows:
            return True
        # same width as the data: a count line only if written differently from the rows
        return detect_separator(lay.count_text) != lay.sep and lay.sep is not None

    def _check_count(self, rows: int, lay: TextLayout, meta: dict[str, Any]) -> None:
        assert lay.count is not None
        meta["declared count"] = lay.count
        problems = []
        if lay.count[0] != rows:
            problems.append(f"declares {lay.count[0]} rows but {rows} were found")
        if len(lay.count) == 2 and lay.count[1] != lay.ncols:
            problems.append(f"declares {lay.count[1]} columns but the rows have {lay.ncols}")
        if not problems:
            meta["count check"] = "ok"
            return
        message = f"count line {lay.count_text.decode()!r} " + " and ".join(problems) + "; all rows are kept"
        meta["count check"] = message
        if self.strict:
            raise CorruptFileError(message, path=self.source.name, line=lay.count_line)
        warnings.warn(f"{self.source.name}: line {lay.count_line}: {message}", FormatWarning, stacklevel=3)

    def _variant(self, count_is_header: bool, rows: int) -> str:
        lay = self.layout
        assert lay is not None
        count = lay.count if count_is_header else None
        if lay.label is not None and count is not None:
            return "clipboard" if len(count) == 1 else "clipboard with rows/columns count line"
        if lay.label is not None:
            return "clipboard without count line"
        if count is not None:
            return "count line without label" if len(count) == 1 else "Matrix.fprint"
        if lay.names is not None:
            return "table with column-name line"
        if lay.single_line:
            return "single-line vector"
        if lay.ncols == 1:
            return "Vector.printf (values only)"
        if rows == 1 and lay.ncols > 2:
            return "single-line vector"
        return "table (File.printf / np.savetxt)"

    def _traces(self, array: np.ndarray, meta: dict[str, Any]) -> Traces:
        lay = self.layout
        assert lay is not None
        variant = meta["variant"]
        if variant == "single-line vector" or lay.single_line:
            array = array.reshape(-1, 1)
        ncols = array.shape[1]
        label = lay.label
        if ncols == 1:
            meta["times"] = "none: the file holds one column of values, no time column"
            return Traces(None, array, [label or "y"], metadata=meta)
        names = lay.names if lay.names is not None and len(lay.names) == ncols else None
        if names is not None:
            return Traces(array[:, 0], array[:, 1:], names[1:], time_name=names[0], metadata=meta)
        if ncols == 2:
            columns = [label or "y"]
        else:
            columns = [f"y{i}" for i in range(1, ncols)]
        return Traces(array[:, 0], array[:, 1:], columns, time_name="x", metadata=meta)

    def close(self) -> None:
        """Drop the header view."""
        self._buf = b""
