"""The dbm implementations ("flavours"): which exist here, their files, how to open them."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

from neurofiles.plugin import BackendUnavailableError

__all__ = ["AUTO_ORDER", "FLAVOURS", "available", "best_available", "load", "suffixes", "whichdb_flavour"]

#: Every flavour neurofiles knows, by short name.
FLAVOURS = ("gnu", "sqlite3", "ndbm", "dumb")
#: Chosen automatically, best first. ``ndbm`` (Berkeley DB on Debian) is left out:
#: it lost committed data after ``kill -9`` in our measurements; ask for it by name.
AUTO_ORDER = ("gnu", "sqlite3", "dumb")

_SUFFIXES = {
    "gnu": ("",),
    "sqlite3": ("", "-wal", "-shm", "-journal"),
    "ndbm": (".db", ".pag", ".dir"),
    "dumb": (".dat", ".dir", ".bak"),
}

_HINTS = {
    "gnu": "install the GNU dbm module (Debian/Ubuntu: apt-get install python3-gdbm; for a pyenv"
    " Python install libgdbm-dev and rebuild it), or convert the store on a machine that has dbm.gnu",
    "ndbm": "use a Python built with the _dbm module (Debian's system python3 has it), or convert the"
    " store on a machine that has dbm.ndbm",
    "sqlite3": "use Python 3.13 or later, which ships dbm.sqlite3",
    "dumb": "dbm.dumb is part of the standard library; reinstall Python",
}


def suffixes(flavour: str) -> tuple[str, ...]:
    """File suffixes a flavour adds to a database name."""
    return _SUFFIXES[flavour]


def load(flavour: str, *, store: str | os.PathLike[str] | None = None) -> ModuleType:
    """Import ``dbm.<flavour>``; a clear error naming the fix if it is missing."""
    if flavour not in _SUFFIXES:
        raise BackendUnavailableError(
            f"unknown dbm flavour {flavour!r}; known: {', '.join(FLAVOURS)}",
            install_hint="pass one of the known flavours",
        )
    try:
        return importlib.import_module(f"dbm.{flavour}")
    except ImportError as exc:
        where = f"the store {os.fspath(store)!r} was written with" if store is not None else "asked for"
        raise BackendUnavailableError(
            f"{where} dbm.{flavour}, which this Python ({exc}) does not have.", install_hint=_HINTS[flavour]
        ) from exc


def available() -> list[str]:
    """Flavours importable here."""
    found = []
    for flavour in FLAVOURS:
        try:
            importlib.import_module(f"dbm.{flavour}")
        except ImportError:
            continue
        found.append(flavour)
    return found


def best_available() -> str:
    """The first flavour of :data:`AUTO_ORDER` that this Python has."""
    have = available()
    return next(f for f in AUTO_ORDER if f in have)


def default_shelve_flavour() -> str:
    """The flavour ``shelve.open`` (via ``dbm.open``) would create here."""
    import dbm

    for name in getattr(dbm, "_names", ()):  # the stdlib's own preference order
        flavour = str(name).split(".")[-1]
        if flavour in available():
            return flavour
    return "dumb"


def whichdb_flavour(path: Path) -> str | None:
    """The flavour of one database, as the stdlib's ``whichdb`` tells (``None``: unknown)."""
    import dbm

    found = dbm.whichdb(os.fspath(path))
    if not found:
        return None
    return str(found).split(".")[-1]
