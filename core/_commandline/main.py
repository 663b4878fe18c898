"""The ``neurofiles`` command line.

Commands: ``formats``, ``backends``, ``info``, ``convert``, ``plot``,
``dm summary`` and ``dm get``. Exit status: 0 success, 1 failure (one
``neurofiles CMD: message`` on standard error naming the file, no traceback),
2 usage error (argparse, including a malformed ``-O``/``-W``).
Set ``NEUROFILES_DEBUG=1`` to get the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from .suggest import did_you_mean

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars, paths and other objects into JSON-friendly values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _dump(obj: Any) -> None:
    print(json.dumps(obj, default=_jsonable, indent=2, ensure_ascii=False))


#: what a failure that is not a bug can raise: reported as its message alone
EXPECTED_ERRORS = (OSError, ValueError, TypeError, ImportError)


def describe_failure(exc: BaseException, subject: str | None = None) -> str:
    """One line for ``exc`` met while processing ``subject`` (a file or folder), which it names.

    Errors of neurofiles that carry a path already name it; anything else
    gets ``subject`` in front. Out of memory and unexpected exceptions (bugs)
    say so.
    """
    from .._errors import NeurofilesError

    if isinstance(exc, MemoryError):
        text = "out of memory while processing this file (it asks for more memory than there is; MemoryError)"
    elif isinstance(exc, RecursionError):
        text = "too deeply nested to process (RecursionError)"
    elif isinstance(exc, (NeurofilesError, *EXPECTED_ERRORS)):
        text = str(exc) or type(exc).__name__
    else:
        text = (
            f"internal error {type(exc).__name__}: {exc}"
            " (set NEUROFILES_DEBUG=1 for the traceback, and please report it)"
        )
    if subject and getattr(exc, "path", None) is None and subject not in text:
        text = f"{subject}: {text}"
    return text


#: Python wording of library messages -> the CLI flag that does the same (per command; "" = any)
_CLI_WORDING: tuple[tuple[str, str, str], ...] = (
    ("convert", r"pass layout='dvs128', 'davis346'\.\.\.", "pass -W layout=dvs128 (or davis346, davis240...)"),
    ("plot", r"pass layout= \(([^)]*)\)", r"pass --layout (\1)"),
    ("", r"pass layout=", "pass --layout "),
    ("", r"pass version='([\w.]+)'", r"pass -O version=\1"),
    ("", r"subtract an offset first", "pass --zero-time to start the clock at 0"),
    ("convert", r"\bwith format='([\w.-]+)'", r"with --to \1"),
    ("", r"\bwith format='([\w.-]+)'", r"with --format \1"),
    ("", r"\bformat='([\w.-]+)'", r"--format \1"),
    ("", r"force one with format=", "force one with --format"),
    ("", r"neurofiles\.formats\(\)", "`neurofiles formats`"),
    ("", r"neurofiles\.backends\(\)", "`neurofiles backends`"),
    ("", r"\bt_start=", "--t-start "),
    ("", r"\bt_stop=", "--t-stop "),
    ("", r"\btick=", "-O tick="),
)


def cli_wording(text: str, command: str) -> str:
    """``text`` with the Python keyword arguments it suggests replaced by the CLI flags."""
    for only, pattern, replacement in _CLI_WORDING:
        if not only or command.startswith(only):
            text = re.sub(pattern, replacement, text)
    match = re.search(r"does not take option\(s\) ([\w, ]+); it takes: ([\w, ]+)", text)
    if match:
        flag = "-W " if re.search(r"\bwriter\b", text[: match.start()]) else "-O "
        taken = [t.strip() for t in match.group(2).split(",")]
        hints = [did_you_mean(o.strip(), taken, flag) for o in match.group(1).split(",")]
        text = text[: match.end()] + "".join(hints) + text[match.end() :]
    return text


def _error(command: str, exc: BaseException, subject: str | None = None) -> None:
    text = cli_wording(describe_failure(exc, subject), command)
    print(f"neurofiles {command}: {text}", file=sys.stderr)


def _warning_printer(command: str) -> Any:
    """Print warnings as ``neurofiles CMD: warning: message`` (no source line)."""

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        print(f"neurofiles {command}: warning: {cli_wording(str(message), command)}", file=sys.stderr)

    return show


def _magic_text(magic: bytes) -> str:
    """Magic bytes as text: printable ASCII as is, anything else (and backslash) as ``\\xNN``."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in magic)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns as wide as their widest cell, two spaces apart (the last one unpadded)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip() for r in [header, *rows]]


def _cmd_formats(args: argparse.Namespace) -> int:
    from .._frontend import api as _api
    from .._framework.discovery import get_registry

    rows = _api.formats()
    if args.json:
        _dump([
            {**r.__dict__, "magic": [
                {"offset": s.offset, "hex": s.magic.hex(), "text": _magic_text(s.magic)} for s in r.magic
            ]}
            for r in rows
        ])
        return EXIT_OK
    table = [
        [
            r.name,
            "yes" if r.can_read else "-",
            "yes" if r.can_write else "-",
            " ".join(r.extensions) or "-",
            " ".join(r.write_extensions) or "-",
            ", ".join(_magic_text(s.magic) + (f" @{s.offset}" if s.offset else "") for s in r.magic) or "-",
            f"{r.plugin} ({r.distribution} {r.version})",
        ]
        for r in rows
    ]
    header = ["format", "read", "write", "reads", "writes", "magic", "provided by"]
    for line in _table(header, table):
        print(line)
    for broken in get_registry().broken:
        print(f"broken plugin {broken.plugin.name!r} ({broken.plugin.distribution}): {broken.error}")
    return EXIT_OK


def _cmd_backends(args: argparse.Namespace) -> int:
    from .._frontend import api as _api

    rows = _api.backends()
    if args.json:
        _dump([r.__dict__ for r in rows])
        return EXIT_OK
    print(f"{'backend':<16}provided by")
    for r in rows:
        print(f"{r.name:<16}{r.plugin} ({r.distribution} {r.version})  {r.description}")
    return EXIT_OK


def _time_text(report: dict[str, Any]) -> dict[str, Any]:
    """``start_s``/``stop_s``/``duration_s`` (numbers for JSON) as ``time span``/``duration`` text."""
    from .data import _number

    out: dict[str, Any] = {}
    for key, value in report.items():
        match = re.fullmatch(r"(start|stop|duration)_(\w+)", key)
        trio = match and all(f"{p}_{match.group(2)}" in report for p in ("start", "stop", "duration"))
        if not match or not trio or not isinstance(value, (int, float)):
            out[key] = value
            continue
        unit = "" if match.group(2) == "unitless" else " " + match.group(2)
        if match.group(1) == "start":
            stop = report.get(f"stop_{match.group(2)}", value)
            out["time span"] = f"{_number(value)} .. {_number(stop)}{unit}"
        elif match.group(1) == "duration":
            out["duration"] = f"{_number(value)}{unit}"
    return out


def _print_report(report: dict[str, Any]) -> None:
    report = _time_text(report)
    print(report["path"])
    for key, value in report.items():
        if key == "path":
            continue
        if key == "parts":
            for i, part in enumerate(value):
                print(f"  recording {i}: " + "; ".join(f"{k} {v}" for k, v in _time_text(part).items()))
        elif isinstance(value, dict) and value:
            print(f"  {key}:")
            for sub, item in value.items():
                text = " ".join(str(item).split())
                print(f"    {sub}: {text[:117] + '...' if len(text) > 120 else text}")
        elif isinstance(value, list) and key == "columns":
            print(f"  {key}: {', '.join(map(str, value))}")
        else:
            print(f"  {key}: {value}")


def _cmd_info(args: argparse.Namespace) -> int:
    from .data import run_info

    status, reports = run_info(args, lambda exc, path: _error("info", exc, path))
    if args.json:
        _dump(reports)
    else:
        for report in reports:
            _print_report(report)
    return status


def _cmd_convert(args: argparse.Namespace) -> int:
    from .data import run_convert

    line = run_convert(args)
    if not args.quiet:
        print(line)
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace) -> int:
    from .data import run_plot

    line = run_plot(args)
    if not args.quiet:
        print(line)
    return EXIT_OK


def _cmd_dm_summary(args: argparse.Namespace) -> int:
    from .dm import human_bytes, store_summary

    summary = store_summary(args.folder, args.backend)
    for text in summary["warnings"]:
        print(f"neurofiles dm summary: warning: {text}", file=sys.stderr)
    if args.json:
        _dump(summary)
        return EXIT_OK
    print(f"store {summary['store']} (backend {summary['backend']}, codec {summary['codec']})")
    print(
        f"  sessions: {summary['sessions']}, items: {summary['items']}, size: {human_bytes(summary['bytes'])}"
    )
    keys = summary["keys"]
    print(f"  keys ({len(keys)}): " + ", ".join(f"{k} [{n}]" for k, n in keys.items()))
    if args.sessions:
        for s in summary["per_session"]:
            print(f"  session {s['session']}: {s['items']} items, {human_bytes(s['bytes'])}")
    broken = summary["broken_sessions"]
    print(f"  broken sessions: {len(broken)}")
    for b in broken:
        print(f"    {b['session']}: {b['error']}")
    return EXIT_OK


def _cmd_dm_get(args: argparse.Namespace) -> int:
    from .dm import describe_value, store_values

    values, warned, refused = store_values(args.folder, args.key, args.backend, trust_pickle=args.trust_pickle)
    for text in warned:
        print(f"neurofiles dm get: warning: {text}", file=sys.stderr)
    if refused:
        print(
            f"neurofiles dm get: {refused} value(s) of {args.key!r} were not loaded: they are not in the"
            " pickle-free 'safe' format (pickles?), and unpickling runs code chosen by whoever wrote the"
            " store; pass --trust-pickle only if you trust it",
            file=sys.stderr,
        )
    if not values:
        print(f"neurofiles dm get: no session holds key {args.key!r}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        _dump(values)
        return EXIT_OK
    for session, value in values.items():
        print(f"{session}: {describe_value(value)}")
    return EXIT_OK


def _cmd_dm_table(args: argparse.Namespace) -> int:
    from .dm import cmd_dm_table

    return cmd_dm_table(args, _dump)


class _Parser(argparse.ArgumentParser):
    """argparse, with a suggestion for a misspelt command, choice or option."""

    def error(self, message: str) -> NoReturn:
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            message += did_you_mean(match.group(1), choices)
        match = re.search(r"unrecognized arguments: (.*)", message)
        if match:
            flags = [f for action in self._actions for f in action.option_strings]
            for word in match.group(1).split():
                if word.startswith("-"):
                    message += did_you_mean(word.split("=")[0], flags).replace(" (", f" ({word}: ", 1)
        super().error(message)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neurofiles")
    except PackageNotFoundError:  # a source tree that is not installed
        return "unknown"


def _key_value(text: str) -> str:
    """An ``-O``/``-W`` argument: ``KEY=VALUE`` with an identifier as key, else a usage error (exit 2)."""
    key, sep, _ = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return text


def _add_read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", help="force the input format instead of detecting it")
    p.add_argument(
        "--option",
        "-O",
        action="append",
        type=_key_value,
        metavar="KEY=VALUE",
        help="reader option, e.g. -O tick=2e-7 -O version=1.0 (repeatable)",
    )


def _add_window(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--t-start", dest="t_start", type=float, metavar="SECONDS", help="first time to keep (AER, ABF)"
    )
    p.add_argument("--t-stop", dest="t_stop", type=float, metavar="SECONDS", help="time to stop before (AER, ABF)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = _Parser(
        prog="neurofiles",
        description="Open neuroscience data files: describe, convert and plot them; inspect DataManager stores.",
        epilog="Exit status: 0 ok, 1 failure, 2 usage error. NEUROFILES_PROGRESS=0 hides progress bars.",
    )
    parser.add_argument("--version", action="version", version=f"neurofiles {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "formats",
        help="list installed formats and their plugins",
        description="List every installed format: read/write, extensions, magic, plugin.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_formats)

    p = commands.add_parser(
        "backends",
        help="list installed DataManager storage backends",
        description="List every installed DataManager storage backend.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_backends)

    p = commands.add_parser(
        "info",
        help="say what a file is and summarise it",
        description="Say which reader reads each file and why, then the header facts; the body is read"
        " too (counts, time span, columns and units) unless --header-only or the file is over 256 MiB.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    _add_read_options(p)
    p.add_argument("--header-only", action="store_true", help="read the header only (fast on big files)")
    p.add_argument("--full", action="store_true", help="read the body even of big files")
    p.add_argument("--metadata", action="store_true", help="also print the full metadata")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_info)

    p = commands.add_parser(
        "convert",
        help="convert a file to another format (.npz, .csv, .parquet, .aedat...)",
        description="Read IN with the reader that fits it and write OUT with the writer its extension"
        " (or --to) names. Always available: .npz (lossless) and .csv; .parquet needs pyarrow.",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    _add_read_options(p)
    p.add_argument("--to", help="force the output format (see `neurofiles formats`)")
    p.add_argument(
        "--write-option",
        "-W",
        action="append",
        type=_key_value,
        metavar="KEY=VALUE",
        help="writer option (repeatable)",
    )
    _add_window(p)
    p.add_argument(
        "--decode",
        metavar="LAYOUT",
        help="decode raw AER addresses into x, y, polarity (dvs128, davis240, davis346, davis640,"
        " davis128, or auto: the camera the header names)",
    )
    p.add_argument(
        "--zero-time",
        action="store_true",
        help="shift the clock so the first event/sample is at 0 (AEDAT 2.0 needs 32-bit timestamps)",
    )
    p.add_argument(
        "--force", "-f", action="store_true", help="replace OUT if it exists (a regular file or a symlink)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    p.set_defaults(run=_cmd_convert)

    p = commands.add_parser(
        "plot",
        help="plot a file into an image (needs matplotlib)",
        description="Events: a time x address raster, or an x x y accumulation image for DVS cameras."
        ' Traces: one panel per channel with units on the axes. Needs pip install "neurofiles[plot]".',
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument(
        "-o", "--output", required=True, metavar="IMAGE", help="image file to write (.png, .svg, .pdf)"
    )
    _add_read_options(p)
    _add_window(p)
    p.add_argument(
        "--kind", choices=("auto", "raster", "image", "traces"), default="auto", help="what to draw"
    )
    p.add_argument(
        "--layout", help="decode AER addresses with this sensor layout (dvs128, davis240, davis346...)"
    )
    p.add_argument("--recording", type=int, default=0, help="which recording of an index file (default 0)")
    p.add_argument(
        "--absolute-time",
        action="store_true",
        help="time axis in the file's clock (default: seconds from the first event or sample,"
        " the absolute start in the title)",
    )
    p.add_argument("--title", help="figure title (default: the file name)")
    p.add_argument("--dpi", type=int, default=100, help="image resolution")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    p.set_defaults(run=_cmd_plot)

    dm = commands.add_parser(
        "dm",
        help="inspect a DataManager store",
        description="Inspect a DataManager store (a <name>.data folder, or a folder holding one).",
    )
    dm_commands = dm.add_subparsers(dest="dm_command", metavar="DM_COMMAND", required=True)
    p = dm_commands.add_parser(
        "summary",
        help="sessions, keys, item counts, sizes and broken sessions",
        description="Sessions, keys, item counts, sizes and broken sessions of a store.",
    )
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--backend", help="backend of a store without manifest (e.g. a Brian 1 shelve store)")
    p.add_argument("--sessions", action="store_true", help="one line per session")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_dm_summary)
    p = dm_commands.add_parser(
        "get",
        help="the value of KEY in every session",
        description="Print the value of KEY in every session that holds it. Values are read with the"
        " pickle-free 'safe' codec: a store written with the pickle codec (the DataManager's default)"
        " is refused, and a pickled value met in another store is skipped with a warning, unless"
        " --trust-pickle is given, because unpickling runs code chosen by whoever wrote the store.",
    )
    p.add_argument("folder", metavar="DIR")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--backend", help="backend of a store without manifest")
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="unpickle values (runs code chosen by whoever wrote the store: only for stores you trust)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (numpy arrays become lists)")
    p.set_defaults(run=_cmd_dm_get)
    from .dm import add_table_command

    add_table_command(dm_commands, _cmd_dm_table)
    return parser


def _subparser(parser: argparse.ArgumentParser, names: list[str | None]) -> argparse.ArgumentParser:
    """The parser of the (sub-)command ``names`` (the deepest one found)."""
    for name in names:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not name or not actions or name not in actions[0].choices:
            break
        parser = actions[0].choices[name]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the sub-command's parser, which knows the flags to suggest
        _subparser(parser, [args.command, getattr(args, "dm_command", None)]).error(
            f"unrecognized arguments: {' '.join(extra)}"
        )
    command = args.command + (f" {args.dm_command}" if args.command == "dm" else "")
    warnings.showwarning = _warning_printer(command)

    subject = getattr(args, "input", None) or getattr(args, "path", None) or getattr(args, "folder", None)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"neurofiles {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # also a bug or MemoryError: still one line naming the file (traceback on request)
        if os.environ.get("NEUROFILES_DEBUG"):
            raise
        _error(command, exc, subject)
        return EXIT_FAILED
