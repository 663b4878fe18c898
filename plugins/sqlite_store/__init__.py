"""Built-in plugin ``sqlite_store``: a DataManager backend (one SQLite file per session, with a consolidated index)."""

from __future__ import annotations

from neurofiles.plugin import BackendSpec, hookimpl


@hookimpl
def neurofiles_register_backends(registry):  # type: ignore[no-untyped-def]
    registry.add_backend(
        BackendSpec(
            name="sqlite",
            backend="neurofiles.plugins.sqlite_store._backend:SqliteBackend",
            description="one SQLite file per session (crash-safe) plus a consolidated index",
            priority=10,
        )
    )
