"""The ``dm`` commands of the CLI: look into a DataManager store from the shell."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from .._framework.backend import StoreManifestError
from .._storage.codec import Codec, CorruptValueError, SafeCodec
from .._errors import StorageError, StorageWarning
from .._storage.manifest import read_manifest

__all__ = ["open_store", "store_summary", "store_values"]


def _locate(folder: str) -> Path:
    """The ``<name>.data`` folder named by ``folder``, or the only one inside it."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise StorageError(f"{folder}: no such folder")
    if path.name.endswith(".data"):
        return path
    inside = sorted(p for p in path.iterdir() if p.is_dir() and p.name.endswith(".data"))
    if len(inside) == 1:
        return inside[0]
    if not inside:
        raise StorageError(f"{folder}: not a DataManager store (<name>.data) and holds none")
    names = ", ".join(p.name for p in inside)
    raise StorageError(f"{folder}: holds several stores ({names}); name one")


TRUST_HINT = (
    "unpickling runs code chosen by whoever wrote the store, so `neurofiles dm get` reads values with the"
    " pickle-free 'safe' codec; pass --trust-pickle only if you trust this store"
)


_SAFE_REFUSAL = "not a value written by the safe codec"


class _RefusingCodec(SafeCodec):
    """The safe codec, counting the pickles it refuses and saying why in the warning."""

    def __init__(self) -> None:
        self.refused = 0

    def decode(self, data: bytes) -> Any:
        try:
            return super().decode(data)
        except CorruptValueError as exc:
            if bytes(data[:1]) != b"\x80":  # pickle protocol 2 and later start with PROTO
                raise
            self.refused += 1
            raise CorruptValueError(f"a pickled value, not loaded ({TRUST_HINT})") from exc


def open_store(folder: str, backend: str | None = None, codec: Codec | None = None) -> Any:
    """Open the store in ``folder`` (``<datapath>/<name>.data``) with :class:`DataManager`.

    Only existing folders are opened, so a typo never creates an empty
    store. ``codec`` forces the codec values are decoded with (``None``: the
    store's own); a store recorded with another codec is refused.
    """
    from .._storage.datamanager import DataManager

    base = _locate(folder)
    if codec is not None:
        manifest = read_manifest(base)
        if manifest is not None and manifest["codec"] != codec.name:
            raise StorageError(f"{base}: this store was written with the {manifest['codec']!r} codec; {TRUST_HINT}")
    try:
        return DataManager(base.name[: -len(".data")], str(base.parent), backend, codec=codec)
    except StoreManifestError as exc:
        if codec is None:
            raise
        raise StoreManifestError(f"{exc}; {TRUST_HINT}") from exc


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        try:
            if path.is_dir():
                total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            else:
                total += path.stat().st_size
        except OSError:
            pass
    return total


def store_summary(folder: str, backend: str | None = None) -> dict[str, Any]:
    """Sessions (items, keys, bytes), every key with its session count, and broken sessions."""
    from ..plugin._progress import progress

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        with open_store(folder, backend) as dm:
            backend_obj = dm.backend
            sessions: list[dict[str, Any]] = []
            broken: list[dict[str, Any]] = []
            key_counts: dict[str, int] = {}
            names = dm.session_names()
            for name in progress(names, desc="sessions", unit=" sessions"):
                files = backend_obj.session_files(name)
                try:
                    store = backend_obj.open_session(name, writable=False)
                    try:
                        keys = sorted(store.keys())
                    finally:
                        store.close()
                except Exception as exc:  # noqa: BLE001 (a broken session is reported, never fatal)
                    broken.append(
                        {
                            "session": name,
                            "error": f"{type(exc).__name__}: {exc}",
                            "files": [str(f) for f in files],
                        }
                    )
                    continue
                for key in keys:
                    key_counts[key] = key_counts.get(key, 0) + 1
                sessions.append({"session": name, "items": len(keys), "bytes": _size(files), "keys": keys})
            summary = {
                "store": str(dm.basepath),
                "backend": dm.backend_name,
                "codec": dm.codec,
                "sessions": len(sessions),
                "broken_sessions": broken,
                "items": sum(s["items"] for s in sessions),
                "bytes": _size([Path(dm.basepath)]),
                "keys": dict(sorted(key_counts.items())),
                "per_session": sessions,
            }
    summary["warnings"] = [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]
    return summary


def store_values(
    folder: str, key: str, backend: str | None = None, *, trust_pickle: bool = False
) -> tuple[dict[str, Any], list[str], int]:
    """``{session: value}`` of ``key``, the storage warnings met, and how many pickles were refused.

    Without ``trust_pickle`` no value is unpickled: the store is opened with
    the pickle-free codec, a pickle store is refused and a pickled value in
    another store is skipped (counted, with a warning).
    """
    codec = None if trust_pickle else _RefusingCodec()
    base = _locate(folder)
    if read_manifest(base) is None and not any(not p.name.startswith("_") for p in base.iterdir()):
        return {}, [], 0  # an empty store: opening it would write a manifest (with the codec forced here)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        with open_store(folder, backend, codec) as dm:
            values = dm.get(key)
    messages = [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]
    refused = 0
    if codec is not None:
        # A store with a manifest is decoded by the codec registered under its name, not by this
        # instance: count its refusals from the warnings (they name the safe codec).
        refused = codec.refused or sum(_SAFE_REFUSAL in text for text in messages)
    return values, messages, refused


def human_bytes(n: int) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def describe_value(value: Any, limit: int = 100) -> str:
    """A short one-line description: type, shape and a truncated repr."""
    shape = getattr(value, "shape", None)
    head = f"{type(value).__name__}" + (f" shape {tuple(shape)}" if shape is not None else "")
    if isinstance(value, (list, tuple, dict, set)):
        head += f" of {len(value)}"
    text = " ".join(repr(value).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{head}: {text}"
