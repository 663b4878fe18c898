"""The file commands of the CLI: ``info``, ``convert``, ``plot``."""

from __future__ import annotations

import argparse
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

from .._frontend.atomic import write_error
from .._errors import InvalidPathError, NoReaderError, OptionError, UnknownFormatError, WriteError

__all__ = [
    "check_format",
    "content_facts",
    "load_with_progress",
    "option_texts",
    "parse_options",
    "run_convert",
    "run_info",
    "run_plot",
    "zero_time",
]

AUTO_FULL_BYTES = 256 << 20  # `info` reads bodies up to this size unless --header-only / --full


def option_texts(pairs: list[str] | None) -> dict[str, str]:
    """``["subject_id=001", "strict=true"]`` -> ``{"subject_id": "001", "strict": "true"}`` (texts kept)."""
    texts: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise OptionError(f"option {pair!r} is not KEY=VALUE")
        texts[key] = text
    return texts


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["tick=2e-7", "subject_id=001"]`` -> keyword options holding the texts as typed.

    Each value is an :class:`OptionText`: the reader or writer that takes it
    gets it converted by the type it declares (``tick`` a float, ``subject_id``
    the text ``"001"``; booleans, None, integers and floats are guessed for
    an option whose type is not declared).
    """
    from .._framework.options import OptionText

    return {key: OptionText(text) for key, text in option_texts(pairs).items()}


def _window_options(args: argparse.Namespace) -> dict[str, Any]:
    options = parse_options(getattr(args, "option", None))
    for name in ("t_start", "t_stop"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return options


def check_format(name: str | None, *, writing: bool = False) -> None:
    """Raise :class:`UnknownFormatError` with close names if ``--format``/``--to`` names no format."""
    if name is None:
        return
    from .suggest import suggest
    from .._framework.discovery import get_registry

    registry = get_registry()
    known = sorted(registry.writers if writing else registry.readers)
    if name not in known:
        raise UnknownFormatError(name, known, suggest(name, known))


def option_error(exc: NoReaderError) -> OptionError | None:
    """The option error hidden in a "no reader accepted" failure, if a fitting reader refused an option.

    An option that no candidate reader takes is the user's mistake to fix
    first, so it is reported alone, before any other reason.
    """
    from .._framework.discovery import get_registry
    from .._framework.select import _reader_options

    for name, why in exc.rejections:
        match = re.match(r"does not take option\(s\) (.*)", why)
        if not match:
            continue
        entry = get_registry().readers.get(name)
        accepted = sorted(_reader_options(entry[0].load_reader()) or ()) if entry else []
        return OptionError(
            f"the reader that fits this file ({name!r}) does not take option(s) {match.group(1)};"
            f" it takes: {', '.join(accepted) or 'none'}"
        )
    return None


def open_reader_cli(path: str, format: str | None, options: dict[str, Any]) -> Any:
    """``open_reader_for``, with an unknown ``--format`` or ``-O`` option reported first and alone."""
    from .._frontend.api import open_reader_for

    check_format(format)
    try:
        return open_reader_for(path, format=format, options=options)
    except NoReaderError as exc:
        trouble = option_error(exc)
        if trouble is not None:
            raise trouble from exc
        raise


def load_with_progress(path: str, format: str | None, options: dict[str, Any], reader: Any = None) -> Any:
    """``neurofiles.load``, or ``reader.read()`` of an already-open reader for ``path``.

    Readers of big files draw their own progress bar (on a terminal).
    """
    if reader is not None:
        return reader.read()
    reader, _ = open_reader_cli(path, format, options)
    with reader:
        return reader.read()


def _number(x: float) -> str:
    """Up to 6 decimals, no exponent for clock-like values, trailing zeros trimmed."""
    import numpy as np

    if x != 0 and (abs(x) < 1e-4 or abs(x) >= 1e16):
        return f"{x:.6g}"
    return str(np.format_float_positional(x, precision=6, trim="-"))


#: seconds per time unit, for the SI numbers of ``info --json``
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0}


def _time_facts(first: float, last: float, unit: str) -> dict[str, float]:
    """``start_s``, ``stop_s``, ``duration_s`` (or ``..._<unit>`` for a unit that is not a time)."""
    scale = _SECONDS.get(unit.strip())
    if scale is None:
        key = re.sub(r"\W+", "_", unit.strip()) or "unitless"
        return {f"start_{key}": first, f"stop_{key}": last, f"duration_{key}": last - first}
    return {"start_s": first * scale, "stop_s": last * scale, "duration_s": (last - first) * scale}


def _recording_facts(metadata: dict[str, Any]) -> dict[str, Any]:
    """Camera, resolution, frames, skipped packets and a guessed tick, from the metadata."""
    facts: dict[str, Any] = {}
    if metadata.get("camera"):
        facts["camera"] = metadata["camera"]
    size = metadata.get("sensor_size")
    if isinstance(size, (list, tuple)) and len(size) == 2:
        facts["resolution"] = f"{size[0]} x {size[1]}"
    frames = metadata.get("frames")
    if isinstance(frames, int) and not isinstance(frames, bool) and frames:
        facts["frames"] = frames
    skipped = metadata.get("skipped_packets")
    if skipped:
        facts["skipped_packets"] = skipped
    if metadata.get("tick_guessed"):
        facts["tick"] = f"{metadata.get('tick')} s, guessed ({metadata.get('tick_source', 'default')}); set it with -O tick="
    return facts


def content_facts(data: Any) -> dict[str, Any]:
    """Counts, time span (numbers, SI units in the key), columns and units of a loaded result."""
    from .._results.tabular import kind_of, to_table

    if isinstance(data, list):
        return {"recordings": len(data), "parts": [content_facts(d) for d in data]}
    try:
        kind = kind_of(data)
    except TypeError:
        return {"type": type(data).__name__}
    with warnings.catch_warnings():  # what a file format could not store is no concern of a summary
        warnings.simplefilter("ignore")
        table = to_table(data, with_times=True) if kind == "Events" else to_table(data)
    facts: dict[str, Any] = {"type": kind, "rows": len(table)}
    time_key = "times" if kind == "Events" else table.attrs.get("time_name")
    if time_key and len(table):
        t = table.columns[time_key]
        unit = "s" if kind == "Events" else table.units.get(time_key, "")
        facts.update(_time_facts(float(t.min()), float(t.max()), unit))
    if kind == "Traces" and int(getattr(data, "sweep_count", 1)) > 1:
        units = [data.units[int(c)] for c in data.layout[0]]
        names = list(data.channel_names)
        time_label = [table.label(time_key)] if time_key else []
        facts["columns"] = time_label + [f"{n} ({u})" if u else str(n) for n, u in zip(names, units)]
    else:
        facts["columns"] = [table.label(name) for name in table.columns]
    if kind == "Traces":
        facts["sweeps"] = int(getattr(data, "sweep_count", 1))
    facts.update(_recording_facts(getattr(data, "metadata", None) or {}))
    engine = (getattr(data, "metadata", None) or {}).get("engine")
    if engine:
        facts["engine"] = engine  # which text engine parsed the data block
    streams = getattr(data, "streams", None)
    if streams:
        facts["streams"] = sorted(streams)
    return facts


def run_info(args: argparse.Namespace, report_error: Any) -> tuple[int, list[dict[str, Any]]]:
    """Summaries of every path; failures are reported (``report_error(exc, path)``) and make the status 1."""
    status, reports = 0, []
    for path in args.paths:
        try:
            options = parse_options(args.option)
            reader, detection = open_reader_cli(path, args.format, options)
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
                elif args.header_only:
                    report["body"] = "not read (--header-only); drop it to count and time the data"
                else:
                    report["body"] = (
                        f"not read: the file is {size / (1 << 20):.0f} MiB, over"
                        f" {AUTO_FULL_BYTES >> 20} MiB; pass --full to read it (rows, time span, columns)"
                    )
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


def decode_events(data: Any, layout: str) -> Any:
    """``Events.decode(layout)`` of every Events in ``data``; ``auto`` takes the layout the chip names."""
    from .._frontend.plot import guess_layout
    from .._results.tabular import kind_of

    if isinstance(data, list):
        return [decode_events(d, layout) for d in data]
    if kind_of(data) != "Events":
        raise OptionError("--decode applies to AER events, not to traces")
    if data.addresses is None:
        raise OptionError("--decode: these events have no raw addresses (the file stores x, y and polarity already)")
    if layout == "auto":
        chosen = guess_layout(data.metadata)
        if chosen is None:
            raise OptionError(
                "--decode auto: the file does not name a known camera; give the layout"
                " (--decode dvs128, davis240, davis346...)"
            )
        layout = chosen
    return data.decode(layout)


def _temp_bytes(target: Path) -> str:
    """How much the temporary files of ``target`` hold so far (for the write progress line)."""
    total = 0
    with os.scandir(target.parent) as entries:
        for entry in entries:
            if entry.name.startswith(f".{target.name}.") and entry.name.endswith(".tmp"):
                total += entry.stat(follow_symlinks=False).st_size
    return f"{total / (1 << 20):,.0f} MiB"


def _writer_name(target: Path, to: str | None) -> str | None:
    """The writer the output will get: ``--to``, else the one its extension names (None if unknown)."""
    if to is not None:
        return to
    from .._framework.discovery import get_registry

    name = target.name.lower()
    for writer, (spec, _) in get_registry().writers.items():
        if any(name.endswith(ext) for ext in spec.extensions):
            return writer
    return None


def _writer_options(name: str | None) -> set[str]:
    """The keyword options the writer called ``name`` takes (empty if unknown or it takes ``**kwargs``)."""
    from .._framework.discovery import get_registry
    from .._framework.options import accepted_options

    entry = get_registry().writers.get(name) if name else None
    if entry is None:
        return set()
    try:
        return accepted_options(entry[0].load_writer(), skip=2, exclude=("path",)) or set()
    except Exception:  # noqa: BLE001 (a writer that cannot load is reported when it writes)
        return set()


def run_convert(args: argparse.Namespace) -> str:
    """Read ``args.input`` and write ``args.output``; return a one-line summary.

    An index file gives one output per recording (OUT's name plus ``_0``,
    ``_1``...): every one is checked before anything is written, and they
    are written all or none. Each long phase (read, decode, write) shows
    progress on a terminal.
    """
    from .._frontend.api import save_many
    from ..plugin._progress import Phase

    check_format(args.to, writing=True)
    target = _check_output(args.output, args.force, [args.input])
    options = parse_options(args.write_option)
    if "compress" in _writer_options(_writer_name(target, args.to)):
        options.setdefault("compress", False)  # as fast as numpy.savez; -W compress=true for deflate
    data = load_with_progress(args.input, args.format, _window_options(args))
    if args.decode:
        with Phase(f"decoding addresses ({args.decode})"):
            data = decode_events(data, args.decode)
    if args.zero_time:
        data = [zero_time(d) for d in data] if isinstance(data, list) else zero_time(data)
    if not isinstance(data, list):
        with Phase(f"writing {target.name}", lambda: _temp_bytes(target)):
            save_many([(target, data)], format=args.to, **options)
        return f"{args.input} -> {target} ({_count(data)})"
    suffix = "".join(target.suffixes[-1:])
    stem = target.name[: len(target.name) - len(suffix)]
    outputs = [_check_output(target.with_name(f"{stem}_{i}{suffix}"), args.force, [args.input]) for i in range(len(data))]
    with Phase(f"writing {len(outputs)} files"):
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
    title = args.title or os.path.basename(args.path)
    if isinstance(data, list):
        if not -len(data) <= args.recording < len(data):
            raise OptionError(f"--recording {args.recording}: the index lists {len(data)} recording(s)")
        index = args.recording % len(data)
        data = data[index]
        source = (getattr(data, "metadata", None) or {}).get("source")
        if not args.title:
            title = f"{os.path.basename(str(source or '?'))} (recording {index} of {os.path.basename(args.path)})"
    figure = plot(data, kind=args.kind, layout=args.layout, title=title, relative=not args.absolute_time)
    try:
        write_atomic(target, lambda stream, path: figure.savefig(stream, format=kind or None, dpi=args.dpi))
    except ValueError as exc:  # unknown image extension
        raise OptionError(
            f"cannot save a plot as {target.suffix or 'a file without extension'}: {exc}"
        ) from exc
    return f"{args.path} -> {target}"
