"""AEDAT 4.0 file header: version line, IOHeader flatbuffer and its infoNode XML."""

from __future__ import annotations

import re
import struct
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from neurofiles._errors import CorruptFileError, FormatWarning, LimitExceededError, TruncatedFileError

from ._flatbuffers import FlatBuffer

__all__ = ["MAGIC4", "MAX_IOHEADER_BYTES", "IOHeader", "StreamInfo", "parse_info_node", "read_ioheader"]

MAGIC4 = b"#!AER-DAT4.0\r\n"
#: Largest IOHeader accepted (the XML infoNode of real files is a few kB).
MAX_IOHEADER_BYTES = 16 * 1024 * 1024

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
        try:
            return int(value)
        except ValueError:
            return value
    if kind in _FLOAT_TYPES:
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "bool":
        return value.strip().lower() == "true"
    return value


def parse_info_node(text: str) -> dict[int, StreamInfo]:
    """Streams declared in the infoNode XML, by stream ID.

    Each stream is a ``<node name="<id>">`` holding ``<attr key=... type=...>``
    children (``typeIdentifier``, ``compression``, ``originalOutputName``...)
    and an ``info`` sub-node (``sizeX``, ``sizeY``, ``source``, ``tsOffset``).
    Document type declarations are refused (no entity expansion).

    Raises
    ------
    ValueError
        The XML is not well formed or declares a DTD.
    """
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ValueError("infoNode XML declares a DTD or entities, which are not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"infoNode XML is not well formed: {exc}") from None
    streams: dict[int, StreamInfo] = {}
    for node in root.iter("node"):
        name = node.get("name", "")
        if not name.isdigit():
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
        streams = parse_info_node(info) if info.strip() else {}
    except ValueError as exc:
        if strict:
            raise CorruptFileError(str(exc), path=path, offset=start) from None
        warnings.warn(
            f"{path}: {exc}; stream types are taken from the packets' flatbuffer identifiers", FormatWarning,
            stacklevel=3,
        )
        streams = {}
    return IOHeader(compression, position, info, streams, start + size)
