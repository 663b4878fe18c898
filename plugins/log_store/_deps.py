"""The toolkit names this plugin uses beyond the core backend classes, all public.

``open_regular`` (open a store file without following a link) comes from
``neurofiles.plugin.storage``; ``UnsafeStoreFileError`` and ``OptionError``
from ``neurofiles.plugin``.
"""

from __future__ import annotations

from neurofiles.plugin import OptionError, UnsafeStoreFileError
from neurofiles.plugin.storage import open_regular

__all__ = ["OptionError", "UnsafeStoreFileError", "open_regular"]
