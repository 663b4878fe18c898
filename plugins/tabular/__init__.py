"""Built-in plugin ``tabular``: results as columns in ``.npz``, ``.csv`` and ``.parquet`` files.

Registration only: nothing here imports numpy, pyarrow or the implementations.
"""

from __future__ import annotations

from typing import Any

from neurofiles.plugin import ReaderSpec, Signature, WriterSpec, hookimpl

_PKG = "neurofiles.plugins.tabular"
_RESULTS = ("Events", "Traces")


@hookimpl
def neurofiles_register_formats(registry: Any) -> None:
    """Register ``npz`` (read, write), ``csv`` (read, write) and ``parquet`` (read, write)."""
    registry.add_reader(
        ReaderSpec(
            name="npz",
            reader=f"{_PKG}._npz:NpzReader",
            extensions=(".npz",),
            magic=(Signature(0, b"PK\x03\x04"),),
            description="neurofiles columns in a numpy .npz archive (Events or Traces with metadata)",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="npz",
            writer=f"{_PKG}._npz:write_npz",
            extensions=(".npz",),
            accepts=_RESULTS,
            description="Events or Traces as named columns plus JSON metadata, lossless",
        )
    )
    registry.add_reader(
        ReaderSpec(
            name="csv",
            reader=f"{_PKG}._csv:CsvReader",
            extensions=(".csv",),
            description="comma-separated numeric table with one header line, read as Traces",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="csv",
            writer=f"{_PKG}._csv:write_csv",
            extensions=(".csv",),
            accepts=_RESULTS,
            description="one header line of 'name (unit)' labels, then one row per event or sample",
        )
    )
    registry.add_reader(
        ReaderSpec(
            name="parquet",
            reader=f"{_PKG}._parquet:ParquetReader",
            extensions=(".parquet",),
            magic=(Signature(0, b"PAR1"),),
            description="Parquet files written by neurofiles (Events or Traces with metadata; needs pyarrow)",
            install_hint='pip install "neurofiles[fast]"',
        )
    )
    registry.add_writer(
        WriterSpec(
            name="parquet",
            writer=f"{_PKG}._parquet:write_parquet",
            extensions=(".parquet",),
            accepts=_RESULTS,
            description="Apache Parquet columns with units and metadata (needs pyarrow)",
            install_hint='pip install "neurofiles[fast]"',
        )
    )
