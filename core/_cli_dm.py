"""The ``dm`` commands of the CLI: look into a DataManager store from the shell."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ._errors import StorageError, StorageWarning

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


def open_store(folder: str, backend: str | None = None) -> Any:
    """Open the store in ``folder`` (``<datapath>/<name>.data``) with :class:`DataManager`.

    Only existing folders are opened, so a typo never creates an empty store.
    """
    from ._datamanager import DataManager

    base = _locate(folder)
    return DataManager(base.name[: -len(".data")], str(base.parent), backend)


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
    from ._progress import progress

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        with open_store(folder, backend) as dm:
            backend_obj = dm.backend
            sessions, broken, key_counts = [], [], {}
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


def store_values(folder: str, key: str, backend: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """``{session: value}`` of ``key``, and the storage warnings raised while reading."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        with open_store(folder, backend) as dm:
            values = dm.get(key)
    return values, [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]


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
