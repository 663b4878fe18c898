"""Bounded decompression of AEDAT 4 packet bodies (LZ4 / Zstandard frames).

The decompressors are optional: ``pip install "neurofiles[aedat4]"`` installs
``lz4`` and ``zstandard``. They are imported on first use; without them a
:class:`~neurofiles.MissingDependencyError` names the extra.

Every call bounds the decompressed size by ``limit`` bytes and raises
:class:`~neurofiles.LimitExceededError` beyond it, and a
:class:`DecompressionBudget` bounds the sum over a whole file, so a small
malicious file cannot expand into gigabytes (a "decompression bomb"). Output
buffers grow as data come out; none is sized from a limit in advance.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from neurofiles.plugin import CorruptFileError, import_object, LimitExceededError, TruncatedFileError

__all__ = [
    "COMPRESSION_NAMES",
    "DEFAULT_MAX_PACKET_BYTES",
    "MIN_TOTAL_BYTES",
    "TOTAL_PER_FILE_BYTE",
    "DecompressionBudget",
    "lz4_bound",
    "INSTALL_HINT",
    "decompress",
    "decompressor_for",
]

#: IOHeader ``CompressionType`` codes.
COMPRESSION_NAMES = {0: "NONE", 1: "LZ4", 2: "LZ4_HIGH", 3: "ZSTD", 4: "ZSTD_HIGH"}

#: Default upper bound of one decompressed packet (256 MiB = 16.7 M events).
DEFAULT_MAX_PACKET_BYTES = 256 * 1024 * 1024
#: Default budget of a whole file: ``max(MIN_TOTAL_BYTES, TOTAL_PER_FILE_BYTE * file size)``.
MIN_TOTAL_BYTES = 64 * 1024 * 1024
TOTAL_PER_FILE_BYTE = 64
#: LZ4 cannot expand one input byte into more than about 255 output bytes.
_LZ4_MAX_RATIO = 256
_FIRST_STEP = 1 << 20
_MAX_STEP = 1 << 24

INSTALL_HINT = 'pip install "neurofiles[aedat4]"'

Buffer = Union[bytes, bytearray, memoryview]


_MODULES: dict[str, Any] = {}


def _import(module: str) -> Any:
    """Import (once) an optional decompression module, or raise MissingDependencyError."""
    found = _MODULES.get(module)
    if found is not None:
        return found
    found = _MODULES[module] = import_object(
        module, needed_for="reading LZ4/ZSTD-compressed AEDAT 4 files", install_hint=INSTALL_HINT
    )
    return found


_LZ4_MAGIC = b"\x04\x22\x4d\x18"
_LZ4_BLOCK_MAX = {4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22}


def lz4_bound(data: Buffer) -> int | None:
    """Upper bound of an LZ4 frame's decompressed size, from its header and block sizes.

    Walks the block headers only (a few per packet): ``blocks * block_max``, or the
    declared content size. Returns None when the frame cannot be walked (the
    caller then decompresses with a hard output cap instead).
    """
    n = len(data)
    if n < 7 or bytes(data[:4]) != _LZ4_MAGIC:
        return None
    flg, bd = data[4], data[5]
    block_max = _LZ4_BLOCK_MAX.get((bd >> 4) & 7)
    if block_max is None or (flg >> 6) != 1:
        return None
    pos = 6
    content_size = None
    if flg & 0x08:
        if n < pos + 8:
            return None
        content_size = int.from_bytes(bytes(data[pos : pos + 8]), "little")
        pos += 8
    if flg & 0x01:
        pos += 4
    pos += 1  # header checksum
    block_checksum = 4 if flg & 0x10 else 0
    blocks = 0
    while True:
        if pos + 4 > n:
            return None
        size = int.from_bytes(bytes(data[pos : pos + 4]), "little")
        pos += 4
        if size == 0:
            break
        blocks += 1
        pos += (size & 0x7FFFFFFF) + block_checksum
    bound = blocks * block_max
    if content_size is not None and content_size > bound:
        return None  # a declared size the blocks cannot hold: never let it size a buffer
    return bound if content_size is None else content_size


def _too_big(limit: int, path: object, offset: int | None) -> LimitExceededError:
    return LimitExceededError(
        f"packet decompresses to more than {limit} bytes (limit max_packet_bytes={limit})", path=path, offset=offset
    )


def _lz4(data: Buffer, limit: int, path: object, offset: int | None) -> bytes:
    frame = _import("lz4.frame")
    bound = lz4_bound(data)
    justified = _LZ4_MAX_RATIO * len(data) + 1024  # more than any valid frame of this size yields
    try:
        if bound is not None and bound <= min(limit, justified):  # fast path: provably within the limit
            return frame.decompress(data)  # type: ignore[no-any-return]
        dec = frame.LZ4FrameDecompressor()
        cap = min(limit, justified)
        parts: list[bytes] = []
        total, step, chunk = 0, _FIRST_STEP, data
        while True:  # grow the output as it comes: never allocate ``limit`` bytes up front
            out = dec.decompress(chunk, max_length=min(step, cap + 1 - total))
            chunk = b""
            parts.append(out)
            total += len(out)
            if total > cap or dec.eof or dec.needs_input or not out:
                break
            step = min(step * 2, _MAX_STEP)
    except RuntimeError as exc:  # lz4 reports every frame error as RuntimeError
        raise CorruptFileError(f"bad LZ4 frame in packet body: {exc}", path=path, offset=offset) from None
    if total > limit:
        raise _too_big(limit, path, offset)
    if total > cap:
        raise CorruptFileError(f"LZ4 frame of {len(data)} bytes claims more output than LZ4 can encode",
                               path=path, offset=offset)
    if not dec.eof:
        raise TruncatedFileError("LZ4 frame in packet body ends before its end mark", path=path, offset=offset)
    return b"".join(parts) if len(parts) != 1 else parts[0]


def _zstd(data: Buffer, limit: int, path: object, offset: int | None) -> bytes:
    zstandard = _import("zstandard")
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(bytes(data), read_across_frames=False)
        parts = []
        total = 0
        while total <= limit:
            chunk = reader.read(min(limit + 1 - total, _MAX_STEP))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    except zstandard.ZstdError as exc:
        raise CorruptFileError(f"bad ZSTD frame in packet body: {exc}", path=path, offset=offset) from None
    if total > limit:
        raise _too_big(limit, path, offset)
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


class DecompressionBudget:
    """Bounds the decompressed bytes of one file: per packet and in all.

    Parameters
    ----------
    file_size
        Bytes of the file; the default total is ``max(MIN_TOTAL_BYTES, TOTAL_PER_FILE_BYTE * file_size)``.
    max_packet_bytes
        Largest decompressed packet.
    max_total_bytes
        Largest sum over the file (None: the default above).
    """

    def __init__(self, file_size: int, max_packet_bytes: int, max_total_bytes: int | None) -> None:
        self.per_packet = max_packet_bytes
        self.total = (max(MIN_TOTAL_BYTES, TOTAL_PER_FILE_BYTE * file_size)
                      if max_total_bytes is None else max_total_bytes)
        self.used = 0

    def limit(self) -> int:
        """Largest size the next packet may decompress to."""
        return max(0, min(self.per_packet, self.total - self.used))

    def run(self, decompress: Callable[[Buffer, int, object, Union[int, None]], Buffer], data: Buffer, limit: int,
            path: object, offset: int) -> Buffer:
        """``decompress(data, limit, path, offset)``, with the total budget named when it is what ran out."""
        try:
            return decompress(data, limit, path, offset)
        except LimitExceededError:
            if limit >= self.per_packet:
                raise
            raise self._exhausted(path, offset) from None

    def spend(self, n: int, path: object, offset: int) -> None:
        """Count ``n`` decompressed bytes; raise once the total is passed."""
        self.used += n
        if self.used > self.total:
            raise self._exhausted(path, offset)

    def _exhausted(self, path: object, offset: int) -> LimitExceededError:
        return LimitExceededError(
            f"the packets decompress to more than {self.total} bytes in all (limit max_decompressed_bytes="
            f"{self.total}; the default is {TOTAL_PER_FILE_BYTE} x the file size, at least {MIN_TOTAL_BYTES})",
            path=path, offset=offset)
