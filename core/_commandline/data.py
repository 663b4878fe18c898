"""The file commands of the CLI: ``info``, ``convert``, ``plot``."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path
from typing import Any

from .._frontend.atomic import write_error
from .._errors import InvalidPathError, OptionError, WriteError

__all__ = [
    "content_facts",
    "load_with_progress",
    "parse_options",
    "run_convert",
    "run_info",
    "run_plot",
    "zero_time",
]

AUTO_FULL_BYTES = 256 << 20  # `info` reads bodies up to this size unless --header-only / --full


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["tick=2e-7", "version=1.0", "strict=true"]`` -> typed keyword options."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise OptionError(f"option {pair!r} is not KEY=VALUE")
        low = text.strip().lower()
        value: Any
        if low in ("true", "yes", "on"):
            value = True
        elif low in ("false", "no", "off"):
            value = False
        elif low in ("none", "null"):
            value = None
        else:
            try:
                value = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    value = text
        options[key] = value
    return options


def _window_options(args: argparse.Namespace) -> dict[str, Any]:
    options = parse_options(getattr(args, "option", None))
    for name in ("t_start", "t_stop"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return options


def load_with_progress(path: str, format: str | None, options: dict[str, Any], reader: Any = None) -> Any:
    """``neurofiles.load``, or ``reader.read()`` of an already-open reader for ``path``.

    Readers of big files draw their own progress bar (on a terminal).
    """
    if reader is not None:
        return reader.read()
    from .._frontend.api import load

    return load(path, format=format, **options)


def _number(x: float) -> str:
    """Up to 6 decimals, no exponent for clock-like values, trailing zeros trimmed."""
    import numpy as np

    if x != 0 and (abs(x) < 1e-4 or abs(x) >= 1e16):
        return f"{x:.6g}"
    return str(np.format_float_positional(x, precision=6, trim="-"))


def content_facts(data: Any) -> dict[str, Any]:
    """Counts, time span, columns and units of a loaded result."""
    from .._results.tabular import kind_of, to_table

    if isinstance(data, list):
        return {"recordings": len(data), "parts": [content_facts(d) for d in data]}
    try:
        kind = kind_of(data)
    except TypeError:
        return {"type": type(data).__name__}
    table = to_table(data, with_times=True) if kind == "Events" else to_table(data)
    facts: dict[str, Any] = {"type": kind, "rows": len(table)}
    time_key = "times" if kind == "Events" else table.attrs.get("time_name")
    if time_key and len(table):
        t = table.columns[time_key]
        unit = table.units.get(time_key, "")
        first, last = float(t.min()), float(t.max())
        suffix = f" {unit}" if unit else ""
        facts["time_span"] = f"{_number(first)} .. {_number(last)}{suffix}"
        facts["duration"] = f"{_number(last - first)}{suffix}"
    facts["columns"] = [table.label(name) for name in table.columns]
    if kind == "Traces":
        facts["sweeps"] = int(getattr(data, "sweep_count", 1))
    engine = (getattr(data, "metadata", None) or {}).get("engine")
    if engine:
        facts["engine"] = engine  # which text engine parsed the data block
    streams = getattr(data, "streams", None)
    if streams:
        facts["streams"] = sorted(streams)
    return facts


def run_info(args: argparse.Namespace, report_error: Any) -> tuple[int, list[dict[str, Any]]]:
    """Summaries of every path; failures are reported (``report_error(exc, path)``) and make the status 1."""
    from .._frontend.api import open_reader_for

    status, reports = 0, []
    for path in args.paths:
        try:
            options = parse_options(args.option)
            reader, detection = open_reader_for(path, format=args.format, options=options)
            with reader:  # one detection and one header parse serve both the summary and the body
                report: dict[str, Any] = {
                    "path": path,
                    "format": detection.format,
                    "why": detection.reason,
                    **reader.summary(),
                }
                size = reader.source.size or 0
                if args.full or (not args.header_only and size <= AUTO_FULL_BYTES):
                    data = load_with_progress(path, args.format, options, reader=reader)
                    report.update(content_facts(data))
                    metadata = getattr(data, "metadata", None)
                    if args.metadata and isinstance(metadata, dict):
                        report["metadata"] = metadata
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 (a reader bug must not hide the other files' reports)
            if os.environ.get("NEUROFILES_DEBUG"):
                raise
            report_error(exc, path)
            status = 1
            continue
        reports.append(report)
    return status, reports


def _check_output(out: str | Path, force: bool, inputs: list[str]) -> Path:
    """``out`` as a path, after checking it may be written: not an input, new unless ``force``."""
    target = Path(out).expanduser()
    if any(_same_file(i, target) for i in inputs):
        raise WriteError("output is the input file", path=out)
    if os.path.lexists(target) and not force:
        raise WriteError("exists; pass --force to overwrite it", path=out)
    try:
        folder = os.stat(target.parent)
    except OSError as exc:
        raise write_error(exc, out) from exc
    except ValueError as exc:  # an embedded NUL
        raise InvalidPathError(f"not a valid path: {exc}", path=repr(str(out))) from exc
    if not stat.S_ISDIR(folder.st_mode):
        raise WriteError(f"{str(target.parent)!r} is not a folder", path=out)
    return target


def _same_file(a: str | Path, b: Path) -> bool:
    """True if both names reach the same existing file (False if either cannot be looked at)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def zero_time(data: Any) -> Any:
    """The same result with its clock shifted so that the first event or sample is at 0.

    The shift is recorded in ``metadata["time_offset"]`` (seconds, or the time unit of Traces).
    """
    from .._results.tabular import from_table, kind_of, to_table

    kind = kind_of(data)
    table = to_table(data)
    if kind == "Events":
        ts = table.columns["timestamps"]
        offset = int(ts.min()) if len(ts) else 0
        table.columns["timestamps"] = ts - offset
        table.metadata["time_offset"] = offset * float(data.tick)
    elif table.attrs.get("time_name") is not None:
        name = table.attrs["time_name"]
        times = table.columns[name]
        start = float(times.min()) if len(times) else 0.0
        table.columns[name] = times - start
        table.metadata["time_offset"] = start
    return from_table(table)


def run_convert(args: argparse.Namespace) -> str:
    """Read ``args.input`` and write ``args.output``; return a one-line summary.

    An index file gives one output per recording (OUT's name plus ``_0``,
    ``_1``...): every one is checked before anything is written, and they
    are written all or none.
    """
    from .._frontend.api import save_many

    target = _check_output(args.output, args.force, [args.input])
    data = load_with_progress(args.input, args.format, _window_options(args))
    options = parse_options(args.write_option)
    if args.zero_time:
        data = [zero_time(d) for d in data] if isinstance(data, list) else zero_time(data)
    if not isinstance(data, list):
        save_many([(target, data)], format=args.to, **options)
        return f"{args.input} -> {target} ({_count(data)})"
    suffix = "".join(target.suffixes[-1:])
    stem = target.name[: len(target.name) - len(suffix)]
    outputs = [_check_output(target.with_name(f"{stem}_{i}{suffix}"), args.force, [args.input]) for i in range(len(data))]
    save_many(list(zip(outputs, data)), format=args.to, **options)
    lines = [f"{args.input} [{i}] -> {each} ({_count(part)})" for i, (each, part) in enumerate(zip(outputs, data))]
    return "\n".join(lines) if lines else f"{args.input}: the index lists no recordings"


def _count(data: Any) -> str:
    return f"{len(data)} {'events' if hasattr(data, 'tick') else 'rows'}"


def run_plot(args: argparse.Namespace) -> str:
    """Plot ``args.path`` into ``args.output``; return a one-line summary.

    The image is written like every output: to a temporary file, then
    renamed (never through a symlink, never into a FIFO).
    """
    from .._frontend.atomic import write_atomic
    from .._frontend.plot import plot

    target = _check_output(args.output, True, [args.path])
    kind = target.suffix[1:].lower()
    data = load_with_progress(args.path, args.format, _window_options(args))
    if isinstance(data, list):
        data = data[args.recording]
    figure = plot(data, kind=args.kind, layout=args.layout, title=args.title or os.path.basename(args.path))
    try:
        write_atomic(target, lambda stream, path: figure.savefig(stream, format=kind or None, dpi=args.dpi))
    except ValueError as exc:  # unknown image extension
        raise OptionError(
            f"cannot save a plot as {target.suffix or 'a file without extension'}: {exc}"
        ) from exc
    return f"{args.path} -> {target}"
