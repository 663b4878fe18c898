"""Deterministic mutations of seed files, for fuzzing readers.

Each mutation takes the seed bytes and a ``random.Random`` and returns new
bytes; the same seed and generator state give the same output, so a failing
input can be rebuilt from ``(seed file, mutation, rng seed)``.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], bytes]

INTERESTING_32 = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 10**9)


def _boundary(data: bytes, rng: random.Random) -> int:
    """A cut point biased toward structure: line ends, 2/4/8-byte multiples, near the end."""
    if not data:
        return 0
    choices = [rng.randrange(len(data) + 1)]
    newlines = [i for i in range(min(len(data), 8192)) if data[i] == 10]
    if newlines:
        choices.append(rng.choice(newlines) + rng.choice((0, 1, 2)))
    stride = rng.choice((2, 4, 6, 8, 16, 28))
    choices.append(min(len(data), (rng.randrange(len(data) + 1) // stride) * stride + rng.choice((-1, 0, 1))))
    choices.append(max(0, len(data) - rng.randrange(1, 32)))
    return max(0, min(len(data), rng.choice(choices)))


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: _boundary(data, rng)]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out)) if rng.random() < 0.5 else rng.randrange(min(len(out), 512))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def overwrite_int(data: bytes, rng: random.Random) -> bytes:
    """Write an extreme 32-bit value, either byte order, at an aligned offset (counts, sizes)."""
    if len(data) < 4:
        return data
    out = bytearray(data)
    limit = len(out) - 4 if rng.random() < 0.3 else min(len(out) - 4, 4096)
    offset = (rng.randrange(limit + 1) // 4) * 4
    value = rng.choice(INTERESTING_32)
    out[offset : offset + 4] = struct.pack(rng.choice(("<I", ">I")), value)
    return bytes(out)


def edit_lines(data: bytes, rng: random.Random) -> bytes:
    """Delete, duplicate or insert a line within the first 8 KiB (headers)."""
    head, tail = data[:8192], data[8192:]
    lines = head.split(b"\n")
    i = rng.randrange(len(lines))
    action = rng.choice(("delete", "duplicate", "insert", "insert"))
    if action == "delete" and len(lines) > 1:
        del lines[i]
    elif action == "duplicate":
        lines.insert(i, lines[i])
    else:
        junk = rng.choice(
            (b"", b"#", b"# junk line", b"label:", b"999999999999999", b"1e308\t-1e308", b"\xb5\xff\x00",
             b"nan nan", b"1 2 3 4 5 6 7 8 9", b"\"Key=Value\"", b"ATF\t1.0", b"#!AER-DAT2.0\r")
        )
        lines.insert(i, junk)
    return b"\n".join(lines) + tail


def swap_byte_order(data: bytes, rng: random.Random) -> bytes:
    """Reverse every 4-byte word in a region."""
    if len(data) < 8:
        return data
    start = (rng.randrange(len(data) - 4) // 4) * 4
    end = min(len(data), start + 4 * rng.randint(1, 256))
    end -= (end - start) % 4
    region = bytearray(data[start:end])
    for k in range(0, len(region), 4):
        region[k : k + 4] = region[k : k + 4][::-1]
    return data[:start] + bytes(region) + data[end:]


def random_after_magic(data: bytes, rng: random.Random) -> bytes:
    """Keep a prefix (the magic and maybe some header), replace the rest with random bytes."""
    keep = rng.choice((4, 9, 12, 14, 18, 32, 64, 256))
    return data[:keep] + rng.randbytes(rng.randrange(0, 4096))


def splice(data: bytes, rng: random.Random) -> bytes:
    """Repeat or drop a chunk in the middle."""
    if len(data) < 2:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 512))
    return data[:a] + data[a:b] * rng.randint(0, 3) + data[b:]


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "flip_bits": flip_bits,
    "overwrite_int": overwrite_int,
    "edit_lines": edit_lines,
    "swap_byte_order": swap_byte_order,
    "random_after_magic": random_after_magic,
    "splice": splice,
}


def mutate(data: bytes, name: str, seed: int) -> bytes:
    """Apply mutation ``name`` with generator seed ``seed``."""
    return MUTATIONS[name](data, random.Random(seed))
