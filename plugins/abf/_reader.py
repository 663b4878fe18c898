"""Reader for Axon Binary Files, ABF 1.x and 2.x (format ``axon-abf``)."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Union

import numpy as np

from ._deps import (
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    NeurofilesError,
    NotARegularFileError,
    OptionError,
    Reader,
    Source,
    Traces,
    load,
)
from ._header import parse_header
from ._io import RandomAccess
from ._model import AbfHeader
from ._protocol import command_waveforms, digital_outputs
from ._window import Window, check_chunk_size, check_window

__all__ = ["BLOCK_VALUES", "COMMAND_SLACK_BYTES", "MAX_COMMANDS", "MAX_STIMULUS_BYTES", "AbfReader"]

#: A stimulus file larger than this is not read (its DAC stays NaN, with a warning).
MAX_STIMULUS_BYTES = 64 << 20

#: At most this many DAC command waveforms are synthesised (Axon digitizers have 4 or 8 DACs).
MAX_COMMANDS = 8

#: The synthesised command waveforms may take twice the memory of the recorded values plus this.
COMMAND_SLACK_BYTES = 64 << 20

#: Data are read and scaled in pieces of at most this many raw values (8 MiB of int16).
BLOCK_VALUES = 1 << 22


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

    def __init__(
        self,
        source: Source,
        *,
        stimulus_folder: Union[str, "os.PathLike[str]", bool, None] = None,
        t_start: float | None = None,
        t_stop: float | None = None,
        relative: bool = False,
    ) -> None:
        """Read and check the header.

        Parameters
        ----------
        stimulus_folder
            Where to look for the stimulus files DACs play (by base name); None: the
            ABF's own folder; False: do not read stimulus files (their DACs are NaN).
        t_start, t_stop
            Read only the samples with ``t_start <= times < t_stop`` (seconds, on the
            axis of ``Traces.times``); only their bytes are read.
        relative
            Count ``t_start``/``t_stop`` from the first sample's time (0 except for
            event-driven variable-length files).
        """
        super().__init__(source)
        self.window: Window = check_window(t_start, t_stop, relative)
        self._stimulus_folder: Path | None
        if stimulus_folder is None:
            self._stimulus_folder = source.path.parent if source.path is not None else None
        elif stimulus_folder is False:
            self._stimulus_folder = None
        elif isinstance(stimulus_folder, (str, os.PathLike)):
            self._stimulus_folder = Path(os.fspath(stimulus_folder))
        else:
            raise OptionError(f"stimulus_folder must be a folder path, None or False, got {stimulus_folder!r}")
        if source.header[:4] not in (b"ABF ", b"ABF2"):
            raise FormatMismatch("does not start with 'ABF ' or 'ABF2'")
        self._stimulus_paths: dict[int, str] = {}
        self._stimuli: dict[int, Traces | None] = {}  # read once per reader, not once per chunk
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

        With ``t_start``/``t_stop`` only the samples inside the window are read (in
        every sweep). Event-driven variable-length files give one sweep holding the
        events one after the other (no padding); ``metadata["segments"]`` gives each
        event's first row, length and start time, and ``times`` the real time of every row.
        """
        self._warn_leftover()
        if self.head.variable_length:
            return self._variable(self._event_pieces())
        lo, hi = self._fixed_rows()
        return self._fixed(lo, hi - lo, self._metadata())

    def iter_chunks(self, samples: int = 1_000_000) -> Iterator[Traces]:
        """Yield the recording as consecutive :class:`Traces` of at most ``samples`` rows.

        Each chunk has every sweep and channel of its rows (for a gap-free file: a
        stretch of the recording) and ``metadata["first sample"]``, the index of its
        first row in the sweep (in the event concatenation for variable-length files).
        Honours ``t_start``/``t_stop``; only one chunk's bytes are read at a time.
        An empty file or window yields nothing.
        """
        size = check_chunk_size(samples)
        self._warn_leftover()
        if self.head.variable_length:
            pieces = self._event_pieces()
            meta = self._metadata()
            ends = np.cumsum(pieces[:, 2] - pieces[:, 1])
            total = int(ends[-1]) if len(ends) else 0
            begins = ends - (pieces[:, 2] - pieces[:, 1])
            for c0 in range(0, total, size):
                c1 = min(c0 + size, total)
                i0 = int(np.searchsorted(ends, c0, side="right"))
                i1 = int(np.searchsorted(ends, c1, side="left")) + 1
                part = pieces[i0:i1].copy()
                part[0, 1] += c0 - int(begins[i0])
                part[-1, 2] -= int(ends[i1 - 1]) - c1
                yield self._variable(part, meta)
            return
        lo, hi = self._fixed_rows()
        meta = self._metadata()
        for first in range(lo, hi, size):
            yield self._fixed(first, min(size, hi - first), meta)

    def _warn_leftover(self) -> None:
        """Values after the last whole sweep are not in the result: say so."""
        left = self.head.extra.get("leftover values")
        if left:
            h = self.head
            warnings.warn(
                FormatWarning(
                    f"{self.source.name}: the data block holds {left} values after the last of"
                    f" {self.sweep_count} sweeps of {int(h.sweep_lengths[0])} samples x {h.nch} channels"
                    " (an aborted last sweep?); they are not in the result (AbfReader.read_range reads them)"
                ),
                stacklevel=4,
            )

    def _fixed_rows(self) -> tuple[int, int]:
        """``[lo, hi)``: the rows of every sweep inside the window (all rows without one)."""
        h = self.head
        npts = int(h.sweep_lengths[0])
        if not self.window.active:
            return 0, npts
        return self.window.rows(0.0, 0.0, npts, h.interval_us * 1e-6)

    def _event_pieces(self) -> np.ndarray:
        """``(event, lo, hi)`` rows (int64, one per event with rows inside the window)."""
        h = self.head
        lengths = h.sweep_lengths.astype(np.int64)
        lo, hi = np.zeros_like(lengths), lengths
        if self.window.active:
            first = float(h.sweep_starts[0]) if len(h.sweep_starts) else 0.0
            lo, hi = self.window.rows_of(h.sweep_starts, lengths, first, h.interval_us * 1e-6)
        keep = hi > lo
        return np.stack([np.flatnonzero(keep), lo[keep], hi[keep]], axis=1).astype(np.int64)

    def _gains(self) -> tuple[np.ndarray, np.ndarray]:
        gains = np.array([c.gain for c in self.head.channels], dtype=np.float64)
        offsets = np.array([c.offset for c in self.head.channels], dtype=np.float64)
        return gains, offsets

    def _variable(self, pieces: np.ndarray, meta: dict[str, Any] | None = None) -> Traces:
        """The rows ``pieces`` (event, lo, hi) of a variable-length file, concatenated;
        ``meta``: the header metadata, when the caller has it already."""
        h = self.head
        nch = h.nch
        names = self.channel_names
        gains, offsets = self._gains()
        seg, a, b = pieces[:, 0], pieces[:, 1], pieces[:, 2]
        lens = b - a
        total = int(lens.sum())
        rowstart = np.cumsum(lens) - lens
        first_value = h.sweep_offsets[seg] + a * nch  # value index (all channels) where each piece starts
        values = np.empty((total, nch))
        if total:
            span = int(h.sweep_offsets[seg[-1]] + b[-1] * nch - first_value[0])
            breaks = np.flatnonzero(first_value[1:] != (first_value + lens * nch)[:-1]) + 1
            if len(breaks) > 64 and span <= 4 * total * nch + BLOCK_VALUES:
                # many cut pieces close together: one read of their span, then gather the rows
                raw = self._io.read_array(h.data_offset + int(first_value[0]) * h.dtype.itemsize, span, h.dtype)
                index = np.repeat((first_value - first_value[0]) // nch - rowstart, lens) + np.arange(total)
                np.multiply(raw.reshape(-1, nch)[index], gains, out=values)
            else:  # pieces that follow each other in the file are read at once
                for g0, g1 in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [len(pieces)]])):
                    begin, rows = int(first_value[g0]), int(rowstart[g1 - 1] + lens[g1 - 1] - rowstart[g0])
                    raw = self._io.read_array(h.data_offset + begin * h.dtype.itemsize, rows * nch, h.dtype)
                    row = int(rowstart[g0])
                    np.multiply(raw.reshape(rows, nch), gains, out=values[row : row + rows])
        values += offsets
        starts = h.sweep_starts[seg]
        times = np.repeat(starts, lens) + (np.arange(total) - np.repeat(rowstart - a, lens)) / h.rate
        meta = dict(self._metadata() if meta is None else meta)
        meta["segments"] = [
            {"row": int(r), "samples": int(n), "start (s)": float(t), "event": int(e), "first sample": int(f)}
            for r, n, t, e, f in zip(rowstart, lens, starts, seg, a)
        ]
        meta["variant"] = "event-driven variable-length sweeps, concatenated"
        if self.window.active:
            meta["window"] = self.window.as_dict()
        return Traces(
            times, values, names, [c.unit for c in h.channels],
            time_name="Time", time_unit="s", metadata=meta, channel_names=names,
        )

    def _fixed(self, lo: int, n: int, meta: dict[str, Any]) -> Traces:
        """Rows ``lo .. lo + n`` of every sweep of a fixed-length file, read and scaled in pieces."""
        h = self.head
        nch, nsw = h.nch, self.sweep_count
        npts = int(h.sweep_lengths[0])
        names = self.channel_names
        units = [c.unit for c in h.channels]
        gains, offsets = self._gains()
        item = h.dtype.itemsize
        # Column-major: each (sweep, channel) column is contiguous, so scaling streams through
        # the raw block in file order and sweep()/channel() gather whole columns.
        values = np.empty((n, nsw * nch), order="F")
        columns_view = values.T.reshape(nsw, nch, n)  # a view: values.T is C-contiguous
        small = npts * nch * item <= 1 << 16  # reading a whole small sweep costs what a read call does
        if n and (n == npts or small) and npts * nch <= BLOCK_VALUES:  # whole sweeps, several per read
            per = BLOCK_VALUES // (npts * nch)
            for s0 in range(0, nsw, per):
                k = min(per, nsw - s0)
                raw = self._io.read_array(h.data_offset + int(h.sweep_offsets[s0]) * item, k * npts * nch, h.dtype)
                np.multiply(
                    raw.reshape(k, npts, nch)[:, lo : lo + n].transpose(0, 2, 1),
                    gains[:, None],
                    out=columns_view[s0 : s0 + k],
                )
        elif n:
            step = max(1, BLOCK_VALUES // nch)
            for s in range(nsw):
                for a in range(lo, lo + n, step):
                    b = min(a + step, lo + n)
                    at = h.data_offset + (int(h.sweep_offsets[s]) + a * nch) * item
                    raw = self._io.read_array(at, (b - a) * nch, h.dtype)
                    np.multiply(raw.reshape(b - a, nch).T, gains[:, None], out=columns_view[s, :, a - lo : b - lo])
        columns_view += offsets[:, None]
        layout = np.arange(nsw * nch, dtype=np.intp).reshape(nsw, nch)
        titles = [f"Trace #{k + 1}" for k in range(nsw)]
        columns = titles if nch == 1 else [t for t in titles for _ in range(nch)]
        times = (lo + np.arange(n)) / h.rate
        meta = dict(meta)
        meta["command"] = self._commands(titles, npts, times, lo)
        meta["digital outputs"] = digital_outputs(h.dacs, nsw, npts, lo, n)
        for dac in meta["dacs"]:
            if dac["index"] in self._stimulus_paths:
                dac["stimulus file read"] = self._stimulus_paths[dac["index"]]
        if self.window.active or lo or n != npts:
            meta["first sample"] = lo
        if self.window.active:
            meta["window"] = self.window.as_dict()
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

    def _commands(self, titles: list[str], npts: int, times: np.ndarray, lo: int = 0) -> Traces | None:
        """The DAC command waveforms as Traces (sweeps x DACs) at the rows ``lo .. lo + len(times)``
        of sweeps of ``npts`` samples: the DACs that play an epoch waveform and the first DACs up
        to the channel count, at most :data:`MAX_COMMANDS`."""
        h = self.head
        nsw = len(titles)
        rows = len(times)
        dacs = [d for d in h.dacs if (d.waveform_enabled and d.waveform_source in (1, 2)) or d.index < h.nch]
        dacs = dacs[:MAX_COMMANDS]
        if not dacs or rows == 0:
            return None
        stimuli = {
            k: self._stimulus_cached(d) for k, d in enumerate(dacs) if d.waveform_enabled and d.waveform_source == 2
        }
        if any(d.waveform_enabled and d.waveform_source == 1 for d in dacs) or any(
            v is not None for v in stimuli.values()
        ):
            need = rows * nsw * len(dacs) * 8
            budget = 2 * rows * nsw * h.nch * 8 + COMMAND_SLACK_BYTES
            if need > budget:
                warnings.warn(
                    FormatWarning(
                        f"{self.source.name}: the command waveforms of {len(dacs)} DACs would take {need:,} bytes,"
                        f" more than twice the recorded values ({budget - COMMAND_SLACK_BYTES:,} bytes)"
                        f" + {COMMAND_SLACK_BYTES >> 20} MiB; metadata['command'] is None"
                        " (read a time window or chunks to get it)"
                    ),
                    stacklevel=5,
                )
                return None
            values = np.empty((rows, nsw * len(dacs)), order="F")
            for k, d in enumerate(dacs):
                stimulus = stimuli.get(k)
                if stimulus is not None:
                    _play_file(stimulus, d.holding, values[:, k :: len(dacs)], lo)
                else:
                    command_waveforms(d, values[:, k :: len(dacs)], npts, lo)
        else:  # every DAC holds one level (or plays a stimulus file, NaN): a read-only broadcast
            row = np.array(
                [d.holding if not d.waveform_enabled or d.waveform_source == 0 else np.nan for d in dacs]
            )
            values = np.broadcast_to(np.tile(row, nsw), (rows, nsw * len(dacs)))
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

    def _stimulus_cached(self, dac: Any) -> Traces | None:
        """:meth:`_stimulus_file`, read at most once per DAC."""
        if dac.index not in self._stimuli:
            self._stimuli[dac.index] = self._stimulus_file(dac)
        return self._stimuli[dac.index]

    def _stimulus_file(self, dac: Any) -> Traces | None:
        """The ATF or ABF file a DAC plays, found by its base name in the stimulus folder, or None.

        Only the base name of the recorded (Windows) path is used, so nothing
        outside the folder is read. A file that is missing gives None; one that
        cannot be read gives None and a :class:`FormatWarning`.
        """
        if self._stimulus_folder is None or not dac.file_path:
            return None
        base = dac.file_path.replace("\\", "/").rsplit("/", 1)[-1].strip()
        suffix = base.lower()[-4:]
        if base in ("", ".", "..") or "\x00" in base or suffix not in (".atf", ".abf"):
            return None
        path = self._stimulus_folder / base
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                return None
            with os.fdopen(fd, "rb") as stream:
                info = os.fstat(stream.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise NotARegularFileError("not a regular file", path=path)
                if info.st_size > MAX_STIMULUS_BYTES:
                    raise LimitExceededError(
                        f"{info.st_size} bytes is more than a stimulus file may hold here"
                        f" ({MAX_STIMULUS_BYTES})",
                        path=path,
                    )
                if suffix == ".abf":  # its own stimulus files are not followed
                    result = load(stream, format="axon-abf", stimulus_folder=False)
                else:
                    result = load(stream, format="axon-atf")
        except (NeurofilesError, OSError) as exc:
            warnings.warn(
                FormatWarning(f"{self.source.name}: stimulus file {str(path)!r} of {dac.name!r} not read: {exc}"),
                stacklevel=3,
            )
            return None
        if not isinstance(result, Traces) or result.values.shape[1] == 0 or not result.layout.size:
            return None
        self._stimulus_paths[dac.index] = str(path)
        return result

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


def _play_file(stimulus: Traces, holding: float, out: np.ndarray, lo: int = 0) -> None:
    """Fill ``out`` (samples ``lo .. lo + len(out)`` x sweeps) from a stimulus file, as Clampex plays it.

    Sweep ``k`` plays the file's sweep ``k % sweeps`` (first channel), cut to
    the sweep length; a shorter file leaves the rest at the holding level.
    File values are taken in the DAC's unit, as pyabf does (the header's file
    scale and offset are not applied).
    """
    rows, sweeps = out.shape
    for k in range(sweeps):
        column = stimulus.values[lo : lo + rows, int(stimulus.layout[k % stimulus.sweep_count, 0])]
        m = len(column)
        out[:m, k] = column
        out[m:, k] = holding
