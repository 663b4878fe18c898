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
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._errors import AmbiguousFormatError, NoWriterError, OptionError, UnknownFormatError
from ._registry import PluginInfo, Registry
from ._specs import ReaderSpec, WriterSpec

__all__ = [
    "accepted_options",
    "check_options",
    "choose_writer",
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


# -- options ------------------------------------------------------------------------------------


def accepted_options(func: Callable[..., Any], *, skip: int = 0, exclude: Iterable[str] = ()) -> set[str] | None:
    """Keyword options ``func`` takes after its first ``skip`` parameters; None if it takes ``**kwargs``."""
    params = list(inspect.signature(func).parameters.values())[skip:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    taken = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return taken - set(exclude)


def unknown_options(accepted: set[str] | frozenset[str] | None, options: Mapping[str, Any]) -> list[str]:
    """The names in ``options`` that ``accepted`` (None: anything) does not hold, sorted."""
    return [] if accepted is None else sorted(set(options) - set(accepted))


def check_options(
    what: str, accepted: set[str] | frozenset[str] | None, options: Mapping[str, Any]
) -> None:
    """Raise :class:`OptionError` naming the options ``what`` does not take, and the ones it does."""
    unknown = unknown_options(accepted, options)
    if unknown:
        takes = ", ".join(sorted(accepted or ())) or "none"
        raise OptionError(f"{what} does not take option(s) {', '.join(unknown)}; it takes: {takes}")
