"""The store manifest ``<name>.data/_store.json``: which backend, codec and options wrote a store."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from .._framework.backend import StoreManifestError, UnsafeStoreFileError, open_regular

__all__ = ["FORMAT", "MANIFEST", "MAX_MANIFEST_BYTES", "read_manifest", "write_manifest"]

MANIFEST = "_store.json"
FORMAT = "neurofiles-store"
VERSION = 1
#: A manifest is a few hundred bytes; a larger file is not one.
MAX_MANIFEST_BYTES = 64 * 1024
#: JSON nesting deeper than this is refused before parsing (a manifest needs 2 levels).
MAX_MANIFEST_DEPTH = 16


def _read_bounded(path: Path) -> bytes | None:
    """The bytes of ``path`` (no link followed, no FIFO opened blocking), at most ``MAX_MANIFEST_BYTES``."""
    try:
        fd = open_regular(path, missing_ok=True)
    except UnsafeStoreFileError as exc:
        raise StoreManifestError(f"{exc}; the store manifest must be a regular file") from None
    except OSError as exc:
        raise StoreManifestError(f"{path}: cannot read the store manifest ({exc})") from exc
    if fd is None:
        return None
    try:
        size = os.fstat(fd).st_size
        if size > MAX_MANIFEST_BYTES:
            raise StoreManifestError(f"{path}: {size} bytes; a store manifest is at most {MAX_MANIFEST_BYTES}")
        chunks = []
        total = 0
        while total <= MAX_MANIFEST_BYTES:
            chunk = os.read(fd, MAX_MANIFEST_BYTES + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise StoreManifestError(f"{path}: cannot read the store manifest ({exc})") from exc
    finally:
        os.close(fd)
    if total > MAX_MANIFEST_BYTES:
        raise StoreManifestError(f"{path}: grew past {MAX_MANIFEST_BYTES} bytes while read; not a store manifest")
    return b"".join(chunks)


def _depth(raw: bytes) -> int:
    """Maximum bracket nesting of a JSON text (brackets inside strings counted too: an upper bound)."""
    depth = deepest = 0
    for byte in raw:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def read_manifest(basepath: Path) -> dict[str, Any] | None:
    """The manifest of the store at ``basepath``, or ``None`` if it has none."""
    path = Path(basepath) / MANIFEST
    raw = _read_bounded(path)
    if raw is None:
        return None
    if _depth(raw) > MAX_MANIFEST_DEPTH:
        raise StoreManifestError(f"{path}: nested deeper than {MAX_MANIFEST_DEPTH} levels; not a store manifest")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise StoreManifestError(f"{path}: the store manifest is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreManifestError(f"{path}: not a neurofiles store manifest")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise StoreManifestError(
            f"{path}: store format version {data.get('version')!r} is newer than this neurofiles"
            f" understands ({VERSION}); upgrade neurofiles"
        )
    for field, kind in (("backend", str), ("codec", str), ("options", dict)):
        if not isinstance(data.get(field), kind):
            raise StoreManifestError(f"{path}: manifest field {field!r} is missing or not a {kind.__name__}")
    return data


def write_manifest(basepath: Path, backend: str, codec: str, options: dict[str, Any]) -> dict[str, Any]:
    """Create the manifest unless another process just did; return the manifest in force."""
    path = Path(basepath) / MANIFEST
    data = {
        "format": FORMAT,
        "version": VERSION,
        "backend": backend,
        "codec": codec,
        "options": options,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "created_by": f"pid {os.getpid()} on {socket.gethostname()}",
    }
    tmp = path.with_name(f"{MANIFEST}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        with open(os.open(tmp, flags, 0o666), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic "create if absent": two creators never both win
        except FileExistsError:
            existing = read_manifest(basepath)
            assert existing is not None
            return existing
        except OSError:  # filesystems without hard links
            if path.exists():
                return read_manifest(basepath) or data
            os.replace(tmp, path)
            return data
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return data
