"""Built-in plugin ``dbm_store``: one dbm database per session, best available flavour."""

from __future__ import annotations

from neurofiles.plugin import BackendSpec, hookimpl


@hookimpl
def neurofiles_register_backends(registry):  # type: ignore[no-untyped-def]
    registry.add_backend(
        BackendSpec(
            name="dbm",
            backend="neurofiles.plugins.dbm_store.backend:DbmBackend",
            description="one dbm database per session (gnu > sqlite3 > dumb; flavour recorded)",
            priority=5,
        )
    )
