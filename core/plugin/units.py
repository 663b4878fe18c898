"""Time units and sampling rates: for writers and exporters that need times in seconds.

:func:`seconds_per` gives the seconds in one time unit a reader reports
(``"s"``, ``"ms"``...), raising :class:`~neurofiles.plugin.OptionError` when
the unit is unknown; :func:`uniform_rate` gives samples per time unit when a
time column is evenly spaced, else ``None``. The same helpers the pandas,
xarray and neo exports use.
"""

from __future__ import annotations

from .._results.exports import seconds_per, uniform_rate

__all__ = ["seconds_per", "uniform_rate"]
