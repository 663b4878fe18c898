"""The one codec layer: Python values to bytes and back, for every backend.

Two codecs:

``"pickle"`` (default)
    :func:`pickle.dumps` at the highest protocol (5 here), so numpy arrays are
    stored as one raw buffer (a 1e5-float64 array: 0.8 MB, loaded in ~0.03 ms)
    instead of protocol 2's slow byte-string path. Reads any protocol,
    including Brian 1's protocol 2. Loading a pickle runs code chosen by whoever
    wrote it: use it only for stores you trust.
``"safe"``
    A small tagged binary format without pickle: ``None``, ``bool``, ``int``,
    ``float``, ``complex``, ``str``, ``bytes``, ``list``, ``tuple``, ``dict``
    and numpy arrays of numeric/bool/fixed-width string dtypes. Decoding only
    builds those types, checks every length against the buffer, and limits
    nesting: the choice for stores written by someone you do not trust.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable
from typing import Any

from .._errors import StorageError
from .._errors import CorruptValueError, UnsupportedValueError  # re-exported

__all__ = ["Codec", "CorruptValueError", "PickleCodec", "SafeCodec", "UnsupportedValueError", "get_codec"]


class Codec:
    """Encode values to ``bytes`` and back; ``name`` is recorded in the store manifest."""

    name = ""

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def raw_decoder(self) -> Callable[[bytes], Any]:
        """A decoding function that may raise anything on bad data (callers fall back to :meth:`decode`).

        Collation loops call it per value; the default is :meth:`decode` itself.
        """
        return self.decode

    def __repr__(self) -> str:
        return f"<codec {self.name!r}>"


class PickleCodec(Codec):
    """Pickle at the highest protocol (numpy arrays as raw buffers)."""

    name = "pickle"

    def encode(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise UnsupportedValueError(f"cannot pickle {type(value).__name__}: {exc}") from exc

    def decode(self, data: bytes) -> Any:
        try:
            return pickle.loads(data)
        except Exception as exc:  # unpickling raises many types; report one
            raise CorruptValueError(f"cannot unpickle stored value ({type(exc).__name__}: {exc})") from exc

    def raw_decoder(self) -> Callable[[bytes], Any]:
        return pickle.loads


# -- the safe codec ---------------------------------------------------------------------------

_MAGIC = b"NFv1"
_MAX_DEPTH = 64
_INT = struct.Struct("<q")
_LEN = struct.Struct("<Q")
_F8 = struct.Struct("<d")
_SAFE_KINDS = frozenset("biufcSUV") - {"V"}


class SafeCodec(Codec):
    """A pickle-free tagged format for plain data and numpy arrays."""

    name = "safe"

    def encode(self, value: Any) -> bytes:
        out = bytearray(_MAGIC)
        self._put(out, value, 0)
        return bytes(out)

    def _put(self, out: bytearray, v: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise UnsupportedValueError(f"values nested deeper than {_MAX_DEPTH} levels")
        if v is None:
            out += b"N"
        elif v is True or v is False:
            out += b"T" if v else b"F"
        elif type(v) is int:
            if -(2**63) <= v < 2**63:
                out += b"i" + _INT.pack(v)
            else:
                raw = str(v).encode()
                out += b"I" + _LEN.pack(len(raw)) + raw
        elif type(v) is float:
            out += b"f" + _F8.pack(v)
        elif type(v) is complex:
            out += b"c" + _F8.pack(v.real) + _F8.pack(v.imag)
        elif type(v) is str:
            raw = v.encode("utf-8", "surrogatepass")
            out += b"s" + _LEN.pack(len(raw)) + raw
        elif type(v) is bytes:
            out += b"b" + _LEN.pack(len(v)) + v
        elif type(v) in (list, tuple):
            out += (b"l" if type(v) is list else b"t") + _LEN.pack(len(v))
            for item in v:
                self._put(out, item, depth + 1)
        elif type(v) is dict:
            out += b"d" + _LEN.pack(len(v))
            for k, item in v.items():
                self._put(out, k, depth + 1)
                self._put(out, item, depth + 1)
        else:
            self._put_other(out, v, depth)

    def _put_other(self, out: bytearray, v: Any, depth: int) -> None:
        np = _numpy_if_loaded(v)
        if np is not None and isinstance(v, np.ndarray) and type(v) is np.ndarray:
            if v.dtype.kind not in _SAFE_KINDS or v.dtype.hasobject:
                raise UnsupportedValueError(f"the safe codec cannot store arrays of dtype {v.dtype}")
            dtype = v.dtype.str.encode()
            arr = np.ascontiguousarray(v)
            out += b"a" + bytes([len(dtype)]) + dtype + bytes([arr.ndim])
            for n in arr.shape:
                out += _LEN.pack(n)
            raw = arr.tobytes()
            out += _LEN.pack(len(raw)) + raw
        elif np is not None and isinstance(v, np.generic) and v.dtype.kind in "biufc":
            self._put(out, v.item(), depth)
        else:
            raise UnsupportedValueError(
                f"the safe codec cannot store {type(v).__module__}.{type(v).__name__}; it stores None,"
                " bool, int, float, complex, str, bytes, list, tuple, dict and numeric numpy arrays."
                " Use codec='pickle' for other types."
            )

    def decode(self, data: bytes) -> Any:
        view = memoryview(data)
        if bytes(view[:4]) != _MAGIC:
            raise CorruptValueError("not a value written by the safe codec (bad magic)")
        value, pos = _Reader(view).get(4, 0)
        if pos != len(view):
            raise CorruptValueError(f"{len(view) - pos} trailing bytes after the value")
        return value


def _numpy_if_loaded(v: Any) -> Any:
    if type(v).__module__.split(".")[0] != "numpy":
        return None
    import numpy

    return numpy


class _Reader:
    def __init__(self, view: memoryview) -> None:
        self.view = view

    def _take(self, pos: int, n: int) -> tuple[memoryview, int]:
        if n < 0 or pos + n > len(self.view):
            raise CorruptValueError(f"value truncated at byte {pos} (needs {n} more bytes)")
        return self.view[pos : pos + n], pos + n

    def _length(self, pos: int) -> tuple[int, int]:
        raw, pos = self._take(pos, 8)
        n = _LEN.unpack(raw)[0]
        if n > len(self.view):
            raise CorruptValueError(f"declared length {n} at byte {pos - 8} exceeds the value size")
        return n, pos

    def get(self, pos: int, depth: int) -> tuple[Any, int]:
        if depth > _MAX_DEPTH:
            raise CorruptValueError(f"value nested deeper than {_MAX_DEPTH} levels")
        tag_raw, pos = self._take(pos, 1)
        tag = bytes(tag_raw)
        if tag == b"N":
            return None, pos
        if tag in (b"T", b"F"):
            return tag == b"T", pos
        if tag == b"i":
            raw, pos = self._take(pos, 8)
            return _INT.unpack(raw)[0], pos
        if tag == b"f":
            raw, pos = self._take(pos, 8)
            return _F8.unpack(raw)[0], pos
        if tag == b"c":
            raw, pos = self._take(pos, 16)
            return complex(_F8.unpack(raw[:8])[0], _F8.unpack(raw[8:])[0]), pos
        if tag in (b"I", b"s", b"b"):
            n, pos = self._length(pos)
            raw, pos = self._take(pos, n)
            if tag == b"b":
                return bytes(raw), pos
            try:
                text = bytes(raw).decode("utf-8", "surrogatepass")
                return (int(text) if tag == b"I" else text), pos
            except ValueError as exc:
                raise CorruptValueError(f"bad text at byte {pos - n}: {exc}") from exc
        if tag in (b"l", b"t", b"d"):
            n, pos = self._length(pos)
            if tag == b"d":
                result: dict[Any, Any] = {}
                for _ in range(n):
                    k, pos = self.get(pos, depth + 1)
                    try:
                        result[k], pos = self.get(pos, depth + 1)
                    except TypeError as exc:
                        raise CorruptValueError(f"unhashable dict key before byte {pos}") from exc
                return result, pos
            items = []
            for _ in range(n):
                item, pos = self.get(pos, depth + 1)
                items.append(item)
            return (items if tag == b"l" else tuple(items)), pos
        if tag == b"a":
            return self._array(pos)
        raise CorruptValueError(f"unknown tag {tag!r} at byte {pos - 1}")

    def _array(self, pos: int) -> tuple[Any, int]:
        import numpy as np

        raw, pos = self._take(pos, 1)
        dtype_raw, pos = self._take(pos, raw[0])
        try:
            dtype = np.dtype(bytes(dtype_raw).decode("ascii"))
        except (TypeError, ValueError, UnicodeDecodeError) as exc:
            raise CorruptValueError(f"bad array dtype {bytes(dtype_raw)!r}") from exc
        if dtype.kind not in _SAFE_KINDS or dtype.hasobject:
            raise CorruptValueError(f"refused array dtype {dtype}")
        raw, pos = self._take(pos, 1)
        shape = []
        for _ in range(raw[0]):
            n, pos = self._length(pos)
            shape.append(n)
        nbytes, pos = self._length(pos)
        expected = dtype.itemsize
        for n in shape:
            expected *= n
        if nbytes != expected:
            raise CorruptValueError(f"array of shape {tuple(shape)} {dtype} needs {expected} bytes, has {nbytes}")
        body, pos = self._take(pos, nbytes)
        return np.frombuffer(bytearray(body), dtype=dtype).reshape(shape), pos


_CODECS: dict[str, type[Codec]] = {"pickle": PickleCodec, "safe": SafeCodec}


def get_codec(name: str | Codec | None) -> Codec:
    """The codec called ``name`` (``None``: pickle)."""
    if isinstance(name, Codec):
        return name
    if name is None:
        return PickleCodec()
    try:
        return _CODECS[name]()
    except (KeyError, TypeError):
        raise UnsupportedValueError(f"unknown codec {name!r}; known: {', '.join(sorted(_CODECS))}") from None
