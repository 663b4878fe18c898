"""Apache Parquet output (needs pyarrow: ``pip install "neurofiles[fast]"``).

Each column keeps its numpy type; units go into the field metadata
(``unit``), and the rebuild attributes plus JSON metadata into the schema
metadata under ``neurofiles``.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from neurofiles.plugin.tabular import dumps, to_table

__all__ = ["write_parquet"]


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
