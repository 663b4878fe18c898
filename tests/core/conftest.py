"""Registries built from real entry points pointing at ``fixture_plugins``."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from neurofiles._framework.discovery import GROUP, load_entry_points
from neurofiles._framework.registry import Registry


def entry_point(attr: str, name: str | None = None) -> EntryPoint:
    return EntryPoint(name or attr, f"tests.core.fixture_plugins:{attr}", GROUP)


def make_registry(*attrs: str) -> Registry:
    registry = Registry()
    load_entry_points(registry, [entry_point(a) for a in attrs], builtin=False)
    return registry


@pytest.fixture
def registry() -> Registry:
    return make_registry("formats_plugin")
