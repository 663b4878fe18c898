"""dbm.dumb with a durable ``flush()``: values only appended, the index replaced atomically.

The stdlib's dbm.dumb overwrites a value in place when the new one fits its
blocks, appends a line to the ``.dir`` index for every new key, and rewrites
the index on ``sync``/``close`` by renaming it to ``.bak`` and writing a new
``.dir``. A writer killed during that rewrite leaves no index (the whole
session is lost, flushed records included), and one killed while appending an
index line leaves a line that no longer parses (the session no longer opens).

:class:`DurableDumb` writes the same files, readable by plain ``dbm.dumb``
and ``shelve``, but never changes a byte that the index on disk points at:
every value is appended to ``.dat``, new keys live only in memory, and a
commit writes the whole index to ``.bak`` and renames it over ``.dir``
(atomic on POSIX). After ``kill -9`` the files therefore show exactly the
state of the last commit, plus unreferenced bytes at the end of ``.dat``.
The price is that overwriting a key grows ``.dat`` by the new value.
"""

from __future__ import annotations

import dbm.dumb
import os
from typing import Any

__all__ = ["DurableDumb", "open_dumb"]


#: dbm.dumb's private database class (its attributes are not in the type stubs).
_Database: Any = dbm.dumb._Database


class DurableDumb(_Database):  # type: ignore[misc]
    """A dbm.dumb database whose files always hold the state of its last commit."""

    _modified: bool

    def _setval(self, pos: int, val: bytes) -> tuple[int, int]:
        # never overwrite bytes the committed index may point at
        return self._addval(val)  # type: ignore[no-any-return]

    def _addkey(self, key: bytes, pos_and_siz_pair: tuple[int, int]) -> None:
        # the index is written whole, at commit; no line is appended that a kill could cut
        self._index[key] = pos_and_siz_pair

    def _commit(self) -> None:
        if self._index is None or not self._modified:
            return
        tmp = self._bakfile
        with self._io.open(tmp, "w", encoding="Latin-1") as f:
            self._chmod(tmp)
            for key, pos_and_siz_pair in self._index.items():
                f.write("%r, %r\n" % (key.decode("Latin-1"), pos_and_siz_pair))  # noqa: UP031 - dbm.dumb's format
        self._os.replace(tmp, self._dirfile)
        self._modified = False

    sync = _commit


def open_dumb(path: str, flag: str) -> Any:
    """Open ``path`` (``.dat``/``.dir``/``.bak``) as a :class:`DurableDumb`, with dbm.dumb's file mode."""
    if flag not in ("r", "c"):
        raise ValueError(f"flag must be 'r' or 'c', got {flag!r}")
    umask = os.umask(0)
    os.umask(umask)
    db = DurableDumb(path, 0o666 & ~umask, flag)
    if db._modified:  # a new database: write its empty index now, so that it opens even if its writer dies
        db._commit()
    return db
