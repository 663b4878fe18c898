"""The one place this plugin imports names that ``neurofiles.plugin`` does not export yet.

``open_regular`` and ``UnsafeStoreFileError`` (safe opening of store files) and ``OptionError``
should become public in ``neurofiles.plugin``; until then they come from the private modules here.
"""

from __future__ import annotations

from neurofiles._backend import UnsafeStoreFileError, open_regular
from neurofiles._errors import OptionError

__all__ = ["OptionError", "UnsafeStoreFileError", "open_regular"]
