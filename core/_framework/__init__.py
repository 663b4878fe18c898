"""The plugin framework: how a file finds its reader, and a name its implementation.

Contract
--------
* ``specs``: the frozen spec dataclasses plugins declare (``ReaderSpec``,
  ``WriterSpec``, ``BackendSpec``, ``Signature``, ``Probe``) and
  ``import_object`` for dotted names with install hints.
* ``hookspecs``, ``registry``, ``discovery``: entry points are loaded lazily,
  once per process, each plugin isolated; broken plugins are recorded.
* ``lookup``: the one place that turns a name or a destination into a reader,
  writer or backend; ``options``: the one option check (readers, writers and
  backends refuse an option they do not take with the same ``OptionError``).
* ``select``: the detection algorithm of ``spec/plugins.md`` section 4.
* ``source``, ``reader``: what a reader is given and what it implements.
* ``backend``: the storage-backend contract (``StorageBackend``,
  ``SessionStore``, ``Capabilities``) that backend plugins implement and the
  DataManager drives.
* ``warn``: warnings attributed to the user's line.

Depends on ``neurofiles._errors`` only; nothing here imports a plugin, a
result type, numpy or the DataManager. The public face of all of it is
``neurofiles.plugin``.
"""
