"""Regenerate the NEURON and ATF conformance vectors (small files + expected JSON).

Run from the repository root: ``python spec/vectors/make_text_vectors.py``.
The files follow the byte layouts in ``spec/formats/neuron-dat.md`` and
``spec/formats/axon-atf.md``; NEURON's own formats are reproduced with the
same printf formats NEURON uses (``%g``, ``" %-8.3g"``, ...). Expected values are
derived from the numbers written, not from our reader.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 6
T = [i * 0.025 for i in range(N)]
V = [-65.0, -64.9993, -64.9985, -64.9978, -64.997, -64.9963]
M = [0.0529325, 0.0529325, 0.0529326, 0.0529327, 0.0529327, 0.0529328]


def g(x: float) -> str:
    return "%g" % x


def rows(fmt: str, *cols: list[float]) -> str:
    return "".join(fmt % vals for vals in zip(*cols))


def expected(shape, first, last, **extra):
    return {"shape": list(shape), "first": first, "last": last, **extra}


def neuron_vectors() -> dict[str, dict]:
    out: dict[str, tuple[bytes, dict]] = {}
    pairs = rows("%g\t%g\n", T, V)
    tg = [float(g(t)) for t in T]
    first2, last2 = [tg[0], V[0]], [tg[-1], V[-1]]
    out["clipboard.dat"] = (
        f"label:soma.v(0.5)\n{N}\n{pairs}".encode(),
        expected((N, 2), first2, last2, variant="clipboard", label="soma.v(0.5)", times=True),
    )
    out["clipboard_crlf.dat"] = (
        f"label:v(.5)\n{N}\n{pairs}\n\n".replace("\n", "\r\n").encode(),
        expected((N, 2), first2, last2, variant="clipboard", label="v(.5)", times=True),
    )
    out["clipboard_no_count.dat"] = (
        f"label:soma.v(0.5)\n{pairs}".encode(),
        expected((N, 2), first2, last2, variant="clipboard without count line", times=True),
    )
    out["count_only.dat"] = (
        f"{N}\n{pairs}".encode(),
        expected((N, 2), first2, last2, variant="count line without label", times=True),
    )
    out["rows_cols_count.dat"] = (
        f"label:v(.5)\n{N} 2\n{pairs}".encode(),
        expected((N, 2), first2, last2, variant="clipboard with rows/columns count line", times=True),
    )
    out["one_row.dat"] = (
        b"label:v(.5)\n1\n0\t-65\n",
        expected((1, 2), [0.0, -65.0], [0.0, -65.0], times=True, variant="clipboard"),
    )
    out["empty_clipboard.dat"] = (
        b"label:v(.5)\n0\n",
        expected((0, 2), None, None, times=True, variant="clipboard"),
    )
    out["blank_lines.dat"] = (
        f"\n\nlabel:v(.5)\n\n{N}\n{pairs}\n\n".replace(f"{g(T[2])}\t", f"\n{g(T[2])}\t").encode(),
        expected((N, 2), first2, last2, variant="clipboard", times=True),
    )
    out["count_mismatch.dat"] = (
        f"label:v(.5)\n{N + 3}\n{pairs}".encode(),
        expected(
            (N, 2),
            first2,
            last2,
            variant="clipboard",
            times=True,
            warning=True,
            strict_error="CorruptFileError",
            error_line=2,
        ),
    )
    out["file_printf_tab.dat"] = (
        pairs.encode(),
        expected((N, 2), first2, last2, variant="table (File.printf / np.savetxt)", times=True),
    )
    out["file_printf_space.dat"] = (
        rows("%g %g\n", T, V).encode(),
        expected((N, 2), first2, last2, variant="table (File.printf / np.savetxt)", times=True),
    )
    tv = np.column_stack([T, V])
    sav = "".join(" ".join("%.18e" % x for x in row) + "\n" for row in tv)
    out["np_savetxt.dat"] = (
        sav.encode(),
        expected(
            (N, 2), [T[0], V[0]], [T[-1], V[-1]], times=True, variant="table (File.printf / np.savetxt)"
        ),
    )
    multi = "t\tv\tm\n" + rows("%.17g\t%.17g\t%.17g\n", T, V, M)
    out["file_printf_multicol.dat"] = (
        multi.encode(),
        expected(
            (N, 3),
            [T[0], V[0], M[0]],
            [T[-1], V[-1], M[-1]],
            times=True,
            variant="table with column-name line",
            columns=["v", "m"],
            time_name="t",
        ),
    )
    mf = f"{N} 3\n" + "".join("".join(" %-8.3g" % x for x in row) + "\n" for row in zip(T, V, M))
    r3 = [[float("%.3g" % x) for x in row] for row in zip(T, V, M)]
    out["matrix_fprint.dat"] = (
        mf.encode(),
        expected((N, 3), r3[0], r3[-1], times=True, variant="Matrix.fprint"),
    )
    mfn = "".join("".join("%g\t" % x for x in row) + "\n" for row in zip(T, V, M))
    rg = [[float(g(x)) for x in row] for row in zip(T, V, M)]
    out["matrix_fprint_nohdr.dat"] = (
        mfn.encode(),
        expected((N, 3), rg[0], rg[-1], times=True, variant="table (File.printf / np.savetxt)"),
    )
    vp = "".join(g(v) + "\n" for v in V) + "\n"
    out["vec_printf.dat"] = (
        vp.encode(),
        expected((N, 1), [V[0]], [V[-1]], times=False, variant="Vector.printf (values only)"),
    )
    vl = "".join("%.6f " % v for v in V) + "\n"
    out["vec_printf_line.dat"] = (
        vl.encode(),
        expected((N, 1), [V[0]], [V[-1]], times=False, variant="single-line vector"),
    )
    pwm = (
        "Graph addvar/addexpr lines\n2 %d\nx soma.v(0.5) soma.m_hh(0.5)\n" % N
        + rows("%g\t%g\t%g\n", T, V, M)
        + "1 unlabeled lines\n3\n"
        + rows("%g\t%g\n", T[:3], V[:3])
    )
    out["pwm_ascii.txt"] = (
        pwm.encode(),
        expected(
            (N, 3),
            rg[0],
            rg[-1],
            times=True,
            variant="PrintWindowManager Ascii",
            columns=["soma.v(0.5)", "soma.m_hh(0.5)"],
            curves=3,
        ),
    )
    out["pwm_polylines_bad.txt"] = (
        b"PolyLines\nx a b\n2 rows, 2 columns\n0\t1\t2\n1\t2\t3\n",
        {"error": "CorruptFileError", "error_line": 3, "message": "rows, 3 columns"},
    )
    manifest = (
        b"Graph addvar/addexpr lines\n1 2\nx v\n0\t1\n1\t2\n0 unlabeled lines\n"
        b"PolyLines\nLine Manifest:\n2\n3\nEnd of Line Manifest\n2\n0\t0\n1\t1\n3\n0\t5\n1\t6\n2\t7\n"
    )
    out["pwm_two_graphs_manifest.txt"] = (
        manifest,
        expected(
            (2, 2),
            [0.0, 1.0],
            [1.0, 2.0],
            times=True,
            variant="PrintWindowManager Ascii",
            curves=3,
            columns=["v"],
        ),
    )
    out["graph_printfile.eps"] = (
        b"%!PS-Adobe-2.0 EPSF-1.2\n%%Creator: InterViews\n%%BoundingBox: 0 0 100 100\n",
        {"error": "CorruptFileError", "error_line": 1, "message": "PostScript", "format": "neuron-dat"},
    )
    out["bad_cell.dat"] = (
        f"label:v\n{N}\n{pairs}".replace("-64.997\n", "-64.9x7\n").encode(),
        {"error": "CorruptFileError", "error_line": 7, "message": "-64.9x7"},
    )
    out["huge_count.dat"] = (
        f"label:v\n{10**15}\n{pairs}".encode(),
        {"error": "LimitExceededError", "error_line": 2},
    )
    # binary Vector.vwrite records, little-endian as NEURON writes on x86/ARM
    from neurofiles.plugins.neuron._vwrite import encode_record  # same rules as NEURON's v_vwrite

    x = np.array(V)
    for vtype, tol in ((1, 0.5), (2, 2e-3), (3, 1e-5), (4, 0.0), (5, 1.0)):
        out[f"vwrite_t{vtype}.dat"] = (
            encode_record(x, vtype),
            expected((N, 1), [V[0]], [V[-1]], times=False, tolerance=tol, format="neuron-vwrite"),
        )
    out["vwrite_tv.dat"] = (
        encode_record(np.array(T)) + encode_record(x),
        expected((N, 2), [T[0], V[0]], [T[-1], V[-1]], times=False, format="neuron-vwrite"),
    )
    out["vwrite_big_endian.dat"] = (
        encode_record(x, 4, ">"),
        expected((N, 1), [V[0]], [V[-1]], times=False, format="neuron-vwrite"),
    )
    out["vwrite_truncated.dat"] = (
        encode_record(x)[:-3],
        {
            "error": "FormatMismatchError",
            "format": "neuron-vwrite",
            "explicit": True,
            "message": "needs 56 bytes",
        },
    )
    # headers copied from files NEURON 9.0.2 wrote (see the NEURON notes), payload cut to 3 items
    sf1, min1 = struct.unpack("<dd", bytes.fromhex("c1c2317135ca0140ca164e8db9d052c0"))
    t1 = struct.pack("<ii", 3, 1) + struct.pack("<dd", sf1, min1) + bytes.fromhex("979797")
    e1 = (-105 + 128) / sf1 + min1
    out["vwrite_t1_neuron_bytes.dat"] = (
        t1,
        expected((3, 1), [e1], [e1], times=False, format="neuron-vwrite"),
    )
    sf2 = struct.unpack("<d", bytes.fromhex("84f4a2a6ffdb8140"))[0]
    t2 = struct.pack("<ii", 3, 2) + struct.pack("<dd", sf2, min1) + bytes.fromhex("e816e816e916")
    out["vwrite_t2_neuron_bytes.dat"] = (
        t2,
        expected((3, 1), [0x16E8 / sf2 + min1], [0x16E9 / sf2 + min1], times=False, format="neuron-vwrite"),
    )
    out["vwrite_empty.dat"] = (
        struct.pack("<ii", 0, 4),
        expected((0, 1), None, None, times=False, format="neuron-vwrite"),
    )
    out["fwrite.dat"] = (
        struct.pack("<%dd" % N, *V),
        expected((N, 1), [V[0]], [V[-1]], times=False, format="neuron-fwrite", explicit=True),
    )
    return out


def atf_vectors() -> dict[str, tuple[bytes, dict]]:
    out: dict[str, tuple[bytes, dict]] = {}
    recs = [
        '"AcquisitionMode=Episodic Stimulation"',
        '"Comment="',
        '"YTop=4000,10"',
        '"SweepStartTimesMS=0.000,1000.000"',
        '"SignalsExported=IN 0,IN 1"',
        '"Signals="\t"IN 0"\t"IN 1"\t"IN 0"\t"IN 1"',
    ]
    titles = '"Time (s)"\t"Trace #1 (pA)"\t"Trace #1 (mV)"\t"Trace #2 (pA)"\t"Trace #2 (mV)"'
    data = [[i * 5e-5, -10.5 + i, -1.03 - i, -11.25 + i, -1.5 + i / 4] for i in range(4)]
    body = "".join("\t".join(repr(x) for x in row) + "\n" for row in data)
    head = f"ATF\t1.0\n{len(recs)}\t5     \n" + "\n".join(recs) + "\n" + titles + "\n"
    sweeps = expected(
        (4, 5),
        data[0],
        data[-1],
        times=True,
        sweeps=2,
        channels=["IN 0", "IN 1"],
        sweep_starts=[0.0, 1.0],
        units=["pA", "mV", "pA", "mV"],
    )
    out["two_sweeps.atf"] = ((head + body).encode(), sweeps)
    out["two_sweeps_crlf.atf"] = ((head + body).replace("\n", "\r\n").encode(), sweeps)
    comma = (head + body).replace("\t", ",").replace("IN 0,IN 1", "IN 0,IN 1")
    out["comma.atf"] = (comma.encode(), {**sweeps})
    out["space_line1.atf"] = (("ATF 1.0\n" + (head + body).split("\n", 1)[1]).encode(), sweeps)
    mu = ('ATF\t1.0\n0\t2     \n"Time (s)"\t"Im (\xb5A)"\n0\t1.5\n1e-4\t2.5\n').encode("latin-1")
    out["latin1_units.atf"] = (mu, expected((2, 2), [0.0, 1.5], [1e-4, 2.5], times=True, units=["\u00b5A"]))
    empty = b'ATF\t1.0\n0\t3     \n"Time (s)"\t"A (mV)"\t"B (mV)"\n0\t1\t2\n1\t\t3\n2\t4\t\n'
    out["empty_cells.atf"] = (
        empty,
        expected((3, 3), [0.0, 1.0, 2.0], [2.0, 4.0, None], times=True, nan_count=2),
    )
    big = head.replace(f"{len(recs)}\t5", f"{len(recs) + 2}\t5")
    out["count_too_large.atf"] = (
        (big + body).encode(),
        {**sweeps, "warning": True, "strict_error": "CorruptFileError", "error_line": 2},
    )
    small = head.replace(f"{len(recs)}\t5", f"{len(recs) - 2}\t5")
    out["count_too_small.atf"] = ((small + body).encode(), {**sweeps, "warning": True})
    out["ctrl_z_end.atf"] = (
        b'ATF\t1.0\r\n0\t2\r\n"Time (s)"\t"A (mV)"\r\n0\t1\r\n1\t2\r\n\x1a',
        expected((2, 2), [0.0, 1.0], [1.0, 2.0], times=True),
    )
    out["space_separated.atf"] = (
        b'ATF 1.0\n1 2\n"Signals=" "IN 0"\n"Time (s)" "V (mV)"\n0 -65\n0.5 -64.5\n',
        expected((2, 2), [0.0, -65.0], [0.5, -64.5], times=True, units=["mV"]),
    )
    out["quoted_text_cells.atf"] = (
        b'ATF\t1.0\n0\t2\n"Name"\t"Peak (pA)"\n"cell a"\t-5.5\n"cell b"\t7\n',
        expected((2, 2), [None, -5.5], [None, 7.0], times=False, text={"Name": ["cell a", "cell b"]}),
    )
    out["decimal_comma.atf"] = (
        b'ATF\t1.0\n0\t3\n"Time (s)"\t"V (mV)"\t"Note"\n0,0\t-65,5\t4000,10\n0,1\t-64,5\tok\n',
        expected(
            (2, 3),
            [0.0, -65.5, None],
            [0.1, -64.5, None],
            times=True,
            warning=True,
            text={"Note": ["4000,10", "ok"]},
        ),
    )
    out["version2.atf"] = (
        b'ATF\t2.0\n0\t2\n"Time (s)"\t"A"\n0\t1\n',
        {"error": "CorruptFileError", "error_line": 1},
    )
    out["legacy_paf.atf"] = (
        b'PAF\t5.0\n0\n2\n"Time"\t"A"\n"s"\t"mV"\n0\t1\n',
        {"error": "CorruptFileError", "error_line": 1},
    )
    out["huge_count.atf"] = (
        b'ATF\t1.0\n1000000000000\t2\n"Time (s)"\t"A"\n0\t1\n',
        {"error": "LimitExceededError", "error_line": 2},
    )
    out["bad_counts.atf"] = (
        b'ATF\t1.0\n2,x\n"Time (s)"\t"A"\n0\t1\n',
        {"error": "CorruptFileError", "error_line": 2},
    )
    ragged = b'ATF\t1.0\n0\t2\n"Time (s)"\t"A (mV)"\n0\t1\n1\t2\t3\n'
    out["ragged_row.atf"] = (ragged, {"error": "CorruptFileError", "error_line": 5})
    table = (
        b'ATF\t1.0\n0\t3     \n"File Name"\t"Trace"\t"Peak (pA)"\na 1.abf\t1\t-393.415\nb\\2.abf\t2\t1e+006\n'
    )
    out["results_table.atf"] = (
        table,
        expected(
            (2, 3),
            [None, 1.0, -393.415],
            [None, 2.0, 1e6],
            times=False,
            text={"File Name": ["a 1.abf", "b\\2.abf"]},
        ),
    )
    return out


def main() -> None:
    for folder, vectors in (("neuron", neuron_vectors()), ("atf", atf_vectors())):
        target = HERE / folder
        target.mkdir(exist_ok=True)
        index = {}
        for name, (content, exp) in sorted(vectors.items()):
            (target / name).write_bytes(content)
            index[name] = exp
        (target / "expected.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
        print(f"{folder}: {len(vectors)} vectors")


if __name__ == "__main__":
    main()
