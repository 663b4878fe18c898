"""The parsed, validated facts of an ABF header (shared by ABF 1.x and ABF 2.x)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["EPOCH_TYPES", "MODES", "AbfHeader", "Channel", "Dac", "Epoch", "Tag"]

#: nOperationMode values.
MODES = {
    1: "event-driven, variable length",
    2: "event-driven, fixed length",
    3: "gap-free",
    4: "high-speed oscilloscope",
    5: "episodic stimulation",
}

#: nEpochType values.
EPOCH_TYPES = {0: "Off", 1: "Step", 2: "Ramp", 3: "Pulse", 4: "Tri", 5: "Cos", 7: "BiPhsc"}


@dataclass
class Channel:
    """One recorded (ADC) channel: value = raw * gain + offset."""

    name: str
    unit: str
    adc: int
    gain: float
    offset: float
    telegraph: dict[str, float] = field(default_factory=dict)


@dataclass
class Epoch:
    """One column of a DAC's waveform table (durations in samples per channel)."""

    number: int
    type: int
    level: float
    level_inc: float
    duration: int
    duration_inc: int
    pulse_period: int = 0
    pulse_width: int = 0
    digital: int = 0

    @property
    def letter(self) -> str:
        """Clampex's epoch letter: A, B, ... Z, AA ..."""
        n, out = self.number, ""
        while True:
            out = chr(65 + n % 26) + out
            n = n // 26 - 1
            if n < 0:
                return out

    @property
    def type_name(self) -> str:
        """``Step``, ``Ramp``... or ``Unknown``."""
        return EPOCH_TYPES.get(self.type, "Unknown")

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for ``metadata``."""
        return {
            "epoch": self.letter,
            "type": self.type_name,
            "type code": self.type,
            "level": self.level,
            "level increment": self.level_inc,
            "duration": self.duration,
            "duration increment": self.duration_inc,
            "pulse period": self.pulse_period,
            "pulse width": self.pulse_width,
            "digital": self.digital,
        }


@dataclass
class Dac:
    """One analog output (command) channel and its waveform table."""

    index: int
    name: str
    unit: str
    holding: float
    waveform_enabled: bool
    waveform_source: int  # 0 none, 1 epoch table, 2 stimulus file
    keep_last_level: bool  # nInterEpisodeLevel: hold the last epoch level between sweeps
    file_path: str = ""
    epochs: list[Epoch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for ``metadata``."""
        return {
            "index": self.index,
            "name": self.name,
            "unit": self.unit,
            "holding": self.holding,
            "waveform enabled": self.waveform_enabled,
            "waveform source": {0: "none", 1: "epochs", 2: "file"}.get(self.waveform_source, "unknown"),
            "inter-sweep level": "last epoch level" if self.keep_last_level else "holding",
            "stimulus file": self.file_path,
            "epochs": [e.as_dict() for e in self.epochs],
        }


@dataclass
class Tag:
    """A comment placed during the recording."""

    time: float  # seconds from the start of the recording
    comment: str
    type: int


@dataclass
class AbfHeader:
    """Everything the reader needs, validated against the file size."""

    path: str
    version: str
    major: int
    mode: int
    data_offset: int
    dtype: np.dtype
    data_count: int  # values in the data block (all channels)
    interval_us: float  # per-channel sample interval
    channels: list[Channel]
    sweep_offsets: np.ndarray  # first value index (multiplexed, all channels) of each sweep
    sweep_lengths: np.ndarray  # samples per channel of each sweep
    sweep_starts: np.ndarray  # seconds from the start of the recording
    start: dt.datetime | None
    dacs: list[Dac]
    tags: list[Tag]
    protocol_path: str
    comment: str
    creator: str
    guid: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Samples per second per channel."""
        return 1e6 / self.interval_us

    @property
    def nch(self) -> int:
        """Number of recorded channels."""
        return len(self.channels)

    @property
    def variable_length(self) -> bool:
        """True when sweeps differ in length (event-driven variable-length mode)."""
        return bool(self.sweep_lengths.size) and bool(np.any(self.sweep_lengths != self.sweep_lengths[0]))

    @property
    def mode_name(self) -> str:
        """``episodic stimulation``, ``gap-free``..."""
        return MODES.get(self.mode, f"unknown ({self.mode})")
