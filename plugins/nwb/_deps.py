"""Everything the NWB plugin takes from neurofiles, in one place.

The unit helpers are shared with the pandas/xarray/neo exports and are not
(yet) in :mod:`neurofiles.plugin`; a toolkit refactoring touches only this file.
"""

from neurofiles import Events, LimitExceededError, OptionError, Traces
from neurofiles._exports import seconds_per, uniform_rate  # not (yet) public

__all__ = ["Events", "LimitExceededError", "OptionError", "Traces", "seconds_per", "uniform_rate"]
