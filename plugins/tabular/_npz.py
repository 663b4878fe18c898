"""``.npz`` archives of neurofiles columns: lossless for Events and Traces.

Layout: one ``.npy`` member per column (``col0``, ``col1``...), one per extra
array (``extra0``...), and ``__neurofiles__``: a 0-d string array holding JSON
with the kind, column names, units, rebuild attributes and metadata. Arrays
are read with ``allow_pickle=False``; object arrays are never written.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from typing import IO, Any

import numpy as np
from neurofiles._errors import CorruptFileError, FormatWarning, LimitExceededError
from neurofiles._tabular import Table, dumps, from_table, to_table
from neurofiles.plugin import FormatMismatch, Reader, Source

__all__ = ["NpzReader", "write_npz"]

MEMBER = "__neurofiles__"
LAYOUT_VERSION = 1
DEFAULT_MAX_BYTES = 16 << 30
#: what a damaged archive makes zipfile, zlib and numpy's .npy parser raise
_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    NotImplementedError,
    struct.error,
    OverflowError,
    UnicodeDecodeError,
    RuntimeError,
)


def _storable(name: str, array: np.ndarray) -> np.ndarray | None:
    if array.dtype.hasobject:
        import warnings

        warnings.warn(
            f"npz: array {name!r} holds Python objects and was not stored", FormatWarning, stacklevel=4
        )
        return None
    return array


def write_npz(stream: IO[bytes], data: Any, *, path: Any = None, compress: bool = True) -> None:
    """Write ``data`` (Events or Traces) as a neurofiles ``.npz`` archive."""
    table = to_table(data)
    arrays: dict[str, np.ndarray] = {}
    columns, extra = [], []
    for i, (name, array) in enumerate(table.columns.items()):
        arrays[f"col{i}"] = np.ascontiguousarray(array)
        columns.append(name)
    for name, array in table.extra.items():
        kept = _storable(name, np.asarray(array))
        if kept is not None:
            arrays[f"extra{len(extra)}"] = kept
            extra.append(name)
    head = {
        "layout": "neurofiles-npz",
        "layout_version": LAYOUT_VERSION,
        "kind": table.kind,
        "columns": columns,
        "units": [table.units.get(c, "") for c in columns],
        "extra": extra,
        "attrs": table.attrs,
        "metadata": table.metadata,
    }
    arrays[MEMBER] = np.array(dumps(head))
    (np.savez_compressed if compress else np.savez)(stream, **arrays)


class NpzReader(Reader):
    """Reads archives written by :func:`write_npz` (plain numpy ``.npz`` files are refused).

    Parameters
    ----------
    max_bytes
        Refuse archives whose members would decompress to more than this.
    """

    def __init__(self, source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(source)
        if not source.header.startswith(b"PK\x03\x04"):
            raise FormatMismatch("not a zip archive")
        try:
            with source.open() as handle, zipfile.ZipFile(handle) as archive:
                infos = {info.filename: info for info in archive.infolist()}
                if MEMBER + ".npy" not in infos:
                    raise FormatMismatch(f"zip archive without a {MEMBER} member (not written by neurofiles)")
                total = sum(info.file_size for info in infos.values())
                if total > max_bytes:
                    raise LimitExceededError(
                        f"members would decompress to {total} bytes, more than max_bytes={max_bytes}",
                        path=source.name,
                    )
                if infos[MEMBER + ".npy"].file_size > 64 << 20:
                    raise LimitExceededError(f"{MEMBER} member is larger than 64 MiB", path=source.name)
                with archive.open(MEMBER + ".npy") as member:
                    text = np.lib.format.read_array(member, allow_pickle=False)
        except (CorruptFileError, LimitExceededError):
            raise
        except _DAMAGE as exc:
            raise CorruptFileError(f"broken archive or {MEMBER} member: {exc}", path=source.name) from exc
        try:
            self.head: dict[str, Any] = json.loads(str(text))
            if self.head.get("layout") != "neurofiles-npz" or self.head.get("kind") not in (
                "Events",
                "Traces",
            ):
                raise ValueError("unexpected layout or kind")
            self.names = set(infos)
        except (ValueError, TypeError, AttributeError) as exc:
            raise CorruptFileError(
                f"{MEMBER} member is not neurofiles JSON: {exc}", path=source.name
            ) from exc

    def summary(self) -> dict[str, Any]:
        head = self.head
        return {
            "kind": head["kind"],
            "layout_version": head.get("layout_version"),
            "columns": [f"{c} ({u})" if u else c for c, u in zip(head["columns"], head["units"])],
            "metadata_keys": sorted(head.get("metadata", {})),
        }

    def _array(self, archive: Any, member: str) -> np.ndarray:
        if member + ".npy" not in self.names:
            raise CorruptFileError(f"member {member!r} listed in {MEMBER} is missing", path=self.source.name)
        with archive.open(member + ".npy") as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)

    def read(self) -> Any:
        head = self.head
        try:
            with self.source.open() as handle, zipfile.ZipFile(handle) as archive:
                columns = {name: self._array(archive, f"col{i}") for i, name in enumerate(head["columns"])}
                extra = {name: self._array(archive, f"extra{i}") for i, name in enumerate(head["extra"])}
        except CorruptFileError:
            raise
        except _DAMAGE as exc:
            raise CorruptFileError(f"cannot read the archive's arrays: {exc}", path=self.source.name) from exc
        lengths = {len(a) for a in columns.values()}
        if len(lengths) > 1:
            raise CorruptFileError(f"columns have different lengths {sorted(lengths)}", path=self.source.name)
        table = Table(
            head["kind"],
            columns=columns,
            units=dict(zip(head["columns"], head["units"])),
            attrs=head.get("attrs", {}),
            metadata=head.get("metadata", {}),
            extra=extra,
        )
        try:
            return from_table(table)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise CorruptFileError(f"cannot rebuild {head['kind']}: {exc}", path=self.source.name) from exc
