"""NEURON binary vectors: ``Vector.vwrite`` records and raw ``fwrite`` doubles.

A ``vwrite`` record is ``int32 n | int32 type | payload`` in the writer's
native byte order; type 4 = float64, 3 = float32, 5 = int32, 2 = uint16 and
1 = int8, the last two scaled by a float64 factor ``sf`` and offset ``min``
stored before the payload. Several records may follow each other.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatMismatch, FormatWarning, Reader, Source, Traces
from neurofiles.plugin.io import read_at

__all__ = [
    "ITEM_SIZE",
    "FwriteReader",
    "Record",
    "VwriteReader",
    "decode_record",
    "encode_record",
    "record_size",
    "scan_records",
]

ITEM_SIZE = {1: 1, 2: 2, 3: 4, 4: 8, 5: 4}
TYPE_NAMES = {1: "char (scaled)", 2: "short (scaled)", 3: "float", 4: "double", 5: "int"}
_PAYLOAD_DTYPE = {1: "i1", 2: "u2", 3: "f4", 4: "f8", 5: "i4"}


@dataclass(frozen=True)
class Record:
    """One ``vwrite`` record: where it starts, its length and type, and the byte order."""

    offset: int
    n: int
    type: int
    order: str  # '<' or '>'

    @property
    def size(self) -> int:
        """Bytes of the whole record, header included."""
        return record_size(self.n, self.type)


def record_size(n: int, vtype: int) -> int:
    """Bytes of a record of ``n`` items of ``vtype`` (header and scale included)."""
    return 8 + (16 if vtype in (1, 2) else 0) + n * ITEM_SIZE[vtype]


def parse_header(head8: bytes) -> tuple[int, int, str] | None:
    """``(n, type, order)`` from 8 header bytes, or None if no byte order gives type 1..5 and n >= 0."""
    if len(head8) < 8:
        return None
    for order in ("<", ">"):
        n, vtype = struct.unpack(order + "ii", head8[:8])
        if 1 <= vtype <= 5 and n >= 0:
            return n, vtype, order
    return None


def scan_records(read_at: Any, size: int, *, limit: int | None = None) -> list[Record] | str:
    """Walk the record chain; return the records, or a reason string if it does not tile the file.

    ``read_at(offset, nbytes)`` returns bytes of the file. ``limit`` stops the
    walk early (used by sniffing) once that many bytes are known to be valid.
    """
    records: list[Record] = []
    pos = 0
    order = None
    while pos < size:
        found = parse_header(read_at(pos, 8))
        if found is None:
            return f"byte {pos}: no valid (count, type 1..5) record header"
        n, vtype, rec_order = found
        if order is not None and rec_order != order:
            return f"byte {pos}: record byte order changes"
        order = rec_order
        rec = Record(pos, n, vtype, rec_order)
        if pos + rec.size > size:
            left = size - pos
            return f"byte {pos}: record of {n} {TYPE_NAMES[vtype]} items needs {rec.size} bytes, {left} left"
        records.append(rec)
        pos += rec.size
        if limit is not None and pos >= limit:
            break
    if not records:
        return "empty file"
    return records


def decode_record(data: bytes, rec: Record) -> np.ndarray:
    """The float64 values of one record; ``data`` starts at the record."""
    o = rec.order
    body = 8
    if rec.type in (1, 2):
        sf, vmin = struct.unpack(o + "dd", data[8:24])
        body = 24
    raw = np.frombuffer(data, dtype=o + _PAYLOAD_DTYPE[rec.type], count=rec.n, offset=body)
    values = raw.astype(np.float64)
    if rec.type == 1:
        values = (values + 128.0) / sf + vmin
    elif rec.type == 2:
        values = values / sf + vmin
    return values


def encode_record(values: np.ndarray, vtype: int = 4, order: str = "<") -> bytes:
    """One ``vwrite`` record of ``values`` as NEURON writes it (scaled types truncate toward zero)."""
    if vtype not in ITEM_SIZE:
        raise ValueError(f"vwrite type must be 1..5, got {vtype!r}")
    x = np.asarray(values, dtype=np.float64).ravel()
    head = struct.pack(order + "ii", x.size, vtype)
    if vtype in (1, 2):
        vmin = float(x.min()) if x.size else 0.0
        vmax = float(x.max()) if x.size else 0.0
        top = 255.0 if vtype == 1 else 65535.0
        sf = top / (vmax - vmin) if vmax != vmin else 1.0
        # C casts truncate toward zero; NEURON subtracts 128 before the cast to char
        if vtype == 1:
            payload = np.trunc((x - vmin) * sf - 128.0).astype(order + "i1")
        else:
            payload = np.trunc((x - vmin) * sf).astype(order + "u2")
        return head + struct.pack(order + "dd", sf, vmin) + payload.tobytes()
    if vtype == 5:
        return head + np.trunc(x).astype(order + "i4").tobytes()
    return head + x.astype(order + _PAYLOAD_DTYPE[vtype]).tobytes()


class VwriteReader(Reader):
    """Reads files of one or more ``Vector.vwrite`` records (format ``neuron-vwrite``).

    Parameters
    ----------
    times_first
        Use the first vector as the time column (as in ``t.vwrite(f); v.vwrite(f)``).
    """

    def __init__(self, source: Source, *, times_first: bool = False) -> None:
        super().__init__(source)
        self.times_first = times_first
        size = source.size
        if size is None:
            with source.open() as handle:
                size = len(handle.read())
        self.size = size
        with source.open() as handle:

            def read_at(offset: int, nbytes: int) -> bytes:
                handle.seek(offset)
                return handle.read(nbytes)

            found = scan_records(read_at, size)
        if isinstance(found, str):
            raise FormatMismatch(f"not a Vector.vwrite file: {found}")
        self.records = found

    def summary(self) -> dict[str, Any]:
        """Record count, lengths, types and byte order."""
        return {
            "vectors": len(self.records),
            "lengths": [r.n for r in self.records],
            "types": [TYPE_NAMES[r.type] for r in self.records],
            "byte order": "little" if self.records[0].order == "<" else "big",
        }

    def read(self) -> Traces:
        """Decode every record. Equal-length vectors become columns; vectors of different
        lengths are kept end to end in one column (never padded), with their offsets."""
        meta: dict[str, Any] = {"format": "neuron-vwrite", "source": self.source.name, **self.summary()}
        lengths = [r.n for r in self.records]
        if len(set(lengths)) > 1:
            return self._ragged(lengths, meta)
        table = np.empty((lengths[0], len(lengths)), dtype=np.float64)
        self._decode_into(list(table.T))
        meta["vectors_data"] = list(table.T)
        if self.times_first and len(lengths) < 2:
            raise CorruptFileError("times_first=True needs at least two vectors", path=self.source.name)
        names = [f"vector {i + 1}" for i in range(len(lengths))]
        if self.times_first:
            return Traces(table[:, 0], table[:, 1:], names[1:], time_name="vector 1", metadata=meta)
        meta["times"] = "none: vwrite stores bare vectors (use times_first=True if the first is time)"
        return Traces(None, table, names, metadata=meta)

    def _decode_into(self, targets: list[np.ndarray]) -> None:
        """Decode record ``i`` into ``targets[i]`` (views of one preallocated array)."""
        with self.source.open() as handle:
            for rec, target in zip(self.records, targets):
                target[:] = decode_record(read_at(handle, rec.offset, rec.size, self.source.name), rec)

    def _ragged(self, lengths: list[int], meta: dict[str, Any]) -> Traces:
        """Vectors of different lengths: one flat column, ``metadata["offsets"]`` says where each starts."""
        path = self.source.name
        if self.times_first:
            raise CorruptFileError(
                f"times_first=True needs vectors of equal length, found lengths {_shown(lengths)}", path=path
            )
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), dtype=np.float64)
        views = [flat[offsets[i] : offsets[i + 1]] for i in range(len(lengths))]
        self._decode_into(views)
        warnings.warn(
            f"{path}: vectors have different lengths {_shown(lengths)}; they are kept end to end in"
            " one column (metadata['offsets'], metadata['vectors_data'])",
            FormatWarning,
            stacklevel=3,
        )
        meta["layout"] = "ragged: vectors end to end in one column"
        meta["offsets"] = offsets
        meta["vectors_data"] = views
        meta["times"] = "none: vwrite stores bare vectors"
        return Traces(None, flat.reshape(-1, 1), ["vectors (end to end)"], metadata=meta)


def _shown(lengths: list[int], most: int = 10) -> str:
    """``lengths`` for a message: the first ``most`` and how many more."""
    head = ", ".join(map(str, lengths[:most]))
    return f"[{head}, ... {len(lengths) - most} more]" if len(lengths) > most else f"[{head}]"


class FwriteReader(Reader):
    """Reads raw doubles written by ``Vector.fwrite`` (format ``neuron-fwrite``, explicit only).

    Parameters
    ----------
    byteorder
        ``'little'`` (default, what x86 and ARM write) or ``'big'``.
    """

    def __init__(self, source: Source, *, byteorder: str = "little") -> None:
        super().__init__(source)
        if byteorder not in ("little", "big"):
            raise ValueError(f"byteorder must be 'little' or 'big', got {byteorder!r}")
        self.byteorder = byteorder
        size = source.size
        if size is not None and size % 8:
            raise CorruptFileError(
                f"size {size} is not a multiple of 8: not raw float64 values",
                path=source.name,
                offset=size - size % 8,
            )

    def read(self) -> Traces:
        """All doubles as one column, no times."""
        with self.source.open() as handle:
            data = handle.read()
        if len(data) % 8:
            raise CorruptFileError(f"size {len(data)} is not a multiple of 8", path=self.source.name)
        values = np.frombuffer(data, dtype=("<" if self.byteorder == "little" else ">") + "f8").astype(
            np.float64
        )
        meta = {
            "format": "neuron-fwrite",
            "source": self.source.name,
            "byte order": self.byteorder,
            "times": "none: fwrite stores bare doubles",
        }
        return Traces(None, values.reshape(-1, 1), ["vector 1"], metadata=meta)
