"""The DataManager: sessions written by many processes, collated into one view.

Contract
--------
* ``codec``: values to bytes and back (``pickle``, ``safe``).
* ``manifest``: the store's ``_store.json`` (backend, codec, options).
* ``locking``: session and store locks between processes.
* ``session``: one open session, given its store, codec and lock.
* ``collate``: a function run over partitions (any executor, a Dask bag).
* ``datamanager``: the ``DataManager`` tying them together, and its picklable
  ``PartitionSpec`` (opened by ``DataManager.partition_view``).

Backends are plugins implementing ``neurofiles._framework.backend``
(public as ``neurofiles.plugin.storage``). Depends on the framework (to find
and drive backends) and ``neurofiles._errors``;
the command line uses it, never the other way round.
"""
