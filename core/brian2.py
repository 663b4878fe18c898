"""Hand AER recordings to Brian2 and save Brian2 spikes as AER files.

Needs ``pip install "neurofiles[brian2]"``. ::

    import brian2 as b2
    import neurofiles
    from neurofiles.brian2 import spike_input, save_monitor

    events = neurofiles.load("tests/samples/dvs128_small.aedat")
    spikes = spike_input(events, dt=0.1 * b2.ms, index="compact", duplicates="shift")
    inputs = spikes.group()                        # a SpikeGeneratorGroup
    ...
    save_monitor("out.aedat", monitor, addresses=spikes.addresses)

Brian2 refuses a ``SpikeGeneratorGroup`` in which one neuron spikes twice in
one time step. AER files often do that (a pixel firing twice within 0.1 ms),
so :func:`spike_input` resolves it with ``duplicates=``:

``"drop"`` (default)
    keep the first spike of each neuron in each time step, drop the others;
``"shift"``
    move each extra spike to the next time step in which that neuron is free
    (no spike is lost; moved spikes land exactly on the time grid);
``"error"``
    raise :class:`ValueError` saying how many duplicates there are;
``"keep"``
    do nothing (Brian2 will raise when the network runs).

Time steps are computed exactly as Brian2 does: ``int((t + 1e-3 dt) / dt)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._framework.specs import import_object

__all__ = ["SpikeInput", "events_from_monitor", "save_monitor", "spike_generator_group", "spike_input"]

INSTALL_HINT = 'pip install "neurofiles[brian2]"'
DUPLICATES = ("drop", "shift", "error", "keep")
INDEXES = ("address", "compact", "pixel", "pixel_polarity")
MAX_NEURONS = 50_000_000


def _brian2() -> Any:
    return import_object("brian2", needed_for="the Brian2 hand-off", install_hint=INSTALL_HINT)


@dataclass
class SpikeInput:
    """Spikes ready for ``brian2.SpikeGeneratorGroup(N, indices, times, dt=dt)``.

    Attributes
    ----------
    N
        Number of neurons.
    indices
        Neuron index of every spike (int64), sorted by time.
    times
        Spike times, a Brian2 quantity in seconds.
    dt
        The time step the duplicates were resolved for (a Brian2 quantity).
    addresses
        ``addresses[i]`` is the AER address of neuron ``i`` (``index="compact"``), else None.
    dropped, shifted
        How many spikes ``duplicates=`` dropped or moved.
    t_offset
        Seconds subtracted from the file's times (``origin="first"``).
    """

    N: int
    indices: np.ndarray
    times: Any
    dt: Any
    addresses: np.ndarray | None = None
    dropped: int = 0
    shifted: int = 0
    t_offset: float = 0.0

    def group(self, **kwargs: Any) -> Any:
        """A ``brian2.SpikeGeneratorGroup`` of these spikes (``kwargs`` go to it, e.g. ``name=``)."""
        b2 = _brian2()
        return b2.SpikeGeneratorGroup(self.N, self.indices, self.times, dt=self.dt, **kwargs)

    def __repr__(self) -> str:
        extra = f", dropped {self.dropped}" if self.dropped else ""
        extra += f", shifted {self.shifted}" if self.shifted else ""
        return f"<SpikeInput {len(self.indices)} spikes of {self.N} neurons, dt {self.dt}{extra}>"


def _neuron_indices(events: Any, index: str) -> tuple[np.ndarray, int, np.ndarray | None]:
    if index in ("address", "compact"):
        if events.addresses is None:
            raise ValueError("these events have no raw addresses; use index='pixel' or 'pixel_polarity'")
        addresses = events.addresses.astype(np.int64)
        if index == "compact":
            table, ids = np.unique(addresses, return_inverse=True)
            return ids.astype(np.int64).ravel(), len(table), table.astype(np.uint32)
        n = int(addresses.max()) + 1 if len(addresses) else 0
        if n > MAX_NEURONS:
            raise ValueError(f"the largest address is {n - 1}: too many neurons; use index='compact'")
        return addresses, n, None
    if events.x is None or events.y is None:
        raise ValueError(
            f"index={index!r} needs x and y; decode the events first, e.g. events.decode('dvs128')"
        )
    size = events.metadata.get("sensor_size")
    width = (
        int(size[0]) if isinstance(size, (list, tuple)) else (int(events.x.max()) + 1 if len(events) else 0)
    )
    height = (
        int(size[1]) if isinstance(size, (list, tuple)) else (int(events.y.max()) + 1 if len(events) else 0)
    )
    pixel = events.y.astype(np.int64) * width + events.x.astype(np.int64)
    if index == "pixel":
        return pixel, width * height, None
    if events.polarity is None:
        raise ValueError("index='pixel_polarity' needs polarity")
    return 2 * pixel + events.polarity.astype(np.int64), 2 * width * height, None


def _resolve(bins: np.ndarray, ids: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Resolve repeated (neuron, bin) pairs; return (kept positions, new bins, count affected).

    ``bins`` and ``ids`` are in time order.
    """
    n = len(bins)
    order = np.lexsort((bins, ids))  # by neuron, then bin (stable: time order inside a bin)
    sb, si = bins[order], ids[order]
    same = np.zeros(n, dtype=bool)
    if n > 1:
        same[1:] = (sb[1:] == sb[:-1]) & (si[1:] == si[:-1])
    count = int(same.sum())
    if count == 0 or mode == "keep":
        return np.arange(n), bins, 0
    if mode == "error":
        k = int(np.flatnonzero(same)[0])
        raise ValueError(
            f"{count} spikes repeat a neuron within one time step (first: neuron {int(si[k])}, step {int(sb[k])});"
            " choose duplicates='drop' or 'shift', or a smaller dt"
        )
    if mode == "drop":
        keep = np.sort(order[~same])
        return keep, bins[keep], count
    # shift: new_bin[r] = max(bin[r], new_bin[r-1] + 1) within each neuron, computed as
    # rank + running max of (bin - rank), with the neurons made disjoint by an offset.
    start = np.ones(n, dtype=bool)
    start[1:] = si[1:] != si[:-1]
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    rank = np.arange(n) - first[group]
    span = int(sb.max() - sb.min()) + n + 1
    value = sb - rank + group * span
    new_sorted = np.maximum.accumulate(value) - group * span + rank
    new = np.empty(n, dtype=np.int64)
    new[order] = new_sorted
    return np.arange(n), new, int((new != bins).sum())


def spike_input(
    events: Any,
    *,
    dt: Any = None,
    index: str = "address",
    duplicates: str = "drop",
    origin: str | float = "first",
) -> SpikeInput:
    """Neuron indices and times (with units) for a ``SpikeGeneratorGroup``.

    Parameters
    ----------
    events
        :class:`neurofiles.Events` (from ``neurofiles.load``).
    dt
        Brian2 time step (a quantity); default ``brian2.defaultclock.dt``.
    index
        ``"address"``: neuron = raw AER address; ``"compact"``: neuron = rank of
        the address among the addresses present (see ``SpikeInput.addresses``);
        ``"pixel"``: ``y * width + x``; ``"pixel_polarity"``: ``2 * pixel + polarity``.
    duplicates
        ``"drop"``, ``"shift"``, ``"error"`` or ``"keep"`` (see the module docstring).
    origin
        ``"first"``: the first event is at t = 0; ``"file"``: keep the file's
        times; or a number of seconds to subtract.
    """
    b2 = _brian2()
    if duplicates not in DUPLICATES:
        raise ValueError(f"duplicates must be one of {', '.join(DUPLICATES)}, got {duplicates!r}")
    if index not in INDEXES:
        raise ValueError(f"index must be one of {', '.join(INDEXES)}, got {index!r}")
    dt = b2.defaultclock.dt if dt is None else dt
    dt_s = float(dt / b2.second)
    ids, n_neurons, table = _neuron_indices(events, index)
    times = np.asarray(events.times, dtype=np.float64)
    order = np.argsort(times, kind="stable")
    times, ids = times[order], ids[order]
    if origin == "first":
        offset = float(times[0]) if len(times) else 0.0
    elif origin == "file":
        offset = 0.0
    else:
        offset = float(origin)
    times = times - offset
    if len(times) and times[0] < 0:
        raise ValueError(f"origin={origin!r} puts spikes before t = 0")
    bins = np.asarray((times + 1e-3 * dt_s) / dt_s, dtype=np.int64)
    if len(bins) and bins.max() > np.iinfo(np.int32).max:
        raise ValueError("spike times exceed Brian2's int32 time-step range for this dt; use origin='first'")
    keep, new_bins, affected = _resolve(bins, ids, duplicates)
    times, ids, bins = times[keep], ids[keep], bins[keep]
    moved = new_bins != bins
    if moved.any():
        times = np.where(moved, new_bins * dt_s, times)
        resort = np.lexsort((ids, times))
        times, ids = times[resort], ids[resort]
    return SpikeInput(
        N=n_neurons,
        indices=ids,
        times=times * b2.second,
        dt=dt,
        addresses=table,
        dropped=affected if duplicates == "drop" else 0,
        shifted=affected if duplicates == "shift" else 0,
        t_offset=offset,
    )


def spike_generator_group(events: Any, **options: Any) -> Any:
    """``spike_input(events, **options).group()``: the ``SpikeGeneratorGroup`` itself.

    ``name=`` is passed to the group; the other options to :func:`spike_input`.
    """
    name = options.pop("name", None)
    spikes = spike_input(events, **options)
    return spikes.group(**({"name": name} if name else {}))


def events_from_monitor(
    monitor: Any,
    *,
    tick: float = 1e-6,
    addresses: np.ndarray | None = None,
    t_offset: float = 0.0,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """The spikes of a ``brian2.SpikeMonitor`` as :class:`neurofiles.Events`.

    Parameters
    ----------
    tick
        Seconds per timestamp tick of the result (AEDAT files use 1e-6).
    addresses
        Map neuron ``i`` to address ``addresses[i]`` (``SpikeInput.addresses``);
        default: the neuron index is the address.
    t_offset
        Seconds added to every time (``SpikeInput.t_offset`` restores the file's clock).
    """
    b2 = _brian2()
    from ._results.events import Events

    i = np.asarray(monitor.i[:], dtype=np.int64)
    t = np.asarray(monitor.t[:] / b2.second, dtype=np.float64) + float(t_offset)
    order = np.argsort(t, kind="stable")
    i, t = i[order], t[order]
    if addresses is not None:
        table = np.asarray(addresses)
        if len(i) and i.max() >= len(table):
            raise ValueError(f"neuron {int(i.max())} has no entry in addresses (length {len(table)})")
        i = table[i]
    timestamps = np.rint(t / tick).astype(np.int64)
    meta = {"source": f"brian2 SpikeMonitor {getattr(monitor, 'name', '')}".strip(), "tick": tick}
    meta.update(metadata or {})
    return Events(timestamps, addresses=i.astype(np.uint32), tick=tick, metadata=meta)


def save_monitor(
    path: Any,
    monitor: Any,
    *,
    format: str = "aedat",
    tick: float = 1e-6,
    addresses: np.ndarray | None = None,
    t_offset: float = 0.0,
    **options: Any,
) -> Any:
    """Write a ``SpikeMonitor``'s spikes to ``path`` (AEDAT 2.0 by default); return the Events written."""
    from ._frontend.api import save

    events = events_from_monitor(monitor, tick=tick, addresses=addresses, t_offset=t_offset)
    save(path, events, format=format, **options)
    return events
