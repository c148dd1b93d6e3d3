"""``torch.save`` / ``torch.load``'s data, in a format of our own (never pickle).

A checkpoint is ``MAGIC``, the header's length (8 bytes, little-endian), a JSON header and the
storages' bytes. The header holds the saved value as a tagged tree (numbers as their bits,
containers once each, so ``a = [x]; {'p': a, 'q': a}`` loads as one list), the storages
(dtype-free byte blocks) and the tensors over them (storage, byte offset, shape, byte strides,
dtype, ``requires_grad``, parameter or not). What that gives back is torch's: every tensor gets
new memory; tensors that shared memory in one saved value (a view and its base, a parameter and
``.data``) share it again after the load (and are not views: ``_base`` is ``None``); a tensor
comes back a leaf, keeping ``requires_grad`` (a non-leaf that required grad is a leaf that
requires grad); ``.grad``, hooks and the graph are not saved.

Values that are not plain data (a module saved whole, a program's object, ``range`` ...) are the
caller's business: :func:`dumps` hands each to ``opaque``, which returns how to name it in the
tree (torch's ``weights_only`` refusal names the first of them); :func:`loads` asks ``resolve``
for it back.
"""

from __future__ import annotations

import math
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from . import errors
from .device import CPU, Device
from .dtypes import DType, dtype_from_name
from .tensor import Size, Tensor

MAGIC = b"AGTSAVE1"
MAX_DEPTH = 500


class NotACheckpoint(ValueError):
    """The bytes are not a checkpoint this format wrote."""


def _root(arr: np.ndarray) -> np.ndarray:
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


class _Writer:
    def __init__(self, opaque: Callable[[Any], Any]) -> None:
        self.opaque = opaque
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []
        self.tensors: list[list[Any]] = []
        self.storages: list[list[Any]] = []  # [byte offset in the data, nbytes, device]
        self.storage_of: dict[int, int] = {}
        self.chunks: list[np.ndarray] = []
        self.offset = 0
        self.depth = 0

    def ref(self, v: Any) -> int | None:
        return self.seen.get(id(v))

    def mark(self, v: Any) -> int:
        n = self.seen[id(v)] = len(self.seen)
        self.keep.append(v)
        return n

    def value(self, v: Any) -> Any:
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return {"i": str(v)}
        if t is float:
            return {"f": struct.pack("<d", v).hex()}
        if t is complex:
            return {"c": struct.pack("<dd", v.real, v.imag).hex()}
        if t is bytes:
            return {"b": v.hex()}
        if isinstance(v, Tensor):
            n = self.ref(v)
            if n is not None:
                return {"r": n}
            return {"T": self.tensor(v), "n": self.mark(v)}
        if t is Size:
            return {"Z": [int(x) for x in v]}
        if isinstance(v, DType):
            return {"dt": v.name}
        if isinstance(v, Device):
            return {"dv": str(v)}
        if t in (list, dict, OrderedDict, set, Counter):
            n = self.ref(v)
            if n is not None:
                return {"r": n}
            n = self.mark(v)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise RecursionError("maximum recursion depth exceeded while pickling an object")
            try:
                if t is list:
                    return {"l": [self.value(x) for x in v], "n": n}
                if t is set:
                    return {"S": [self.value(x) for x in v], "n": n}
                items = [[self.value(k), self.value(x)] for k, x in v.items()]
                if t is dict:
                    return {"d": items, "n": n}
                if t is Counter:
                    return {"CT": items, "n": n}
                meta = getattr(v, "_metadata", None)
                out = {"OD": items, "n": n}
                if meta is not None:
                    out["meta"] = self.value(meta)
                return out
            finally:
                self.depth -= 1
        if t is tuple:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise RecursionError("maximum recursion depth exceeded while pickling an object")
            try:
                return {"t": [self.value(x) for x in v]}
            finally:
                self.depth -= 1
        return {"X": self.opaque(v)}

    def tensor(self, t: Tensor) -> int:
        data = t._data
        if t.is_sparse:
            raise errors.NotSupported("torch.save of a sparse COO tensor is not supported: "
                                      "save its indices() and values()")
        if t.device.type != "cpu" or not isinstance(data, np.ndarray):
            data = np.ascontiguousarray(t.detach().cpu()._data)
            root, start = data, 0
        else:
            root = _root(data)
            start = data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            strides_ok = all(s >= 0 for s in data.strides)
            if not root.flags.c_contiguous or not strides_ok or start < 0 or \
                    start + _span(data) > root.nbytes:
                data = np.ascontiguousarray(data)
                root, start = data, 0
        index = self.storage_of.get(id(root))
        if index is None:
            index = self.storage_of[id(root)] = len(self.storages)
            self.keep.append(root)
            self.storages.append([self.offset, int(root.nbytes), str(t.device)])
            self.chunks.append(root)
            self.offset += int(root.nbytes)
        entry = [index, int(start), list(data.shape), [int(s) for s in data.strides],
                 t.dtype.name, bool(t.requires_grad), bool(getattr(t, "_is_param", False))]
        self.tensors.append(entry)
        return len(self.tensors) - 1


def _span(arr: np.ndarray) -> int:
    """Bytes from an array's first element to just past its last one (non-negative strides)."""
    if arr.size == 0:
        return 0
    return sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) + arr.itemsize


def frame(magic: bytes, header: bytes, size: int, blocks: Any) -> bytearray:
    """The layout checkpoints and session snapshots (``app.services.snapshots``) share:
    ``magic``, the header's length (8 bytes, little-endian), the header (JSON), then ``size``
    bytes where each ``(offset, bytes-like)`` of ``blocks`` is copied at its offset."""
    start = len(magic) + 8 + len(header)
    out = bytearray(start + size)
    out[:start] = magic + struct.pack("<Q", len(header)) + header
    view = memoryview(out)
    for at, block in blocks:
        n = block.nbytes
        if n:
            view[start + at:start + at + n] = block
    return out


def unframe(data: bytes | bytearray | memoryview, magic: bytes) -> tuple[memoryview, int] | None:
    """A framed file's header bytes and where its blocks start (unchecked: the header's
    length may run past the data); None when ``data`` does not start with ``magic``."""
    if len(data) < len(magic) + 8 or bytes(data[:len(magic)]) != magic:
        return None
    (length,) = struct.unpack_from("<Q", data, len(magic))
    start = len(magic) + 8 + length
    return memoryview(data)[len(magic) + 8:start], start


def dumps(obj: Any, opaque: Callable[[Any], Any], extra: Any = None) -> bytes:
    """The checkpoint of ``obj``; ``opaque(value)`` names each value that is not plain data
    (it raises where the value cannot be saved at all); ``extra`` (JSON) is kept in the
    header as ``"x"``."""
    writer = _Writer(opaque)
    root = writer.value(obj)
    fields = {"root": root, "storages": writer.storages, "tensors": writer.tensors}
    if extra is not None:
        fields["x"] = extra
    return bytes(frame(MAGIC, orjson.dumps(fields), writer.offset,
                       ((at, memoryview(data.reshape(-1)).cast("B"))
                        for (at, _, _), data in zip(writer.storages, writer.chunks))))


def header_of(data: bytes | bytearray | memoryview) -> tuple[dict[str, Any], int]:
    """The header of a checkpoint and where its storages start; :class:`NotACheckpoint` when
    the bytes are not one (or are damaged)."""
    framed = unframe(data, MAGIC)
    if framed is None:
        raise NotACheckpoint("not a checkpoint")
    raw, start = framed
    if start > len(data):
        raise NotACheckpoint("a truncated checkpoint")
    try:
        header = orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise NotACheckpoint("a damaged checkpoint") from None
    if not isinstance(header, dict) or not {"root", "storages", "tensors"} <= set(header):
        raise NotACheckpoint("a damaged checkpoint")
    return header, start


def opaque_names(header: dict[str, Any]) -> list[Any]:
    """The ``opaque`` names in a checkpoint's tree, depth first (pickle's order)."""
    found: list[Any] = []
    stack = [header["root"]]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if "X" in v:
                found.append(v["X"])
                continue
            kids = [x for key in ("l", "S", "t") for x in v.get(key, ())]
            for key in ("d", "OD", "CT"):
                for pair in v.get(key, ()):
                    kids.extend(pair if isinstance(pair, list) else ())
            if "meta" in v:
                kids.append(v["meta"])
            stack.extend(reversed(kids))
    return found


Locate = Callable[[str], Device]


class _Reader:
    def __init__(self, header: dict[str, Any], data: memoryview, locate: Locate,
                 resolve: Callable[[Any], Any], max_bytes: int) -> None:
        self.header = header
        self.data = data
        self.locate = locate
        self.resolve = resolve
        self.refs: dict[int, Any] = {}
        self.storages: dict[int, tuple[np.ndarray, Device]] = {}
        self.made: dict[int, Tensor] = {}
        self.max_bytes = max_bytes
        self.depth = 0

    def value(self, v: Any) -> Any:
        if not isinstance(v, dict):
            if isinstance(v, (list, float)) or (isinstance(v, int) and type(v) is not bool):
                raise NotACheckpoint("a damaged checkpoint")
            return v
        self.depth += 1
        if self.depth > MAX_DEPTH + 10:
            raise NotACheckpoint("a damaged checkpoint")
        try:
            return self._value(v)
        finally:
            self.depth -= 1

    def _value(self, v: dict[str, Any]) -> Any:
        if "i" in v:
            return int(v["i"])
        if "f" in v:
            return struct.unpack("<d", bytes.fromhex(v["f"]))[0]
        if "c" in v:
            re, im = struct.unpack("<dd", bytes.fromhex(v["c"]))
            return complex(re, im)
        if "b" in v:
            return bytes.fromhex(v["b"])
        if "r" in v:
            return self.refs[v["r"]]
        if "T" in v:
            t = self.refs[v["n"]] = self.tensor(v["T"])
            return t
        if "Z" in v:
            return Size(tuple(int(x) for x in v["Z"]))
        if "dt" in v:
            return dtype_from_name(v["dt"])
        if "dv" in v:
            from .device import device

            return device(v["dv"])
        if "l" in v:
            out: list[Any] = []
            self.refs[v["n"]] = out
            out.extend(self.value(x) for x in v["l"])
            return out
        if "S" in v:
            s: set[Any] = set()
            self.refs[v["n"]] = s
            s.update(self.value(x) for x in v["S"])
            return s
        if "d" in v or "OD" in v or "CT" in v:
            tag = "d" if "d" in v else "OD" if "OD" in v else "CT"
            d: dict[Any, Any] = {"d": dict, "OD": OrderedDict, "CT": Counter}[tag]()
            self.refs[v["n"]] = d
            for k, x in v[tag]:
                d[self.value(k)] = self.value(x)
            if "meta" in v:
                d._metadata = self.value(v["meta"])  # type: ignore[attr-defined]
            return d
        if "t" in v:
            return tuple(self.value(x) for x in v["t"])
        if "X" in v:
            return self.resolve(v["X"])
        raise NotACheckpoint("a damaged checkpoint")

    def storage(self, index: int) -> tuple[np.ndarray, Device]:
        found = self.storages.get(index)
        if found is None:
            at, size, where = self.header["storages"][index]
            if not (isinstance(at, int) and isinstance(size, int) and 0 <= at and 0 <= size and
                    at + size <= len(self.data)):
                raise NotACheckpoint("a damaged checkpoint")
            self.max_bytes -= size
            if self.max_bytes < 0:
                raise MemoryError("a checkpoint larger than the session may hold")
            arr = np.frombuffer(self.data, dtype=np.uint8, count=size, offset=at).copy()
            found = self.storages[index] = (arr, self.locate(str(where)))
        return found

    def tensor(self, index: int) -> Tensor:
        storage, start, shape, strides, dtype_name, rg, param = self.header["tensors"][index]
        buffer, where = self.storage(storage)
        dtype = dtype_from_name(dtype_name)
        shape = tuple(int(n) for n in shape)
        strides = tuple(int(s) for s in strides)
        item = np.dtype(dtype.np).itemsize
        if len(shape) != len(strides) or any(n < 0 for n in shape) or \
                any(s < 0 for s in strides) or start < 0:
            raise NotACheckpoint("a damaged checkpoint")
        span = 0 if math.prod(shape) == 0 else \
            sum((n - 1) * s for n, s in zip(shape, strides)) + item
        if start + span > buffer.nbytes:
            raise NotACheckpoint("a damaged checkpoint")
        arr = np.ndarray(shape, dtype=dtype.np, buffer=buffer, offset=start, strides=strides)
        t = Tensor(arr, dtype=dtype)
        if where != CPU:
            t = t.to(where)
        if rg:
            t.requires_grad_(True)
        if param:
            t._is_param = True
        return t


def loads(data: bytes | bytearray | memoryview, locate: Locate,
          resolve: Callable[[Any], Any], max_bytes: int = 1 << 62) -> Any:
    """The value a checkpoint holds: its tensors on ``locate(saved device)``, each ``opaque``
    name given to ``resolve``; storages larger than ``max_bytes`` in all raise MemoryError."""
    header, start = header_of(data)
    view = memoryview(data)[start:]
    try:
        return _Reader(header, view, locate, resolve, max_bytes).value(header["root"])
    except (KeyError, IndexError, TypeError, ValueError, struct.error) as exc:
        if isinstance(exc, (NotACheckpoint, errors.EngineError)):
            raise
        raise NotACheckpoint("a damaged checkpoint") from None
