"""The ``shelve`` backend: Brian 1's layout, readable with plain :func:`shelve.open`."""

from __future__ import annotations

from neurofiles.plugin import Capabilities
from neurofiles.plugins.dbm_store import flavours as _flavours
from neurofiles.plugins.dbm_store.backend import DbmBackend

__all__ = ["ShelveBackend"]


class ShelveBackend(DbmBackend):
    """Sessions as shelves named exactly like the session (``user.<uuid4>`` plus dbm suffixes).

    This is the layout Brian 1's DataManager wrote, so its stores open here
    (pass ``backend="shelve"`` for a store without a manifest), and every
    session written here opens with ``shelve.open(path)`` on a Python that
    has the same dbm flavour. The values are pickles, so only the
    ``"pickle"`` codec is allowed. A new store takes the flavour
    :func:`dbm.open` would choose here, as :mod:`shelve` does.

    Crash safety is the dbm backend's: with flavour ``dumb``, everything written
    before ``flush()`` returned survives ``kill -9`` of the writer, exactly, and
    writes after the last flush are lost (``crash_safe == "process"``); other
    flavours promise nothing (see :class:`~neurofiles.plugins.dbm_store.backend.DbmSession`).
    Keys are any ``str`` with a UTF-8 form.
    """

    name = "shelve"
    extension = ""
    capabilities = Capabilities(
        concurrent_writers="per-session",
        crash_safe="none",
        partial_sessions_visible=True,
        network_fs=False,
        locking="host",
        fast_queries=False,
        codecs=("pickle",),
    )

    @classmethod
    def default_flavour(cls) -> str:
        return _flavours.default_shelve_flavour()
