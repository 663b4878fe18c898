"""Example third-party storage backend: one folder per session, one file per key.

Built only on the public ``neurofiles.plugin`` API and declared by the
registration module ``neurofiles_example`` (``neurofiles_register_backends``).

Layout: ``<name>.data/<session>.jsondir/`` holds ``meta.json`` and one
``<hex of the UTF-8 key>.val`` file per key with the codec's bytes. Every
file is written to a temporary name and renamed into place, so a reader
sees a value either whole or not at all. Hex file names keep any key inside
the session folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from neurofiles.plugin import (
    Capabilities,
    CorruptSessionError,
    SessionStore,
    StorageBackend,
    walk_files,
)

SUFFIX = ".jsondir"
META = "meta.json"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class JsonDirSession(SessionStore):
    """A session folder of one file per key."""

    def __init__(self, backend: JsonDirBackend, name: str, folder: Path, *, writable: bool) -> None:
        super().__init__(backend, name, writable=writable)
        self.folder = folder
        meta = folder / META
        if writable:
            folder.mkdir(parents=True, exist_ok=True)
            if not meta.exists():
                _atomic_write(meta, json.dumps({"format": "jsondir", "version": 1}).encode())
        try:
            info = json.loads(meta.read_bytes())
        except (OSError, ValueError) as exc:
            raise CorruptSessionError(f"no readable {META} ({exc})", path=folder) from exc
        if not isinstance(info, dict) or info.get("format") != "jsondir":
            raise CorruptSessionError(f"{META} is not a jsondir header", path=folder)

    def _file(self, key: str) -> Path:
        return self.folder / (key.encode("utf-8").hex() + ".val")

    def get(self, key: str) -> bytes | None:
        try:
            return self._file(key).read_bytes()
        except FileNotFoundError:
            return None

    def set(self, key: str, value: bytes) -> None:
        _atomic_write(self._file(key), value)

    def delete(self, key: str) -> bool:
        try:
            self._file(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        names = sorted(e.name for e in os.scandir(self.folder) if e.name.endswith(".val"))
        for name in names:
            yield bytes.fromhex(name[:-4]).decode("utf-8")

    def items(self) -> Iterator[tuple[str, bytes]]:
        for key in self.keys():
            value = self.get(key)
            if value is not None:
                yield key, value


class JsonDirBackend(StorageBackend):
    """Sessions as ``<session>.jsondir`` folders."""

    name = "jsondir"
    option_names = frozenset()  # takes no option: a typo is an error, not a silent default
    capabilities = Capabilities(
        concurrent_writers="per-session",
        crash_safe="process",
        partial_sessions_visible=True,
        network_fs=True,
        locking="host",
        fast_queries=False,
    )

    def session_path(self, name: str) -> Path:
        return self.basepath / (name + SUFFIX)

    def list_sessions(self) -> Iterator[str]:
        names = []
        for rel, entry in walk_files(self.basepath):
            if rel.endswith(SUFFIX + "/"):
                names.append(rel[: -len(SUFFIX) - 1])
            elif not rel.endswith("/") and "/" not in rel:
                self.warn_foreign(entry.path)
        return iter(sorted(names))

    def open_session(self, name: str, *, writable: bool) -> SessionStore:
        return JsonDirSession(self, name, self.session_path(name), writable=writable)
