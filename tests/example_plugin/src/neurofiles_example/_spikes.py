"""A spike-list text format: ``#SPIKES 1`` then ``index,time`` lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatMismatch, Reader, Source

MAGIC = b"#SPIKES 1"


@dataclass
class SpikeList:
    """Spikes as parallel arrays of neuron indices and times in seconds."""

    indices: np.ndarray
    times: np.ndarray

    def __repr__(self) -> str:
        return f"<SpikeList {len(self.indices)} spikes>"


class SpikesReader(Reader):
    """Reads ``.spk`` files; ``scale`` multiplies the times."""

    def __init__(self, source: Source, *, scale: float = 1.0) -> None:
        super().__init__(source)
        if not source.header.startswith(MAGIC):
            raise FormatMismatch("does not start with #SPIKES 1")
        self.scale = scale

    def read(self) -> SpikeList:
        with self.source.open() as stream:
            lines = stream.read().decode("ascii", "replace").splitlines()[1:]
        indices, times = [], []
        for number, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            fields = line.split(",")
            try:
                indices.append(int(fields[0]))
                times.append(float(fields[1]) * self.scale)
            except (ValueError, IndexError):
                raise CorruptFileError(f"expected 'index,time', got {line!r}", path=self.source.name, line=number) from None
        return SpikeList(np.asarray(indices, dtype=np.int64), np.asarray(times, dtype=np.float64))

    def summary(self) -> dict[str, object]:
        return {"version": 1}


def write_spikes(stream, data: SpikeList, *, path=None) -> None:
    """Write a :class:`SpikeList`."""
    stream.write(MAGIC + b"\n")
    for index, time in zip(data.indices.tolist(), data.times.tolist()):
        stream.write(f"{index},{time!r}\n".encode("ascii"))
