"""The pluggy hook specifications: registration hooks, one per kind of spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .registry import Registrar

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "neurofiles"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def neurofiles_register_formats(registry: Registrar) -> None:
    """Add :class:`ReaderSpec` and :class:`WriterSpec` objects with
    ``registry.add_reader(spec)`` and ``registry.add_writer(spec)``."""


@hookspec
def neurofiles_register_backends(registry: Registrar) -> None:
    """Add :class:`BackendSpec` objects with ``registry.add_backend(spec)``."""
