"""The native engine (the C tokenizer): bit-exact with Python's float(), strict, threaded, safe."""

from __future__ import annotations

import io
import tracemalloc

import neurofiles
import neurofiles.plugin._text_native as tn
import neurofiles.plugin._text_table as tt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import skip_or_fail

from ._helpers import SPEC_VECTORS
from .test_engines import NUMERIC_VECTORS


@pytest.fixture(autouse=True)
def _need_native() -> None:
    if not tn.native_available():
        skip_or_fail("the C tokenizer neurofiles._textparse was not built (no C compiler at install time)")


def native(text: bytes, ncols: int, sep: str | None = "\t", comments: str | None = None) -> np.ndarray | None:
    return tn.parse_native(text, 0, len(text), ncols=ncols, sep=sep, comments=comments, path="mem.dat")


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as IEEE bit patterns: -0.0 differs from 0.0, NaN equals NaN of the same sign."""
    a, b = np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


def python_floats(rows: list[list[str]]) -> np.ndarray:
    return np.array([[float(cell) for cell in row] for row in rows], dtype=np.float64)


# --- agreement with the other engines ------------------------------------------------------------


@pytest.mark.parametrize("name", NUMERIC_VECTORS)
def test_spec_vectors_native_equals_numpy_engine(name: str) -> None:
    path = SPEC_VECTORS / name
    fast = neurofiles.load(path, engine="native")
    assert fast.metadata["engine"] == "native"
    assert same_bits(fast.to_array(), neurofiles.load(path, engine="numpy").to_array())


def test_auto_picks_native_for_small_and_big_blocks(tmp_path) -> None:
    small = tmp_path / "small.dat"
    small.write_bytes(b"label:v\n3\n0\t1\n1\t2\n2\t3\n")
    assert neurofiles.load(small).metadata["engine"] == "native"
    t = np.arange(300_000) * 0.025
    big = tmp_path / "big.dat"
    big.write_bytes(f"label:v\n{len(t)}\n".encode() + "".join(f"{x:g}\t{-x:g}\n" for x in t).encode())
    loaded = neurofiles.load(big)
    assert loaded.metadata["engine"] == "native" and len(loaded) == len(t)
    assert same_bits(loaded.to_array(), neurofiles.load(big, engine="numpy").to_array())


def test_file_objects_use_native_on_read_bytes(tmp_path) -> None:
    data = b'ATF\t1.0\n0\t2\n"Time (s)"\t"V (mV)"\n0\t-65\n0.1\t-64.5\n'
    got = neurofiles.load(io.BytesIO(data), format="axon-atf")
    assert got.metadata["engine"] == "native"
    np.testing.assert_array_equal(got.to_array(), [[0, -65], [0.1, -64.5]])


# --- numbers: the same double as Python's float() --------------------------------------------------

FORMATS = ["{!r}", "{:g}", "{:.12g}", "{:.17g}", "{:e}", "{:.3f}", "{:E}", "{:+g}", "{:.0f}", "{:.25e}"]
doubles = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)
formatted = st.builds(lambda x, fmt: fmt.format(x), doubles, st.sampled_from(FORMATS))
decimal_strings = st.from_regex(
    r"[+-]?[0-9]{0,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,4})?", fullmatch=True
).filter(lambda s: any(c.isdigit() for c in s.split("e")[0].split("E")[0]))
specials = st.sampled_from(
    ["nan", "NaN", "-nan", "+nan", "inf", "-inf", "+Inf", "infinity", "-INFINITY", "-0"]
)
tokens = st.one_of(formatted, decimal_strings, specials)


@settings(max_examples=400, deadline=None)
@given(
    rows=st.lists(st.lists(tokens, min_size=3, max_size=3), min_size=1, max_size=30),
    sep=st.sampled_from(["\t", ",", " ", "  \t "]),
    eol=st.sampled_from(["\n", "\r\n"]),
    trailing_eol=st.booleans(),
)
def test_every_number_is_bit_exact_with_python_float(rows, sep, eol, trailing_eol) -> None:
    text = eol.join(sep.join(row) for row in rows) + (eol if trailing_eol else "")
    mode = None if sep.strip() == "" else sep
    got = native(text.encode(), 3, sep=mode)
    assert got is not None, text
    assert same_bits(got, python_floats(rows)), text


def test_hard_cases_for_correct_rounding() -> None:
    cells = [
        "9007199254740993",  # 2**53 + 1: ties to even
        "0.1",
        "0.30000000000000004",
        "2.2250738585072011e-308",  # largest subnormal neighbourhood
        "4.9406564584124654e-324",
        "1.7976931348623157e308",
        "1.7976931348623159e308",  # rounds to inf
        "1e-400",
        "123456789012345678901234567890",
        "0.000000000000000000000000000001",
        "1e22",
        "1e23",
        "8.98846567431158e307",
        "-0.0",
        "00000000000000000000000000001.5",
    ]
    got = native("\n".join(cells).encode(), 1)
    assert got is not None
    assert same_bits(got, python_floats([[c] for c in cells]))


@pytest.mark.parametrize(
    "cell",
    [
        "1_000",
        "0x10",
        "1e",
        ".",
        "-",
        "+",
        "1.5.2",
        "1e5.3",
        "nan5",
        "infinit",
        "1d3",
        "--1",
        "e5",
        "abc",
        "\x1a",
        "1\x0b",
        '"1"',
        "1" * 401,
    ],
)
def test_what_the_tokenizer_refuses(cell: str) -> None:
    """Refused rows go back to the general engines; the tokenizer never guesses."""
    assert native(f"0\t1\n2\t{cell}\n".encode(), 2) is None


@pytest.mark.parametrize(
    "text",
    [b"0\t1\t2\n", b"0\n", b"0\t1\r2\t3\r", b"0,5\t1\n", b"0\t1\n\x1a\n", b"1\t2\t\t\n"],
    ids=[
        "too many fields",
        "too few fields",
        "CR line ends",
        "decimal comma",
        "Ctrl-Z",
        "two empty trailing",
    ],
)
def test_layouts_it_refuses(text: bytes) -> None:
    assert native(text, 2) is None


def assert_auto_ends_as_numpy(text: bytes, **options) -> tt.TableBlock | None:
    """Parse ``text`` with auto (native first) and with the numpy engine: the same numbers and
    text cells, or the same typed error (then None is returned)."""

    def block(engine: str) -> tt.TableBlock:
        return tt.parse_block(text, 0, path="m", first_line=1, engine=engine, **options)

    try:
        expected = block("numpy")
    except neurofiles.NeurofilesError as exc:
        with pytest.raises(type(exc)):
            block("auto")
        return None
    got = block("auto")
    assert same_bits(got.array, expected.array), (text, got.engine, expected.engine)
    assert {k: v.tolist() for k, v in got.text.items()} == {k: v.tolist() for k, v in expected.text.items()}
    return got


def test_refusals_end_the_same_as_the_numpy_engine() -> None:
    """A refused block goes on to the general engines: the same numbers, or the same typed error."""
    for body in [b"0\t1\r1\t2\r", b"0\t1\n1\t1_000\n", b"0\t1\n2\t3\n\x1a\n9\t9\n", b"0,5\t1,5\n"]:
        got = assert_auto_ends_as_numpy(body, ncols=2, sep="\t", text_ok=True)
        assert got is None or got.engine != "native", body


# --- layout ---------------------------------------------------------------------------------------


def test_empty_cells_trailing_separator_blank_lines_and_comments() -> None:
    got = native(b"0\t1\t2\n\n1\t\t3\n \t \n2\t4\t\n3\t5\t6\t\r\n", 3)
    np.testing.assert_array_equal(got, [[0, 1, 2], [1, np.nan, 3], [2, 4, np.nan], [3, 5, 6]])
    got = native(b"# header\n0 1 # first\n\n  2   3\n#\n", 2, sep=None, comments="#")
    np.testing.assert_array_equal(got, [[0, 1], [2, 3]])
    got = native(b"1, 2 ,3\n4 ,5, 6", 3, sep=",")
    np.testing.assert_array_equal(got, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_any_cut_into_threads_gives_the_same_rows(monkeypatch, threads: int) -> None:
    rng = np.random.default_rng(threads)
    values = rng.standard_normal((5000, 2)) * 10.0 ** rng.integers(-5, 5, (5000, 2))
    lines = [f"{a!r}\t{b:g}\n" for a, b in values.tolist()]
    for at in rng.integers(0, len(lines), 300):  # blank lines leave gaps between the threads' rows
        lines[at] = "\n" + lines[at]
    text = "".join(lines).encode()
    expected = np.array([[a, float(f"{b:g}")] for a, b in values.tolist()])
    monkeypatch.setattr(tn, "MIN_BYTES_PER_THREAD", 1)
    monkeypatch.setenv("NEUROFILES_THREADS", str(threads))
    assert tn.thread_count(len(text)) == threads
    assert same_bits(native(text, 2), expected)


def test_lines_across_read_pieces_and_a_line_longer_than_a_piece(tmp_path) -> None:
    t = np.arange(400_000) * 0.001  # about 6 MiB: several 1 MiB pieces per thread
    path = tmp_path / "pieces.dat"
    path.write_bytes("".join(f"{x:.9g}\t{-x:.4g}\n" for x in t).encode())
    with open(path, "rb") as f:
        got = tn.parse_native(f.fileno(), 0, path.stat().st_size, ncols=2, sep="\t", comments=None, path="p")
    assert same_bits(got, neurofiles.load(path, engine="numpy").to_array())
    long_line = b"1.5" + b" " * (3 << 20) + b"2.5\n3.5 4.5\n"
    assert native(long_line, 2, sep=None) is None
    path.write_bytes(long_line)
    np.testing.assert_array_equal(
        neurofiles.load(path, format="neuron-dat").to_array(), [[1.5, 2.5], [3.5, 4.5]]
    )


def test_blank_lines_do_not_inflate_the_allocation() -> None:
    text = b"\n" * 2_000_000 + b"\t".join([b"1"] * 34) + b"\n"
    tracemalloc.start()
    try:
        got = native(text, 34)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got is not None and got.shape == (1, 34)
    # a row takes >= ncols + 1 bytes, so the array is < 8 bytes per input byte (a row per
    # newline would be 2e6 * 34 * 8 = 544 MB)
    assert peak < 8 * len(text), peak


# --- files that change, options, errors ------------------------------------------------------------


def test_a_source_shorter_than_announced_is_truncated_not_garbage(tmp_path) -> None:
    path = tmp_path / "short.dat"
    path.write_bytes(b"0\t1\n1\t2\n")
    with open(path, "rb") as f, pytest.raises(neurofiles.TruncatedFileError) as info:
        tn.parse_native(f.fileno(), 0, 100, ncols=2, sep="\t", comments=None, path=str(path))
    assert info.value.offset == 8 and str(path) in str(info.value)


def test_forced_native_without_the_extension_says_why(monkeypatch, tmp_path) -> None:
    path = tmp_path / "x.dat"
    path.write_bytes(b"0\t1\n1\t2\n")
    monkeypatch.setattr(tt, "native_available", lambda: False)
    with pytest.raises(neurofiles.MissingDependencyError, match="C tokenizer"):
        neurofiles.load(path, engine="native")
    got = neurofiles.load(path)  # auto: the other engines, same numbers
    assert got.metadata["engine"] != "native"
    np.testing.assert_array_equal(got.to_array(), [[0, 1], [1, 2]])


def test_environment_variable_can_turn_native_off(monkeypatch, tmp_path) -> None:
    path = tmp_path / "x.dat"
    path.write_bytes(b"0\t1\n1\t2\n")
    monkeypatch.setenv("NEUROFILES_TEXT_ENGINE", "numpy")
    assert neurofiles.load(path).metadata["engine"] == "numpy"


def test_thread_count_setting(monkeypatch) -> None:
    monkeypatch.setenv("NEUROFILES_THREADS", "1")
    assert tn.thread_count(1 << 30) == 1
    monkeypatch.setenv("NEUROFILES_THREADS", "3")
    assert tn.thread_count(1 << 30) == 3
    assert tn.thread_count(tn.MIN_BYTES_PER_THREAD * 2) == 2  # at least 4 MiB per thread
    assert tn.thread_count(10) == 1
    monkeypatch.setenv("NEUROFILES_THREADS", "lots")  # not a number: ignored
    assert tn.thread_count(1 << 30) >= 1


def test_c_functions_check_their_arguments() -> None:
    from neurofiles import _textparse

    out = np.empty((2, 2))
    with pytest.raises(ValueError):
        _textparse.parse(b"1\t2\n", 0, 4, out, 0, 2, 0, "\t", "")
    with pytest.raises(ValueError):
        _textparse.parse(b"1\t2\n", 0, 4, out, 0, 2, 2, "\t\t", "")
    with pytest.raises((TypeError, BufferError)):
        _textparse.parse(b"1\t2\n", 0, 4, b"\0" * 32, 0, 2, 2, "\t", "")  # read-only output
    for bad in [
        dict(start=-1),  # before the buffer
        dict(start=3, end=2),
        dict(sep="\n"),  # separators that would break the line logic
        dict(sep="5"),
        dict(comment="5"),  # a comment character that can be part of a number
        dict(comment="\t"),
        dict(out=memoryview(bytearray(40))[1:33]),  # float64 stores need alignment
        dict(ncols=(1 << 20) + 1),
        dict(row0=1, row_end=0),  # an empty slice ends before it starts
    ]:
        call = dict(source=b"1\t2\n", start=0, end=4, out=out, row0=0, row_end=2, ncols=2, sep="\t", comment="")
        call |= bad
        with pytest.raises(ValueError):
            _textparse.parse(*call.values())
    with pytest.raises(ValueError):
        _textparse.count_lines(b"abc", -5, 2)
    with pytest.raises(ValueError):
        _textparse.line_start(b"abc", 2, 1)
    status, rows, offset = _textparse.parse(b"1\t2\n3\t4\n5\t6\n", 0, 12, out, 0, 2, 2, "\t", "")
    assert (status, rows, offset) == (_textparse.FULL, 2, 8)


def test_c_parse_never_writes_past_its_row_slice() -> None:
    """Regression: each thread's rows end at row_end even when the array goes on (the next
    thread's rows); a full slice reports where the row that did not fit starts."""
    from neurofiles import _textparse

    out = np.full((6, 2), 7.0)
    status, rows, offset = _textparse.parse(b"1,2\n3,4\n5,6\n", 0, 12, out, 1, 3, 2, ",", "")
    assert (status, rows, offset) == (_textparse.FULL, 2, 8)
    assert np.array_equal(out, [[7, 7], [1, 2], [3, 4], [7, 7], [7, 7], [7, 7]])
    assert _textparse.count_lines(b"a\nb\n", 0, 10) == (_textparse.SHORT_READ, 2, 4)
    assert _textparse.line_start(b"ab\ncd", 0, 5) == 3 and _textparse.line_start(b"abcd", 1, 4) == 4


def test_real_files_native_equals_numpy_engine(testdata) -> None:
    checked = 0
    for path in sorted([*(testdata / "atf").glob("*.atf"), *(testdata / "neuron").glob("*.dat")]):
        try:
            slow = neurofiles.load(path, engine="numpy")
        except neurofiles.NeurofilesError:
            continue
        fast = neurofiles.load(path)
        assert same_bits(fast.to_array(), slow.to_array()), path.name
        checked += fast.metadata["engine"] == "native"
    assert checked >= 5


ALPHABET = b'0123456789.eE+-\t, \r\n#naif\x1a"x'


@pytest.mark.filterwarnings("ignore:loadtxt")  # the numpy engine on comment-only input
@settings(max_examples=1500, deadline=None)
@given(
    text=st.binary(max_size=80).map(lambda b: bytes(ALPHABET[c % len(ALPHABET)] for c in b)),
    sep=st.sampled_from(["\t", ",", " ", None]),
    ncols=st.integers(1, 3),
    comments=st.sampled_from([None, "#"]),
    text_ok=st.booleans(),
)
def test_native_never_changes_an_answer(text, sep, ncols, comments, text_ok) -> None:
    """On any bytes, auto (native first) ends exactly as the numpy engine: same numbers or same error."""
    assert_auto_ends_as_numpy(text, ncols=ncols, sep=sep, text_ok=text_ok, comments=comments)


def test_the_result_does_not_keep_room_for_skipped_lines() -> None:
    text = b"1\t2\n" * 1000 + b"\n\n\n\n" * 1000  # as many blank lines as rows
    got = native(text, 2)
    assert got.shape == (1000, 2)
    assert got.base is None or got.base.nbytes <= got.nbytes * 8 // 7 + 16  # not a view of a 5000-row array
    exact = native(b"1\t2\n" * 1000, 2)
    assert exact.shape == (1000, 2) and exact.base is not None  # no blank lines: no copy
