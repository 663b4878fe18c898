"""The store manifest ``<name>.data/_store.json``: which backend, codec and options wrote a store."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ._backend import StoreManifestError

__all__ = ["FORMAT", "MANIFEST", "read_manifest", "write_manifest"]

MANIFEST = "_store.json"
FORMAT = "neurofiles-store"
VERSION = 1


def read_manifest(basepath: Path) -> dict[str, Any] | None:
    """The manifest of the store at ``basepath``, or ``None`` if it has none."""
    path = Path(basepath) / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreManifestError(f"{path}: cannot read the store manifest ({exc})") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
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
        with open(tmp, "w", encoding="utf-8") as f:
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
