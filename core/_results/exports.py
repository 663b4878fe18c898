"""Exports of :class:`Traces` and :class:`Events` to pandas, xarray and neo, with their units.

Every target library is an optional extra, imported when an export is called;
a missing one raises :class:`MissingDependencyError` naming the extra to
install. The representations are described in ``spec/formats/exports.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import LimitExceededError, MissingDependencyError, OptionError

if TYPE_CHECKING:
    from .events import Events
    from .traces import Traces

__all__ = [
    "events_to_neo",
    "events_to_pandas",
    "import_extra",
    "seconds_per",
    "traces_to_neo",
    "traces_to_pandas",
    "traces_to_xarray",
    "uniform_rate",
]

#: Seconds per time unit, for the time units readers report.
_TIME_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "ms": 1e-3,
    "msec": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ns": 1e-9,
    "min": 60.0,
    "h": 3600.0,
}

#: At most this many spike trains from one Events (one per distinct address).
MAX_TRAINS = 65536


def import_extra(module: str, extra: str) -> Any:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = f'pip install "neurofiles[{extra}]"'
        raise MissingDependencyError(
            f"this export needs {module.split('.')[0]}, which is not installed: {hint}", install_hint=hint
        ) from exc


def seconds_per(unit: str, *, what: str = "time unit") -> float:
    """Seconds in one ``unit`` (``"s"``, ``"ms"``...); :class:`OptionError` when unknown."""
    try:
        return _TIME_UNITS[unit.strip()]
    except KeyError:
        raise OptionError(
            f"{what} {unit!r} is not a known time unit (one of {sorted(_TIME_UNITS)});"
            " the file does not say: pass time_unit='ms' (or 's'...)"
        ) from None


def uniform_rate(times: np.ndarray, *, rtol: float = 1e-3) -> float | None:
    """Samples per time unit when ``times`` are evenly spaced (within ``rtol`` of a step), else None.

    Printed times (ATF) are rounded, so the rate is the mean over the whole span. A rate
    within float rounding (1e-12) of a number of 9 significant digits is that number: times
    made as ``i / 10000`` give 10000.0, not 9999.999999999998.
    """
    if len(times) < 2:
        return None
    span = float(times[-1] - times[0])
    if not np.isfinite(span) or span <= 0:
        return None
    step = span / (len(times) - 1)
    if float(np.max(np.abs(np.diff(times) - step))) > rtol * step:
        return None
    rate = 1.0 / step
    short = float(f"{rate:.9g}")
    return short if abs(short - rate) <= 1e-12 * rate else rate


def _unique(names: list[str]) -> list[str]:
    """``names`` with repeats made distinct by a `` #k`` suffix."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0) + 1
        seen[name] = k
        out.append(name if k == 1 else f"{name} #{k}")
    return out


def _time_axis(traces: Traces) -> tuple[np.ndarray, str, str]:
    """(time values, name, unit): row numbers named ``sample`` when the file has no time column."""
    if traces.times is None:
        return np.arange(len(traces), dtype=np.int64), "sample", ""
    return traces.times, traces.time_name, traces.time_unit


def _channel_units(traces: Traces) -> list[str]:
    """One unit per channel (from the first sweep)."""
    return [traces.units[j] for j in traces.layout[0]] if traces.layout.size else []


# -- pandas ----------------------------------------------------------------------------------------------
def traces_to_pandas(traces: Traces) -> Any:
    """A ``pandas.DataFrame``: index = times, one column per value column, units in ``attrs``.

    One sweep: columns are the channel names. Several sweeps: a
    ``MultiIndex`` ``(sweep, channel)``. ``attrs["units"]`` maps each column
    key to its unit, ``attrs["time_unit"]`` is the unit of the index and
    ``attrs["sweep_starts"]`` lists the sweep start times (or None).
    """
    pd = import_extra("pandas", "pandas")
    times, tname, tunit = _time_axis(traces)
    layout = traces.layout
    names = _unique(list(traces.channel_names))
    keys: list[Any]
    if layout.shape[0] == 1:
        keys = list(names)
        columns: Any = pd.Index(keys, name="channel")
    else:
        keys = [(s, names[c]) for s in range(layout.shape[0]) for c in range(layout.shape[1])]
        columns = pd.MultiIndex.from_tuples(keys, names=["sweep", "channel"])
    order = layout.reshape(-1)
    data = traces.values[:, order] if order.size else np.empty((len(traces), 0))
    frame = pd.DataFrame(data, index=pd.Index(times, name=tname), columns=columns, copy=True)
    for name, text in traces.text.items():
        if name in traces.columns:
            j = traces.columns.index(name)
            hits = np.flatnonzero(order == j)
            for h in hits:
                frame[keys[int(h)]] = pd.array(text, dtype=object)
    frame.attrs["units"] = {key: traces.units[int(j)] for key, j in zip(keys, order)}
    frame.attrs["time_unit"] = tunit
    frame.attrs["sweep_starts"] = None if traces.sweep_starts is None else traces.sweep_starts.tolist()
    frame.attrs["format"] = traces.metadata.get("format")
    return frame


def events_to_pandas(events: Events) -> Any:
    """A ``pandas.DataFrame`` of events: ``timestamp`` ticks, ``time`` seconds, then addresses or x/y/polarity.

    ``attrs["units"]`` gives each column's unit (``timestamp``: ``"<tick> s"``),
    ``attrs["tick"]`` the seconds per tick.
    """
    pd = import_extra("pandas", "pandas")
    data: dict[str, Any] = {"timestamp": events.timestamps, "time": events.times}
    units = {"timestamp": f"{events.tick!r} s", "time": "s"}
    for name in ("addresses", "x", "y", "polarity"):
        column = getattr(events, name)
        if column is not None:
            key = "address" if name == "addresses" else name
            data[key] = column
            units[key] = ""
    frame = pd.DataFrame(data, copy=True)
    frame.attrs["units"] = units
    frame.attrs["tick"] = events.tick
    return frame


# -- xarray ----------------------------------------------------------------------------------------------
def traces_to_xarray(traces: Traces) -> Any:
    """An ``xarray.DataArray`` with dims ``(sweep, time, channel)``.

    Coordinates: ``time`` (``attrs["units"]`` its unit), ``sweep`` (0-based),
    ``sweep_start`` along ``sweep`` (NaN when unknown), ``channel`` (names) and
    ``unit`` along ``channel`` (or along ``(sweep, channel)`` when a channel's
    unit changes between sweeps). ``attrs["units"]`` maps channel -> unit.
    """
    xr = import_extra("xarray", "xarray")
    times, tname, tunit = _time_axis(traces)
    layout = traces.layout
    nsweeps, nch = layout.shape
    names = _unique(list(traces.channel_names))
    data = traces.values[:, layout].transpose(1, 0, 2) if layout.size else np.empty((nsweeps, len(traces), 0))
    unit_grid = np.array([[traces.units[int(j)] for j in row] for row in layout], dtype=object).reshape(
        nsweeps, nch
    )
    per_channel = _channel_units(traces)
    constant = bool(np.all(unit_grid == np.array(per_channel, dtype=object)))
    starts = (
        traces.sweep_starts
        if traces.sweep_starts is not None and len(traces.sweep_starts) == nsweeps
        else np.full(nsweeps, np.nan)
    )
    coords: dict[str, Any] = {
        "sweep": np.arange(nsweeps),
        "time": ("time", np.asarray(times), {"units": tunit, "long_name": tname}),
        "channel": names,
        "sweep_start": ("sweep", np.asarray(starts, dtype=np.float64), {"units": tunit}),
        "unit": ("channel", per_channel) if constant else (("sweep", "channel"), unit_grid.astype(str)),
    }
    attrs: dict[str, Any] = {"time_unit": tunit}
    if constant:
        attrs["units"] = dict(zip(names, per_channel))
    fmt = traces.metadata.get("format")
    if fmt:
        attrs["format"] = str(fmt)
    return xr.DataArray(
        np.array(data, dtype=np.float64),
        dims=("sweep", "time", "channel"),
        coords=coords,
        name="traces",
        attrs=attrs,
    )


# -- neo -------------------------------------------------------------------------------------------------
def _quantity_unit(pq: Any, unit: str) -> tuple[Any, bool]:
    """(quantities unit, understood?): dimensionless when ``unit`` is empty or unknown to quantities."""
    text = unit.strip().replace("µ", "u").replace("μ", "u")
    if not text:
        return pq.dimensionless, False
    try:
        q = pq.Quantity(1.0, text)
    except (LookupError, ValueError, SyntaxError, TypeError, AttributeError):
        return pq.dimensionless, False
    return q.units, True


def traces_to_neo(traces: Traces, *, time_unit: str | None = None, sampling_rate: float | None = None) -> Any:
    """A ``neo.Block``: one ``Segment`` per sweep, one signal per channel.

    Evenly spaced times give ``AnalogSignal`` (``t_start`` = sweep start +
    first time, ``sampling_rate`` from the times); uneven times give
    ``IrregularlySampledSignal``. Units are ``quantities`` units; a unit
    quantities does not know is dimensionless with the file's text in the
    signal's ``annotations["unit"]``.

    Parameters
    ----------
    time_unit
        Unit of the time column when the file does not say (NEURON ``.dat``): ``"ms"``, ``"s"``...
    sampling_rate
        Samples per second, required when the file holds no time column.
    """
    neo = import_extra("neo", "neo")
    pq = import_extra("quantities", "neo")
    tunit = time_unit if time_unit is not None else traces.time_unit
    scale = 1.0
    if traces.times is None:
        if sampling_rate is None:
            raise OptionError("these traces have no time column: pass sampling_rate= (samples per second)")
        given = float(sampling_rate)
        if not (np.isfinite(given) and given > 0):
            raise OptionError(f"sampling_rate must be positive and finite, got {sampling_rate!r}")
        rate: float | None = given
        times = None
    else:
        scale = seconds_per(tunit)
        times = traces.times * scale
        rate = None if sampling_rate is not None else uniform_rate(times)
        if sampling_rate is not None:
            rate = float(sampling_rate)
    block = neo.Block(name=str(traces.metadata.get("source") or ""), file_origin=traces.metadata.get("source"))
    block.annotate(format=str(traces.metadata.get("format") or ""))
    starts = traces.sweep_starts
    names = _unique(list(traces.channel_names))
    for s, row in enumerate(traces.layout):
        start = float(starts[s]) * scale if starts is not None and len(starts) == traces.sweep_count else 0.0
        segment = neo.Segment(name=f"sweep {s}", index=s)
        for c, j in enumerate(row):
            unit_text = traces.units[int(j)]
            unit, known = _quantity_unit(pq, unit_text)
            column = np.asarray(traces.values[:, int(j)], dtype=np.float64).reshape(-1, 1)
            common = {"name": names[c], "channel": names[c], "sweep": s}
            if rate is not None:
                t0 = start + (float(times[0]) if times is not None and len(times) else 0.0)
                signal = neo.AnalogSignal(
                    column, units=unit, sampling_rate=rate * pq.Hz, t_start=t0 * pq.s, name=names[c]
                )
            else:
                assert times is not None
                signal = neo.IrregularlySampledSignal(
                    (times + start) * pq.s, column, units=unit, time_units=pq.s, name=names[c]
                )
            signal.annotate(**common)
            if not known:
                signal.annotate(unit=unit_text)
            if rate is not None:
                segment.analogsignals.append(signal)
            else:
                segment.irregularlysampledsignals.append(signal)
            signal.segment = segment
        block.segments.append(segment)
        segment.block = block
    return block


def events_to_neo(events: Events, *, max_trains: int = MAX_TRAINS) -> Any:
    """A ``neo.Block`` with one ``Segment`` holding one ``SpikeTrain`` per distinct address.

    Each train is annotated with its ``address``; ``t_stop`` is one tick past
    the last event. Events with pixel coordinates (no addresses) are grouped
    by ``(x, y, polarity)`` the same way. More than ``max_trains`` groups is a
    :class:`LimitExceededError`.
    """
    neo = import_extra("neo", "neo")
    pq = import_extra("quantities", "neo")
    if events.addresses is not None:
        keys = events.addresses.astype(np.int64)
        label = ["address"]
        columns = [events.addresses]
    elif events.x is not None and events.y is not None:
        pol = np.zeros(len(events), np.int64) if events.polarity is None else events.polarity.astype(np.int64)
        keys = (events.x.astype(np.int64) << 17) | (events.y.astype(np.int64) << 1) | pol
        label = ["x", "y", "polarity"]
        columns = [events.x, events.y, pol]
    else:
        raise OptionError("these events have neither addresses nor x/y coordinates to group spike trains by")
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(uniq) > max_trains:
        raise LimitExceededError(f"{len(uniq)} distinct addresses is more than max_trains={max_trains}")
    times = events.times
    t_stop = (float(times.max()) + events.tick) if len(times) else events.tick
    t_start = min(0.0, float(times.min())) if len(times) else 0.0
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    segment = neo.Segment(name="events", index=0)
    for k in range(len(uniq)):
        idx = order[bounds[k] : bounds[k + 1]]
        train = neo.SpikeTrain(
            np.sort(times[idx]) * pq.s, t_stop=t_stop * pq.s, t_start=t_start * pq.s, name=f"{k}"
        )
        train.annotate(**{name: int(col[first[k]]) for name, col in zip(label, columns)})
        segment.spiketrains.append(train)
        train.segment = segment
    block = neo.Block(name=str(events.metadata.get("source") or ""))
    block.segments.append(segment)
    segment.block = block
    return block
