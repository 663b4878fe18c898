"""One lookup: readers, writers and storage backends by name, a writer by destination and data, one option check.

Every place that turns a name a user typed (``format=``, ``backend=``, a
file extension) into a registered implementation goes through here, so the
errors are the same everywhere: an unknown name lists the known ones with
close matches, a destination no writer takes says which writers were tried
and which formats would write the data, and an option nobody takes names the
ones that are taken.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .backend import StorageBackend
from .._errors import AmbiguousFormatError, NoWriterError, UnknownBackendError, UnknownFormatError
from .options import accepted_options, check_options, unknown_options  # re-exported: the one option check
from .registry import PluginInfo, Registry
from .specs import ReaderSpec, WriterSpec

__all__ = [
    "accepted_options",
    "backend_by_name",
    "check_options",
    "choose_writer",
    "data_hint",
    "detect_backend",
    "reader_by_name",
    "suffixes_of",
    "unknown_options",
    "writer_by_name",
]


def suffixes_of(name: str) -> tuple[str, ...]:
    """Lower-case suffixes of a file name, longest first: ``('.tar.gz', '.gz')``."""
    parts = os.path.basename(name).lower().split(".")[1:]
    return tuple("." + ".".join(parts[i:]) for i in range(len(parts)) if parts[i:] != [""])


# -- by name ------------------------------------------------------------------------------------


def reader_by_name(registry: Registry, name: str) -> tuple[ReaderSpec, PluginInfo]:
    """The reader spec called ``name``, or :class:`UnknownFormatError` with close matches."""
    if name in registry.readers:
        return registry.readers[name]
    known = sorted(registry.readers)
    raise UnknownFormatError(name, known, difflib.get_close_matches(name, known, n=3))


def writer_by_name(registry: Registry, name: str) -> WriterSpec:
    """The writer spec called ``name``; a read-only or unknown format is a :class:`NoWriterError`."""
    if name in registry.writers:
        return registry.writers[name][0]
    writers = sorted(registry.writers)
    if name in registry.readers:
        raise NoWriterError(f"format {name!r} can be read but not written. {_writers_line(registry)}", writers=writers)
    close = difflib.get_close_matches(name, sorted(set(registry.writers) | set(registry.readers)), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise NoWriterError(f"unknown format {name!r}.{hint} {_writers_line(registry)}", writers=writers)


# -- by destination and data --------------------------------------------------------------------


def choose_writer(registry: Registry, dest: str, data: object, format: str | None) -> WriterSpec:
    """The writer for ``data`` saved to ``dest``: ``format`` if given, else the longest matching extension.

    Among writers claiming the extension, only those whose ``accepts`` take
    the data's type count; two equal ones are an :class:`AmbiguousFormatError`.
    """
    if format is not None:
        return writer_by_name(registry, format)
    suffixes = suffixes_of(dest)
    claiming: list[tuple[int, int, WriterSpec]] = []
    for spec, _ in registry.writers.values():
        ext = max((e for e in spec.extensions if e in suffixes), key=len, default=None)
        if ext is not None:
            claiming.append((len(ext), spec.priority, spec))
    matches = sorted((m for m in claiming if m[2].accepts_data(data)), key=lambda m: m[:2], reverse=True)
    if not matches:
        raise _no_writer(registry, dest, data, [m[2] for m in claiming])
    if len(matches) > 1 and matches[0][:2] == matches[1][:2]:
        names = [matches[0][2].name, matches[1][2].name]
        raise AmbiguousFormatError(
            f"both {names[0]!r} and {names[1]!r} write this extension; choose one with format=",
            path=dest,
            candidates=names,
        )
    return matches[0][2]


def _kind(data: object) -> str:
    return type(data).__name__


def _writers_for(registry: Registry, data: object) -> list[WriterSpec]:
    return sorted((s for s, _ in registry.writers.values() if s.accepts_data(data)), key=lambda s: s.name)


def _listing(specs: Iterable[WriterSpec]) -> str:
    return ", ".join(f"{s.name} ({', '.join(s.extensions) or 'format= only'})" for s in specs) or "(none)"


def data_hint(registry: Registry, data: object) -> str:
    """`` Formats that write <type>: ...`` for an error message (empty when none does)."""
    fit = _writers_for(registry, data)
    return f" Formats that write {_kind(data)}: {_listing(fit)}." if fit else ""


def _writers_line(registry: Registry) -> str:
    specs = sorted((s for s, _ in registry.writers.values()), key=lambda s: s.name)
    return f"Formats that write: {_listing(specs)}; see neurofiles.formats()."


def _no_writer(registry: Registry, dest: str, data: object, claiming: list[WriterSpec]) -> NoWriterError:
    suffix = min(suffixes_of(dest), key=len, default="")  # the final extension
    if claiming:
        tried = "; ".join(f"{s.name} writes {', '.join(s.accepts) or 'anything'}" for s in claiming)
        what = f"no writer for {suffix!r} files takes {_kind(data)} (tried: {tried})."
    elif suffix:
        what = f"no format writes {suffix!r} files."
    else:
        what = "no extension to choose a writer by."
    fit = _writers_for(registry, data)
    hint = f" Formats that write {_kind(data)}: {_listing(fit)}." if fit else f" No installed format writes {_kind(data)}."
    if fit:
        hint += " Use one of these extensions, or choose the format (format=)."
    return NoWriterError(what + hint, path=dest or None, writers=[s.name for s in fit])


# -- storage backends ---------------------------------------------------------------------------


def backend_by_name(registry: Registry, name: str) -> type[StorageBackend]:
    """The backend class called ``name``; :class:`UnknownBackendError` lists the installed ones."""
    backends = registry.backends
    if name not in backends:
        close = difflib.get_close_matches(name, sorted(backends), n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise UnknownBackendError(
            f"no storage backend {name!r} is installed{hint}; installed: {', '.join(sorted(backends)) or '(none)'}"
            " (see neurofiles.backends())"
        )
    spec, _plugin = backends[name]
    cls = spec.load_backend()
    if not (isinstance(cls, type) and issubclass(cls, StorageBackend)):
        raise UnknownBackendError(f"backend {name!r} ({spec.backend}) is not a StorageBackend subclass")
    return cls


def detect_backend(registry: Registry, basepath: Path) -> str | None:
    """The first backend (by priority, then name) whose ``detect()`` recognises a folder without manifest."""
    ordered = sorted(registry.backends.items(), key=lambda item: (-item[1][0].priority, item[0]))
    for name, _ in ordered:
        try:
            if backend_by_name(registry, name).detect(basepath):
                return name
        except Exception:  # noqa: BLE001, S112 - a broken third-party detect() must not stop the others
            continue
    return None


