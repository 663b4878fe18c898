"""AEDAT 4.0 file header: version line, IOHeader flatbuffer and its infoNode XML."""

from __future__ import annotations

import re
import struct
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from neurofiles.plugin import CorruptFileError, FormatWarning, LimitExceededError, TruncatedFileError

from ._flatbuffers import FlatBuffer

__all__ = ["MAGIC4", "MAX_IOHEADER_BYTES", "MAX_XML_DEPTH", "MAX_XML_ELEMENTS", "IOHeader", "StreamInfo",
           "parse_info_node", "read_ioheader"]

MAGIC4 = b"#!AER-DAT4.0\r\n"
#: Largest IOHeader accepted (the XML infoNode of real files is a few kB).
MAX_IOHEADER_BYTES = 16 * 1024 * 1024

#: Deepest element nesting accepted in the infoNode XML (real files nest 4 or 5 levels).
MAX_XML_DEPTH = 64
#: Most elements accepted in the infoNode XML (real files hold a few hundred).
MAX_XML_ELEMENTS = 100_000
_XML_CHUNK = 1 << 12
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_STREAM_ID = re.compile(r"[0-9]{1,9}")

_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_NUMBER_TYPES = {"int", "long", "short", "byte"}
_FLOAT_TYPES = {"float", "double"}


@dataclass
class StreamInfo:
    """One output stream declared in the infoNode XML."""

    stream_id: int
    type: str = ""
    name: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class IOHeader:
    """What the AEDAT 4 header says."""

    compression: int
    data_table_position: int
    info_xml: str
    streams: dict[int, StreamInfo]
    first_packet: int


def _typed(value: str, kind: str | None) -> Any:
    if kind in _NUMBER_TYPES:
        return int(value) if _INTEGER.fullmatch(value.strip()) else value
    if kind in _FLOAT_TYPES:
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "bool":
        return value.strip().lower() == "true"
    return value


def _parse_bounded(text: str, path: object, offset: int | None) -> ET.Element:
    """Parse ``text`` incrementally, refusing it as soon as it nests or counts too many elements."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    depth = elements = 0
    root: ET.Element | None = None
    try:
        for first in range(0, max(len(text), 1), _XML_CHUNK):
            parser.feed(text[first : first + _XML_CHUNK])
            for item in parser.read_events():
                event, element = cast("tuple[str, object]", item)
                if event == "end":
                    depth -= 1
                    continue
                depth += 1
                elements += 1
                if root is None and isinstance(element, ET.Element):
                    root = element
                if depth > MAX_XML_DEPTH or elements > MAX_XML_ELEMENTS:
                    what = (f"nests deeper than {MAX_XML_DEPTH} elements" if depth > MAX_XML_DEPTH
                            else f"has more than {MAX_XML_ELEMENTS} elements")
                    raise LimitExceededError(f"infoNode XML {what}", path=path, offset=offset)
        parser.close()
        for _ in parser.read_events():
            pass
    except ET.ParseError as exc:
        raise ValueError(f"infoNode XML is not well formed: {exc}") from None
    if root is None:
        raise ValueError("infoNode XML has no element")
    return root


def parse_info_node(text: str, *, path: object = None, offset: int | None = None) -> dict[int, StreamInfo]:
    """Streams declared in the infoNode XML, by stream ID.

    Each stream is a ``<node name="<id>">`` holding ``<attr key=... type=...>``
    children (``typeIdentifier``, ``compression``, ``originalOutputName``...)
    and an ``info`` sub-node (``sizeX``, ``sizeY``, ``source``, ``tsOffset``).
    Document type declarations are refused (no entity expansion). The XML is
    parsed incrementally and refused as soon as it nests deeper than
    :data:`MAX_XML_DEPTH` or holds more than :data:`MAX_XML_ELEMENTS` elements.

    Raises
    ------
    ValueError
        The XML is not well formed or declares a DTD.
    LimitExceededError
        Too deep or too many elements (``path`` and ``offset`` are named).
    """
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ValueError("infoNode XML declares a DTD or entities, which are not accepted")
    root = _parse_bounded(text, path, offset)
    streams: dict[int, StreamInfo] = {}
    for node in root.iter("node"):
        name = node.get("name", "")
        if not _STREAM_ID.fullmatch(name):
            continue
        attrs = {a.get("key", ""): _typed(a.text or "", a.get("type")) for a in node.findall("attr")}
        if "typeIdentifier" not in attrs:
            continue
        for sub in node.findall("node"):
            if sub.get("name") == "info":
                for a in sub.findall("attr"):
                    attrs.setdefault(a.get("key", ""), _typed(a.text or "", a.get("type")))
        streams[int(name)] = StreamInfo(
            stream_id=int(name),
            type=str(attrs.get("typeIdentifier", "")),
            name=str(attrs.get("originalOutputName", "")),
            attrs=attrs,
        )
    return streams


def read_ioheader(fh: BinaryIO, *, path: object, file_size: int, strict: bool) -> IOHeader:
    """Parse the version line and the IOHeader; ``fh`` is at offset 0.

    Raises
    ------
    CorruptFileError
        Wrong version line or bad IOHeader flatbuffer.
    TruncatedFileError
        The file ends inside the header.
    LimitExceededError
        The IOHeader declares more than :data:`MAX_IOHEADER_BYTES`.
    """
    head = fh.read(len(MAGIC4) + 4)
    if not head.startswith(MAGIC4[: min(len(head), len(MAGIC4))]) or len(head) < len(MAGIC4):
        if len(head) < len(MAGIC4) and MAGIC4.startswith(head):
            raise TruncatedFileError("file ends inside the AEDAT 4.0 version line", path=path, offset=len(head))
        raise CorruptFileError("not an AEDAT 4.0 file (no '#!AER-DAT4.0\\r\\n' line)", path=path, offset=0)
    if len(head) < len(MAGIC4) + 4:
        raise TruncatedFileError("file ends before the IOHeader size", path=path, offset=len(head))
    size = struct.unpack_from("<I", head, len(MAGIC4))[0]
    start = len(MAGIC4) + 4
    if size > MAX_IOHEADER_BYTES:
        raise LimitExceededError(
            f"IOHeader declares {size} bytes, more than the {MAX_IOHEADER_BYTES} accepted", path=path, offset=14
        )
    if start + size > file_size:
        raise TruncatedFileError(
            f"IOHeader declares {size} bytes but the file has only {file_size - start} after the size field",
            path=path,
            offset=start,
        )
    data = fh.read(size)
    fb = FlatBuffer(data, path=path, where=start, what="IOHeader")
    table = fb.root()
    compression = int(table.scalar(0, _I32, 0))
    position = int(table.scalar(1, _I64, -1))
    raw = table.string(2) or b""
    info = raw.decode("utf-8", errors="replace")
    try:
        streams = parse_info_node(info, path=path, offset=start) if info.strip() else {}
    except LimitExceededError:
        raise
    except ValueError as exc:
        if strict:
            raise CorruptFileError(str(exc), path=path, offset=start) from None
        warnings.warn(
            f"{path}: {exc}; stream types are taken from the packets' flatbuffer identifiers", FormatWarning,
            stacklevel=3,
        )
        streams = {}
    return IOHeader(compression, position, info, streams, start + size)
