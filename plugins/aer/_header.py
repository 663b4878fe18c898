"""The ASCII header of AEDAT 1.0/2.0/3.x files (and the first line of 4.0).

A header is a run of lines starting with ``#``, each ended by LF or CRLF.
It stops at the first line that does not start with ``#``, right after an
explicit end marker (``#End Of ASCII Header``, ``#!END-HEADER``), or, for
AEDAT 4.0, right after the version line. A ``#`` line that is not text
(control bytes, or no line end within :data:`MAX_LINE` bytes) is taken as
the first data record: binary data may begin with the byte 0x23.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import BinaryIO

from neurofiles.plugin import CorruptFileError, LimitExceededError

__all__ = ["MAX_HEADER", "MAX_LINE", "MAX_LINES", "Header", "parse_header", "parse_tick"]

MAX_HEADER = 64 * 1024 * 1024
MAX_LINE = 1024 * 1024
MAX_LINES = 200_000
_BLOCK = 65536

_VERSION = re.compile(r"^(\d{1,3})(?:\.(\d{1,3}))?$")
_END_MARKERS = ("end of ascii header", "!end-header")
_TICK = re.compile(
    r"timestamps?\s+tick\s*(?:is|:|=)?\s*"
    r"([+-]?(?:\d{1,12}(?:\.\d{0,12})?(?:[eE][+-]?\d{1,3})?|nan|inf(?:inity)?))\s*"
    r"(us|µs|μs|microseconds?|ms|milliseconds?|ns|nanoseconds?|s|sec|seconds?)\b",
    re.IGNORECASE,
)
#: A line that means to state the tick (whether or not its value can be read).
_TICK_LINE = re.compile(r"\btimestamps?\s+tick\b", re.IGNORECASE)
_FIELD = re.compile(r"^([A-Za-z][A-Za-z_\-]*(?: [A-Za-z_\-]+)*(?: \d{1,4})?)\s*:\s?(.*)$")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Header:
    """What the ASCII header says.

    Attributes
    ----------
    version
        ``"1.0"``, ``"2.0"``, ``"3.1"``, ``"4.0"``... or None when there is no version line.
    end
        Byte offset of the first body byte.
    lines
        Header lines without the leading ``#`` and the line end.
    fields
        ``Key: value`` lines as a dict (first occurrence wins).
    tick
        Seconds per tick from the tick line, or None.
    tick_line
        ``(line number, byte offset, text)`` of the line stating the tick, or None.
    tick_problem
        Why the tick line gave no usable tick: ``"unreadable"`` (no number and
        unit found) or ``"invalid"`` (zero, negative, infinite or NaN), else None.
    end_marker
        The end line if the header had one.
    line_ending
        ``"CRLF"``, ``"LF"``, ``"mixed"`` or None (no header).
    """

    version: str | None = None
    end: int = 0
    lines: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    tick: float | None = None
    tick_line: tuple[int, int, str] | None = None
    tick_problem: str | None = None
    end_marker: str | None = None
    line_ending: str | None = None

    @property
    def major(self) -> int | None:
        """Major version number, or None."""
        return None if self.version is None else int(self.version.split(".")[0])


def parse_tick(text: str) -> float | None:
    """Seconds per tick from a tick line (``Timestamps tick is 1 us`` / ``tick: 1 us``), or None.

    A value that is not a positive finite number gives NaN (the line states a
    tick that cannot be used); no readable value gives None.
    """
    match = _TICK.search(text)
    if match is None:
        return None
    value = float(match.group(1))
    unit = match.group(2).lower()
    if unit in ("ms",) or unit.startswith("mil"):
        factor = 1e-3
    elif unit.startswith(("u", "µ", "μ", "mic")):
        factor = 1e-6
    elif unit.startswith("n"):
        factor = 1e-9
    else:
        factor = 1.0
    seconds = value * factor
    return seconds if seconds > 0 and math.isfinite(seconds) else math.nan


def _version(text: str, path: str, offset: int) -> str:
    raw = text[len("!AER-DAT"):].strip()
    match = _VERSION.match(raw)
    if match is None:
        raise CorruptFileError(f"unreadable AEDAT version line {('#' + text)[:60]!r}", path=path, offset=offset)
    return f"{int(match.group(1))}.{int(match.group(2) or 0)}"


class _Lines:
    """Reads a binary handle line by line from offset 0, with bounds."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.buffer = b""
        self.base = 0  # file offset of buffer[0]
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        more = self.handle.read(_BLOCK)
        if not more:
            self.eof = True
            return False
        self.buffer += more
        return True

    def peek(self, pos: int) -> int | None:
        while pos - self.base >= len(self.buffer):
            if not self._fill():
                return None
        return self.buffer[pos - self.base]

    def line(self, pos: int) -> tuple[bytes, int] | None:
        """The line at ``pos`` (with its end) and the offset after it; None if too long."""
        start = pos - self.base
        search_from = start
        while True:
            nl = self.buffer.find(b"\n", search_from)
            if nl >= 0:
                return self.buffer[start : nl + 1], self.base + nl + 1
            if len(self.buffer) - start > MAX_LINE:
                return None
            search_from = len(self.buffer)
            if not self._fill():
                return self.buffer[start:], self.base + len(self.buffer)

    def drop_before(self, pos: int) -> None:
        cut = pos - self.base
        if cut > _BLOCK:
            self.buffer = self.buffer[cut:]
            self.base = pos


def parse_header(handle: BinaryIO, path: str) -> Header:
    """Parse the ASCII header at the start of ``handle`` (positioned at 0).

    Raises
    ------
    CorruptFileError
        A version line that cannot be read.
    LimitExceededError
        The header runs past :data:`MAX_HEADER` bytes.
    """
    header = Header()
    reader = _Lines(handle)
    pos = 0
    endings: set[str] = set()
    while reader.peek(pos) == 0x23:  # '#'
        if pos > MAX_HEADER:
            raise LimitExceededError(f"ASCII header longer than {MAX_HEADER} bytes", path=path, offset=pos)
        if len(header.lines) >= MAX_LINES:
            raise LimitExceededError(f"ASCII header has more than {MAX_LINES} lines", path=path, offset=pos)
        got = reader.line(pos)
        if got is None:
            break  # no line end within MAX_LINE: binary data starting with '#'
        raw, after = got
        body = raw.rstrip(b"\n")
        crlf = body.endswith(b"\r")
        body = body.rstrip(b"\r")
        if _CONTROL.search(body):
            break  # binary record that happens to start with '#'
        text = body[1:].decode("utf-8", errors="replace")
        if raw.endswith(b"\n"):
            endings.add("CRLF" if crlf else "LF")
        stripped = text.strip()
        if stripped.startswith("!AER-DAT") and header.version is None and not header.lines:
            header.version = _version(stripped, path, pos)
        header.lines.append(text)
        pos = after
        reader.drop_before(pos)
        if stripped.lower() in _END_MARKERS:
            header.end_marker = "#" + stripped
            break
        if header.major is not None and header.major >= 4:
            break  # AEDAT 4.0: only the version line is text
        _note(header, stripped, len(header.lines), after - len(raw))
    header.end = pos
    header.line_ending = None if not endings else (endings.pop() if len(endings) == 1 else "mixed")
    return header


def _note(header: Header, text: str, number: int, offset: int) -> None:
    """Record a ``Key: value`` field and the tick from one header line (``number``, at byte ``offset``)."""
    if header.tick is None and "tick" in text.lower() and _TICK_LINE.search(text):
        tick = parse_tick(text)
        if tick is not None and not math.isnan(tick):
            header.tick, header.tick_problem, header.tick_line = tick, None, (number, offset, "#" + text)
        elif header.tick_line is None:
            header.tick_line = (number, offset, "#" + text)
            header.tick_problem = "unreadable" if tick is None else "invalid"
    if text.startswith(("<", "!")):
        return
    match = _FIELD.match(text)
    if match is not None:
        header.fields.setdefault(match.group(1), match.group(2).strip())
    elif text.lower().startswith("created "):
        header.fields.setdefault("created", text[len("created ") :].strip())
