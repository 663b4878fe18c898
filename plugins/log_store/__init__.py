"""Built-in plugin ``log_store``: the default DataManager backend (one compact append-only file per session)."""

from __future__ import annotations

from neurofiles.plugin import BackendSpec, hookimpl


@hookimpl
def neurofiles_register_backends(registry):  # type: ignore[no-untyped-def]
    registry.add_backend(
        BackendSpec(
            name="log",
            backend="neurofiles.plugins.log_store._backend:LogBackend",
            description="one compact append-only file per session with commit records (crash-safe, default)",
            priority=20,
        )
    )
