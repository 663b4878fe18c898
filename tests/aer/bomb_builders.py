"""Small hostile AER files that try to make a reader allocate far more than they hold.

Used by ``tests/hardening/test_aer_bombs.py`` and by the measurement in
``python -m tests.aer.bomb_builders OUT_DIR`` (writes the files so that peaks
can be measured on any version of the reader).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aedat_builders import event_packet, info_node, io_header  # noqa: E402

_MARK = 0x1122334455667788


def _events_packet_parts(n: int) -> tuple[bytes, int, bytes]:
    """``(head, zero bytes, tail)`` of a valid EVTS packet of ``n`` all-zero events."""
    one = event_packet(np.array([_MARK]), np.array([0]), np.array([0]), np.array([0]))
    at = one.index(struct.pack("<q", _MARK))
    head = bytearray(one[: at - 4] + struct.pack("<I", n))
    tail = one[at + 16 :]
    struct.pack_into("<I", head, 0, len(head) - 4 + 16 * n + len(tail))
    return bytes(head), 16 * n, tail


def zstd_events_packet(n: int) -> bytes:
    """One ZSTD frame holding an EVTS packet of ``n`` zero events, compressed as a stream."""
    import zstandard

    head, zeros, tail = _events_packet_parts(n)
    comp = zstandard.ZstdCompressor(level=3).compressobj()
    out = [comp.compress(head)]
    block = bytes(1 << 20)
    while zeros:
        step = min(zeros, len(block))
        out.append(comp.compress(block[:step]))
        zeros -= step
    out.append(comp.compress(tail))
    out.append(comp.flush())
    return b"".join(out)


def aedat4_file(code: int, packets: list[bytes], info: str | None = None) -> bytes:
    """An AEDAT 4.0 file of stream-0 packets with compression ``code`` and no data table."""
    if info is None:
        info = info_node({0: ("EVTS", "events", {"sizeX": 346, "sizeY": 260})}, "zstd" if code >= 3 else "lz4")
    header = io_header(code, -1, info)
    body = b"".join(struct.pack("<ii", 0, len(p)) + p for p in packets)
    return b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(header)) + header + body


def zstd_total_bomb(packets: int = 24, events_per_packet: int = (256 << 20) // 16 - 8) -> bytes:
    """``packets`` valid ZSTD packets, each just under 256 MiB decompressed (default: 6 GiB from ~200 kB)."""
    return aedat4_file(3, [zstd_events_packet(events_per_packet)] * packets)


def lz4_unwalkable(packets: int = 8) -> bytes:
    """LZ4 packets whose frames lack their end mark, so no size bound can be read from them."""
    import lz4.frame

    frame = lz4.frame.compress(bytes(range(256)) * 4)[:-4]
    return aedat4_file(1, [frame] * packets)


def deep_info_node(depth: int = 200_000) -> bytes:
    """An AEDAT 4.0 header whose infoNode XML nests ``depth`` elements."""
    return aedat4_file(0, [], info="<a>" * depth + "</a>" * depth)


def main(out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zstd_total.aedat4").write_bytes(zstd_total_bomb())
    (folder / "lz4_unwalkable.aedat4").write_bytes(lz4_unwalkable())
    (folder / "deep_xml.aedat4").write_bytes(deep_info_node())
    (folder / "blank.aeidx").write_bytes(b"\n" * (40 * 10**6 - 1))


if __name__ == "__main__":
    main(sys.argv[1])
