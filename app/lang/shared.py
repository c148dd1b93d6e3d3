"""What no program may change: the objects every session of the process shares.

Python lets a program change builtin types no more than CPython does (``int.x = 1`` is a
``TypeError``), but it would let it set or delete attributes of modules, of library classes and
functions written in Python (``torch.nn.Linear.forward = f``, ``del F.relu``), of module-level
objects (``constraints.positive``, ``dataclasses.MISSING``) and mutate containers held by
library classes (``Normal.arg_constraints['loc'] = ...``). In the service each of those is one
object for every session of the process, so such a change would reach all of them. Here:

- a write or delete of an attribute of a shared class is CPython's ``TypeError`` for an
  immutable type (``cannot set 'x' attribute of immutable type 'Linear'``): the library's and
  the language's classes (``Exception``, ``object`` ...) are immutable types;
- of a shared object that has no attributes of its own in Python (a builtin function, an op, a
  dtype, a device ...), Python's ``AttributeError`` for it;
- of a module, a library function or another shared object, an ``AttributeError`` that says
  the object is shared and read-only (:func:`write_refused`);
- a list, dict or set read off a library class (or a shared object) is the program's own copy
  (:func:`unshared`), so mutating it changes nothing outside the program.

A program's own classes, objects and library objects (its modules, optimizers ...) are not
shared and stay writable.
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any

from .errors import ProgramError
from .library import PACKAGES, LibModule, is_library_class, is_library_object, torch_class_name
from .values import LANG_TYPES, BuiltinType, Instance, UserClass, type_name

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time (its tp_name is __name__)
#: torch's classes written in C: CPython names them by their dotted tp_name
_TORCH_C_TYPES = {"Size": "torch.Size", "dtype": "torch.dtype", "device": "torch.device",
                  "finfo": "torch.finfo", "iinfo": "torch.iinfo",
                  "Generator": "torch._C.Generator"}
#: the mutable containers :func:`unshared` copies
SHARED_CONTAINERS = (dict, list, set)
_NOTHING = object()


class SharedAttrs(dict):
    """The attribute table of a language object every session shares (``dataclasses.MISSING``):
    a program's write is refused, wherever it comes from (the interpreter's fast paths write
    ``obj.attrs[name]`` directly)."""

    __slots__ = ("owner",)

    def __setitem__(self, name: str, value: Any) -> None:
        raise write_refused(self.owner, name)

    def __delitem__(self, name: str) -> None:
        raise write_refused(self.owner, name, delete=True)


def share(obj: Instance, name: str) -> Instance:
    """Make ``obj`` (a module-level language object, shown as ``name``) read-only."""
    attrs = SharedAttrs(obj.attrs)
    attrs.owner = _Named(obj, name)
    obj.attrs = attrs
    return obj


class _Named:
    __slots__ = ("obj", "name")

    def __init__(self, obj: Any, name: str) -> None:
        self.obj, self.name = obj, name


def immutable_type_name(cls: Any) -> str | None:
    """The name CPython's "immutable type" error gives ``cls``, or None when ``cls`` is no
    class of the language's or the libraries' (a program's own class)."""
    if type(cls) is UserClass:
        return cls.name if cls.builtin else None
    if type(cls) is BuiltinType:
        pytype = cls.pytype
        return _tp_name(pytype) if isinstance(pytype, type) else cls.name
    if isinstance(cls, type):
        if "_lang_class" in cls.__dict__:  # a program's library subclass: its own
            return None
        return _tp_name(cls)
    return None


def _tp_name(t: type) -> str:
    if t is LibModule:
        return "module"
    if is_library_class(t):
        path, name = torch_class_name(t)
        return _TORCH_C_TYPES.get(name, name) if path == f"torch.{name}" else name
    if t.__flags__ & _HEAPTYPE:
        return t.__name__
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def write_refused(obj: Any, name: str, *, delete: bool = False) -> ProgramError:
    """The error for ``obj.name = ...`` (``del obj.name`` when ``delete``) on an object no
    program may change (see the module doc)."""
    verb = "delete" if delete else "set"
    if type(obj) is _Named:
        return ProgramError(f"cannot {verb} attribute '{name}' of {obj.name}: it is shared by "
                            "every session of the service, so it is read-only",
                            exception="AttributeError")
    tp = immutable_type_name(obj)
    if tp is not None:
        return ProgramError(f"cannot set '{name}' attribute of immutable type '{tp}'",
                            exception="TypeError")
    if type(obj) is LibModule:
        return ProgramError(f"cannot {verb} attribute '{name}' of module '{obj.path}': modules "
                            "are shared by every session of the service, so they are read-only",
                            exception="AttributeError")
    if type(obj) is types.FunctionType:
        return ProgramError(f"cannot {verb} attribute '{name}' of function "
                            f"'{obj.__qualname__}': library functions are shared by every "
                            "session of the service, so they are read-only",
                            exception="AttributeError")
    if is_shared_object(obj):
        return ProgramError(f"cannot {verb} attribute '{name}' of '{type_name(obj)}' object: "
                            "module-level library objects are shared by every session of the "
                            "service, so they are read-only", exception="AttributeError")
    tname = _object_type_name(obj)
    if type(obj) not in LANG_TYPES and \
            inspect.getattr_static(obj, name, _NOTHING) is not _NOTHING:
        return ProgramError(f"attribute '{name}' of '{tname}' objects is not writable",
                            exception="AttributeError")
    return ProgramError(f"'{tname}' object has no attribute '{name}'",
                        exception="AttributeError")


def _object_type_name(obj: Any) -> str:
    t = type(obj)
    if is_library_class(t):
        return _tp_name(t)
    return type_name(obj)


_SHARED: dict[int, Any] | None = None


def is_shared_object(obj: Any) -> bool:
    """Whether ``obj`` is a module-level object of a library package (``constraints.positive``,
    ``biject_to``, ``identity_transform``)."""
    global _SHARED
    if _SHARED is None:
        found: dict[int, Any] = {}
        for package in PACKAGES.values():
            module = importlib.import_module(package)
            for name in getattr(module, "__all__", ()):
                value = getattr(module, name, None)
                if is_library_object(value) and not isinstance(
                        value, (type, types.FunctionType, types.ModuleType)):
                    found[id(value)] = value
        _SHARED = found
    return id(obj) in _SHARED


def unshared(obj: Any, name: str, value: Any) -> Any:
    """``value`` (what ``obj.name`` read from a library class or object) as the program may
    hold it: a list, dict or set the class (or a shared object) holds is copied, nested ones
    too, so a program's change stays its own; anything else is ``value`` itself."""
    if type(value) not in SHARED_CONTAINERS:
        return value
    if isinstance(obj, type) or is_shared_object(obj):
        return _copy(value)
    own = getattr(obj, "__dict__", None)
    if own is not None and name not in own and \
            inspect.getattr_static(type(obj), name, _NOTHING) is value:
        return _copy(value)  # a class attribute read through an object
    return value


def _copy(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list:
        return [_copy(v) for v in value]
    if t is set:
        return set(value)
    return value
