"""Results as named columns, and back: for writers and readers of column formats (npz, CSV, Parquet...).

:func:`to_table` turns an :class:`~neurofiles.plugin.Events` or
:class:`~neurofiles.plugin.Traces` into a :class:`Table` of equal-length 1-D
columns with units; :func:`from_table` rebuilds the result. :func:`kind_of`
names the result type (``"events"``, ``"traces"``), :func:`split_label`
splits ``"name (unit)"``, :func:`jsonable_metadata` and :func:`dumps` make
metadata JSON-safe.
"""

from __future__ import annotations

from .._results.tabular import Table, dumps, from_table, jsonable_metadata, kind_of, split_label, to_table

__all__ = ["Table", "dumps", "from_table", "jsonable_metadata", "kind_of", "split_label", "to_table"]
