"""Everything the NWB plugin takes from neurofiles, in one place.

Every name is public: the result types and errors from :mod:`neurofiles.plugin`,
the unit helpers (shared with the pandas/xarray/neo exports) from
:mod:`neurofiles.plugin.units`; a toolkit refactoring touches only this file.
"""

from neurofiles.plugin import Events, LimitExceededError, OptionError, Traces
from neurofiles.plugin.units import seconds_per, uniform_rate

__all__ = ["Events", "LimitExceededError", "OptionError", "Traces", "seconds_per", "uniform_rate"]
