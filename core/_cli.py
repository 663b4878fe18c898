"""The ``neurofiles`` command line: ``formats``, ``backends``, ``info``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars, paths and other objects into JSON-friendly values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _cmd_formats(args: argparse.Namespace) -> int:
    from . import _api
    from ._discovery import get_registry

    rows = _api.formats()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], default=_jsonable, indent=2))
        return EXIT_OK
    print(f"{'format':<16}{'read':<6}{'write':<7}{'extensions':<28}{'magic':<16}provided by")
    for r in rows:
        magic = ", ".join(repr(s.magic)[2:-1] for s in r.magic) or "-"
        print(
            f"{r.name:<16}{'yes' if r.can_read else '-':<6}{'yes' if r.can_write else '-':<7}"
            f"{' '.join(r.extensions) or '-':<28}{magic:<16}{r.plugin} ({r.distribution} {r.version})"
        )
    for broken in get_registry().broken:
        print(f"broken plugin {broken.plugin.name!r} ({broken.plugin.distribution}): {broken.error}")
    return EXIT_OK


def _cmd_backends(args: argparse.Namespace) -> int:
    from . import _api

    rows = _api.backends()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], default=_jsonable, indent=2))
        return EXIT_OK
    print(f"{'backend':<16}provided by")
    for r in rows:
        print(f"{r.name:<16}{r.plugin} ({r.distribution} {r.version})  {r.description}")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from . import _api

    status = EXIT_OK
    reports = []
    for path in args.paths:
        try:
            detection, summary = _api.summarize(path, format=args.format)
        except (OSError, ValueError, TypeError) as exc:  # every NeurofilesError is one of these or ours
            print(f"neurofiles info: {exc}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        reports.append({"path": path, "format": detection.format, "why": detection.reason, **summary})
    if args.json:
        print(json.dumps(reports, default=_jsonable, indent=2))
        return status
    for report in reports:
        print(report["path"])
        for key, value in report.items():
            if key != "path":
                print(f"  {key}: {value}")
    return status


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="neurofiles", description="Open neuroscience data files.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("formats", help="list installed formats and their plugins")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_formats)

    p = commands.add_parser("backends", help="list installed DataManager storage backends")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_backends)

    p = commands.add_parser("info", help="say what a file is and summarise its header")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", help="force a format instead of detecting it")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    from ._errors import NeurofilesError

    try:
        return int(args.run(args))
    except NeurofilesError as exc:
        print(f"neurofiles {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_FAILED
