"""The ``neurofiles`` command: ``info``, ``formats``, ``backends``, ``convert``, ``plot``, ``dm``.

Contract
--------
* ``main``: argument parsing and dispatch; errors become one line on
  standard error and exit status 2.
* ``data``: the commands on data files (through ``neurofiles._frontend``).
* ``dm``: the commands on DataManager stores (through ``neurofiles._storage``).

Nothing imports this package except ``neurofiles.__main__`` and the console
script: dependencies point from here to the API, never back.
"""
