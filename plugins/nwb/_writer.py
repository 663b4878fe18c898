"""The ``nwb`` writer: session facts from the file and the options, then the content (see ``_content``).

Described in ``spec/formats/nwb.md``. Nothing is invented: subject facts and
the session description come only from writer options; a file with no
recording start time needs ``session_start_time``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from typing import IO, Any

import h5py  # type: ignore[import-untyped]
from pynwb import NWBHDF5IO, NWBFile  # type: ignore[import-untyped]
from pynwb.file import Subject  # type: ignore[import-untyped]

from ._content import add_events, add_traces
from ._deps import Events, OptionError, Traces

__all__ = ["write_nwb"]

_SEXES = ("M", "F", "U", "O")


def _text(name: str, value: Any) -> str | None:
    """An option as a non-empty string (``-W`` turns ``001`` into an int), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError(f"nwb writer option {name} must be text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise OptionError(f"nwb writer option {name} is empty")
    return text


def _start_time(data: Any, option: Any) -> dt.datetime:
    """The session start: the option, else the file's recording start; timezone-aware."""
    start: dt.datetime
    if option is not None:
        if isinstance(option, dt.datetime):
            start = option
        else:
            text = _text("session_start_time", option)
            assert text is not None
            try:
                start = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise OptionError(
                    f"session_start_time {text!r} is not an ISO 8601 date and time (2018-07-02T09:29:04)"
                ) from None
    else:
        recorded = data.metadata.get("start") if isinstance(data.metadata, dict) else None
        found: dt.datetime | None = None
        if isinstance(recorded, dt.datetime):
            found = recorded
        elif isinstance(recorded, str) and recorded:
            try:
                found = dt.datetime.fromisoformat(recorded)
            except ValueError:
                found = None
        if found is None:
            raise OptionError(
                "the file holds no recording start time, which NWB requires: pass session_start_time="
                "'2024-01-31T14:05:00' (CLI: -W session_start_time=2024-01-31T14:05:00)"
            )
        start = found
    # Clampex writes local wall-clock time without a zone: read it in this machine's zone.
    return start if start.tzinfo is not None else start.astimezone()


def _subject(options: dict[str, Any]) -> Subject | None:
    facts = {key: _text(key, options.get(key)) for key in ("subject_id", "species", "sex", "age")}
    description = _text("subject_description", options.get("subject_description"))
    if not any(facts.values()) and description is None:
        return None
    if facts["sex"] is not None and facts["sex"] not in _SEXES:
        raise OptionError(f"sex must be one of {', '.join(_SEXES)} (NWB best practice), got {facts['sex']!r}")
    if facts["age"] is not None and not facts["age"].startswith("P"):
        raise OptionError(f"age must be an ISO 8601 duration such as P90D, got {facts['age']!r}")
    return Subject(
        subject_id=facts["subject_id"],
        species=facts["species"],
        sex=facts["sex"],
        age=facts["age"],
        description=description,
    )


def write_nwb(
    stream: IO[bytes],
    data: Any,
    *,
    path: Any = None,
    session_description: str | None = None,
    session_start_time: Any = None,
    identifier: str | None = None,
    subject_id: str | None = None,
    species: str | None = None,
    sex: str | None = None,
    age: str | None = None,
    subject_description: str | None = None,
    experimenter: str | None = None,
    lab: str | None = None,
    institution: str | None = None,
    experiment_description: str | None = None,
    cell_id: str | None = None,
    time_unit: str | None = None,
    rate: float | None = None,
    max_units: int = 4096,
) -> None:
    """Write ``data`` (Traces or Events) as one NWB 2 file.

    Parameters
    ----------
    session_description
        Free text; default: which file and format the data came from (a fact, not a guess).
    session_start_time
        ISO 8601 date and time; default: the recording start the file holds (ABF), required otherwise.
    identifier
        Unique file identifier; default: the ABF GUID when there is one, else a random UUID.
    subject_id, species, sex, age, subject_description
        Subject facts, written only when given (``sex`` one of M/F/U/O, ``age`` ISO 8601 like ``P90D``).
    experimenter, lab, institution, experiment_description
        Optional session facts.
    cell_id
        Identifier of the recorded cell, given to every intracellular electrode (patch-clamp files).
    time_unit
        Unit of the time column when the file does not say (NEURON ``.dat``: ``ms``).
    rate
        Samples per second for traces without a time column.
    max_units
        At most this many distinct AER addresses become ``Units``; more go to an event table.
    """
    if not isinstance(data, (Traces, Events)):
        raise OptionError(f"the nwb writer writes Traces or Events, not {type(data).__name__}")
    options = {"subject_id": subject_id, "species": species, "sex": sex, "age": age,
               "subject_description": subject_description}
    source = str(data.metadata.get("source") or "")
    fmt = str(data.metadata.get("format") or type(data).__name__)
    description = _text("session_description", session_description) or (
        f"{type(data).__name__} converted by neurofiles from {os.path.basename(source) or 'memory'} ({fmt})"
    )
    guid = str(data.metadata.get("guid") or "").strip()
    if not guid.strip("0-{}"):  # ABF 1 files have an empty or all-zero GUID
        guid = ""
    ident = _text("identifier", identifier) or guid or str(uuid.uuid4())
    if not isinstance(max_units, int) or isinstance(max_units, bool) or max_units < 0:
        raise OptionError(f"max_units must be a non-negative integer, got {max_units!r}")
    extra: dict[str, Any] = {}
    for key, value in (
        ("experimenter", experimenter),
        ("lab", lab),
        ("institution", institution),
        ("experiment_description", experiment_description),
    ):
        text = _text(key, value)
        if text is not None:
            extra[key] = [text] if key == "experimenter" else text
    protocol = data.metadata.get("protocol")
    nwbfile = NWBFile(
        session_description=description,
        identifier=ident,
        session_start_time=_start_time(data, session_start_time),
        subject=_subject(options),
        protocol=str(protocol) if protocol else None,
        notes=str(data.metadata.get("comment") or "") or None,
        source_script=f"neurofiles {fmt} reader" if source else None,
        source_script_file_name=os.path.basename(source) or None,
        **extra,
    )
    if isinstance(data, Traces):
        add_traces(nwbfile, data, time_unit=time_unit, rate=rate, cell_id=_text("cell_id", cell_id))
    else:
        add_events(nwbfile, data, max_units=max_units)
    # h5py needs a readable, seekable file: build the file in an anonymous temporary file, then copy.
    with tempfile.TemporaryFile() as tmp:
        with h5py.File(tmp, "w") as h5, NWBHDF5IO(file=h5, mode="w") as io:
            io.write(nwbfile)
        tmp.seek(0)
        shutil.copyfileobj(tmp, stream, 1 << 20)
