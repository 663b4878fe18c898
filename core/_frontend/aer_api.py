"""Classic AER entry points: :func:`load_aer` (Brian 1 style) and :func:`iter_chunks` (AER events, ABF traces)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._results.events import Events
from .._results.traces import Traces
from .._framework.source import SourceLike

__all__ = ["iter_chunks", "load_aer"]

AerTuple = tuple["np.ndarray[Any, Any]", "np.ndarray[Any, Any]"]


def _as_tuple(events: Events, check_sorted: bool, reinit_time: bool) -> AerTuple:
    addresses = events.addresses
    if addresses is None:
        raise ValueError(
            f"{events.metadata.get('source', 'these events')}: the format stores coordinates, not addresses;"
            " use neurofiles.load() for x, y and polarity"
        )
    ts = events.timestamps
    if check_sorted and len(ts) > 1 and np.any(ts[1:] < ts[:-1]):
        order = np.argsort(ts, kind="stable")
        addresses, ts = addresses[order], ts[order]
    if reinit_time and len(ts):
        ts = ts - ts.min()
    return addresses, ts * events.tick


def load_aer(
    filename: str | os.PathLike[str],
    check_sorted: bool = False,
    reinit_time: bool = False,
    **options: Any,
) -> AerTuple | list[AerTuple]:
    """Load an AER file as ``(addresses, times)``, the way Brian 1's ``load_aer`` is documented.

    Parameters
    ----------
    filename
        An AEDAT / headerless ``.dat`` file, or an ``.aeidx`` index.
    check_sorted
        Sort the events by time if they are not sorted (stable: equal times keep their order).
    reinit_time
        Shift times so that the earliest event is at 0.
    **options
        Reader options (``version=``, ``tick=``, ``strict=``...). Addresses stay raw
        (``decode=False``) unless ``decode=`` names a layout.

    Returns
    -------
    tuple or list of tuple
        ``(addresses uint32, times float64 seconds)``; a list of such tuples for an index file.
    """
    from .api import load

    options.setdefault("decode", False)  # Brian 1's contract: every record's raw address
    result = load(filename, **options)
    if isinstance(result, list):
        return [_as_tuple(ev, check_sorted, reinit_time) for ev in result]
    return _as_tuple(result, check_sorted, reinit_time)


def iter_chunks(source: SourceLike, *, events: int | None = None, samples: int | None = None,
                format: str | None = None, **options: Any) -> Iterator[Events | Traces]:
    """Yield a file as consecutive pieces, holding only one piece's data in memory at a time.

    An AER file gives :class:`Events` of at most ``events`` events (default
    1,000,000; timestamps are unwrapped across chunk boundaries). A trace
    format that can be read in pieces (ABF) gives :class:`Traces` of at most
    ``samples`` rows (default 1,000,000), each with every sweep and channel of
    its rows. Pass one of ``events``/``samples``; reader options such as
    ``t_start``/``t_stop`` restrict what is read.
    """
    from .._errors import OptionError
    from .api import open_reader_for

    if events is not None and samples is not None:
        raise OptionError("pass events= (event formats) or samples= (trace formats), not both")
    size = events if events is not None else samples if samples is not None else 1_000_000
    reader, _ = open_reader_for(source, format=format, options=options)
    with reader:
        chunker = getattr(reader, "iter_chunks", None)
        if chunker is None:
            raise TypeError(f"format {reader.format_name!r} cannot be read in chunks")
        yield from chunker(size)
