"""Results as named columns, and back: the bridge to npz, CSV, Parquet and plots.

:func:`to_table` turns an ``Events`` or ``Traces`` result into a :class:`Table`
of equal-length 1-D columns with units; :func:`from_table` rebuilds the
result. Both are duck-typed on the result types (no import of the reader
modules), so any object with the same attributes works.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np

from .._errors import FormatWarning, UnsupportedDataError

__all__ = ["Table", "dumps", "from_table", "jsonable_metadata", "kind_of", "split_label", "to_table"]

EVENT_COLUMNS = ("timestamps", "addresses", "x", "y", "polarity")
_LABEL = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")


@dataclass
class Table:
    """Named 1-D columns of equal length, their units, and what to rebuild them into.

    Attributes
    ----------
    kind
        ``"Events"`` or ``"Traces"``.
    columns
        Column name (unique) to 1-D array, in display order.
    units
        Column name to unit string ('' when unknown).
    attrs
        JSON-serialisable facts needed to rebuild the result (tick, time column, layout...).
    metadata
        The result's metadata, reduced to what JSON can hold.
    extra
        Further arrays kept by npz only (other event streams, text columns), by name.
    display
        Column name as written in the file, when it differs from the unique key.
    """

    kind: str
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def label(self, name: str) -> str:
        """``"name (unit)"``, or ``name`` when the unit is unknown (``name`` as in the file)."""
        unit = self.units.get(name, "")
        shown = self.display.get(name, name)
        return f"{shown} ({unit})" if unit else shown

    def __repr__(self) -> str:
        cols = ", ".join(self.label(c) for c in self.columns)
        return f"<Table {self.kind}: {len(self)} rows; {cols}>"


def kind_of(data: Any) -> str:
    """``"Events"``, ``"Traces"``, or raise :class:`UnsupportedDataError` (a TypeError) for anything else."""
    if hasattr(data, "timestamps") and hasattr(data, "tick"):
        return "Events"
    if hasattr(data, "values") and hasattr(data, "columns") and hasattr(data, "units"):
        return "Traces"
    raise UnsupportedDataError(
        f"cannot turn {type(data).__name__} into columns: expected Events or Traces"
        + (" (this is a list: convert one recording at a time)" if isinstance(data, (list, tuple)) else "")
    )


# -- metadata ------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """``value`` as plain JSON types, or raise :class:`TypeError`."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("non-finite float")
        return value
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, (PurePath, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, np.ndarray) and value.size <= 10000:
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, (str, int, np.integer)) for k in value):
        return {str(k): _plain(v) for k, v in value.items()}  # as JSON does: integer keys become strings
    raise TypeError(type(value).__name__)


def jsonable_metadata(metadata: Mapping[str, Any], *, where: str = "") -> dict[str, Any]:
    """The entries of ``metadata`` that JSON can hold (tuples become lists, integer keys strings).

    Entries that cannot be stored are dropped with a :class:`FormatWarning`
    naming them, never silently.
    """
    result: dict[str, Any] = {}
    dropped = []
    for key, value in metadata.items():
        try:
            result[str(key)] = _plain(value)
        except (TypeError, RecursionError) as exc:
            dropped.append(f"{key} ({exc})")
    if dropped:
        warnings.warn(
            f"{where + ': ' if where else ''}metadata not stored (not JSON-serialisable): {', '.join(dropped)}",
            FormatWarning,
            stacklevel=3,
        )
    return result


# -- Events --------------------------------------------------------------------------------------
def _events_table(ev: Any, with_times: bool) -> Table:
    table = Table("Events", attrs={"tick": float(ev.tick)})
    if with_times:
        table.columns["times"] = np.asarray(ev.times)
        table.units["times"] = "s"
    table.columns["timestamps"] = np.asarray(ev.timestamps)
    table.units["timestamps"] = f"{float(ev.tick):g} s"
    for name in EVENT_COLUMNS[1:]:
        value = getattr(ev, name, None)
        if value is not None:
            table.columns[name] = np.asarray(value)
            table.units[name] = ""
    table.metadata = jsonable_metadata(getattr(ev, "metadata", {}) or {}, where="Events")
    for stream, content in (getattr(ev, "streams", None) or {}).items():
        if isinstance(content, Mapping):
            for key, array in content.items():
                table.extra[f"streams/{stream}/{key}"] = np.asarray(array)
        elif hasattr(content, "timestamps"):
            for key in EVENT_COLUMNS:
                array = getattr(content, key, None)
                if array is not None:
                    table.extra[f"streams/{stream}/{key}"] = np.asarray(array)
        else:
            table.extra[f"streams/{stream}"] = np.asarray(content)
    return table


def _events_from(table: Table) -> Any:
    from .events import Events

    cols = table.columns
    tick = float(table.attrs.get("tick", 1e-6))
    if "timestamps" in cols:
        ts = cols["timestamps"]
    elif "times" in cols:
        ts = np.rint(np.asarray(cols["times"], dtype=np.float64) / tick).astype(np.int64)
    else:
        raise ValueError("an Events table needs a 'timestamps' or 'times' column")
    streams: dict[str, Any] = {}
    for key, array in table.extra.items():
        parts = key.split("/")
        if parts[0] != "streams" or len(parts) < 2:
            continue
        if len(parts) == 2:
            streams[parts[1]] = array
        else:
            streams.setdefault(parts[1], {})[parts[2]] = array
    return Events(
        ts,
        addresses=cols.get("addresses"),
        x=cols.get("x"),
        y=cols.get("y"),
        polarity=cols.get("polarity"),
        tick=tick,
        metadata=table.metadata,
        streams=streams,
    )


# -- Traces --------------------------------------------------------------------------------------
def _unique(names: list[str], taken: set[str]) -> list[str]:
    result = []
    for name in names:
        candidate, k = name or "y", 2
        while candidate in taken:
            candidate = f"{name or 'y'}_{k}"
            k += 1
        taken.add(candidate)
        result.append(candidate)
    return result


def _traces_table(tr: Any) -> Table:
    table = Table("Traces")
    names = [str(c) for c in tr.columns]
    units = [str(u) for u in tr.units]
    time_name = str(getattr(tr, "time_name", "t") or "t")
    taken: set[str] = set()
    times = getattr(tr, "times", None)
    if times is not None:
        taken.add(time_name)
        table.columns[time_name] = np.asarray(times)
        table.units[time_name] = str(getattr(tr, "time_unit", "") or "")
    keys = _unique(names, taken)
    values = np.asarray(tr.values)
    for j, key in enumerate(keys):
        table.columns[key] = values[:, j]
        table.units[key] = units[j]
        table.display[key] = names[j]
    attrs: dict[str, Any] = {
        "time_name": time_name if times is not None else None,
        "time_unit": table.units.get(time_name, "")
        if times is not None
        else str(getattr(tr, "time_unit", "")),
        "value_keys": keys,
        "names": names,
        "units": units,
    }
    layout = getattr(tr, "layout", None)
    if layout is not None:
        attrs["layout"] = np.asarray(layout).tolist()
    if getattr(tr, "channel_names", None) is not None:
        attrs["channel_names"] = [str(c) for c in tr.channel_names]
    table.attrs = attrs
    starts = getattr(tr, "sweep_starts", None)
    if starts is not None:
        table.extra["sweep_starts"] = np.asarray(starts, dtype=np.float64)
    for name, column in (getattr(tr, "text", None) or {}).items():
        table.extra[f"text/{name}"] = np.asarray(column, dtype=str)
    table.metadata = jsonable_metadata(getattr(tr, "metadata", {}) or {}, where="Traces")
    return table


def _traces_from(table: Table) -> Any:
    from .traces import Traces

    attrs = table.attrs
    cols = table.columns
    time_name = attrs.get("time_name")
    keys = attrs.get("value_keys") or [c for c in cols if c != time_name]
    n = len(table)
    values = (
        np.column_stack([np.asarray(cols[k], dtype=np.float64) for k in keys]) if keys else np.zeros((n, 0))
    )
    options: dict[str, Any] = {"metadata": table.metadata}
    if attrs.get("layout"):
        options["layout"] = np.asarray(attrs["layout"], dtype=np.intp)
    if attrs.get("channel_names") is not None:
        options["channel_names"] = attrs["channel_names"]
    if "sweep_starts" in table.extra:
        options["sweep_starts"] = table.extra["sweep_starts"]
    text = {k[5:]: v for k, v in table.extra.items() if k.startswith("text/")}
    if text:
        options["text"] = text
    return Traces(
        None if time_name is None else cols[time_name],
        values,
        attrs.get("names") or keys,
        attrs.get("units") or [table.units.get(k, "") for k in keys],
        time_name=time_name or "t",
        time_unit=attrs.get("time_unit") or "",
        **options,
    )


# -- public --------------------------------------------------------------------------------------
def to_table(data: Any, *, with_times: bool = False) -> Table:
    """``data`` (Events or Traces) as a :class:`Table`.

    ``with_times`` adds a float64 ``times`` column in seconds to Events
    (for CSV and plots; npz does not need it).
    """
    kind = kind_of(data)
    return _events_table(data, with_times) if kind == "Events" else _traces_table(data)


def from_table(table: Table) -> Any:
    """Rebuild the Events or Traces that :func:`to_table` produced."""
    if table.kind == "Events":
        return _events_from(table)
    if table.kind == "Traces":
        return _traces_from(table)
    raise ValueError(f"unknown table kind {table.kind!r}")


def split_label(label: str) -> tuple[str, str]:
    """``"Vm (mV)"`` -> ``("Vm", "mV")``; ``"Vm"`` -> ``("Vm", "")``."""
    match = _LABEL.match(label)
    if match and match.group("name"):
        return match.group("name"), match.group("unit").strip()
    return label.strip(), ""


def dumps(obj: Any) -> str:
    """Compact JSON (used for the npz/parquet metadata member)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)

Table.__module__ = "neurofiles.plugin.tabular"  # its public name
