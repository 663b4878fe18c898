"""What users call: ``load``, ``save``, ``detect``, ``formats``, ``backends``, the classic names, ``plot``.

Contract
--------
* ``api``: the top-level functions; every choice of implementation goes
  through ``neurofiles._framework.lookup`` / ``select``; ``save`` writes a path
  atomically.
* ``aer_api``: ``load_aer`` and ``iter_chunks`` (Brian 1 style access to
  address events).
* ``traces_api``: ``read_neuron_dat`` and ``read_atf`` (Brian 1's
  ``(times, values)`` pairs).
* ``plot``: any result, with matplotlib (optional).
* ``atomic``: writing files all-or-nothing (temporary file, fsync, rename;
  never through a link, FIFO or device).

Depends on the framework and the result types; never on a plugin module
(plugins are reached through the registry only).
"""
