"""The ``dm`` commands of the CLI: look into a DataManager store from the shell."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Any

from .._framework.backend import StoreManifestError
from .._storage.codec import Codec, CorruptValueError, SafeCodec
from .._errors import OptionError, StorageError, StorageWarning
from .._storage.manifest import read_manifest

__all__ = ["add_table_command", "cmd_dm_table", "open_store", "store_summary", "store_table", "store_values"]


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
    """Bytes of the regular files at or below ``paths``, by ``lstat``: symbolic links are not followed.

    A link in a store (to a huge file, to ``/``) counts as nothing; the walk
    never descends through a linked folder.
    """
    total = 0
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            total += st.st_size
        elif stat.S_ISDIR(st.st_mode):
            for dirpath, _dirs, files in os.walk(path):  # followlinks=False: a linked folder is not entered
                for name in files:
                    try:
                        inner = os.lstat(os.path.join(dirpath, name))
                    except OSError:
                        continue
                    if stat.S_ISREG(inner.st_mode):
                        total += inner.st_size
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


def parse_where(items: list[str] | None) -> dict[str, Any] | None:
    """``["g=0.1", "name=x"]`` -> ``{"g": 0.1, "name": "x"}`` (values read as JSON, else as text)."""
    if not items:
        return None
    import json

    where: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise OptionError(f"--where {item!r}: expected NAME=VALUE")
        try:
            where[name] = json.loads(text)
        except ValueError:
            where[name] = text
    return where


def store_table(
    folder: str,
    keys: list[str] | None,
    where: dict[str, Any] | None = None,
    backend: str | None = None,
    *,
    trust_pickle: bool = False,
    latest: bool = False,
    created: bool = False,
) -> tuple[list[str], list[list[Any]], list[str], int]:
    """``DataManager.table()`` of the store in ``folder``: columns, rows, storage warnings, refused pickles.

    Values (and parameters) are read with the pickle-free codec unless
    ``trust_pickle``, as for ``dm get``.
    """
    codec = None if trust_pickle else _RefusingCodec()
    base = _locate(folder)
    if read_manifest(base) is None and not any(not p.name.startswith("_") for p in base.iterdir()):
        return ["session"], [], [], 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StorageWarning)
        with open_store(folder, backend, codec) as dm:
            columns, rows = dm.table(keys, where, latest=latest, created=created)
    messages = [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]
    refused = 0 if codec is None else codec.refused or sum(_SAFE_REFUSAL in text for text in messages)
    return columns, rows, messages, refused


def table_cell(value: Any) -> str:
    """A value as one CSV/text cell: scalars as text, containers and arrays as JSON."""
    import json

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return repr(value)
    if hasattr(value, "tolist"):
        value = value.tolist()
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def write_table(columns: list[str], rows: list[list[Any]], out: Any, *, csv_format: bool) -> None:
    """Write the table as CSV, or as aligned text columns."""
    cells = [[table_cell(v) for v in row] for row in rows]
    if csv_format:
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def add_table_command(commands: Any, run: Any) -> None:
    """Register ``neurofiles dm table`` on the ``dm`` sub-parsers, calling ``run(args)``."""
    p = commands.add_parser(
        "table",
        help="one row per session: its parameters and the values of KEYS",
        description="One row per session: the session name, its parameters (DataManager.session(params=...))"
        " and the values of the chosen keys. Values are read with the pickle-free 'safe' codec unless"
        " --trust-pickle is given (see `dm get`).",
    )
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--keys", help="comma-separated keys or parameter names (default: every key)")
    p.add_argument(
        "--where", action="append", metavar="NAME=VALUE", help="keep sessions whose parameter NAME equals VALUE (JSON)"
    )
    p.add_argument("--backend", help="backend of a store without manifest")
    p.add_argument("--trust-pickle", action="store_true", help="unpickle values (only for stores you trust)")
    p.add_argument("--latest", action="store_true", help="of several runs with equal parameters, only the newest")
    p.add_argument("--created", action="store_true", help="add a 'created' column: when each run started (UTC)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="print CSV")
    form.add_argument("--json", action="store_true", help="print a JSON list of row objects")
    p.set_defaults(run=run)


def cmd_dm_table(args: Any, dump: Any) -> int:
    """Run ``neurofiles dm table``; ``dump`` prints JSON."""
    import sys

    keys = [k for k in args.keys.split(",") if k] if args.keys else None
    columns, rows, warned, refused = store_table(
        args.folder,
        keys,
        parse_where(args.where),
        args.backend,
        trust_pickle=args.trust_pickle,
        latest=getattr(args, "latest", False),
        created=getattr(args, "created", False),
    )
    for text in warned:
        print(f"neurofiles dm table: warning: {text}", file=sys.stderr)
    if refused:
        print(
            f"neurofiles dm table: {refused} value(s) were not loaded (pickled; pass --trust-pickle only if you"
            " trust the store)",
            file=sys.stderr,
        )
    if args.json:
        dump([dict(zip(columns, row)) for row in rows])
    else:
        write_table(columns, rows, sys.stdout, csv_format=args.csv)
    return 0
