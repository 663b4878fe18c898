"""Apache Parquet output and read-back (needs pyarrow: ``pip install "neurofiles[fast]"``).

Each column keeps its numpy type; units go into the field metadata
(``unit``), and the rebuild attributes plus JSON metadata into the schema
metadata under ``neurofiles``. :class:`ParquetReader` reads such files back
(Events or Traces); Parquet files without that metadata are refused.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from neurofiles.plugin import CorruptFileError, FormatMismatch, Reader, Source
from neurofiles.plugin.tabular import Table, dumps, from_table, to_table

__all__ = ["ParquetReader", "write_parquet"]


def write_parquet(stream: IO[bytes], data: Any, *, path: Any = None, compression: str = "zstd") -> None:
    """Write ``data`` (Events or Traces) as one Parquet table."""
    table = to_table(data, with_times=True)
    fields, arrays = [], []
    for name, column in table.columns.items():
        array = pa.array(np.ascontiguousarray(column))
        fields.append(pa.field(name, array.type, metadata={"unit": table.units.get(name, "")}))
        arrays.append(array)
    head = {"kind": table.kind, "attrs": table.attrs, "metadata": table.metadata}
    schema = pa.schema(fields, metadata={"neurofiles": dumps(head)})
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), stream, compression=compression)


class ParquetReader(Reader):
    """Reads Parquet files written by :func:`write_parquet` back into Events or Traces."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.header.startswith(b"PAR1"):
            raise FormatMismatch("not a Parquet file")
        try:
            with source.open() as handle:
                schema = pq.read_schema(handle)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CorruptFileError(f"unreadable Parquet footer: {exc}", path=source.name) from exc
        raw = (schema.metadata or {}).get(b"neurofiles")
        if raw is None:
            raise FormatMismatch("Parquet file without neurofiles metadata (not written by neurofiles)")
        import json

        try:
            head = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise CorruptFileError(f"unreadable neurofiles metadata: {exc}", path=source.name) from exc
        if not isinstance(head, dict) or head.get("kind") not in ("Events", "Traces"):
            raise CorruptFileError("neurofiles metadata names no Events/Traces kind", path=source.name)
        self.head = head

    def read(self) -> Any:
        head = self.head
        try:
            with self.source.open() as handle:
                data = pq.read_table(handle)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CorruptFileError(f"cannot read the Parquet columns: {exc}", path=self.source.name) from exc
        columns: dict[str, np.ndarray] = {}
        units: dict[str, str] = {}
        for fld, column in zip(data.schema, data.columns):
            if head["kind"] == "Events" and fld.name == "times" and "timestamps" in data.schema.names:
                continue  # derived from timestamps * tick
            try:
                columns[fld.name] = column.to_numpy()
            except (pa.ArrowException, ValueError) as exc:
                raise CorruptFileError(f"column {fld.name!r}: {exc}", path=self.source.name) from exc
            units[fld.name] = (fld.metadata or {}).get(b"unit", b"").decode("utf-8", "replace")
        found_attrs, found_metadata = head.get("attrs"), head.get("metadata")
        attrs: dict[str, Any] = found_attrs if isinstance(found_attrs, dict) else {}
        metadata: dict[str, Any] = found_metadata if isinstance(found_metadata, dict) else {}
        table = Table(head["kind"], columns=columns, units=units, attrs=attrs, metadata=metadata)
        try:
            return from_table(table)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
            raise CorruptFileError(f"cannot rebuild {head['kind']}: {exc}", path=self.source.name) from exc
