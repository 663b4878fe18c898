"""Brian2 is an optional extra: skip without it locally, fail under CI=true."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def b2():
    try:
        import brian2
    except ImportError:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail("brian2 is not installed but CI=true: install neurofiles[brian2]")
        pytest.skip("brian2 not installed (pip install 'neurofiles[brian2]')")
    brian2.prefs.codegen.target = "numpy"
    brian2.prefs.logging.std_redirection = False
    return brian2
