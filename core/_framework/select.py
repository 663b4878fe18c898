"""Choosing a reader: explicit format, then magic, then sniff, then extension."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .discovery import ENV_STRICT, _flag
from .._errors import (
    AmbiguousFormatError,
    FormatMismatch,
    FormatMismatchError,
    MissingDependencyError,
    MissingOptionError,
    NoReaderError,
    PluginWarning,
)
from .lookup import accepted_options, check_options, reader_by_name, unknown_options
from .options import resolve_texts
from .reader import Reader
from .registry import PluginInfo, Registry
from .source import Source
from .specs import Probe, ReaderSpec
from .warn import warn

__all__ = ["Candidate", "Detection", "open_reader", "rank"]

MAGIC, SNIFF, EXTENSION = 3, 2, 1
TIER_NAMES = {MAGIC: "magic", SNIFF: "sniff", EXTENSION: "extension"}


@dataclass(frozen=True)
class Candidate:
    """A reader that might read the file, with the evidence for it."""

    spec: ReaderSpec
    plugin: PluginInfo
    tier: int
    score: float
    reason: str

    @property
    def key(self) -> tuple[int, float, int]:
        """Sort key: higher is better."""
        return (self.tier, self.score, self.spec.priority)


@dataclass
class Detection:
    """Which reader was chosen for a file, why, and what else was considered."""

    source: str
    format: str
    reason: str
    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        lines = [f"<Detection {self.source!r}: {self.format} ({self.reason})>"]
        lines += [f"  rejected {name}: {why}" for name, why in self.rejections]
        return "\n".join(lines)


def _sniff(spec: ReaderSpec, plugin: PluginInfo, probe: Probe) -> float | MissingDependencyError:
    """The spec's confidence in [0, 1]; a buggy or unimportable sniff is a plugin problem, reported.

    A sniff module that cannot be imported for lack of an optional package
    gives back that :class:`MissingDependencyError` (the format is unavailable,
    like a reader whose module is missing). Any other exception, at import or
    at call, is a plugin bug: a :class:`PluginWarning` naming the plugin, and a
    score of 0. In strict mode both propagate.
    """
    where = f"sniff {spec.sniff} of format {spec.name!r} (plugin {plugin.name!r}"
    where += f", from {plugin.distribution})" if plugin.distribution else ")"
    try:
        sniff = spec.load_sniff()
        assert sniff is not None
        return max(0.0, min(1.0, float(sniff(probe))))
    except MissingDependencyError as exc:
        if _flag(ENV_STRICT):
            raise
        warn(f"{where} cannot be imported: {exc}", PluginWarning)
        return exc
    except Exception as exc:  # a buggy third-party sniff must not break other formats
        if _flag(ENV_STRICT):
            raise
        warn(f"{where} raised {type(exc).__name__}: {exc}; ignored", PluginWarning)
        return 0.0


def rank(
    registry: Registry, source: Source, missing: list[MissingDependencyError] | None = None
) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Score every reader for ``source``; return candidates (best first) and rejections.

    Formats whose sniff module cannot be imported are rejected as
    unavailable and their errors appended to ``missing``.
    """
    suffixes = source.suffixes
    claimed = any(ext in suffixes for spec, _ in registry.readers.values() for ext in spec.extensions)
    probe = Probe(source.header, os.path.basename(source.name), source.size)
    candidates: list[Candidate] = []
    rejections: list[tuple[str, str]] = []
    for spec, plugin in registry.readers.values():
        ext = max((e for e in spec.extensions if e in suffixes), key=len, default=None)
        hit = max((s for s in spec.magic if s.matches(source.header)), key=lambda s: len(s.magic), default=None)
        if hit is not None:
            candidates.append(Candidate(spec, plugin, MAGIC, len(hit.magic), f"magic {hit.magic!r} at byte {hit.offset}"))
        elif spec.sniff is not None and (ext is not None or not claimed):
            confidence = _sniff(spec, plugin, probe)
            if isinstance(confidence, MissingDependencyError):
                if missing is not None:
                    missing.append(confidence)
                rejections.append((spec.name, f"unavailable: {confidence}"))
                continue
            if confidence > 0:
                candidates.append(Candidate(spec, plugin, SNIFF, confidence, f"content sniff, confidence {confidence:.2f}"))
            else:
                rejections.append((spec.name, "content sniff did not recognise the file"))
        elif ext is not None:
            candidates.append(Candidate(spec, plugin, EXTENSION, len(ext), f"extension {ext}"))
        elif spec.explicit_only:
            rejections.append((spec.name, f"chosen only explicitly, with format={spec.name!r}"))
        elif spec.magic:
            rejections.append((spec.name, "no magic bytes match and the extension is not its own"))
        else:
            rejections.append((spec.name, "extension is not its own"))
    candidates.sort(key=lambda c: c.key, reverse=True)
    return candidates, rejections


def _reader_options(reader_cls: type) -> set[str] | None:
    """Keyword options a reader class takes (after ``source``); None if it takes ``**kwargs``."""
    return accepted_options(reader_cls, skip=1)


def _instantiate(spec: ReaderSpec, source: Source, options: dict[str, Any]) -> Reader:
    reader_cls = spec.load_reader()
    reader: Reader = reader_cls(source, **resolve_texts(reader_cls, options))  # -O texts by declared type
    reader.format_name = spec.name  # type: ignore[misc]
    return reader


def _open_forced(registry: Registry, source: Source, name: str, options: dict[str, Any]) -> tuple[Reader, Detection]:
    spec, _ = reader_by_name(registry, name)
    reader_cls = spec.load_reader()
    check_options(f"format {name!r}", _reader_options(reader_cls), options)
    try:
        reader = _instantiate(spec, source, options)
    except FormatMismatch as exc:
        raise FormatMismatchError(f"not a valid {name!r} file: {exc}", path=source.name) from exc
    return reader, Detection(source.name, name, "format= given explicitly")


def open_reader(
    registry: Registry,
    source: Source,
    *,
    format: str | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Reader, Detection]:
    """Choose, construct and return the reader for ``source``."""
    options = dict(options or {})
    if format is not None:
        return _open_forced(registry, source, format, options)
    missing: list[MissingDependencyError] = []
    candidates, rejections = rank(registry, source, missing)
    sniff_unavailable = len(missing)  # formats whose sniff could not even be imported
    needs_option: list[MissingOptionError] = []
    for index, cand in enumerate(candidates):
        try:
            reader_cls = cand.spec.load_reader()
        except MissingDependencyError as exc:
            missing.append(exc)
            rejections.append((cand.spec.name, f"unavailable: {exc}"))
            continue
        unknown = unknown_options(_reader_options(reader_cls), options)
        if unknown:
            rejections.append((cand.spec.name, f"does not take option(s) {', '.join(unknown)}"))
            continue
        try:
            reader = _instantiate(cand.spec, source, options)
        except FormatMismatch as exc:
            rejections.append((cand.spec.name, f"refused: {exc}"))
            continue
        except MissingOptionError as exc:
            needs_option.append(exc)
            rejections.append((cand.spec.name, f"needs an option: {exc}"))
            continue
        _refuse_ties(reader, cand, candidates[index + 1 :], source, options)
        reason = f"{TIER_NAMES[cand.tier]}: {cand.reason}"
        return reader, Detection(source.name, cand.spec.name, reason, candidates, rejections)
    if needs_option:
        raise needs_option[0]
    raise _no_reader(registry, source, candidates, rejections, missing, sniff_unavailable)


def _refuse_ties(reader: Reader, best: Candidate, rest: list[Candidate], source: Source, options: dict[str, Any]) -> None:
    """Raise if another candidate without magic scores the same and also accepts."""
    if best.tier == MAGIC:
        return
    for other in rest:
        if other.key != best.key:
            return
        try:
            rival = _instantiate(other.spec, source, options)
        except (FormatMismatch, MissingDependencyError, TypeError):
            continue
        rival.close()
        reader.close()
        names = [best.spec.name, other.spec.name]
        raise AmbiguousFormatError(
            f"both {names[0]!r} and {names[1]!r} can read this file with equal confidence"
            f" ({best.reason}); choose one with format={names[0]!r} or format={names[1]!r}",
            path=source.name,
            candidates=names,
        )


def _preview(header: bytes, n: int = 16) -> str:
    head = header[:n]
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
    return f"{head.hex(' ')}  |{text}|"


def _no_reader(
    registry: Registry,
    source: Source,
    candidates: list[Candidate],
    rejections: list[tuple[str, str]],
    missing: list[MissingDependencyError],
    sniff_unavailable: int,
) -> Exception:
    """MissingDependencyError if every plausible format is unavailable here, else NoReaderError.

    Plausible formats are the candidates plus the formats whose sniff could
    not be imported; ``missing`` holds one error per unavailable one.
    """
    if missing and len(missing) == len(candidates) + sniff_unavailable:
        return missing[0]
    lines = [f"no reader accepted this file (first bytes: {_preview(source.header)})."]
    lines += [f"  - {name}: {why}" for name, why in rejections] or ["  - no format is registered"]
    lines += [f"  - broken plugin {b.plugin.name!r}: {b.error}" for b in registry.broken]
    lines.append("See neurofiles.formats() for what is installed, or force one with format=.")
    return NoReaderError("\n".join(lines), path=source.name, rejections=rejections)


Detection.__module__ = "neurofiles"  # its public name
