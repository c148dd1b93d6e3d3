"""Snapshots of a session: its state as plain values, so the log before it can be dropped.

A snapshot is taken only when everything the session holds has a plain form that rebuilds it
exactly: its variables are numbers, strings, ``None``, lists, tuples and dicts of them, and
CPU tensors that are leaves (no graph behind them), own their memory (no views, no two
variables sharing storage), carry no hooks or forward-mode tangents, and whose ``.grad`` is
such a tensor too; its generator is a CPU one (or has not drawn yet). Anything else (a
function, a class, a module, an optimizer, a tensor with a ``grad_fn``) has no safe serialized
form, so such a session keeps its log and is rebuilt by replay (``app.services.replay``).

The format is ours, never pickle (a snapshot is read back into a host that runs untrusted
programs): ``MAGIC``, the header's length (8 bytes, little-endian), a JSON header (the values
as tagged trees, each tensor's dtype, shape, flags and where its bytes are), then the tensors'
bytes. Lists, dicts and tensors seen twice are stored once and referenced, so aliasing (``b = a``
then ``a.append(1)``) survives a restore.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import orjson

import engine
from app.lang import Environment
from engine.dtypes import dtype_from_name

MAGIC = b"AGSNAP1\n"


class NotPlain(Exception):
    """The session holds something a snapshot cannot rebuild exactly."""


def _root(arr: np.ndarray) -> Any:
    base: Any = arr
    while isinstance(getattr(base, "base", None), np.ndarray):
        base = base.base
    return base.base if base.base is not None else base


class _Writer:
    def __init__(self) -> None:
        self.tensors: list[dict[str, Any]] = []
        self.chunks: list[np.ndarray] = []
        self.offset = 0
        self.seen: dict[int, int] = {}  # id of a list, dict or tensor -> its reference number
        self.keep: list[Any] = []  # the objects behind those ids stay alive while writing
        self.storages: set[int] = set()
        self.depth = 0

    def value(self, v: Any) -> Any:
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return {"i": str(v)}
        if t is float:  # the bits: NaN payloads and -0.0 too
            return {"f": struct.pack("<d", v).hex()}
        if t in (list, dict, engine.Tensor):
            ref = self.seen.get(id(v))
            if ref is not None:
                return {"r": ref}
            ref = self.seen[id(v)] = len(self.seen)
            self.keep.append(v)
            if t is engine.Tensor:
                return {"T": self.tensor(v), "n": ref}
            self.depth += 1
            if self.depth > 200:
                raise NotPlain("nested too deeply")
            try:
                if t is list:
                    return {"l": [self.value(x) for x in v], "n": ref}
                return {"d": [[self.key(k), self.value(x)] for k, x in v.items()], "n": ref}
            finally:
                self.depth -= 1
        if t is tuple:
            return {"t": [self.value(x) for x in v]}
        raise NotPlain(type(v).__name__)

    def key(self, k: Any) -> Any:
        if type(k) in (list, dict) or isinstance(k, engine.Tensor):
            raise NotPlain("unhashable or tensor key")
        return self.value(k)

    def tensor(self, t: Any, is_grad: bool = False) -> int:
        if t.device.type != "cpu" or t.grad_fn is not None or t._base is not None or \
                t._hooks or t._retains_grad or getattr(t, "_fw", None):
            raise NotPlain("a tensor with a graph, a view, hooks or on a device")
        data = t._data
        if not isinstance(data, np.ndarray) or not data.flags.c_contiguous:
            raise NotPlain("tensor data not in one contiguous block")
        for shared in (id(_root(data)), id(t._vc)):
            if shared in self.storages:
                raise NotPlain("tensors share storage")
            self.storages.add(shared)
        self.keep.append(t._vc)
        size = int(data.nbytes)
        entry: dict[str, Any] = {"dtype": t.dtype.name, "shape": list(data.shape),
                                 "at": self.offset, "size": size,
                                 "rg": bool(t.requires_grad)}
        if getattr(t, "_is_param", False):
            entry["param"] = True
        self.chunks.append(data)
        self.offset += size
        index = len(self.tensors)
        self.tensors.append(entry)
        grad = t._grad
        if grad is not None:
            if is_grad or type(grad) is not engine.Tensor:
                raise NotPlain("a grad's grad")
            entry["grad"] = self.tensor(grad, is_grad=True)
        return index


def capture(env: Environment) -> bytearray:
    """The snapshot of ``env``; :class:`NotPlain` if it holds something one cannot rebuild.
    The tensors' bytes are copied once, straight into the snapshot."""
    generator = env.generator
    if getattr(generator, "_per_device", None):
        raise NotPlain("a generator per device")
    gen: dict[str, Any] = {"seed": str(generator._seed)}
    if generator._state is not None:
        if generator.device.type != "cpu":
            raise NotPlain("a device generator")
        gen["state"] = _Writer().value(generator.get_state())
    writer = _Writer()
    variables = [[name, writer.value(value)] for name, value in env.variables.items()]
    header = orjson.dumps({"variables": variables, "tensors": writer.tensors,
                           "generator": gen, "device": env.device})
    start = len(MAGIC) + 8 + len(header)
    out = bytearray(start + writer.offset)
    out[:start] = MAGIC + struct.pack("<Q", len(header)) + header
    view = memoryview(out)
    for data, spec in zip(writer.chunks, writer.tensors):
        if spec["size"]:
            view[start + spec["at"]:start + spec["at"] + spec["size"]] = \
                memoryview(data.reshape(-1)).cast("B")
    return out


class _Reader:
    def __init__(self, tensors: list[dict[str, Any]], data: memoryview) -> None:
        self.specs = tensors
        self.data = data
        self.made: dict[int, Any] = {}
        self.refs: dict[int, Any] = {}

    def value(self, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        if "i" in v:
            return int(v["i"])
        if "f" in v:
            return struct.unpack("<d", bytes.fromhex(v["f"]))[0]
        if "r" in v:
            return self.refs[v["r"]]
        if "T" in v:
            t = self.refs[v["n"]] = self.tensor(v["T"])
            return t
        if "l" in v:
            out: list[Any] = []
            self.refs[v["n"]] = out
            out.extend(self.value(x) for x in v["l"])
            return out
        if "d" in v:
            d: dict[Any, Any] = {}
            self.refs[v["n"]] = d
            for k, x in v["d"]:
                d[self.value(k)] = self.value(x)
            return d
        if "t" in v:
            return tuple(self.value(x) for x in v["t"])
        raise ValueError(f"not a snapshot value: {sorted(v)}")

    def tensor(self, index: int) -> Any:
        spec = self.specs[index]
        dtype = dtype_from_name(spec["dtype"])
        count = math.prod(spec["shape"])
        arr = np.frombuffer(self.data, dtype=dtype.np, count=count, offset=spec["at"])
        t = engine.Tensor(arr.reshape(spec["shape"]).copy(), dtype=dtype)
        t.requires_grad = bool(spec["rg"])
        if spec.get("param"):
            t._is_param = True
        if "grad" in spec:
            t._grad = self.tensor(spec["grad"])
        return t


def restore(data: bytes | bytearray, env: Environment) -> None:
    """Fills a fresh ``env`` (made from the session's device and seed) from a snapshot."""
    if not data.startswith(MAGIC):
        raise ValueError("not a session snapshot")
    start = len(MAGIC) + 8
    (length,) = struct.unpack_from("<Q", data, len(MAGIC))
    header = orjson.loads(data[start:start + length])
    reader = _Reader(header["tensors"], memoryview(data)[start + length:])
    env.variables.clear()
    for name, value in header["variables"]:
        env.variables[name] = reader.value(value)
    generator = env.generator
    generator.manual_seed(int(header["generator"]["seed"]))
    if "state" in header["generator"]:
        generator._rng.bit_generator.state = _Reader([], memoryview(b"")).value(
            header["generator"]["state"])
    env.held_bytes_estimate = env.memory_bytes()
