"""Built-in plugin ``shelve_store``: Brian 1's shelve-per-session layout."""

from __future__ import annotations

from neurofiles.plugin import BackendSpec, hookimpl


@hookimpl
def neurofiles_register_backends(registry):  # type: ignore[no-untyped-def]
    registry.add_backend(
        BackendSpec(
            name="shelve",
            backend="neurofiles.plugins.shelve_store._backend:ShelveBackend",
            description="Brian 1 layout: one shelf per session (pickle), readable by shelve.open",
        )
    )
