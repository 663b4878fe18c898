"""``Traces``: sampled signals read from text or vector files (NEURON, ATF).

A :class:`Traces` holds an optional x/time column and a 2-D float64 block of
value columns, each with a name and a unit, plus the file's header facts in
``metadata``. ATF files add a sweeps x channels map of the value columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np

from .._errors import UnsupportedDataError

__all__ = ["Traces", "as_traces"]

Key = Union[int, str]


class Traces:
    """Sampled traces: ``times`` (or None), ``values`` (rows x columns), names, units.

    Parameters
    ----------
    times
        1-D float64 x/time column, or None when the file holds no time column
        (e.g. NEURON ``Vector.printf`` output: values only, times are not invented).
    values
        2-D float64 array, one column per trace.
    columns
        One name per value column (titles may repeat, as in Clampfit exports).
    units
        One unit per value column ('' when unknown).
    time_name, time_unit
        Name and unit of the time column.
    metadata
        Header facts (records, label, declared counts, variant name...).
    layout
        Integer array (sweeps x channels) of value-column indices, or None for
        a single sweep whose channels are the value columns.
    channel_names
        One name per layout column (ATF ``Signals=``).
    sweep_starts
        Start time of each sweep in the unit of ``times`` (ATF ``SweepStartTimesMS``), or None.
    text
        Text columns of a table (Clampfit results sheets): name -> array of str.
        The same columns hold NaN in ``values``.
    """

    def __init__(
        self,
        times: np.ndarray | None,
        values: np.ndarray,
        columns: Sequence[str] | None = None,
        units: Sequence[str] | None = None,
        *,
        time_name: str = "t",
        time_unit: str = "",
        metadata: Mapping[str, Any] | None = None,
        layout: np.ndarray | None = None,
        channel_names: Sequence[str] | None = None,
        sweep_starts: np.ndarray | None = None,
        text: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise ValueError(f"values must be 2-D, got shape {values.shape}")
        if times is not None:
            times = np.asarray(times, dtype=np.float64)
            if times.shape != (values.shape[0],):
                raise ValueError(f"times has shape {times.shape}, expected ({values.shape[0]},)")
        ncols = values.shape[1]
        self.times: np.ndarray | None = times
        self.values: np.ndarray = values
        self.columns: list[str] = list(columns) if columns is not None else [f"y{i}" for i in range(ncols)]
        self.units: list[str] = list(units) if units is not None else [""] * ncols
        if len(self.columns) != ncols or len(self.units) != ncols:
            raise ValueError(
                f"{ncols} value columns but {len(self.columns)} names and {len(self.units)} units"
            )
        self.time_name = time_name
        self.time_unit = time_unit
        self.metadata: dict[str, Any] = dict(metadata or {})
        if layout is None:
            layout = np.arange(ncols, dtype=np.intp).reshape(1, ncols)
            channel_names = self.columns if channel_names is None else channel_names
        self.layout: np.ndarray = np.asarray(layout, dtype=np.intp)
        self.channel_names: list[str] = (
            list(channel_names)
            if channel_names is not None
            else [f"ch{i}" for i in range(self.layout.shape[1])]
        )
        self.sweep_starts = None if sweep_starts is None else np.asarray(sweep_starts, dtype=np.float64)
        self.text: dict[str, np.ndarray] = dict(text or {})

    # -- shape -------------------------------------------------------------
    def __len__(self) -> int:
        """Number of rows (samples)."""
        return int(self.values.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, value columns)."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def labels(self) -> list[str]:
        """Column titles as written in the file: ``"name (unit)"`` or ``"name"``."""
        return [f"{c} ({u})" if u else c for c, u in zip(self.columns, self.units)]

    @property
    def sweep_count(self) -> int:
        """Number of sweeps in :attr:`layout`."""
        return int(self.layout.shape[0])

    @property
    def channel_count(self) -> int:
        """Number of channels in :attr:`layout`."""
        return int(self.layout.shape[1])

    def to_array(self) -> np.ndarray:
        """All columns as one 2-D array, the time column first when there is one."""
        if self.times is None:
            return self.values
        return np.column_stack([self.times, self.values])

    # -- access ------------------------------------------------------------
    def _index(self, key: Key) -> int:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            n = int(self.values.shape[1])
            if not -n <= int(key) < n:
                raise IndexError(f"column {key} out of range for {n} value columns")
            return int(key) % n
        if isinstance(key, str):
            hits = [i for i, (c, lab) in enumerate(zip(self.columns, self.labels)) if key in (c, lab)]
            if len(hits) == 1:
                return hits[0]
            if not hits:
                raise KeyError(f"no column {key!r}; columns are {self.labels}")
            raise KeyError(
                f"column title {key!r} is not unique (value columns {hits});"
                " use an index, sweep() or channel()"
            )
        raise TypeError(f"column key must be an int or str, got {type(key).__name__}")

    def __getitem__(self, key: Key) -> np.ndarray:
        """One value column by index, name or ``"name (unit)"`` title.

        The time column is available as ``traces.times`` (or ``traces["time"]``
        by its own name).
        """
        if isinstance(key, str) and self.times is not None and key in (self.time_name, self._time_label):
            return self.times
        return self.values[:, self._index(key)]

    @property
    def _time_label(self) -> str:
        return f"{self.time_name} ({self.time_unit})" if self.time_unit else self.time_name

    def sweep(self, i: int) -> Traces:
        """Sweep ``i`` (0-based): one column per channel, same times."""
        if not -self.sweep_count <= i < self.sweep_count:
            raise IndexError(f"sweep {i} out of range for {self.sweep_count} sweeps")
        idx = self.layout[i]
        meta: dict[str, Any] = {"sweep": i % self.sweep_count}
        if self.sweep_starts is not None and len(self.sweep_starts) == self.sweep_count:
            meta["sweep_start"] = float(self.sweep_starts[i])
        return Traces(
            self.times,
            self.values[:, idx],
            list(self.channel_names),
            [self.units[j] for j in idx],
            time_name=self.time_name,
            time_unit=self.time_unit,
            metadata=meta,
        )

    def channel(self, name: Key) -> Traces:
        """One channel across sweeps: one column per sweep, same times.

        ``name`` is a channel name from :attr:`channel_names` or its index.
        """
        if isinstance(name, str):
            if name not in self.channel_names:
                raise KeyError(f"no channel {name!r}; channels are {self.channel_names}")
            c = self.channel_names.index(name)
        else:
            c = int(name)
            if not -self.channel_count <= c < self.channel_count:
                raise IndexError(f"channel {name} out of range for {self.channel_count} channels")
        idx = self.layout[:, c]
        cname = self.channel_names[c]
        return Traces(
            self.times,
            self.values[:, idx],
            [f"{cname} sweep {k + 1}" for k in range(len(idx))],
            [self.units[j] for j in idx],
            time_name=self.time_name,
            time_unit=self.time_unit,
            metadata={"channel": cname},
        )

    # -- display -----------------------------------------------------------
    def __repr__(self) -> str:
        rows, ncols = self.shape
        parts = [f"<Traces {rows} rows x {ncols} value column{'s' if ncols != 1 else ''}"]
        fmt = self.metadata.get("format")
        if fmt:
            parts[0] += (
                f" [{fmt}" + (f", {self.metadata['variant']}" if self.metadata.get("variant") else "") + "]"
            )
        source = self.metadata.get("source")
        if source:
            parts[0] += f" from {source!r}"
        parts[0] += ">"
        if self.times is None:
            parts.append("  times: none (the file holds values only)")
        elif rows:
            unit = f" {self.time_unit}" if self.time_unit else ""
            parts.append(f"  times: {self.time_name} {self.times[0]:g} .. {self.times[-1]:g}{unit}")
        labels = self.labels
        shown = ", ".join(labels[:6]) + (f", ... (+{len(labels) - 6})" if len(labels) > 6 else "")
        parts.append(f"  columns: {shown}")
        if self.sweep_count > 1 or self.layout.shape != (1, ncols):
            parts.append(
                f"  layout: {self.sweep_count} sweeps x {self.channel_count} channels"
                f" {self.channel_names[:6]}"
            )
        if self.text:
            parts.append(f"  text columns: {list(self.text)}")
        curves = self.metadata.get("curves")
        if isinstance(curves, list) and curves:
            parts.append(
                f"  curves: {len(curves)} in metadata['curves'] ({self.metadata.get('graphs', 1)} graphs)"
            )
        keys = [k for k in self.metadata if k not in ("format", "source", "variant")]
        if keys:
            parts.append(f"  metadata: {', '.join(keys[:10])}{', ...' if len(keys) > 10 else ''}")
        return "\n".join(parts)


def as_traces(data: Any) -> Traces:
    """Coerce writer input to :class:`Traces`.

    Accepts a :class:`Traces`, a ``(times, values)`` pair (``times`` may be
    None; ``values`` 1-D or 2-D), or a 2-D array whose first column is the time.
    """
    if isinstance(data, Traces):
        return data
    try:
        if isinstance(data, tuple) and len(data) == 2:
            times, values = data
            values = np.asarray(values, dtype=np.float64)
            return Traces(None if times is None else np.asarray(times, dtype=np.float64), values)
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UnsupportedDataError(f"cannot write {type(data).__name__} as traces: {exc}") from None
    if array.ndim == 1:
        return Traces(None, array.reshape(-1, 1))
    if array.ndim == 2 and array.shape[1] >= 2:
        return Traces(array[:, 0], array[:, 1:])
    if array.ndim == 2:
        return Traces(None, array)
    raise UnsupportedDataError(f"cannot write {type(data).__name__} of shape {array.shape} as traces")


Traces.__module__ = "neurofiles"  # its public name
