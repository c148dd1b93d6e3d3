"""Snapshots of a session: its state as plain values, so the log before it can be dropped.

A snapshot is taken only when everything the session holds has a plain form that rebuilds it
exactly: its variables are numbers, strings, ``None``, lists, tuples and dicts of them, CPU
tensors that are leaves (no graph behind them), own their memory (no views, no two variables
sharing storage), carry no hooks or forward-mode tangents, and whose ``.grad`` is such a tensor
too, and the program's own functions (``def`` and ``lambda``, closures included: stored as the
program that defined them, the place of the definition in it, their defaults and the enclosing
calls' locals they close over, all plain in turn); its generator is a CPU one (or has not drawn
yet). Anything else (a class or its instances, a method, a module, an optimizer, a library
function held in a variable, a tensor with a ``grad_fn``) has no safe serialized form, so such
a session keeps its log and is rebuilt by replay (``app.services.replay``). The session's
virtual files (``torch.save``: ``app.lang.filestore``) are kept as their bytes, after the
tensors'; a store that holds an object saved whole is not plain.

The format is ours, never pickle (a snapshot is read back into a host that runs untrusted
programs): ``MAGIC``, the header's length (8 bytes, little-endian), a JSON header (the values
as tagged trees, each tensor's dtype, shape, flags and where its bytes are), then the tensors'
bytes (``engine.serialization.frame``: checkpoints are laid out alike). Lists, dicts and
tensors seen twice are stored once and referenced, so aliasing (``b = a`` then
``a.append(1)``) survives a restore. The tensors are stored otherwise than in a checkpoint
(which keeps storages, views and strides): a snapshot holds only tensors that own their
contiguous memory, each with its ``.grad``."""

from __future__ import annotations

import functools
import importlib
import math
import struct
from collections import OrderedDict, defaultdict
from typing import Any

import numpy as np
import orjson

import engine
from app.lang import Environment, Limits, pyrandom
from app.lang.filestore import FileStore
from app.lang.interpreter import compiled
from app.lang.library import MODULES as LIBRARY_MODULES
from app.lang.library import LibModule
from app.lang.values import Function
from engine.dtypes import dtype_from_name
from engine.printing import PrintOptions
from engine.serialization import frame, unframe

MAGIC = b"AGSNAP1\n"


class NotPlain(Exception):
    """The session holds something a snapshot cannot rebuild exactly."""


def _root(arr: np.ndarray) -> Any:
    base: Any = arr
    while isinstance(getattr(base, "base", None), np.ndarray):
        base = base.base
    return base.base if base.base is not None else base


LIBRARY_PACKAGES = ("engine.nn", "engine.optim", "engine.optim.lr_scheduler", "engine.dynamo")
"""Where the library classes whose objects a snapshot may hold are (their public names)."""


@functools.cache
def library_classes() -> dict[type, str]:
    """Every public class of :data:`LIBRARY_PACKAGES`, by its stored name (``package:Name``)
    and back. A class with ``__slots__`` anywhere above it, or built on a container, is left
    out: its objects keep state beside their ``__dict__``."""
    found: dict[Any, Any] = {}
    for package in LIBRARY_PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            cls = getattr(module, name, None)
            if isinstance(cls, type) and cls not in found and \
                    not issubclass(cls, (dict, list, set, tuple, BaseException)) and \
                    not any("__slots__" in vars(k) for k in cls.__mro__ if k is not object):
                found[cls] = f"{package}:{name}"
                found[f"{package}:{name}"] = cls
    return found


def _attributes(obj: Any) -> dict[str, Any]:
    state = getattr(obj, "__dict__", None)
    if type(state) is not dict:
        raise NotPlain("an object without its attributes in a __dict__")
    return state


def _path_to(tree: Any, node: Any) -> list[Any] | None:
    """The keys and indices leading from ``tree`` (a program's JSON form) to ``node``."""
    stack: list[tuple[Any, list[Any]]] = [(tree, [])]
    while stack:
        here, path = stack.pop()
        if here is node:
            return path
        if isinstance(here, dict):
            stack.extend((v, [*path, k]) for k, v in here.items() if isinstance(v, (dict, list)))
        elif isinstance(here, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(here)
                         if isinstance(v, (dict, list)))
    return None


class _Writer:
    def __init__(self, glob: dict[str, Any] | None = None) -> None:
        self.glob = glob  # the session's variables: the globals of its functions
        self.programs: list[list] = []
        self.program_refs: dict[int, int] = {}
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
        if t is Function:
            return self.function(v)
        if t is LibModule:  # ``import os``: a library module is its path
            return {"M": v.path}
        if t is pyrandom.Random:  # ``random.Random(n)``: its words, position, cached normal
            ref = self.seen.get(id(v))
            if ref is not None:
                return {"r": ref}
            ref = self.seen[id(v)] = len(self.seen)
            self.keep.append(v)
            _, words, gauss_next = v.getstate()
            return {"PR": [list(words), self.value(gauss_next)], "n": ref}
        if t in (set, frozenset, defaultdict, OrderedDict) or t in library_classes():
            return self.container(v)
        raise NotPlain(type(v).__name__)

    def container(self, v: Any) -> Any:
        """Sets, ``defaultdict(dict | list)``, ``OrderedDict`` and the objects of library
        classes (modules, optimizers, schedulers: their attributes, as plain values)."""
        ref = self.seen.get(id(v))
        if ref is not None:
            return {"r": ref}
        ref = self.seen[id(v)] = len(self.seen)
        self.keep.append(v)
        t = type(v)
        self.depth += 1
        if self.depth > 200:
            raise NotPlain("nested too deeply")
        try:
            if t in (set, frozenset):
                return {"S" if t is set else "FS": [self.key(x) for x in v], "n": ref}
            source = v if t in (OrderedDict, defaultdict) else _attributes(v)
            if source is not v and any("hook" in k and x for k, x in source.items()):
                raise NotPlain("hooks (their handles' ids are the process's)")
            items = [[self.key(k), self.value(x)] for k, x in source.items()]
            if t is OrderedDict:
                return {"OD": items, "n": ref}
            if t is defaultdict:
                factory = {dict: "dict", list: "list"}.get(v.default_factory)  # type: ignore
                if factory is None:
                    raise NotPlain("a defaultdict of another factory")
                return {"DD": [factory, items], "n": ref}
            return {"O": [library_classes()[t], items], "n": ref}
        finally:
            self.depth -= 1

    def function(self, f: Function) -> Any:
        """A user function as the program that defined it (stored once per program), the
        number of its code there, and its own values: defaults and the enclosing functions'
        locals it closes over. A method (``owner``) or a function renamed since is not plain."""
        ref = self.seen.get(id(f))
        if ref is not None:
            return {"r": ref}
        code = f.code
        if code.origin is None or f.owner is not None or f.glob is not self.glob or \
                f.name != code.name or f.qualname != code.qualname or f.doc is not code.doc \
                or f.attrs:
            raise NotPlain("a method, a function from elsewhere or with attributes")
        ref = self.seen[id(f)] = len(self.seen)
        self.keep.append(f)
        raw, node = code.origin
        path = _path_to(raw, node)
        if path is None:
            raise NotPlain("a function whose definition is not in its program")
        program = self.program_refs.get(id(raw))
        if program is None:
            try:  # JSON has no NaN or infinity, orjson no integer past 64 bits
                exact = orjson.loads(orjson.dumps(raw)) == raw
            except (orjson.JSONEncodeError, TypeError):
                exact = False
            if not exact:
                raise NotPlain("a program without an exact JSON form")
            program = self.program_refs[id(raw)] = len(self.programs)
            self.programs.append(raw)
            self.keep.append(raw)
        return {"F": [program, path, self.value(f.defaults), self.value(f.kwdefaults),
                      [self.value(scope) for scope in f.enclosing]], "n": ref}

    def key(self, k: Any) -> Any:
        if type(k) in (list, dict, set):
            raise NotPlain("unhashable key")
        return self.value(k)  # a tensor key (an optimizer's state) hashes by identity

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
        # torch's 5,056-byte state (mt19937 and the cached normal samples); a snapshot of
        # before had "state", the PCG64 generator's (read by restore)
        gen["mt19937"] = bytes(generator.get_state().numpy()).hex()
    writer = _Writer(env.variables)
    variables = [[name, writer.value(value)] for name, value in env.variables.items()]
    files = _files(env.files, writer)
    settings = {"print_options": None if env.print_options is None
                else writer.value(list(env.print_options)),
                "deterministic": list(env.deterministic), "cudnn": list(env.cudnn),
                "cpu": list(env.cpu), "default_dtype": env.default_dtype}
    if env.logging is not None:  # loggers are the language's objects: replayed
        raise NotPlain("the session configured logging")
    if env.warning_filters is not None:  # warnings.filterwarnings (app.lang.run_warnings)
        if any(not isinstance(f[2], str) for f in env.warning_filters):
            raise NotPlain("a warnings filter on a program's class")
        settings["warning_filters"] = [list(f) for f in env.warning_filters]
    if getattr(env, "numpy_random", None) is not None:  # np.random's state (app.lang.npmod)
        _, keys, pos, has_gauss, gauss = env.numpy_random.get_state(legacy=True)
        settings["numpy_random"] = [[int(k) for k in keys], int(pos), int(has_gauss),
                                    struct.pack("<d", float(gauss)).hex()]
    if getattr(env, "python_random", None) is not None:  # random's state (app.lang.pyrandom)
        _, words, gauss_next = env.python_random.getstate()
        settings["python_random"] = [list(words), writer.value(gauss_next)]
    if getattr(env, "python_random_unseeded", 0):
        settings["python_random_unseeded"] = env.python_random_unseeded
    header = orjson.dumps({"variables": variables, "tensors": writer.tensors,
                           "generator": gen, "device": env.device,
                           "programs": writer.programs, "settings": settings,
                           "files": files})
    blocks = [(spec["at"], memoryview(data.reshape(-1)).cast("B"))
              for data, spec in zip(writer.chunks, writer.tensors)]
    blocks += [(at, memoryview(data))
               for data, (_, at, _) in zip(env.files.files.values(), files["files"])]
    return frame(MAGIC, header, writer.offset, blocks)


def _files(store: FileStore, writer: _Writer) -> dict[str, Any]:
    """The session's virtual files (``torch.save``): names and where their bytes are, after
    the tensors'. Objects saved whole (``torch.save(model, ...)``) have no plain form."""
    if store.objects:
        raise NotPlain("objects saved whole in the session's files")
    entries = []
    for name, data in store.files.items():
        entries.append([name, writer.offset, int(data.nbytes)])
        writer.offset += int(data.nbytes)
    return {"files": entries, "dirs": sorted(store.dirs)}


class _Reader:
    def __init__(self, tensors: list[dict[str, Any]], data: memoryview,
                 programs: list[list] | None = None, glob: dict[str, Any] | None = None,
                 limits: Limits | None = None) -> None:
        self.specs = tensors
        self.data = data
        self.programs = programs or []
        self.glob = glob
        self.limits = limits
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
        if "F" in v:
            return self.function(v)
        if "PR" in v:
            words, gauss_next = v["PR"]
            g = self.refs[v["n"]] = pyrandom.Random()
            g.setstate((3, tuple(int(w) for w in words), self.value(gauss_next)))
            return g
        if "M" in v:
            if v["M"] not in LIBRARY_MODULES:
                raise ValueError(f"not a library module: {v['M']!r}")
            return LibModule(v["M"])
        if "S" in v or "FS" in v:
            if "FS" in v:
                out_fs = self.refs[v["n"]] = frozenset(self.value(x) for x in v["FS"])
                return out_fs
            out_s: set[Any] = set()
            self.refs[v["n"]] = out_s
            out_s.update(self.value(x) for x in v["S"])
            return out_s
        if "OD" in v or "DD" in v:
            if "OD" in v:
                out_d: dict[Any, Any] = OrderedDict()
                items = v["OD"]
            else:
                factory, items = v["DD"]
                out_d = defaultdict({"dict": dict, "list": list}[factory])
            self.refs[v["n"]] = out_d
            for k, x in items:
                out_d[self.value(k)] = self.value(x)
            return out_d
        if "O" in v:
            name, items = v["O"]
            cls = library_classes().get(name)
            if not isinstance(cls, type):
                raise ValueError(f"not a library class: {name!r}")
            obj = self.refs[v["n"]] = cls.__new__(cls)
            state = _attributes(obj)
            for k, x in items:
                state[self.value(k)] = self.value(x)
            return obj
        raise ValueError(f"not a snapshot value: {sorted(v)}")

    def function(self, v: dict[str, Any]) -> Function:
        """The function, its code compiled again from its program (validated as any program
        is; the same program compiles to the same codes, in the same order)."""
        program, path, defaults, kwdefaults, enclosing = v["F"]
        codes = compiled(self.programs[program], self.limits).codes
        node: Any = codes[0].origin[0] if codes and codes[0].origin else None
        for step in path:
            node = node[step]
        code = next((c for c in codes if c.origin is not None and c.origin[1] is node), None)
        if code is None:
            raise ValueError("a snapshot's function has no code in its program")
        f = self.refs[v["n"]] = Function(code, (), {}, (), self.glob)
        f.defaults = self.value(defaults)
        f.kwdefaults = self.value(kwdefaults)
        f.enclosing = tuple(self.value(scope) for scope in enclosing)
        return f

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


def _cpu_settings(value: Any) -> tuple:
    """The session's CPU settings from a header (its own defaults when absent), checked."""
    from engine.backends import PRECISIONS

    if value is None:
        return (None, None, False, "highest")
    threads, interop, locked, precision = value
    for n in (threads, interop):
        if n is not None and (type(n) is not int or n <= 0):
            raise ValueError("a snapshot's thread count is not a positive int")
    if type(locked) is not bool or precision not in PRECISIONS:
        raise ValueError("a snapshot's CPU settings are not valid")
    return (threads, interop, locked, precision)


def restore(data: bytes | bytearray, env: Environment, limits: Limits | None = None) -> None:
    """Fills a fresh ``env`` (made from the session's device and seed) from a snapshot
    (``limits``: the ones the session's programs were compiled under)."""
    framed = unframe(data, MAGIC)
    if framed is None:
        raise ValueError("not a session snapshot")
    raw, start = framed
    header = orjson.loads(raw)
    body = memoryview(data)[start:]
    reader = _Reader(header["tensors"], body, header.get("programs"), env.variables, limits)
    env.variables.clear()
    for name, value in header["variables"]:
        env.variables[name] = reader.value(value)
    files = header.get("files") or {"files": [], "dirs": []}
    env.files.files.clear()
    for name, at, size in files["files"]:
        env.files.put(name, bytes(body[at:at + size]))
    env.files.dirs = set(files["dirs"])
    settings = header.get("settings", {})
    if settings.get("print_options") is not None:
        env.print_options = PrintOptions(*reader.value(settings["print_options"]))
    env.deterministic = tuple(settings.get("deterministic", (False, False)))
    env.cudnn = tuple(settings.get("cudnn", (True, False, False, True)))
    env.cpu = _cpu_settings(settings.get("cpu"))
    env.default_dtype = settings.get("default_dtype", "float32")
    if env.default_dtype not in ("float16", "float32", "float64"):
        raise ValueError("a snapshot's default dtype is not a floating dtype")
    if settings.get("warning_filters") is not None:
        env.warning_filters = tuple(
            (str(action), str(message), str(category), str(module), int(lineno))
            for action, message, category, module, lineno in settings["warning_filters"])
    if settings.get("numpy_random") is not None:
        keys, pos, has_gauss, gauss = settings["numpy_random"]
        rng = np.random.RandomState()
        rng.set_state(("MT19937", np.array(keys, dtype=np.uint32), int(pos), int(has_gauss),
                       struct.unpack("<d", bytes.fromhex(gauss))[0]))
        env.numpy_random = rng
    if settings.get("python_random") is not None:
        words, gauss_next = settings["python_random"]
        env.python_random = pyrandom.Random()
        env.python_random.setstate((3, tuple(int(w) for w in words), reader.value(gauss_next)))
    env.python_random_unseeded = int(settings.get("python_random_unseeded", 0))
    generator = env.generator
    generator.manual_seed(int(header["generator"]["seed"]))
    if "mt19937" in header["generator"]:
        generator._restore(bytes.fromhex(header["generator"]["mt19937"]))
    elif "state" in header["generator"]:  # a snapshot from the PCG64 generator's days
        old = _Reader([], memoryview(b"")).value(header["generator"]["state"])
        generator._continue_legacy(old["state"]["state"], old["state"]["inc"])
    env.held_bytes_estimate = env.memory_bytes()
