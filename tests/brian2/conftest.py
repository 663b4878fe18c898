"""Brian2 is an optional extra: skip without it locally, fail under CI=true."""

from __future__ import annotations

import pytest

from tests.conftest import need


@pytest.fixture(scope="module")
def b2():
    brian2 = need("brian2", "brian2")
    brian2.prefs.codegen.target = "numpy"
    brian2.prefs.logging.std_redirection = False
    return brian2
