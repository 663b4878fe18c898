"""What goes into the NWB file: patch-clamp sweeps (ABF/ATF), time series (other traces), units (AER)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hdmf.common import DynamicTable, VectorData  # type: ignore[import-untyped]
from pynwb import NWBFile, TimeSeries  # type: ignore[import-untyped]
from pynwb.misc import Units  # type: ignore[import-untyped]
from pynwb.icephys import (  # type: ignore[import-untyped]
    CurrentClampSeries,
    CurrentClampStimulusSeries,
    PatchClampSeries,
    VoltageClampSeries,
    VoltageClampStimulusSeries,
)

from ._deps import Events, LimitExceededError, OptionError, Traces, seconds_per, uniform_rate

__all__ = ["PATCH_CLAMP_FORMATS", "add_events", "add_traces", "si_unit"]

#: Traces from these readers are patch-clamp recordings.
PATCH_CLAMP_FORMATS = ("axon-abf", "axon-atf")

_PREFIXES = {"": 1.0, "k": 1e3, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}


def si_unit(unit: str) -> tuple[str, float] | None:
    """``("amperes", 1e-12)`` for ``"pA"``, ``("volts", 1e-3)`` for ``"mV"``; None for anything else."""
    text = unit.strip()
    if not text or text[-1] not in "AV":
        return None
    prefix = text[:-1]
    if prefix not in _PREFIXES:
        return None
    return ("amperes" if text[-1] == "A" else "volts"), _PREFIXES[prefix]


def _name(text: str) -> str:
    """An NWB object name (no ``/``)."""
    return text.replace("/", "_").strip() or "_"


def _distinct(names: list[str]) -> list[str]:
    """``names`` with repeats made distinct by a `` #k`` suffix (NWB names are unique)."""
    out: list[str] = []
    for name in names:
        candidate, k = name, 2
        while candidate in out:
            candidate, k = f"{name} #{k}", k + 1
        out.append(candidate)
    return out


def _timing(times: np.ndarray | None, scale: float, start: float, rate: float | None) -> dict[str, Any]:
    """``starting_time`` + ``rate`` for even times, else ``timestamps`` (all in seconds)."""
    if times is None:
        if rate is None:
            raise OptionError("these traces have no time column: pass rate= (samples per second)")
        return {"starting_time": start, "rate": float(rate)}
    seconds = times * scale
    even = uniform_rate(seconds)
    if even is not None:
        return {"starting_time": start + float(seconds[0]), "rate": even}
    return {"timestamps": seconds + start}


def _time_scale(traces: Traces, time_unit: str | None) -> float:
    if traces.times is None:
        return 1.0
    return float(seconds_per(time_unit if time_unit is not None else traces.time_unit))


def _check_rate(rate: float | None) -> float | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (np.isfinite(rate) and rate > 0):
        raise OptionError(f"rate must be a positive number of samples per second, got {rate!r}")
    return float(rate)


def add_traces(
    nwbfile: NWBFile, traces: Traces, *, time_unit: str | None, rate: float | None, cell_id: str | None = None
) -> None:
    """Patch-clamp sweeps for ABF/ATF results, plain ``TimeSeries`` for the rest."""
    rate = _check_rate(rate)
    scale = _time_scale(traces, time_unit)
    if traces.metadata.get("format") in PATCH_CLAMP_FORMATS:
        _add_patch_clamp(nwbfile, traces, scale, rate, cell_id)
    else:
        _add_time_series(nwbfile, traces, scale, rate)


def _sweep_start(traces: Traces, s: int, scale: float) -> float:
    starts = traces.sweep_starts
    if starts is not None and len(starts) == traces.sweep_count and np.isfinite(starts[s]):
        return float(starts[s]) * scale
    return 0.0


def _add_time_series(nwbfile: NWBFile, traces: Traces, scale: float, rate: float | None) -> None:
    source = traces.metadata.get("source") or "the data"
    used: set[str] = set()
    for s in range(traces.sweep_count):
        for c, j in enumerate(traces.layout[s]):
            title = traces.columns[int(j)] if traces.sweep_count == 1 else f"{traces.channel_names[c]} sweep {s}"
            name = _name(title)
            k = 2
            while name in used:
                name, k = f"{_name(title)} #{k}", k + 1
            used.add(name)
            nwbfile.add_acquisition(
                TimeSeries(
                    name=name,
                    data=np.ascontiguousarray(traces.values[:, int(j)]),
                    unit=traces.units[int(j)] or "n/a",
                    description=f"column {traces.labels[int(j)]!r} of {source}"
                    + ("" if traces.units[int(j)] else " (the file gives no unit)"),
                    **_timing(traces.times, scale, _sweep_start(traces, s, scale), rate),
                )
            )


def _add_patch_clamp(
    nwbfile: NWBFile, traces: Traces, scale: float, rate: float | None, cell_id: str | None
) -> None:
    meta = traces.metadata
    creator = meta.get("creator")
    device = nwbfile.create_device(
        name="acquisition system",
        description=f"recorded with {creator}" if creator else f"the {meta.get('format')} file names no device",
    )
    names = _distinct([_name(n) for n in traces.channel_names])
    electrodes = [
        nwbfile.create_icephys_electrode(
            name=f"electrode {c} ({names[c]})",
            description=f"the electrode recorded on input channel {traces.channel_names[c]!r}"
            " (the file does not describe it)",
            device=device,
            cell_id=cell_id,
        )
        for c in range(traces.channel_count)
    ]
    protocol = str(meta.get("protocol") or "N/A")
    command = meta.get("command")
    simultaneous = []
    for s in range(traces.sweep_count):
        start = _sweep_start(traces, s, scale)
        timing = _timing(traces.times, scale, start, rate)
        rows = []
        for c, j in enumerate(traces.layout[s]):
            stimulus = _stimulus(command, s, c, electrodes[c], protocol, timing)
            if stimulus is not None:
                nwbfile.add_stimulus(stimulus)
            clamp = None if stimulus is None else stimulus.unit  # "volts": voltage clamp
            response = _response(
                traces, int(j), f"sweep {s:04d} {names[c]}", electrodes[c], s, protocol, timing, clamp
            )
            nwbfile.add_acquisition(response)
            rows.append(
                nwbfile.add_intracellular_recording(electrode=electrodes[c], stimulus=stimulus, response=response)
            )
        simultaneous.append(nwbfile.add_icephys_simultaneous_recording(recordings=rows))
    if simultaneous:
        nwbfile.add_icephys_sequential_recording(simultaneous_recordings=simultaneous, stimulus_type=protocol)


def _response(
    traces: Traces,
    j: int,
    name: str,
    electrode: Any,
    sweep: int,
    protocol: str,
    timing: dict[str, Any],
    command_unit: str | None,
) -> PatchClampSeries:
    """VoltageClampSeries for a current, CurrentClampSeries for a voltage, PatchClampSeries otherwise.

    With a command waveform the clamp is the command's (volts: voltage clamp):
    a recorded quantity that does not fit it (a voltage monitor under voltage
    clamp) is a plain PatchClampSeries in SI units.
    """
    unit = traces.units[j]
    data = np.ascontiguousarray(traces.values[:, j])
    common: dict[str, Any] = {
        "name": name,
        "data": data,
        "electrode": electrode,
        "sweep_number": np.uint32(sweep),
        "stimulus_description": protocol,
        "description": f"input channel recorded in {unit or 'no unit'}",
        **timing,
    }
    si = si_unit(unit)
    if si is None:
        return PatchClampSeries(unit=unit or "n/a", **common)
    voltage_clamp = si[0] == "amperes"
    if command_unit is not None and voltage_clamp != (command_unit == "volts"):
        return PatchClampSeries(unit=si[0], conversion=si[1], **common)
    if voltage_clamp:
        return VoltageClampSeries(conversion=si[1], **common)
    return CurrentClampSeries(conversion=si[1], **common)


def _stimulus(
    command: Any, sweep: int, channel: int, electrode: Any, protocol: str, timing: dict[str, Any]
) -> PatchClampSeries | None:
    """The command waveform of DAC ``channel`` in ``sweep`` (ABF), when it is known and electrical."""
    if not isinstance(command, Traces) or channel >= command.channel_count or sweep >= command.sweep_count:
        return None
    j = int(command.layout[sweep, channel])
    values = np.asarray(command.values[:, j], dtype=np.float64)
    si = si_unit(command.units[j])
    if si is None or not np.all(np.isfinite(values)) or len(values) != len(timing.get("timestamps", values)):
        return None
    cls = VoltageClampStimulusSeries if si[0] == "volts" else CurrentClampStimulusSeries
    return cls(
        name=f"sweep {sweep:04d} {_name(command.channel_names[channel])}",
        data=np.ascontiguousarray(values),
        electrode=electrode,
        conversion=si[1],
        sweep_number=np.uint32(sweep),
        stimulus_description=protocol,
        description=f"command waveform of output channel {command.channel_names[channel]!r}"
        f" in {command.units[j]}",
        **timing,
    )


def add_events(nwbfile: NWBFile, events: Events, *, max_units: int) -> None:
    """One ``Units`` row per distinct address (spike times in s), or an ``events`` table.

    Events with pixel coordinates, or with more than ``max_units`` distinct
    addresses, go to a ``DynamicTable`` named ``aer_events`` in the processing
    module ``misc``: one row per event (time, timestamp and the address or
    x, y, polarity columns).
    ("misc" is the schema's module name for data of no other kind.)
    """
    times = np.asarray(events.times, dtype=np.float64)
    if events.addresses is not None:
        addresses = events.addresses
        uniq, inverse = np.unique(addresses, return_inverse=True)
        if 0 < len(uniq) <= max_units:
            nwbfile.units = Units(
                name="units",
                description="one unit per AER address; spike times in seconds",
                resolution=float(events.tick),
            )
            nwbfile.add_unit_column(name="address", description="AER address of the unit's events")
            order = np.lexsort((times, inverse))
            bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
            for k, address in enumerate(uniq):
                nwbfile.add_unit(spike_times=times[order[bounds[k] : bounds[k + 1]]], address=int(address), id=k)
            return
    columns: list[tuple[str, Any, str]] = [
        ("time", times, "event time in seconds from the recording's clock zero"),
        ("timestamp", events.timestamps, f"event timestamp in ticks of {events.tick!r} s"),
    ]
    for attr, label in (("addresses", "address"), ("x", "x"), ("y", "y"), ("polarity", "polarity")):
        column = getattr(events, attr)
        if column is not None:
            columns.append((label, column, f"AER {label} of each event"))
    if len(times) > 2**31:
        raise LimitExceededError(f"{len(times)} events is more than one NWB event table holds here")
    table = DynamicTable(
        name="aer_events",
        description="address events, one row per event, in file order",
        id=np.arange(len(times)),
        columns=[VectorData(name=n, data=np.ascontiguousarray(d), description=t) for n, d, t in columns],
    )
    module = nwbfile.create_processing_module(name="misc", description="address events (AER)")
    module.add(table)
