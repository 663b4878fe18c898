"""The result types readers return, and their conversions.

Contract
--------
* ``events``: :class:`Events` (address events: integer timestamps, addresses
  or coordinates, a tick in seconds); ``aer_decode`` holds the address
  layouts ``Events.decode`` uses.
* ``traces``: :class:`Traces` (sampled signals: times, values, names, units,
  sweeps x channels).
* ``tabular``: either result as named columns and back (npz, CSV, Parquet,
  plots).

Depends on numpy and ``neurofiles._errors`` only: never on the framework,
a reader or a plugin.
"""
