"""Known findings, each with a deterministic reproducer built like the generators build them.

A finding is ``open`` while its fix lives on another branch: the CI test of its
reproducer is then ``xfail(strict=True)``, and failures of the generator
variants it explains are not counted against the seeded campaign. After the
fix is merged, set ``open=False`` (the reproducer must then pass, and the
variants count again).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tests.aer import aedat_builders as B

from ..sandbox import Case
from ._common import traces_truth
from .binary import (_aedat4_file, _bomb, _deflate_bomb, _lz4_frame, _npy, _traces_head, _zip, _STREAMS, aedat4_inflated,
                     npz_inflated)

MIB = 1 << 20


@dataclass(frozen=True)
class Known:
    id: str
    branch: str
    reason: str
    family: str
    #: generator variants whose failures (of these classes) this finding explains
    variants: tuple[str, ...]
    classes: tuple[str, ...]
    build: Callable[[], Case]
    open: bool = True

    def explains(self, case: Case, klass: str) -> bool:
        return self.open and case.family == self.family and case.variant in self.variants and klass in self.classes


def _threads_empty_cells() -> Case:
    # 12 MB, cut for two threads: the first thread's range holds only rows of empty cells
    # (4 bytes each), fewer bytes per row than the engine's row estimate assumed
    empty, numeric = 1_499_996, 750_000
    data = b'ATF,1.0\n0,4\n"a","b","c","d"\n' + b",,,\n" * empty + b"1,2,3,4\n" * numeric
    values = np.full((empty + numeric, 4), np.nan)
    values[empty:] = [1, 2, 3, 4]
    return Case("axon-atf", "valid-empty-rows", "cells.atf", data, truth=traces_truth(None, values))


def _csv_empty_rows() -> Case:
    return Case("csv", "hostile-empty-rows", "table.csv", b"a,b\n" + b",\n" * 1_000_000)


def _csv_long_header() -> Case:
    names = [f"column number {i} (mV)" for i in range(250)]
    head = ",".join(names).encode() + b"\n"
    return Case("csv", "valid-long-lines", "table.csv", head + b",".join([b"1"] * 250) + b"\n",
                truth=traces_truth(None, np.ones((1, 250))))


def _neuron_single_line() -> Case:
    values = np.arange(1500, dtype=np.float64) * 0.5
    data = b" ".join(repr(float(v)).encode() for v in values) + b" \n"
    return Case("neuron-dat", "valid-single-line-long", "vec.dat", data, truth=traces_truth(None, values[:, None]))


def _neuron_count_digits() -> Case:
    return Case("neuron-dat", "hostile-count", "trace.dat", b"9" * 4400 + b"\n1\t2\n3\t4\n",
                force="neuron-dat")


def _neuron_tail_digits() -> Case:
    return Case("neuron-dat", "hostile-tail-digits", "trace.dat", b"0 0\n" + b"9" * 4200 + b"x\n")


def _neuron_long_line() -> Case:
    return Case("neuron-dat", "hostile-long-line", "trace.dat", b"1 " * (8 * MIB) + b"\n", force="neuron-dat")


def _atf_titles() -> Case:
    return Case("axon-atf", "hostile-titles", "sweep.atf", b"ATF\t1.0\n0\t2\n" + b'""\t' * 2**20 + b"\n0\t1\n")


def _atf_count_digits() -> Case:
    return Case("axon-atf", "hostile-counts", "sweep.atf", b"ATF\t1.0\n" + b"9" * 4400 + b'\t2\n"T (s)"\t"A"\n0\t1\n')


def _atf_columns() -> Case:
    n = 2**20 + 1
    return Case("axon-atf", "hostile-columns", "sweep.atf", b"ATF\t1.0\n0\t%d\n" % n + b'"a"\t' * n + b"\n" + b"1\t" * n + b"\n")


def _aedat_creation_time() -> Case:
    return Case("aedat", "hostile-creation-time", "rec.aedat",
                b"#!AER-DAT2.0\r\n# Creation time: System.currentTimeMillis() " + b"9" * 4400
                + b"\r\n#End Of ASCII Header\r\n" + struct.pack(">Ii", 1, 2))


def _aedat_tick() -> Case:
    return Case("aedat", "hostile-tick", "rec.aedat",
                b"#!AER-DAT2.0\r\n# Timestamps tick is 1e999 us\r\n#End Of ASCII Header\r\n" + struct.pack(">Ii", 1, 2))


def _vwrite_ragged() -> Case:
    long_n = 1 << 20
    data = struct.pack("<ii", long_n, 4) + bytes(8 * long_n) + struct.pack("<ii", 0, 4) * 100_000
    return Case("neuron-vwrite", "hostile-ragged-many", "v.vec", data, force="neuron-vwrite")


def _npz(col: bytes, head_text: str | None = None) -> bytes:
    import json

    text = head_text if head_text is not None else json.dumps(_traces_head(1, False, {}))
    return _zip([("col0.npy", col), ("__neurofiles__.npy", _npy(np.array(text)))], True)


def _npz_shape() -> Case:
    from .binary import _npy_header

    return Case("npz", "hostile-shape", "data.npz", _npz(_npy_header("<f8", (2**40,)) + bytes(24)))


def _npz_deflate() -> Case:
    data = _npz(_deflate_bomb(1 << 24))
    return Case("npz", "hostile-deflate-bomb", "data.npz", data, inflated=npz_inflated(8 << 24, len(data)))


def _npz_deep_json() -> Case:
    import json

    head = _traces_head(1, False, {"x": "PLACEHOLDER"})
    text = json.dumps(head).replace('"PLACEHOLDER"', "[" * 100_000 + "]" * 100_000)
    return Case("npz", "hostile-deep-json", "data.npz", _npz(_npy(np.zeros(3)), text))


def _aedat4_total_bomb() -> Case:
    packets = [(0, _bomb("zstd", 256 * MIB - 64))] * 24
    data = _aedat4_file(3, B.info_node(_STREAMS, "zstd"), packets)
    return Case("aedat4", "hostile-bomb", "rec.aedat4", data, inflated=aedat4_inflated(24 * 256 * MIB, len(data)))


def _aedat4_lz4_frame() -> Case:
    frame = _lz4_frame(64 * MIB, "checksums")  # block and content checksums: the walk cannot size it
    data = _aedat4_file(1, B.info_node(_STREAMS, "lz4"), [(0, frame)])
    return Case("aedat4", "hostile-lz4-frame", "rec.aedat4", data, inflated=aedat4_inflated(64 * MIB, len(data)))


def _aedat4_deep_xml() -> Case:
    depth = 200_000
    info = '<dv version="2.0">' + '<node name="a" path="/a/">' * depth + "</node>" * depth + "</dv>"
    body = B.compress(B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])), "lz4")
    return Case("aedat4", "hostile-deep-xml", "rec.aedat4", _aedat4_file(1, info, [(0, body)]))


def _aeidx_blank_lines() -> Case:
    data = b"\n" * 40_000_000  # just under max_entries x 4096 bytes
    return Case("aeidx", "hostile-blank-lines", "set.aeidx", data, cpu_limit=3.0 + 1e-7 * len(data))


def _atf_whitespace_lines() -> Case:
    return Case("axon-atf", "hostile-blank-lines", "sweep.atf",
                b'ATF\t1.0\n0\t3\n"A"\t"B"\t"C"\n' + b"\t\t\n" * 400_000)


def _atf_title_as_row() -> Case:
    # line 2 declares 0 records and 1 column, but one record and two titles follow
    return Case("axon-atf", "valid-wrong-counts", "sweep.atf", b'ATF\t1.0\n0\t1\n"YTop="\n"A","B"\n1,2\n',
                truth=traces_truth(None, np.array([[1.0, 2.0]])))


def _neuron_long_first_rows() -> Case:
    big = "9" * 4300
    data = f"t v\n0.5\t{big}\n1.5\t2\n".encode()
    return Case("neuron-dat", "valid-name-line-long-lines", "trace.dat", data,
                truth=traces_truth(np.array([0.5, 1.5]), np.array([[float(big)], [2.0]])))


def _aedat4_empty_lz4_packet() -> Case:
    # a packet header declaring 0 bytes, in an LZ4 file: the decoder hands b"" to lz4.frame
    body = B.compress(B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])), "lz4")
    data = _aedat4_file(1, B.info_node(_STREAMS, "lz4"), []) + struct.pack("<ii", 0, 0) + body
    return Case("aedat4", "hostile-packet-header", "rec.aedat4", data)


def _npz_head_types() -> Case:
    import json

    head = _traces_head(1, False, {})
    head["attrs"] = 5  # JSON of the right shape but a field of the wrong type
    return Case("npz", "hostile-head-types", "data.npz", _npz(_npy(np.zeros(3)), json.dumps(head)))


TEXT = "text"
NEW = "none yet (new finding of the structured fuzzer; text readers)"
AER = "aer"

KNOWN: tuple[Known, ...] = (
    Known("native-threads-empty-cells", TEXT, "native engine with 2 threads overwrote rows of empty cells",
          "axon-atf", ("valid-empty-rows",), ("WRONG",), _threads_empty_cells, open=False),
    Known("csv-empty-rows-memory", TEXT, "10^6 CSV rows of empty cells: memory beyond 10x the file",
          "csv", ("hostile-empty-rows", "valid-empty-rows"), ("MEMORY",), _csv_empty_rows, open=False),
    Known("csv-long-header", TEXT, "CSV whose header and first row exceed the 4 KiB probe is not recognised",
          "csv", ("valid-long-lines",), ("WRONG",), _csv_long_header, open=False),
    Known("neuron-single-line-long", TEXT, "single-line Vector.printf over 4 KiB is not detected",
          "neuron-dat", ("valid-single-line-long",), ("WRONG",), _neuron_single_line, open=False),
    Known("neuron-count-digits", TEXT, "NEURON count line of 4,400 digits: int() ValueError escapes",
          "neuron-dat", ("hostile-count", "hostile-rc-count", "hostile-label-count", "hostile-pwm-count"),
          ("UNTYPED",), _neuron_count_digits, open=False),
    Known("neuron-tail-digits", TEXT, "b'0 0\\n' + b'9'*4200 + b'x\\n' raises IndexError",
          "neuron-dat", ("hostile-tail-digits",), ("UNTYPED",), _neuron_tail_digits, open=False),
    Known("neuron-long-line", TEXT, "a single data line of many MiB: memory beyond 10x the file",
          "neuron-dat", ("hostile-long-line",), ("MEMORY", "HANG", "UNTYPED"), _neuron_long_line, open=False),
    Known("atf-titles-memory", TEXT, "ATF title line of 2**20 empty titles: memory",
          "axon-atf", ("hostile-titles",), ("MEMORY", "HANG"), _atf_titles, open=False),
    Known("atf-count-digits", TEXT, "ATF line-2 count of 4,400 digits: int() ValueError escapes",
          "axon-atf", ("hostile-counts", "hostile-version"), ("UNTYPED",), _atf_count_digits, open=False),
    Known("atf-columns", TEXT, "more than 2**20 ATF columns", "axon-atf", ("hostile-columns",),
          ("MEMORY", "HANG", "UNTYPED"), _atf_columns, open=False),
    Known("aedat-creation-time-digits", AER, "AEDAT creation time of 4,400 digits: int() ValueError escapes",
          "aedat", ("hostile-creation-time",), ("UNTYPED",), _aedat_creation_time, open=False),
    Known("aedat-tick-1e999", AER, "tick line 1e999 us: ValueError from Events escapes",
          "aedat", ("hostile-tick",), ("UNTYPED",), _aedat_tick, open=False),
    Known("vwrite-ragged-memory", TEXT, "vwrite records of very different lengths padded into one huge array",
          "neuron-vwrite", ("hostile-ragged-many",), ("MEMORY",), _vwrite_ragged, open=False),
    Known("npz-declared-shape", TEXT, "npy member declaring shape (2**40,): MemoryError", "npz",
          ("hostile-shape",), ("MEMORY",), _npz_shape, open=False),
    Known("npz-deflate-bomb", TEXT, "deflate bomb member: memory beyond 10x the file", "npz",
          ("hostile-deflate-bomb",), ("MEMORY",), _npz_deflate, open=False),
    Known("npz-deep-json", TEXT, "100,000-deep metadata JSON: RecursionError", "npz",
          ("hostile-deep-json",), ("UNTYPED", "MEMORY"), _npz_deep_json, open=False),
    Known("aedat4-total-bomb", AER, "24 x 256 MiB ZSTD packets from a small file", "aedat4",
          ("hostile-bomb",), ("MEMORY", "HANG"), _aedat4_total_bomb, open=False),
    Known("aedat4-lz4-frame", AER, "LZ4 frame that cannot be walked", "aedat4", ("hostile-lz4-frame",),
          ("UNTYPED", "MEMORY"), _aedat4_lz4_frame, open=False),
    Known("aedat4-deep-xml", AER, "200,000-deep infoNode XML", "aedat4", ("hostile-deep-xml",),
          ("UNTYPED", "MEMORY", "HANG"), _aedat4_deep_xml, open=False),
    Known("atf-whitespace-lines-slow", NEW, "400,000 ATF lines of tabs and no data row (1.2 MB) exceed the 5.4 s CPU limit (numpy engine, ~80 us a line)",
          "axon-atf", ("hostile-blank-lines",), ("HANG",), _atf_whitespace_lines, open=False),
    Known("atf-title-line-read-as-row", NEW, "ATF line 2 '0<TAB>1' with a record present: the title line "
          "becomes a row of NaN and the record a title", "axon-atf", ("valid-wrong-counts",), ("WRONG",),
          _atf_title_as_row, open=False),
    Known("neuron-long-first-rows", NEW, "NEURON table whose header and first row exceed the 4 KiB probe "
          "is not detected (like the single-line printf finding)", "neuron-dat",
          tuple(f"valid-{v}-long-lines" for v in ("clipboard", "clipboard-rc", "clipboard-nocount", "count-only",
                                                  "name-line", "printf")), ("WRONG",), _neuron_long_first_rows, open=False),
    Known("aedat4-empty-lz4-packet", "none yet (new finding; aer, maybe fixed by its LZ4 rework)",
          "a 0-byte LZ4 packet in a 700-byte file: MemoryError escapes from lz4.frame", "aedat4",
          ("hostile-packet-header",), ("MEMORY",), _aedat4_empty_lz4_packet, open=False),
    Known("npz-head-types", "none yet (new finding; tabular npz reader)",
          "__neurofiles__ JSON with a field of the wrong type (attrs=5, columns=null...): AttributeError/TypeError "
          "escapes (_tabular.py:250, _npz.py:146/147/158)", "npz", ("hostile-head-types",), ("UNTYPED",),
          _npz_head_types, open=False),
    Known("aeidx-blank-lines", AER, ".aeidx of 40 MB of blank lines takes seconds", "aeidx",
          ("hostile-blank-lines",), ("HANG",), _aeidx_blank_lines, open=False),
)


def explained(case: Case, klass: str) -> Known | None:
    """The open finding that explains this outcome, if any."""
    return next((k for k in KNOWN if k.explains(case, klass)), None)
