"""A sniff module with a real bug at import time (used by ``fixture_plugins``)."""

raise NameError("a typo at import time in a sniff module")
