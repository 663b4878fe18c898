"""Bounded decompression of AEDAT 4 packet bodies (LZ4 / Zstandard frames).

The decompressors are optional: ``pip install "neurofiles[aedat4]"`` installs
``lz4`` and ``zstandard``. They are imported on first use; without them a
:class:`~neurofiles.MissingDependencyError` names the extra.

Every call bounds the decompressed size by ``limit`` bytes and raises
:class:`~neurofiles.LimitExceededError` beyond it, so a small malicious file
cannot expand into gigabytes (a "decompression bomb").
"""

from __future__ import annotations

from typing import Any, Callable, Union

from neurofiles._errors import CorruptFileError, LimitExceededError, MissingDependencyError, TruncatedFileError

__all__ = [
    "COMPRESSION_NAMES",
    "DEFAULT_MAX_PACKET_BYTES",
    "INSTALL_HINT",
    "decompress",
    "decompressor_for",
]

#: IOHeader ``CompressionType`` codes.
COMPRESSION_NAMES = {0: "NONE", 1: "LZ4", 2: "LZ4_HIGH", 3: "ZSTD", 4: "ZSTD_HIGH"}

#: Default upper bound of one decompressed packet (256 MiB = 16.7 M events).
DEFAULT_MAX_PACKET_BYTES = 256 * 1024 * 1024

INSTALL_HINT = 'pip install "neurofiles[aedat4]"'

Buffer = Union[bytes, bytearray, memoryview]


def _import(module: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading LZ4/ZSTD-compressed AEDAT 4 files needs the optional package {module.split('.')[0]!r}.",
            install_hint=INSTALL_HINT,
        ) from exc


def _lz4(data: Buffer, limit: int, path: object, offset: int | None) -> bytes:
    frame = _import("lz4.frame")
    dec = frame.LZ4FrameDecompressor()
    try:
        out = dec.decompress(data, max_length=limit + 1)
    except RuntimeError as exc:  # lz4 reports every frame error as RuntimeError
        raise CorruptFileError(f"bad LZ4 frame in packet body: {exc}", path=path, offset=offset) from None
    if len(out) > limit:
        raise LimitExceededError(
            f"packet decompresses to more than {limit} bytes (limit max_packet_bytes={limit})",
            path=path,
            offset=offset,
        )
    if not dec.eof:
        raise TruncatedFileError("LZ4 frame in packet body ends before its end mark", path=path, offset=offset)
    return out


def _zstd(data: Buffer, limit: int, path: object, offset: int | None) -> bytes:
    zstandard = _import("zstandard")
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(bytes(data), read_across_frames=False)
        parts = []
        total = 0
        while total <= limit:
            chunk = reader.read(min(limit + 1 - total, 1 << 22))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    except zstandard.ZstdError as exc:
        raise CorruptFileError(f"bad ZSTD frame in packet body: {exc}", path=path, offset=offset) from None
    if total > limit:
        raise LimitExceededError(
            f"packet decompresses to more than {limit} bytes (limit max_packet_bytes={limit})",
            path=path,
            offset=offset,
        )
    return b"".join(parts) if len(parts) != 1 else parts[0]


def _none(data: Buffer, limit: int, path: object, offset: int | None) -> Buffer:
    return data


_BY_CODE: dict[int, Callable[[Buffer, int, object, Union[int, None]], Buffer]] = {
    0: _none,
    1: _lz4,
    2: _lz4,
    3: _zstd,
    4: _zstd,
}


def decompressor_for(code: int, *, path: object = None) -> Callable[[Buffer, int, object, Union[int, None]], Buffer]:
    """Return ``f(data, limit, path, offset)`` for an IOHeader compression code.

    Imports the needed optional package now, so a missing extra is reported
    before any packet is read.
    """
    try:
        func = _BY_CODE[code]
    except KeyError:
        raise CorruptFileError(f"unknown AEDAT 4 compression type {code}", path=path) from None
    if func is _lz4:
        _import("lz4.frame")
    elif func is _zstd:
        _import("zstandard")
    return func


def decompress(data: Buffer, code: int, *, limit: int = DEFAULT_MAX_PACKET_BYTES, path: object = None,
               offset: int | None = None) -> Buffer:
    """Decompress one packet body compressed with IOHeader compression ``code``.

    Parameters
    ----------
    data
        The compressed body.
    code
        0 NONE, 1 LZ4, 2 LZ4_HIGH, 3 ZSTD, 4 ZSTD_HIGH.
    limit
        Largest accepted decompressed size in bytes.
    path, offset
        Reported in errors (file name and file offset of the packet).
    """
    return decompressor_for(code, path=path)(data, limit, path, offset)
