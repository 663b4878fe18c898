"""``.npz`` archives of neurofiles columns: lossless for Events and Traces.

Layout: one ``.npy`` member per column (``col0``, ``col1``...), one per extra
array (``extra0``...), and ``__neurofiles__``: a 0-d string array holding JSON
with the kind, column names, units, rebuild attributes and metadata. Arrays
are read with ``allow_pickle=False``; object arrays are never written.

Reading trusts no size in the archive: the members may decompress to at most
``max_bytes`` in all (by default 256 times the file's size, at least 256 MiB,
at most 16 GiB), each member's declared size must be one deflate could give
from its compressed size, and each ``.npy`` header's shape times item size
must equal the bytes its member holds, before the array is allocated.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from typing import IO, Any

import numpy as np
from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    Reader,
    Source,
    TruncatedFileError,
)
from neurofiles.plugin.tabular import dumps, from_table, Table, to_table

__all__ = ["NpzReader", "inflation_limit", "write_npz"]

MEMBER = "__neurofiles__"
LAYOUT_VERSION = 1
#: the most the members of any archive may decompress to, unless ``max_bytes=`` says otherwise
DEFAULT_MAX_BYTES = 16 << 30
#: by default members may decompress to this many times the file's size...
INFLATION_RATIO = 256
#: ...and to this much whatever the file's size
INFLATION_FLOOR = 256 << 20
#: the ``__neurofiles__`` member: at most this many bytes, and JSON nested at most this deep
MAX_HEAD_BYTES = 64 << 20
MAX_JSON_DEPTH = 64
#: deflate gives at most about 1032 bytes per compressed byte
_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20
_OPENING = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSING = np.frombuffer(b"]}", dtype=np.uint8)
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
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
    SyntaxError,
)


def inflation_limit(file_size: int | None, max_bytes: int | None = None) -> int:
    """The bytes an archive of ``file_size`` bytes may decompress to (``max_bytes`` if given)."""
    if max_bytes is not None:
        return max_bytes
    return min(DEFAULT_MAX_BYTES, max(INFLATION_FLOOR, INFLATION_RATIO * (file_size or 0)))


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
    columns: list[str] = []
    extra: list[str] = []
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
    if compress:
        np.savez_compressed(stream, **arrays)  # type: ignore[arg-type]  # no member is called allow_pickle
    else:
        np.savez(stream, **arrays)  # type: ignore[arg-type]  # no member is called allow_pickle


class NpzReader(Reader):
    """Reads archives written by :func:`write_npz` (plain numpy ``.npz`` files are refused).

    Parameters
    ----------
    max_bytes
        Refuse archives whose members would decompress to more than this
        many bytes in all. Default: 256 times the file's size, at least
        256 MiB, at most 16 GiB (raise it for very compressible data).
    """

    def __init__(self, source: Source, *, max_bytes: int | None = None) -> None:
        super().__init__(source)
        if not source.header.startswith(b"PK\x03\x04"):
            raise FormatMismatch("not a zip archive")
        if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0):
            from neurofiles.plugin import OptionError

            raise OptionError(f"max_bytes must be a non-negative integer, got {max_bytes!r}")
        try:
            with source.open() as handle, zipfile.ZipFile(handle) as archive:
                self.infos = {info.filename: info for info in archive.infolist()}
                if MEMBER + ".npy" not in self.infos:
                    raise FormatMismatch(f"zip archive without a {MEMBER} member (not written by neurofiles)")
                self._check_sizes(inflation_limit(source.size, max_bytes))
                head = self._member(archive, MEMBER, limit=MAX_HEAD_BYTES)
        except (FormatMismatch, CorruptFileError):
            raise
        except _DAMAGE as exc:
            raise CorruptFileError(f"broken archive or {MEMBER} member: {exc}", path=source.name) from exc
        self.head: dict[str, Any] = self._parse_head(head)
        self.names = set(self.infos)

    # -- checks before anything is inflated ------------------------------------------------------

    def _check_sizes(self, limit: int) -> None:
        """Refuse members no deflate stream can give, and archives inflating past ``limit``."""
        for info in self.infos.values():
            where = f"member {info.filename!r}"
            if info.flag_bits & 0x1:
                raise CorruptFileError(f"{where} is encrypted", path=self.source.name)
            if info.compress_type == zipfile.ZIP_STORED:
                if info.file_size != info.compress_size:
                    raise CorruptFileError(
                        f"{where} is stored uncompressed but declares {info.file_size} bytes"
                        f" in {info.compress_size}",
                        path=self.source.name,
                    )
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                if info.file_size > _DEFLATE_RATIO * info.compress_size + 1024:
                    raise CorruptFileError(
                        f"{where} declares {info.file_size} bytes from {info.compress_size} compressed"
                        " bytes, more than deflate can give",
                        path=self.source.name,
                    )
            else:
                raise CorruptFileError(
                    f"{where} uses compression method {info.compress_type}; neurofiles writes only"
                    " stored and deflated members",
                    path=self.source.name,
                )
        total = sum(info.file_size for info in self.infos.values())
        if total > limit:
            biggest = max(self.infos.values(), key=lambda info: info.file_size)
            raise LimitExceededError(
                f"members would decompress to {total} bytes (member {biggest.filename!r}: {biggest.file_size}),"
                f" more than the limit of {limit} bytes for a file of {self.source.size} bytes;"
                " pass max_bytes= to allow more",
                path=self.source.name,
            )

    def _member(self, archive: zipfile.ZipFile, member: str, limit: int | None = None) -> np.ndarray:
        """The array in ``member.npy``, allocated only after its header agrees with its size."""
        name = member + ".npy"
        info = self.infos.get(name)
        if info is None:
            raise CorruptFileError(f"member {member!r} listed in {MEMBER} is missing", path=self.source.name)
        if limit is not None and info.file_size > limit:
            raise LimitExceededError(f"member {name!r} is larger than {limit} bytes", path=self.source.name)
        try:
            with archive.open(info) as handle:
                return self._read_npy(handle, info)
        except CorruptFileError:
            raise
        except _DAMAGE as exc:
            raise CorruptFileError(f"member {name!r}: {exc}", path=self.source.name) from exc

    def _read_npy(self, handle: IO[bytes], info: zipfile.ZipInfo) -> np.ndarray:
        where = f"member {info.filename!r}"
        npy: Any = np.lib.format  # its readers carry no type hints
        version = npy.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(handle)
        else:
            raise CorruptFileError(f"{where}: .npy format version {version} is not read", path=self.source.name)
        if dtype.hasobject:
            raise CorruptFileError(f"{where} holds Python objects (never loaded)", path=self.source.name)
        count = math.prod(shape)
        if count < 0 or (dtype.itemsize == 0 and count):
            raise CorruptFileError(f"{where}: impossible shape {shape} of {dtype}", path=self.source.name)
        declared = count * dtype.itemsize
        holds = info.file_size - handle.tell()
        if declared != holds:
            raise CorruptFileError(
                f"{where}: its header declares shape {shape} of {dtype} ({declared} bytes)"
                f" but the member holds {holds} bytes",
                path=self.source.name,
            )
        array = np.empty(count, dtype=dtype)
        if declared:
            buffer = memoryview(array.view(np.uint8).data)
            got = 0
            while got < declared:
                n = handle.readinto(buffer[got : got + _CHUNK])  # type: ignore[attr-defined]
                if not n:
                    raise TruncatedFileError(
                        f"{where} ends after {got} of its {declared} data bytes", path=self.source.name
                    )
                got += n
        shaped: np.ndarray = array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)
        return shaped

    def _parse_head(self, array: np.ndarray) -> dict[str, Any]:
        """The ``__neurofiles__`` JSON, checked for depth and shape before and after parsing."""
        def corrupt(why: str) -> CorruptFileError:
            return CorruptFileError(f"{MEMBER} member is not neurofiles JSON: {why}", path=self.source.name)

        if array.shape != () or array.dtype.kind != "U":
            raise corrupt(f"a {array.dtype} array of shape {array.shape}, not one string")
        text = str(array[()])
        depth = json_depth(text)
        if depth > MAX_JSON_DEPTH:
            raise LimitExceededError(
                f"{MEMBER} member: JSON nested {depth} levels deep, more than {MAX_JSON_DEPTH}",
                path=self.source.name,
            )
        try:
            head = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise corrupt(str(exc)) from exc
        if not isinstance(head, dict) or head.get("layout") != "neurofiles-npz":
            raise corrupt("unexpected layout")
        if head.get("kind") not in ("Events", "Traces"):
            raise corrupt(f"unexpected kind {head.get('kind')!r}")
        for key, kind in (("columns", list), ("units", list), ("extra", list), ("attrs", dict), ("metadata", dict)):
            head.setdefault(key, kind())
            if not isinstance(head[key], kind):
                raise corrupt(f"{key!r} is not a {kind.__name__}")
        for key in ("columns", "units", "extra"):
            if not all(isinstance(item, str) for item in head[key]):
                raise corrupt(f"{key!r} holds something other than strings")
        if len(head["units"]) != len(head["columns"]):
            raise corrupt(f"{len(head['columns'])} columns but {len(head['units'])} units")
        return head

    # -- reading ---------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        head = self.head
        return {
            "kind": head["kind"],
            "layout_version": head.get("layout_version"),
            "columns": [f"{c} ({u})" if u else c for c, u in zip(head["columns"], head["units"])],
            "metadata_keys": sorted(head["metadata"]),
        }

    def read(self) -> Any:
        head = self.head
        try:
            with self.source.open() as handle, zipfile.ZipFile(handle) as archive:
                columns = {name: self._member(archive, f"col{i}") for i, name in enumerate(head["columns"])}
                extra = {name: self._member(archive, f"extra{i}") for i, name in enumerate(head["extra"])}
        except CorruptFileError:
            raise
        except _DAMAGE as exc:
            raise CorruptFileError(f"cannot read the archive's arrays: {exc}", path=self.source.name) from exc
        for name, array in columns.items():
            if array.ndim != 1:
                raise CorruptFileError(f"column {name!r} is not 1-D: shape {array.shape}", path=self.source.name)
        lengths = {len(a) for a in columns.values()}
        if len(lengths) > 1:
            raise CorruptFileError(f"columns have different lengths {sorted(lengths)}", path=self.source.name)
        table = Table(
            head["kind"],
            columns=columns,
            units=dict(zip(head["columns"], head["units"])),
            attrs=head["attrs"],
            metadata=head["metadata"],
            extra=extra,
        )
        try:
            return from_table(table)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
            raise CorruptFileError(f"cannot rebuild {head['kind']}: {exc}", path=self.source.name) from exc


def json_depth(text: str) -> int:
    """How deep the arrays and objects of the JSON ``text`` nest (brackets inside strings not counted)."""
    bare = np.frombuffer(_JSON_STRING.sub('""', text).encode("utf-8", "replace"), dtype=np.uint8)
    deepest = depth = 0
    for start in range(0, len(bare), _CHUNK):
        codes = bare[start : start + _CHUNK]
        steps = np.isin(codes, _OPENING).astype(np.int32) - np.isin(codes, _CLOSING)
        running = np.cumsum(steps, dtype=np.int64) + depth
        deepest = max(deepest, int(running.max(initial=depth)))
        depth = int(running[-1]) if len(running) else depth
    return deepest
