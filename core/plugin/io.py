"""Reading a file safely from a plugin: positioned reads, a bytes-like view, progress.

A reader never memory-maps a file: touching a mapped page of a file that
another process truncated kills the interpreter. Use these instead:

``read_at(handle, offset, n, path)``
    exactly ``n`` bytes at ``offset`` of an open binary handle, or
    :class:`~neurofiles.plugin.TruncatedFileError` naming the file and the
    offset if the file ends (or shrank) before that.
``FileView(source, size)``
    a read-only, bytes-like view of a file (``len``, slices, ``find``,
    ``rfind``, ``search``) reading 64 KiB windows through ``read_at``.
``shrank(path, ends)``
    the :class:`~neurofiles.plugin.TruncatedFileError` to raise when a file
    turns out shorter than when it was opened.
``Progress(total, desc=..., unit=...)``
    a progress bar on standard error for long reads (shown on a terminal only,
    silenced by ``neurofiles.set_progress(False)``); ``progress(items)`` wraps
    an iterable.
"""

from __future__ import annotations

from ._file_view import FileView, read_at, shrank
from ._progress import Progress, progress

__all__ = ["FileView", "Progress", "progress", "read_at", "shrank"]
