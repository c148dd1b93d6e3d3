"""``torch.save`` / ``torch.load``, ``io.BytesIO``, and the small ``os`` / ``os.path`` that
programs put around checkpoints, all over the session's virtual file store
(:mod:`app.lang.filestore`): nothing reaches the host's files.

Checkpoints are written in the engine's own format (:mod:`engine.serialization`, never pickle).
What a load gives back is what torch 2.13's gives: new memory, storage shared again where it
was shared in the saved value, leaves that keep ``requires_grad``, no ``.grad``; ``OrderedDict``
state dicts (their ``_metadata`` too); ``torch.Size``, dtypes, devices, sets, complex numbers,
``collections.Counter``. ``weights_only=True`` (the default) refuses what torch's weights-only
unpickler refuses, with its ``pickle.UnpicklingError`` and text, naming the same global
(``torch.nn.modules.linear.Linear``, ``__main__.Net``, ``range``, ``collections.deque``,
``numpy._core.multiarray._reconstruct`` ...). Such values are saved whole: a copy of them
(tensors copied as above, the rest as ``copy.deepcopy``) is kept in the store and the
checkpoint names it; ``weights_only=False`` loads another copy. What torch cannot pickle at
all (a lambda, a local function, a generator, a module object) fails at save time with
torch's error.

Differences that a program can see, and why: the bytes differ from torch's zip files, so
``len(buf.getvalue())`` and ``os.path.getsize`` give other numbers, and after a load the
buffer's position is at the end of the checkpoint (torch's zip reader leaves it elsewhere);
bytes that are not a checkpoint of this service fail with ``pickle.UnpicklingError`` (torch's
error there depends on pickle's reading of the bytes); a function or class saved by reference
loads as the one saved, where pickle looks the name up again at load time.
"""

from __future__ import annotations

import collections
import copy
import pathlib
import posixpath
from typing import Any

import numpy as np

import engine
from engine import serialization
from engine.device import Device

from .errors import ProgramError
from .filestore import FileStore, normalize
from .runtime import RunState
from .values import BuiltinFunction, Function, GeneratorValue, UserClass, user_class_of

_WEIGHTS_ONLY = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, "
    "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In "
    "PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please "
    "check the recommended steps in the following error message.\n\tWeightsUnpickler error: "
    "Unsupported global: GLOBAL {0} was not an allowed global by default. Please use "
    "`torch.serialization.add_safe_globals([{0}])` or the "
    "`torch.serialization.safe_globals([{0}])` context manager to allowlist this global if "
    "you trust this class/function.\n\nCheck the documentation of torch.load to learn more "
    "about types accepted by default with weights_only "
    "https://pytorch.org/docs/stable/generated/torch.load.html.")
_NO_CUDA = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU.")


def _err(kind: str, message: str) -> ProgramError:
    return ProgramError(message, exception=kind)


def store_of(rs: RunState) -> FileStore:
    return rs.env.files


# --------------------------------------------------------------------------- io.BytesIO

class MemoryFile:
    """``io.BytesIO``: bytes and a position (in the session's memory like any value)."""

    __slots__ = ("data", "pos", "closed")

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytes(data)
        self.pos = 0
        self.closed = False

    def __repr__(self) -> str:
        return "<_io.BytesIO object>"

    def check(self) -> None:
        if self.closed:
            raise _err("ValueError", "I/O operation on closed file.")

    def write(self, rs: RunState, data: bytes) -> int:
        self.check()
        _check_total(rs, len(self.data) + len(data), 0)
        end = self.pos + len(data)
        head = self.data[:self.pos].ljust(self.pos, b"\0")
        self.data = head + data + self.data[end:]
        self.pos = end
        rs.allocated(len(data))
        return len(data)

    def read_rest(self) -> bytes:
        self.check()
        return self.data[self.pos:]

    def held(self) -> list[np.ndarray]:
        return [np.frombuffer(memoryview(self.data), dtype=np.uint8)] if self.data else []


MemoryFile.__name__ = MemoryFile.__qualname__ = "BytesIO"


def _bytes_io(rs: RunState, initial_bytes: Any = b"") -> MemoryFile:
    if initial_bytes is None:
        initial_bytes = b""
    if not isinstance(initial_bytes, (bytes, bytearray)):
        raise _err("TypeError", f"a bytes-like object is required, not "
                                f"'{_type_name(initial_bytes)}'")
    _check_total(rs, len(initial_bytes), 0)
    return MemoryFile(bytes(initial_bytes))


def _seek(rs: RunState, f: MemoryFile, pos: Any, whence: Any = 0) -> int:
    f.check()
    if not isinstance(pos, int) or isinstance(pos, bool):
        raise _err("TypeError", f"'{_type_name(pos)}' object cannot be interpreted as an "
                                "integer")
    if whence == 0:
        if pos < 0:
            raise _err("ValueError", f"negative seek value {pos}")
        f.pos = pos
    elif whence == 1:
        f.pos = max(0, f.pos + pos)
    elif whence == 2:
        f.pos = max(0, len(f.data) + pos)
    else:
        raise _err("ValueError", f"invalid whence ({whence}, should be 0, 1 or 2)")
    return f.pos


def _read(rs: RunState, f: MemoryFile, size: Any = -1) -> bytes:
    f.check()
    if size is None or size < 0:
        end = len(f.data)
    else:
        end = min(len(f.data), f.pos + size)
    out = f.data[f.pos:end]
    f.pos = max(f.pos, end)
    return out


def _getvalue(rs: RunState, f: MemoryFile) -> bytes:
    f.check()
    return f.data


def _tell(rs: RunState, f: MemoryFile) -> int:
    f.check()
    return f.pos


def _close(rs: RunState, f: MemoryFile) -> None:
    f.closed = True
    f.data = b""


def _write(rs: RunState, f: MemoryFile, data: Any) -> int:
    if not isinstance(data, (bytes, bytearray)):
        raise _err("TypeError", f"a bytes-like object is required, not '{_type_name(data)}'")
    return f.write(rs, bytes(data))



BYTESIO_METHODS = {"seek": _seek, "read": _read, "getvalue": _getvalue, "tell": _tell,
                   "close": _close, "write": _write}


def _type_name(value: Any) -> str:
    from .values import type_name

    return type_name(value)


# --------------------------------------------------------------------------- limits

def _check_total(rs: RunState, new_bytes: int, new_entries: int) -> None:
    limits = rs.limits
    if new_bytes > limits.max_store_bytes:
        raise rs.limit_error(f"the session's files would hold more than "
                             f"{limits.max_store_bytes} bytes (max_store_bytes)",
                             "max_store_bytes", limits.max_store_bytes)
    if new_entries > limits.max_store_files:
        raise rs.limit_error(f"the session would have more than {limits.max_store_files} "
                             "files, directories and saved objects (max_store_files)",
                             "max_store_files", limits.max_store_files)


# --------------------------------------------------------------------------- paths

def _path_arg(f: Any) -> str | None:
    return f if isinstance(f, str) else None


def _not_found(path: str) -> ProgramError:
    return _err("FileNotFoundError", f"[Errno 2] No such file or directory: {path!r}")


def _is_a_dir(path: str) -> ProgramError:
    return _err("IsADirectoryError", f"[Errno 21] Is a directory: {path!r}")


# --------------------------------------------------------------------------- torch.save

def _global_name(v: Any) -> str:
    """The global torch's pickler writes for ``v`` (what ``weights_only`` refuses), or
    torch's error where it cannot pickle ``v`` at all."""
    from .library import LibModule, is_library_object, torch_class_name

    t = type(v)
    if t is Function:
        if v.name == "<lambda>":
            raise _err("PicklingError", f"Can't pickle <function <lambda> at 0x{id(v):x}>: "
                                        "attribute lookup <lambda> on __main__ failed")
        if "<locals>" in v.qualname:
            raise _err("AttributeError", f"Can't pickle local object '{v.qualname}'")
        return f"__main__.{v.qualname}"
    if t is UserClass:
        return v.name if v.builtin else f"__main__.{v.qualname}"
    if t is GeneratorValue:
        raise _err("TypeError", "cannot pickle 'generator' object")
    if t is LibModule:
        raise _err("TypeError", "cannot pickle 'module' object")
    if t is MemoryFile:
        raise _err("TypeError", "cannot pickle '_io.BytesIO' object")
    if t in (range, slice, frozenset):
        return t.__name__
    if v is Ellipsis:
        return "Ellipsis"
    if isinstance(v, (collections.defaultdict, collections.deque)):
        return "collections." + ("deque" if isinstance(v, collections.deque) else "defaultdict")
    cls = user_class_of(v)
    if cls is not None:
        return f"__main__.{cls.qualname}"
    if isinstance(v, tuple) and hasattr(t, "_lang_type"):  # a program's named tuple
        return f"__main__.{t.__qualname__}"
    from .arrays import Array

    if t is Array:
        return "numpy._core.multiarray._reconstruct"
    if isinstance(v, np.generic):
        return "numpy._core.multiarray.scalar"
    if t is engine.Generator:
        return "torch._C.Generator"
    if is_library_object(v):
        return torch_class_name(t)[0]
    if t is BuiltinFunction and v.name in ("print", "len", "abs", "max", "min", "sum"):
        return v.name
    raise _err("TypeError", f"torch.save of a '{_type_name(v)}' object is not supported")


def _tensors_in(value: Any) -> list[Any]:
    from .memory import reachable

    return reachable([value])


def _fresh_copy(value: Any) -> Any:
    """What saving ``value`` whole and loading it back gives: its tensors copied as a
    checkpoint copies them (new memory, shared where it was shared, leaves keeping
    ``requires_grad``, no ``.grad``), everything else as ``copy.deepcopy``."""
    tensors = _tensors_in(value)
    copies = serialization.loads(serialization.dumps(tensors, _refuse), _cpu_or_same,
                                 _no_objects)
    memo: dict[int, Any] = {id(t): c for t, c in zip(tensors, copies)}
    memo[id(memo)] = [tensors]  # deepcopy's keep-alive list
    return copy.deepcopy(value, memo)


def _refuse(v: Any) -> Any:
    raise AssertionError("only tensors are copied here")


def _no_objects(name: Any) -> Any:
    raise serialization.NotACheckpoint("a damaged checkpoint")


def _cpu_or_same(where: str) -> Any:
    return engine.device(where)


def _save(rs: RunState, obj: Any, f: Any, pickle_module: Any = None, pickle_protocol: Any = 2,
          _use_new_zipfile_serialization: Any = True,
          _disable_byteorder_record: Any = False) -> None:
    if pickle_module is not None and not _is_pickle(pickle_module):
        raise _err("NotImplementedError",
                   "torch.save(pickle_module=...) is not supported: checkpoints are written "
                   "in the service's own format, never pickled")
    if not isinstance(pickle_protocol, int) or isinstance(pickle_protocol, bool):
        raise _err("TypeError", "an integer is required")
    if pickle_protocol > 5:
        raise _err("ValueError", "pickle protocol must be <= 5")
    path = _path_arg(f)
    if path is None and type(f) is not MemoryFile:
        raise _err("AttributeError", "expected 'f' to be string, path, or a file-like object "
                                     "with a 'write' attribute")
    store = store_of(rs)
    name = ""
    if path is not None:
        if path == "":
            raise _err("RuntimeError", "[enforce fail at inline_container.cc:720] . invalid "
                                       "file name: ")
        name = normalize(path)
        if store.is_dir(name):
            raise _err("RuntimeError", "[enforce fail at inline_container.cc:747] . open file "
                                       "failed with strerror: Is a directory")
        parent = str(pathlib.PurePosixPath(path).parent)
        if not store.is_dir(normalize(posixpath.dirname(name))):
            raise _err("RuntimeError", f"Parent directory {parent} does not exist.")
    else:
        f.check()
    found: list[str] = []

    def opaque(v: Any) -> Any:
        found.append(_global_name(v))
        return {"g": found[-1]}

    legacy = {"legacy": True} if not _use_new_zipfile_serialization else None
    blob = serialization.dumps(obj, opaque, legacy)
    extra_entries = 0
    if found:  # saved whole: the store keeps a copy, the checkpoint names it
        key = store.next_object
        copied = _fresh_copy(obj)
        blob = serialization.dumps(None, _refuse, {"whole": key, "first": found[0],
                                                   **(legacy or {})})
        extra_entries = 1
    if path is not None:
        old = store.files.get(name)
        total = store.nbytes() - (0 if old is None else int(old.nbytes)) + len(blob)
        _check_total(rs, total, store.entries() + (old is None) + extra_entries)
    else:
        _check_total(rs, len(f.data) + len(blob), store.entries() + extra_entries)
    if found:
        store.objects[key] = copied
        store.next_object += 1
    if path is not None:
        store.put(name, blob)
        rs.allocated(len(blob))
    else:
        f.write(rs, blob)


# --------------------------------------------------------------------------- torch.load

def _locator(rs: RunState, map_location: Any) -> Any:
    from .builtins import _callable
    from .objects import call_value

    def check(dev: Any) -> Any:
        dev = engine.device(dev)
        if dev.type == "cuda" and not _cuda_ok():
            raise _err("RuntimeError", _NO_CUDA)
        return dev

    if map_location is None:
        return check
    if isinstance(map_location, (str, Device)):
        target = check(map_location)
        return lambda where: target
    if isinstance(map_location, dict):
        table = dict(map_location)
        return lambda where: check(table.get(where, where))
    if _callable(rs, map_location):
        def call(where: str) -> Any:
            probe = engine.zeros(0, dtype=engine.uint8)
            out = call_value(rs, map_location, (probe, where), {})
            if out is None or out is probe:
                return check(where)
            if isinstance(out, engine.Tensor):
                return check(out.device)
            return check(where)
        return call
    raise _err("TypeError", f"'{_type_name(map_location)}' object is not callable")


def _is_pickle(module: Any) -> bool:
    """Python's ``pickle`` module (the language's): the format stays ours, and what a load
    gives is the same as with the default."""
    from .library import LibModule

    return type(module) is LibModule and module.path == "pickle"


def _cuda_ok() -> bool:
    from engine.device import cuda_device_count

    return cuda_device_count() > 0


def _load(rs: RunState, f: Any, map_location: Any = None, pickle_module: Any = None, *,
          weights_only: Any = None, mmap: Any = None, **pickle_load_args: Any) -> Any:
    if weights_only is None:  # torch 2.13: True, unless a pickle_module is given
        weights_only = pickle_module is None
    if pickle_module is not None:
        if weights_only:
            raise _err("RuntimeError", "Can not safely load weights when explicit "
                                       "pickle_module is specified")
    if pickle_module is not None and not _is_pickle(pickle_module):
        raise _err("NotImplementedError",
                   "torch.load(pickle_module=...) is not supported: checkpoints are read in "
                   "the service's own format, never unpickled")
    if pickle_load_args:
        raise _err("NotImplementedError",
                   f"torch.load({next(iter(pickle_load_args))}=...) is not supported: "
                   "checkpoints are never unpickled")
    path = _path_arg(f)
    store = store_of(rs)
    if path is not None:
        name = normalize(path)
        if path and store.is_dir(name):
            raise _is_a_dir(path)
        if name not in store.files:
            raise _not_found(path)
        data = store.get(name)
        buffer = None
    elif type(f) is MemoryFile:
        if mmap:
            raise _err("ValueError", "f must be a file path in order to use the mmap argument")
        data = f.read_rest()
        buffer = f
    else:
        raise _err("AttributeError", f"'{_type_name(f)}' object has no attribute 'seek'. "
                                     "You can only torch.load from a file that is seekable. "
                                     "Please pre-load the data into a buffer like io.BytesIO "
                                     "and try to load from it instead.")
    if not data:
        raise _err("EOFError", "" if weights_only else "Ran out of input")
    try:
        header, start = serialization.header_of(data)
    except serialization.NotACheckpoint as exc:
        raise _err("UnpicklingError", f"{exc}: these bytes were not written by torch.save in "
                                      "this service") from None
    if mmap and isinstance(header.get("x"), dict) and header["x"].get("legacy"):
        raise _err("RuntimeError", "mmap can only be used with files saved with "
                                   f"`torch.save({f}, _use_new_zipfile_serialization=True), please "
                                   "torch.save your checkpoint with this option in order to "
                                   "use mmap.")
    names = serialization.opaque_names(header)
    whole = _whole_key(header)
    if weights_only and names:
        raise _err("UnpicklingError", _WEIGHTS_ONLY.format(_first_name(names[0])))
    locate = _locator(rs, map_location)
    budget = rs.limits.max_session_bytes
    if whole is not None:
        if weights_only:
            raise _err("UnpicklingError", _WEIGHTS_ONLY.format(whole[1]))
        saved = store.objects.get(whole[0], _MISSING)
        if saved is _MISSING:
            raise _err("UnpicklingError", "the object this checkpoint names is not in this "
                                          "session")
        out = _fresh_copy(saved)
    else:
        try:
            out = serialization.loads(data, locate, _no_objects, budget)
        except serialization.NotACheckpoint as exc:
            raise _err("UnpicklingError", f"{exc}: these bytes were not written by torch.save "
                                          "in this service") from None
        except MemoryError:
            raise rs.limit_error(f"the session would hold more than {budget} bytes of tensors "
                                 "(max_session_bytes)", "max_session_bytes", budget) from None
    if buffer is not None:
        buffer.pos += _checkpoint_length(header, start)
    for t in _tensors_in(out):
        rs.allocated(t.nbytes)
    return out


_MISSING = object()


def _whole_key(header: dict[str, Any]) -> tuple[int, str] | None:
    extra = header.get("x")
    if isinstance(extra, dict) and isinstance(extra.get("whole"), int) and \
            isinstance(extra.get("first"), str):
        return extra["whole"], extra["first"]
    return None


def _first_name(name: Any) -> str:
    return name.get("g", "?") if isinstance(name, dict) else "?"


def _checkpoint_length(header: dict[str, Any], start: int) -> int:
    end = start
    for at, size, _ in header["storages"]:
        end = max(end, start + at + size)
    return end


# --------------------------------------------------------------------------- os, os.path

def _str_path(path: Any, fn: str) -> str:
    if not isinstance(path, str):
        raise _err("TypeError", f"{fn}: path should be string, bytes or os.PathLike, not "
                                f"{_type_name(path)}")
    return path


def _exists(rs: RunState, path: Any) -> bool:
    return isinstance(path, str) and path != "" and store_of(rs).exists(normalize(path))


def _isfile(rs: RunState, path: Any) -> bool:
    return isinstance(path, str) and path != "" and normalize(path) in store_of(rs).files


def _isdir(rs: RunState, path: Any) -> bool:
    return isinstance(path, str) and path != "" and store_of(rs).is_dir(normalize(path))


def _makedirs(rs: RunState, name: Any, mode: Any = 0o777, exist_ok: Any = False) -> None:
    name = _str_path(name, "makedirs")
    store = store_of(rs)
    target = normalize(name)
    if store.exists(target):
        if exist_ok and store.is_dir(target):
            return
        raise _err("FileExistsError", f"[Errno 17] File exists: {name!r}")
    chain = []
    here = target
    while here not in ("", ".", "/", "//") and not store.is_dir(here):
        if here in store.files:
            raise _err("NotADirectoryError", f"[Errno 20] Not a directory: {name!r}")
        chain.append(here)
        here = posixpath.dirname(here)
    _check_total(rs, store.nbytes(), store.entries() + len(chain))
    store.dirs.update(chain)


def _mkdir(rs: RunState, path: Any, mode: Any = 0o777) -> None:
    path = _str_path(path, "mkdir")
    store = store_of(rs)
    target = normalize(path)
    if store.exists(target):
        raise _err("FileExistsError", f"[Errno 17] File exists: {path!r}")
    if not store.is_dir(normalize(posixpath.dirname(target))):
        raise _not_found(path)
    _check_total(rs, store.nbytes(), store.entries() + 1)
    store.dirs.add(target)


def _remove(rs: RunState, path: Any) -> None:
    path = _str_path(path, "remove")
    store = store_of(rs)
    target = normalize(path)
    if store.is_dir(target):
        raise _is_a_dir(path)
    if store.files.pop(target, None) is None:
        raise _not_found(path)


def _rmdir(rs: RunState, path: Any) -> None:
    path = _str_path(path, "rmdir")
    store = store_of(rs)
    target = normalize(path)
    if target in store.files:
        raise _err("NotADirectoryError", f"[Errno 20] Not a directory: {path!r}")
    if target not in store.dirs:
        raise _not_found(path)
    prefix = "" if target in (".", "/") else target + "/"
    if any(n.startswith(prefix) for n in (*store.files, *store.dirs) if n != target):
        raise _err("OSError", f"[Errno 39] Directory not empty: {path!r}")
    store.dirs.discard(target)


def _listdir(rs: RunState, path: Any = ".") -> list[str]:
    path = _str_path(path, "listdir")
    store = store_of(rs)
    target = normalize(path)
    if target in store.files:
        raise _err("NotADirectoryError", f"[Errno 20] Not a directory: {path!r}")
    if not store.is_dir(target):
        raise _not_found(path)
    out = []
    for n in (*store.files, *store.dirs):
        if posixpath.dirname(n) == ("" if target == "." else target) or \
                (target == "/" and posixpath.dirname(n) == "/"):
            out.append(posixpath.basename(n))
    return sorted(out)


def _getsize(rs: RunState, path: Any) -> int:
    path = _str_path(path, "getsize")
    store = store_of(rs)
    target = normalize(path)
    if target in store.files:
        return int(store.files[target].nbytes)
    if store.is_dir(target):
        return 0
    raise _not_found(path)


def _pure(name: str, fn: Any, arity: str = "") -> BuiltinFunction:
    def run(rs: RunState, *args: Any) -> Any:
        for a in args:
            if not isinstance(a, str):
                raise _err("TypeError", f"expected str, bytes or os.PathLike object, not "
                                        f"{_type_name(a)}")
        try:
            return fn(*args)
        except TypeError as exc:
            raise _err("TypeError", str(exc)) from None
    return BuiltinFunction(name, run)


OS_PATH: dict[str, Any] = {
    "exists": BuiltinFunction("exists", _exists), "isfile": BuiltinFunction("isfile", _isfile),
    "isdir": BuiltinFunction("isdir", _isdir), "getsize": BuiltinFunction("getsize", _getsize),
    "sep": "/",
}
OS_PATH.update({name: _pure(name, getattr(posixpath, name)) for name in (
    "join", "basename", "dirname", "splitext", "split", "normpath", "isabs")})
OS: dict[str, Any] = {
    "makedirs": BuiltinFunction("makedirs", _makedirs), "mkdir": BuiltinFunction("mkdir", _mkdir),
    "remove": BuiltinFunction("remove", _remove), "unlink": BuiltinFunction("unlink", _remove),
    "rmdir": BuiltinFunction("rmdir", _rmdir), "listdir": BuiltinFunction("listdir", _listdir),
    "sep": "/", "curdir": ".", "pardir": "..", "extsep": ".",
}
IO: dict[str, Any] = {"BytesIO": BuiltinFunction("BytesIO", _bytes_io)}
TORCH: dict[str, Any] = {"save": BuiltinFunction("save", _save),
                         "load": BuiltinFunction("load", _load)}


def pickle_module() -> dict[str, Any]:
    """``pickle``: its exception classes only (``except pickle.UnpicklingError``)."""
    from .exceptions import LIBRARY_EXCEPTIONS

    return {name: LIBRARY_EXCEPTIONS[name]
            for name in ("PickleError", "PicklingError", "UnpicklingError")}


def _register_methods() -> None:
    from . import methods

    methods._TABLES[MemoryFile] = BYTESIO_METHODS


_register_methods()
