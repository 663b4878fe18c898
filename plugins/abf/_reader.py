"""Reader for Axon Binary Files, ABF 1.x and 2.x (format ``axon-abf``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._deps import FormatMismatch, Reader, Source, Traces
from ._header import parse_header
from ._io import RandomAccess
from ._model import AbfHeader
from ._protocol import command_waveforms

__all__ = ["MAX_COMMANDS", "AbfReader"]

#: At most this many DAC command waveforms are synthesised (Axon digitizers have 4 or 8 DACs).
MAX_COMMANDS = 8


def _protocol_name(path: str) -> str:
    """``C:\\Protocols\\0201 memtest.pro`` -> ``0201 memtest``."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-4] if base.lower().endswith(".pro") else base


class AbfReader(Reader):
    """Reads ABF 1.x and 2.x files into :class:`~neurofiles.Traces`.

    The constructor reads and validates the header only. :meth:`read` loads
    every sweep; :meth:`read_sweep` and :meth:`read_range` read just the bytes
    of one sweep or one stretch of a gap-free recording.
    """

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if source.header[:4] not in (b"ABF ", b"ABF2"):
            raise FormatMismatch("does not start with 'ABF ' or 'ABF2'")
        self._io = RandomAccess(source)
        try:
            self.head: AbfHeader = parse_header(self._io)
        except BaseException:
            self._io.close()
            raise

    # -- facts -------------------------------------------------------------
    @property
    def sweep_count(self) -> int:
        """Number of sweeps (1 for gap-free)."""
        return int(self.head.sweep_lengths.size)

    @property
    def channel_names(self) -> list[str]:
        """Channel names, blank ones replaced by ``ch<i>``, repeats made unique."""
        names: list[str] = []
        for i, c in enumerate(self.head.channels):
            name = c.name or f"ch{i}"
            if name in names:
                name = f"{name} ({i})"
            names.append(name)
        return names

    def summary(self) -> dict[str, Any]:
        """Header facts (no data read)."""
        h = self.head
        return {
            "version": h.version,
            "mode": h.mode_name,
            "sample rate (Hz)": h.rate,
            "sweeps": self.sweep_count,
            "samples per sweep": sorted({int(n) for n in h.sweep_lengths})[:8],
            "channels": [f"{n} ({c.unit})" if c.unit else n for n, c in zip(self.channel_names, h.channels)],
            "data format": str(h.dtype.name),
            "start": h.start.isoformat() if h.start else None,
            "protocol": _protocol_name(h.protocol_path),
            "tags": len(h.tags),
        }

    # -- lazy access -------------------------------------------------------
    def _scale(self, raw: np.ndarray, channels: list[int]) -> np.ndarray:
        """raw (rows x len(channels)) -> float64 physical values."""
        gains = np.array([self.head.channels[c].gain for c in channels])
        offsets = np.array([self.head.channels[c].offset for c in channels])
        out = raw.astype(np.float64)
        out *= gains
        out += offsets
        return out

    def _channel_list(self, channel: int | str | None) -> list[int]:
        if channel is None:
            return list(range(self.head.nch))
        if isinstance(channel, str):
            names = self.channel_names
            if channel not in names:
                raise KeyError(f"no channel {channel!r}; channels are {names}")
            return [names.index(channel)]
        c = int(channel)
        if not -self.head.nch <= c < self.head.nch:
            raise IndexError(f"channel {channel} out of range for {self.head.nch} channels")
        return [c % self.head.nch]

    def read_sweep(self, sweep: int, channel: int | str | None = None) -> np.ndarray:
        """One sweep, read with one positioned read of its bytes only.

        Returns shape (samples,) for one ``channel`` (index or name), else
        (samples, channels). Variable-length sweeps have their own length.
        """
        h = self.head
        n = self.sweep_count
        if not -n <= sweep < n:
            raise IndexError(f"sweep {sweep} out of range for {n} sweeps")
        sweep %= n
        return self._read_values(int(h.sweep_offsets[sweep]) // h.nch, int(h.sweep_lengths[sweep]), channel)

    def read_range(self, start: int, stop: int, channel: int | str | None = None) -> np.ndarray:
        """Samples ``start:stop`` (per channel, counted over the whole data block).

        For a gap-free file this is a stretch of the recording; only its bytes are read.
        """
        total = self.head.data_count // self.head.nch
        start, stop, _ = slice(start, stop).indices(total)
        return self._read_values(start, max(stop - start, 0), channel)

    def _read_values(self, first: int, n: int, channel: int | str | None) -> np.ndarray:
        h = self.head
        chans = self._channel_list(channel)
        raw = self._io.read_array(h.data_offset + first * h.nch * h.dtype.itemsize, n * h.nch, h.dtype)
        raw = raw.reshape(n, h.nch)
        values = self._scale(raw[:, chans], chans)
        return values[:, 0] if channel is not None else values

    # -- full read ---------------------------------------------------------
    def read(self) -> Traces:
        """Every sweep of every channel as :class:`Traces` (sweeps x channels layout).

        Event-driven variable-length files give one sweep holding the events
        one after the other (no padding); ``metadata["segments"]`` gives each
        event's first row, length and start time, and ``times`` the real time
        of every row.
        """
        h = self.head
        nch, nsw = h.nch, self.sweep_count
        names = self.channel_names
        units = [c.unit for c in h.channels]
        rate = h.rate
        used = int(h.sweep_offsets[-1] + h.sweep_lengths[-1] * nch) if nsw else 0
        raw = self._io.read_array(h.data_offset, used, h.dtype)
        gains = np.array([c.gain for c in h.channels])
        offsets = np.array([c.offset for c in h.channels])
        meta = self._metadata()
        if h.variable_length:
            values = raw.reshape(-1, nch).astype(np.float64)
            values *= gains
            values += offsets
            rows = np.concatenate([[0], np.cumsum(h.sweep_lengths)[:-1]]).astype(np.int64)
            within = np.arange(int(h.sweep_lengths.sum())) - np.repeat(rows, h.sweep_lengths)
            times = np.repeat(h.sweep_starts, h.sweep_lengths) + within / rate
            meta["segments"] = [
                {"row": int(r), "samples": int(n), "start (s)": float(t)}
                for r, n, t in zip(rows, h.sweep_lengths, h.sweep_starts)
            ]
            meta["variant"] = "event-driven variable-length sweeps, concatenated"
            return Traces(
                times,
                values,
                names,
                units,
                time_name="Time",
                time_unit="s",
                metadata=meta,
                channel_names=names,
            )
        npts = int(h.sweep_lengths[0])
        # Column-major: each (sweep, channel) column is contiguous, so scaling streams through
        # the raw block in file order and sweep()/channel() gather whole columns.
        values = np.empty((npts, nsw * nch), order="F")
        columns_view = values.T.reshape(nsw, nch, npts)  # a view: values.T is C-contiguous
        np.multiply(raw.reshape(nsw, npts, nch).transpose(0, 2, 1), gains[:, None], out=columns_view)
        columns_view += offsets[:, None]
        layout = np.arange(nsw * nch, dtype=np.intp).reshape(nsw, nch)
        titles = [f"Trace #{k + 1}" for k in range(nsw)]
        columns = titles if nch == 1 else [t for t in titles for _ in range(nch)]
        times = np.arange(npts) / rate
        meta["command"] = self._commands(titles, npts, times)
        return Traces(
            times,
            values,
            columns,
            units * nsw,
            time_name="Time",
            time_unit="s",
            metadata=meta,
            layout=layout,
            channel_names=names,
            sweep_starts=h.sweep_starts,
        )

    def _commands(self, titles: list[str], npts: int, times: np.ndarray) -> Traces | None:
        """The DAC command waveforms as Traces (sweeps x DACs): the DACs that play an epoch
        waveform and the first DACs up to the channel count, at most :data:`MAX_COMMANDS`."""
        h = self.head
        nsw = len(titles)
        dacs = [d for d in h.dacs if (d.waveform_enabled and d.waveform_source == 1) or d.index < h.nch]
        dacs = dacs[:MAX_COMMANDS]
        if not dacs or npts == 0:
            return None
        if any(d.waveform_enabled and d.waveform_source == 1 for d in dacs):
            values = np.empty((npts, nsw * len(dacs)), order="F")
            for k, d in enumerate(dacs):
                command_waveforms(d, values[:, k :: len(dacs)])
        else:  # every DAC holds one level (or plays a stimulus file, NaN): a read-only broadcast
            row = np.array(
                [d.holding if not d.waveform_enabled or d.waveform_source == 0 else np.nan for d in dacs]
            )
            values = np.broadcast_to(np.tile(row, nsw), (npts, nsw * len(dacs)))
        names = [d.name or f"DAC {d.index}" for d in dacs]
        return Traces(
            times,
            values,
            titles if len(dacs) == 1 else [t for t in titles for _ in dacs],
            [d.unit for d in dacs] * nsw,
            time_name="Time",
            time_unit="s",
            metadata={
                "format": "axon-abf",
                "variant": "DAC command waveforms",
                "dacs": [d.index for d in dacs],
            },
            layout=np.arange(nsw * len(dacs), dtype=np.intp).reshape(nsw, len(dacs)),
            channel_names=names,
            sweep_starts=h.sweep_starts,
        )

    def _metadata(self) -> dict[str, Any]:
        h = self.head
        return {
            "format": "axon-abf",
            "source": self.source.name,
            "variant": f"ABF {h.version}, {h.mode_name}",
            "version": h.version,
            "mode": h.mode,
            "mode name": h.mode_name,
            "sample rate (Hz)": h.rate,
            "sample interval (us)": h.interval_us,
            "data format": h.dtype.name,
            "start": h.start.isoformat() if h.start else None,
            "channels": [
                {
                    "name": n,
                    "name in file": c.name,
                    "unit": c.unit,
                    "adc": c.adc,
                    "gain": c.gain,
                    "offset": c.offset,
                    "telegraph": dict(c.telegraph),
                }
                for n, c in zip(self.channel_names, h.channels)
            ],
            "sweep lengths": h.sweep_lengths.copy(),
            "sweep starts (s)": h.sweep_starts.copy(),
            "dacs": [d.as_dict() for d in h.dacs],
            "tags": [
                {"time (s)": t.time, "comment": t.comment, "type": t.type, "sweep": self._sweep_at(t.time)}
                for t in h.tags
            ],
            "protocol": _protocol_name(h.protocol_path),
            "protocol path": h.protocol_path,
            "comment": h.comment,
            "creator": h.creator,
            "guid": h.guid,
            "header": dict(h.extra),
        }

    def _sweep_at(self, seconds: float) -> int | None:
        starts = self.head.sweep_starts
        if not len(starts):
            return None
        k = int(np.searchsorted(starts, seconds, side="right")) - 1
        return max(k, 0)

    def close(self) -> None:
        """Close the file."""
        self._io.close()

    def __del__(self) -> None:
        io = getattr(self, "_io", None)
        if io is not None:
            try:
                io.close()
            except OSError:
                pass
