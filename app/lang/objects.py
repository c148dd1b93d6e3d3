"""Attributes and calls: how a program reads ``obj.name``, calls ``f(...)`` and
``obj.method(...)``, whatever ``obj`` and ``f`` are.

- tensors: the whitelisted attributes (``grad``, ``shape`` ...) and the op table's methods;
- the language's objects: their class's attributes along its MRO, properties, bound methods;
- library objects (modules, optimizers, graph nodes ...): public attributes, through the
  firewall (:mod:`app.lang.library`);
- Python's plain values: the str/list/dict/set methods of :mod:`app.lang.methods`.
Nothing here reads a dunder of a Python object for a program but the names of engine
classes and functions (:func:`dunder_attr` answers the few readable ones itself).
"""

from __future__ import annotations

import types
import warnings
from typing import Any

import engine
import engine.dynamo
from engine.backends import CUDNN_FLAGS, cudnn_flag, set_cudnn_flag
from engine.ops import signatures as engine_signatures
from engine.ops.keywords import PYTHON_METHODS
from engine.ops.numpy_names import PYTHON_WRITTEN

from . import arrays, npmod, pycollections
from .arrays import Array
from .dataclass_module import PARAMS as DATACLASS_PARAMS
from .dataclass_module import frozen_error
from .errors import LangError, ProgramError
from .exceptions import convert_exception
from .library import _MISSING as MISSING
from .library import (
    VERSIONS,
    LibModule,
    admit,
    class_function,
    is_library_class,
    is_library_function,
    is_library_object,
    member,
    missing_member,
    missing_tensor_attr,
    torch_class_name,
)
from .pyabc import ABSTRACTS, check_instantiable
from .pycollections import ATTRIBUTES as COLLECTION_ATTRIBUTES
from .pycontextlib import ContextManagerFunction
from .pyenum import NAMES as ENUM_NAMES
from .pyenum import enum_call, members_proxy, str_enum_method
from .pyenum import set_refused as enum_set_refused
from .pyfunctools import CachedFunction
from .runtime import RunState
from .schema import READABLE_ATTRS, WRITABLE_ATTRS
from .shared import unshared, write_refused
from .values import (
    CLASS_VERSION,
    BoundMethod,
    BoundOp,
    BuiltinFunction,
    BuiltinType,
    ClassMethod,
    ContextFunction,
    Function,
    Instance,
    NativeMethod,
    OpFunction,
    Property,
    StaticMethod,
    SuperProxy,
    UserClass,
    classes_changed,
    invoke,
    new_instance,
    type_name,
    user_class_of,
)

Tensor = engine.Tensor
_LEGACY_TENSOR = engine.legacy.tensor_new
FUNCTION_LIKE = (Function, NativeMethod, ContextFunction)
_EMPTY: dict[str, Any] = {}


def no_attribute(value: Any, name: str) -> ProgramError:
    return ProgramError(f"'{type_name(value)}' object has no attribute '{name}'",
                        exception="AttributeError")


# --------------------------------------------------------------------------- tensors

_TENSORLIBRARY_METHODS: dict[str, Any] = {}


def _where(self: Any, condition: Any, other: Any) -> Any:
    return engine.ops.lookup("where").fn(condition, self, other)


#: Tensor methods whose signature is not the op's function form: ``x.flip(0, 1)`` and
#: ``x.tile(2)`` take their ints one by one, ``torch.flip(x, (0, 1))`` a tuple; ``x.unfold``
#: is the view method, not ``F.unfold``; and the methods torch writes in Python
#: (``x.split``, ``x.norm`` ...: Python's own argument errors, "Tensor.split() got an
#: unexpected keyword argument 'sep'", no NumPy ``axis=``). The program calls the engine's
#: Tensor method, as torch's Tensor does.
_METHOD_FORMS = frozenset({"flip", "tile", "unfold"}) | (PYTHON_METHODS - {
    "backward", "register_hook", "register_post_accumulate_grad_hook"})


def tensor_method(name: str) -> Any:
    """The op a tensor method calls (the receiver is its first argument), or None."""
    fn = _TENSORLIBRARY_METHODS.get(name)
    if fn is None:
        opdef = engine.ops.lookup(name)
        if name == "where":
            fn = _where
        elif (name in _METHOD_FORMS or hasattr(getattr(engine.Tensor, name, None),
                                                "signature_guard")) and \
                callable(getattr(engine.Tensor, name, None)):
            # (a guarded method binds the call by torch's method signatures first:
            # engine/ops/signatures.py GUARDED)
            fn = getattr(engine.Tensor, name)
        elif opdef is not None:
            fn = opdef.fn
        else:
            return None
        _TENSORLIBRARY_METHODS[name] = fn
    return fn


def _numpy(rs: RunState, t: Any, *, force: bool = False) -> Array:
    try:
        return arrays.from_tensor(t, force=bool(force))
    except Exception as exc:
        raise convert_exception(exc, "numpy", rs.limits) from None


def _data_ptr(rs: RunState, t: Any, *args: Any, **kwargs: Any) -> int:
    """``x.data_ptr()``: where the tensor's first element is, as an address-like number that
    is no address (the language's ``id`` of the buffer at the root of its storage, in steps of
    64 bytes as torch's CPU allocator aligns, plus the element's byte offset in it): the same
    for every tensor of one storage, views apart by their offsets as in torch; 0 for a tensor
    with no elements (torch gives an empty view of a storage its place in it)."""
    from .builtins import _id

    if kwargs:
        raise ProgramError("TensorBase.data_ptr() takes no keyword arguments",
                           exception="TypeError")
    if args:
        raise ProgramError(f"TensorBase.data_ptr() takes no arguments ({len(args)} given)",
                           exception="TypeError")
    arr = t._data
    if arr.size == 0:
        return 0
    root = arr
    while isinstance(getattr(root, "base", None), type(arr)):
        root = root.base
    return (_id(rs, root) << 6) + _address(arr) - _address(root)


def _address(arr: Any) -> int:
    interface = getattr(arr, "__array_interface__", None)
    return interface["data"][0] if interface is not None else arr.data.ptr  # CuPy's


#: Tensor methods that are no ops: ``x.numpy()`` gives the language's read-only array;
#: ``x.data_ptr()`` an address that is none.
TENSOR_NATIVE = {"numpy": NativeMethod("numpy", _numpy),
                 "data_ptr": NativeMethod("data_ptr", _data_ptr)}


def tensor_attr(obj: Any, name: str) -> Any:
    if name in READABLE_ATTRS:
        if name in ("values", "indices"):
            raise no_attribute(obj, name)
        return admit(getattr(obj, name))
    fn = tensor_method(name)
    if fn is not None:
        return BoundOp(obj, name, fn)
    native = TENSOR_NATIVE.get(name)
    if native is not None:
        return BoundMethod(obj, native)
    raise missing_tensor_attr(name)


# --------------------------------------------------------------------------- reading

def get_attr(rs: RunState, obj: Any, name: str) -> Any:
    """``obj.name`` as the language defines it."""
    if isinstance(obj, Tensor):
        return tensor_attr(obj, name)
    if isinstance(obj, Instance):
        return instance_attr(rs, obj, name)
    t = type(obj)
    if t is UserClass:
        return class_attr(rs, obj, name)
    if t is LibModule:
        if obj.path == "torch.backends.cudnn" and name in CUDNN_FLAGS:
            return cudnn_flag(name)
        value = member(obj.path, name)
        if value is MISSING:
            raise missing_member(obj.path, name, f"{obj.path}.{name}")
        return value
    if t is SuperProxy:
        return super_attr(rs, obj, name)
    if t in PLAIN_LIBRARY_TYPES:
        return library_attr(obj, name)
    if hasattr(t, "_lang_class"):
        return bridge_attr(rs, obj, name)
    if name == "__name__":
        return name_of(obj)
    if t is Function and obj.attrs and name in obj.attrs:
        return obj.attrs[name]
    if t is BuiltinType:
        from .builtins import TYPE_ATTRIBUTES

        found = TYPE_ATTRIBUTES.get((obj.name, name))
        if found is not None:
            return found
        if name in ("_fields", "_field_defaults") and isinstance(obj.pytype, type) and \
                pycollections.named_tuple_class(obj.pytype):
            return getattr(obj.pytype, name)  # a named tuple class's fields (tuple, dict)
        from .methods import unbound_method

        found = unbound_method(obj.pytype, obj.name, name)  # ``key=str.lower``
        if found is not None:
            return found
        raise ProgramError(f"type object '{obj.name}' has no attribute '{name}'",
                           exception="AttributeError")
    from .methods import native_method

    method = native_method(obj, name)
    if method is not None:
        return BoundMethod(obj, method)
    read = COLLECTION_ATTRIBUTES.get((t, name))
    if read is not None:  # deque.maxlen, defaultdict.default_factory
        return read(obj)
    if t is Array:
        read = arrays.ATTRIBUTES.get(name)
        if read is not None:
            return read(obj)
    if t is arrays.ArrayDType and name in arrays.DTYPE_ATTRIBUTES:
        return arrays.DTYPE_ATTRIBUTES[name](obj)
    np_attrs = npmod.ATTRIBUTES.get(t)
    if np_attrs is not None and name in np_attrs:
        return np_attrs[name](obj)
    if t is Property and name in PROPERTY_ACCESSORS:
        return property_accessor(obj, name)
    if isinstance(obj, (range, slice)) and name in ("start", "stop", "step"):
        return getattr(obj, name)
    if isinstance(obj, tuple) and hasattr(obj, "_fields") and name in obj._fields:
        return admit(getattr(obj, name))  # named tuples (sort's values/indices ...)
    if is_library_object(obj):
        if not isinstance(obj, _PLAIN_BASES):  # no str/list/... methods to find first
            PLAIN_LIBRARY_TYPES.add(t)
        return library_attr(obj, name)
    if is_library_class(obj):
        return library_attr(obj, name)
    raise no_attribute(obj, name)


#: Types of library objects (optimizers, graph nodes, custom-Function contexts, engine modules
#: ...) met so far that are neither bridges nor subclasses of str/list/tuple/...: ``get_attr``
#: goes straight to :func:`library_attr` for them.
PLAIN_LIBRARY_TYPES: set[type] = set()
_PLAIN_BASES = (str, list, tuple, dict, set, frozenset, int, float, range, slice, type)


#: Underscored attributes of library objects that torch programs read as public ones
#: (``torch.compile(model)._orig_mod``, the compiled module's original).
LIBRARY_UNDERSCORED: dict[type, frozenset[str]] = {
    engine.dynamo.OptimizedModule: frozenset({"_orig_mod"})}
#: Private attributes that published programs read and torch keeps as plain attributes: a
#: module's tables of parameters, buffers, submodules and hooks (the real tables: a program that
#: changes them changes the module, as in torch), a pruning method's tensor name.
MODULE_PRIVATE_READS = frozenset({
    "_parameters", "_buffers", "_modules", "_non_persistent_buffers_set",
    "_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks",
    # a recurrent module's weight names and weights (d2l's init_seq2seq loops over them)
    "_flat_weights_names", "_all_weights", "_flat_weights"})


def private_readable(obj: Any, name: str) -> bool:
    """Whether ``obj.name`` (a private name) is one programs may read: one of
    :data:`MODULE_PRIVATE_READS` on a module, a graph node's ``_saved_*`` / ``_raw_saved_*``
    (engine/autograd/introspect.py), or of :data:`LIBRARY_UNDERSCORED`."""
    if name in MODULE_PRIVATE_READS:
        return isinstance(obj, engine.nn.Module)
    if name == "_tensor_name":
        return isinstance(obj, engine.nn.utils.prune.BasePruningMethod)
    if name.startswith(("_saved_", "_raw_saved_")):  # a graph node's saved values (torch's
        return isinstance(obj, engine.autograd.Node)  # autograd docs read them)
    return name in LIBRARY_UNDERSCORED.get(type(obj), ())


def library_attr(obj: Any, name: str) -> Any:
    """A public attribute of a library object or class, through the firewall."""
    if name.startswith("_") and name != "__init__" and not private_readable(obj, name):
        raise ProgramError(f"'{type_name(obj)}' object attribute '{name}' is private to "
                           "the library", exception="AttributeError")
    value = library_getattr(obj, name)
    if type(value) is types.FunctionType and isinstance(obj, type):  # ``opt_cls.step``
        value = class_function(obj, name, value)
    return admit(unshared(obj, name, value))


LIBRARY_METHODS: dict[tuple[type, str], Any] = {}
#: Attribute names programs have set on library objects (``ctx.k = k``): a method call of such
#: a name reads the object's attribute (which may shadow its class's method) the long way.
ASSIGNED_NAMES: set[str] = set()


def library_method(t: type, name: str) -> Any:
    """The engine's plain function ``name`` on library type ``t`` (found along its MRO), when
    ``obj.name(...)`` is ``function(obj, ...)`` for its objects — no bound method to make and
    admit — or None (a private name, a descriptor, a type with its own attribute lookup).
    An object's own attribute of that name would shadow it: the caller checks
    :data:`ASSIGNED_NAMES` (reading an object's ``__dict__`` would make one)."""
    key = (t, name)
    try:
        return LIBRARY_METHODS[key]
    except KeyError:
        pass
    found = None
    if name[0] != "_" and t.__getattribute__ is object.__getattribute__:
        for klass in t.__mro__:
            if name in klass.__dict__:
                value = klass.__dict__[name]
                if type(value) is types.FunctionType and is_library_function(value):
                    found = value
                break
    if len(LIBRARY_METHODS) < 10_000:
        LIBRARY_METHODS[key] = found
    return found


def library_getattr(obj: Any, name: str) -> Any:
    """``getattr`` on a library object, its errors as the program sees them."""
    try:
        return getattr(obj, name)
    except AttributeError as exc:
        raise convert_exception(exc) from None
    except Exception as exc:
        raise convert_exception(exc, name) from None


def _library_callable(obj: Any) -> Any:
    """The engine class or function ``obj`` is (a bound library method's function), or None."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, type) and is_library_class(obj) or \
            isinstance(obj, types.FunctionType) and is_library_function(obj):
        return obj
    return None


def name_of(obj: Any) -> str:
    """``obj.__name__``: a class's, function's, method's or module's name."""
    if type(obj) is BuiltinType:
        return obj.name.rpartition(".")[2]  # numpy.ndarray's is "ndarray"
    if isinstance(obj, (Function, UserClass, BuiltinFunction, OpFunction, ContextFunction,
                        BoundOp)):
        return obj.name
    if type(obj) is BoundMethod:
        return name_of(obj.func)
    if type(obj) is LibModule:
        return obj.path
    lib = _library_callable(obj)
    if lib is not None:
        return torch_class_name(lib)[1] if isinstance(lib, type) else lib.__name__
    raise no_attribute(obj, "__name__")


def qualname_of(obj: Any) -> str:
    if isinstance(obj, (Function, UserClass, ContextFunction, ContextManagerFunction)):
        return obj.qualname
    if type(obj) is BoundMethod:
        return qualname_of(obj.func)
    if type(obj) is BoundOp:
        return f"Tensor.{obj.name}"
    if type(obj) is LibModule:
        raise no_attribute(obj, "__qualname__")
    lib = _library_callable(obj)
    if lib is not None:
        return torch_class_name(lib)[1] if isinstance(lib, type) else lib.__qualname__
    try:
        return name_of(obj)
    except ProgramError:
        raise no_attribute(obj, "__qualname__") from None


def doc_of(obj: Any) -> str | None:
    """A user function's or class's docstring (None when it has none); the engine's own
    docstrings are not torch's, so a library object's is not offered."""
    if type(obj) is BoundMethod:
        obj = obj.func
    if type(obj) is ContextFunction:
        obj = obj.func
    if type(obj) is Function:
        return obj.doc
    if type(obj) is CachedFunction or type(obj) is ContextManagerFunction:
        return obj.doc
    if isinstance(obj, Instance):
        obj = obj.cls
    elif not isinstance(obj, UserClass):
        obj = user_class_of(obj) or obj
    if isinstance(obj, UserClass) and not obj.builtin:
        return obj.doc
    raise ProgramError(f"'{type_name(obj)}' object's __doc__ is not available in programs "
                       "(only user functions' and classes' docstrings)",
                       exception="AttributeError")


def dunder_attr(rs: RunState, obj: Any, name: str) -> Any:
    """The dunder attributes a program may read (``schema.READ_DUNDERS``), read-only: the
    value's class as ``type(obj)`` gives it, names and user docstrings. Nothing else."""
    if name == "__class__":
        from .builtins import class_of

        return class_of(obj)
    if name == "__name__":
        return name_of(obj)
    if name == "__qualname__":
        return qualname_of(obj)
    if name == "__doc__":
        return doc_of(obj)
    if name == "__version__":  # ``torch.__version__``, ``np.__version__``
        if type(obj) is not LibModule:
            raise no_attribute(obj, name)
        if obj.path not in VERSIONS:
            raise ProgramError(f"module '{obj.path}' has no attribute '__version__'",
                               exception="AttributeError")
        return VERSIONS[obj.path]
    if name == "__init__":
        return get_attr(rs, obj, name)
    if name == "__members__":  # an enum's names to its members, read-only
        cls = obj if type(obj) is UserClass else obj.cls if isinstance(obj, Instance) else None
        if cls is not None and cls.lookup(ENUM_NAMES) is not None:
            return members_proxy(cls)
        if type(obj) is UserClass:
            raise ProgramError(f"type object '{obj.name}' has no attribute '__members__'",
                               exception="AttributeError")
        raise no_attribute(obj, name)
    raise ProgramError(f"dunder attributes are not allowed: '{name}'",
                       exception="AttributeError")


#: Special methods every Python object has (from ``object``): called by name on a program's
#: object whose class does not define them, they are refused rather than said to be missing.
_OBJECT_SPECIALS = frozenset({"__repr__", "__str__", "__eq__", "__ne__", "__lt__", "__le__",
                              "__gt__", "__ge__", "__hash__", "__format__", "__init__"})


def has_special(rs: RunState, obj: Any, name: str) -> bool:
    """``hasattr(obj, name)`` for a special method (``schema.SPECIAL_METHODS``), as Python
    answers it: a program's object or class has it where its class (or a library base)
    defines it or ``object`` does; a function has ``__call__``; any other value where its
    type has it. Only the answer reaches the program."""
    cls = obj.cls if isinstance(obj, Instance) else obj if type(obj) is UserClass else None
    if cls is not None:
        if name in _OBJECT_SPECIALS or cls.lookup(name) is not None:
            return True
        return cls.pytype is not None and hasattr(cls.pytype, name)
    if name == "__call__":
        from .builtins import _callable

        return _callable(rs, obj)
    return hasattr(type(obj), name)


def special_method_call(rs: RunState, obj: Any, name: str, args: tuple | list,
                        kwargs: dict) -> Any:
    """``obj.__getitem__(k)``, ``Cls.__len__(obj)``, ``super().__repr__()``: a special method
    (``schema.SPECIAL_METHODS``) called by name, which runs only where a program's own class
    defines it (a user function found in the class namespaces of the program's classes). On a
    program's object whose class lacks it, Python's AttributeError text; on any other value
    (a tensor, a list, a library object, a library class's own special method) refused: those
    lead to Python's and the library's internals."""
    t = type(obj)
    if t is Instance or isinstance(obj, Instance):
        found = obj.cls.lookup(name)
        if type(found) is Function and name not in obj.attrs:
            return invoke(rs, found, (obj, *args), kwargs)
        if found is None and name not in obj.attrs and name not in _OBJECT_SPECIALS and \
                obj.cls.pytype is None:
            raise ProgramError(f"'{obj.cls.name}' object has no attribute '{name}'",
                               exception="AttributeError")
        if found is None and (name == "__repr__" or name == "__str__") and not args and \
                not kwargs and obj.cls.pytype is None:  # object's own: what repr() prints
            from .builtins import BUILTINS

            return BUILTINS["repr" if name == "__repr__" else "str"](rs, obj)
    elif t is UserClass:
        found = obj.lookup(name)
        if type(found) is Function:
            return invoke(rs, found, args, kwargs)
        if found is None and name not in _OBJECT_SPECIALS and obj.pytype is None:
            raise ProgramError(f"type object '{obj.name}' has no attribute '{name}'",
                               exception="AttributeError")
    elif t is SuperProxy:
        cls = obj.obj if isinstance(obj.obj, UserClass) else user_class_of(obj.obj)
        mro = cls.mro
        start = mro.index(obj.owner) + 1 if obj.owner in mro else len(mro)
        for base in mro[start:]:
            if base.builtin:
                break
            value = base.ns.get(name)
            if value is not None:
                if type(value) is Function:
                    first = () if isinstance(obj.obj, UserClass) else (obj.obj,)
                    return invoke(rs, value, (*first, *args), kwargs)
                break
    raise ProgramError(f"dunder attributes are not allowed: '{name}' (a special method can be "
                       "called by name only where a program's own class defines it)",
                       exception="AttributeError")


def _bind(value: Any, obj: Any, cls: UserClass) -> Any:
    t = type(value)
    if t is Function or t is NativeMethod or t is ContextFunction:
        return BoundMethod(obj, value)
    if t is StaticMethod:
        return value.func
    if t is ClassMethod:
        return BoundMethod(cls, value.func)
    if t is CachedFunction or t is ContextManagerFunction:  # binds, as CPython's wrapper
        return BoundMethod(obj, value)
    return value


def instance_attr(rs: RunState, obj: Instance, name: str) -> Any:
    cls = obj.cls
    found = cls.lookup(name)
    if type(found) is Property:
        if found.fget is None:
            raise ProgramError(f"property '{name}' of '{cls.name}' object has no getter",
                               exception="AttributeError")
        return call_value(rs, found.fget, (obj,), _EMPTY)
    attrs = obj.attrs
    if name in attrs:
        return attrs[name]
    if found is not None:
        return _bind(found, obj, cls)
    if name == "__init__":
        return BoundMethod(obj, NativeMethod("__init__", object_init))
    if cls.lookup(ENUM_NAMES) is not None:
        method = str_enum_method(obj, name)  # ``Mode.TRAIN.upper()``: its str's
        if method is not None:
            return method
    raise no_attribute(obj, name)


def object_init(rs: RunState, self: Any, *args: Any, **kwargs: Any) -> None:
    if args or kwargs:
        raise ProgramError("object.__init__() takes exactly one argument (the instance to "
                           "initialize)", exception="TypeError")


def class_attr(rs: RunState, cls: UserClass, name: str) -> Any:
    if name == "__name__":
        return cls.name
    found = cls.lookup(name)
    if found is not None:
        t = type(found)
        if t is StaticMethod:
            return found.func
        if t is ClassMethod:
            return BoundMethod(cls, found.func)
        return found
    if cls.pytype is not None:
        if name.startswith("_") and name != "__init__":
            raise ProgramError(f"type object '{cls.name}' attribute '{name}' is private to "
                               "the library", exception="AttributeError")
        value = getattr(cls.pytype, name, MISSING)
        if value is not MISSING:
            return admit(value)
    if name == "__init__":
        return NativeMethod("__init__", object_init)
    if cls.lookup(ENUM_NAMES) is not None:  # EnumType.__getattr__'s bare name
        raise ProgramError(name, exception="AttributeError")
    raise ProgramError(f"type object '{cls.name}' has no attribute '{name}'",
                       exception="AttributeError")


def super_function(cls: UserClass, owner: UserClass, name: str) -> Function | None:
    """The plain method ``super().name`` finds for an object of ``cls`` in a method of
    ``owner`` (a user function found in a class after ``owner`` in the MRO), or None for
    anything else (:func:`super_attr` then answers). Kept in ``cls``'s lookup cache."""
    if cls._cache_version != CLASS_VERSION[0]:
        cls.lookup(name)  # brings the cache up to date
    key = (owner, name)
    cache = cls._cache
    try:
        return cache[key]
    except KeyError:
        pass
    found = None
    mro = cls.mro
    if owner in mro:
        for base in mro[mro.index(owner) + 1:]:
            if base.builtin and base.name == "object":
                break
            if name in base.ns:
                value = base.ns[name]
                found = value if type(value) is Function else None
                break
    cache[key] = found
    return found


def super_attr(rs: RunState, sp: SuperProxy, name: str) -> Any:
    obj = sp.obj
    cls = obj if isinstance(obj, UserClass) else user_class_of(obj)
    mro = cls.mro
    start = mro.index(sp.owner) + 1 if sp.owner in mro else len(mro)
    for base in mro[start:]:
        if base.builtin and base.name == "object":
            break
        if name in base.ns:
            value = base.ns[name]
            if isinstance(obj, UserClass):
                if type(value) is ClassMethod:
                    return BoundMethod(obj, value.func)
                return value.func if type(value) is StaticMethod else value
            if type(value) is Property:
                return call_value(rs, value.fget, (obj,), _EMPTY)
            return _bind(value, obj, cls)
    if cls.lib_base is not None:
        value = getattr(cls.lib_base, name, MISSING) if not name.startswith("_") or \
            name == "__init__" else MISSING
        if isinstance(value, types.FunctionType):
            return types.MethodType(value, obj)
        # a library base without an __init__ of its own (Dataset, IterableDataset): its
        # __init__ is object's, checked below as Python checks it
        if value is not MISSING and value is not object.__init__:
            if not isinstance(obj, UserClass):  # a class's container: the program's copy
                value = getattr(super(cls.pytype, obj), name)
            return admit(unshared(cls.lib_base, name, value))
    if name == "__init__":
        return BoundMethod(obj, NativeMethod("__init__", object_init))
    raise ProgramError(f"'super' object has no attribute '{name}'", exception="AttributeError")


def _module_entry(d: dict, name: str) -> bool:
    """Whether ``name`` is one of a module's parameters, buffers or submodules (a program's
    ``register_buffer('_ema_cluster_size', ...)``: its state, as public as state_dict)."""
    return any(name in d.get(table, _EMPTY) for table in ("_parameters", "_buffers", "_modules"))


def _own_private(obj: Any, name: str) -> bool:
    """A private name a program gave an object of its library subclass (``self._w = ...``,
    ``register_buffer('_ema', ...)``): the program's own, to read and delete."""
    if not hasattr(type(obj), "_lang_class") or name.startswith("__"):
        return False
    d = getattr(obj, "__dict__", _EMPTY)
    return name in d.get("_lang_private", ()) or _module_entry(d, name)


def bridge_attr(rs: RunState, obj: Any, name: str) -> Any:
    """An attribute of an object of a library subclass (``self.fc`` in a Module subclass)."""
    cls = type(obj)._lang_class
    found = cls.lookup(name)
    if type(found) is Property:
        return call_value(rs, found.fget, (obj,), _EMPTY)
    d = getattr(obj, "__dict__", _EMPTY)
    if name in d and (not name.startswith("_") or name in d.get("_lang_private", ())
                      or private_readable(obj, name)):
        return admit(d[name])
    if found is not None:
        return _bind(found, obj, cls)
    if name.startswith("_") and name != "__init__" and \
            name not in d.get("_lang_private", ()) and not _module_entry(d, name):
        raise ProgramError(f"'{cls.name}' object attribute '{name}' is private to the "
                           "library", exception="AttributeError")
    value = library_getattr(obj, name)
    if type(value) is types.MethodType and value.__func__.__module__ == "app.lang.library":
        return _bind(cls.lookup(name), obj, cls)
    return admit(unshared(obj, name, value))


# --------------------------------------------------------------------------- writing

def set_attr(rs: RunState, obj: Any, name: str, value: Any) -> None:
    """``obj.name = value``."""
    if name.startswith("__"):
        raise ProgramError(f"cannot set dunder attribute '{name}'", exception="AttributeError")
    if type(obj) is LibModule and obj.path == "torch.backends.cudnn" and name in CUDNN_FLAGS:
        try:
            set_cudnn_flag(name, value)
        except Exception as exc:
            raise convert_exception(exc, f"setattr {name}", rs.limits) from None
        return
    if isinstance(obj, Tensor):
        if name not in WRITABLE_ATTRS:
            raise ProgramError(f"attribute '{name}' of 'Tensor' objects is not writable",
                               exception="AttributeError")
        try:
            setattr(obj, name, value)
        except Exception as exc:
            raise convert_exception(exc, f"setattr {name}", rs.limits) from None
        return
    if isinstance(obj, Instance):
        found = obj.cls.lookup(name)
        if obj.cls.lookup(DATACLASS_PARAMS) is not None:
            refused = frozen_error(obj, name)
            if refused is not None:
                raise refused
        if type(found) is Property:
            if found.fset is None:
                raise ProgramError(f"property '{name}' of '{obj.cls.name}' object has no "
                                   "setter", exception="AttributeError")
            call_value(rs, found.fset, (obj, value), _EMPTY)
            return
        slots = obj.cls.slots
        if slots is not None and name not in slots:
            raise ProgramError(f"'{obj.cls.name}' object has no attribute '{name}'",
                               exception="AttributeError")
        obj.attrs[name] = value
        return
    if type(obj) is pycollections.defaultdict and name == "default_factory":
        from .builtins import _callable

        if value is not None and not _callable(rs, value):
            raise ProgramError("default_factory must be callable or None",
                               exception="TypeError")
        obj.default_factory = value
        return
    if type(obj) is Function:  # ``f.calls = 0``: a program's function has attributes
        if obj.attrs is None:
            obj.attrs = {}
        obj.attrs[name] = value
        return
    if type(obj) is UserClass:
        if obj.builtin:
            raise write_refused(obj, name)
        refused = enum_set_refused(obj, name)
        if refused is not None:
            raise refused
        obj.ns[name] = value
        classes_changed()
        if obj.pytype is not None and not isinstance(value, (Function, StaticMethod,
                                                             ClassMethod, Property)):
            setattr(obj.pytype, name, value)
        return
    if hasattr(type(obj), "_lang_class"):
        found = type(obj)._lang_class.lookup(name)
        if type(found) is Property:
            call_value(rs, found.fset, (obj, value), _EMPTY)
            return
        _set_library_attr(rs, obj, name, value, bridge=True)
        return
    if _mutable_library_object(obj):
        if any(name in klass.__dict__ for klass in type(obj).__mro__):
            # it shadows a method of its class: from now on ``obj.name(...)`` looks at the
            # object first (other names need not: their calls read the object's attribute;
            # the set, one for the process, holds only names of library methods)
            ASSIGNED_NAMES.add(name)
        _set_library_attr(rs, obj, name, value, bridge=False)
        return
    raise write_refused(obj, name)


def _mutable_library_object(obj: Any) -> bool:
    """Library objects a program may set attributes on: its own modules, optimizers,
    schedulers, data objects and custom-Function contexts (never shared ones: dtypes, devices,
    classes, functions)."""
    if isinstance(obj, type) or not is_library_object(obj):
        return False
    module = type(obj).__module__
    return module.startswith(("engine.nn", "engine.optim", "engine.utils",
                              "engine.autograd.function"))


def _set_library_attr(rs: RunState, obj: Any, name: str, value: Any, *, bridge: bool) -> None:
    d = getattr(obj, "__dict__", None)
    if name.startswith("_"):
        private = d.get("_lang_private") if d is not None else None
        if not bridge or (private is None or name not in private) and (
                name in d or hasattr(type(obj), name)):
            raise ProgramError(f"'{type_name(obj)}' object attribute '{name}' is private to "
                               "the library", exception="AttributeError")
        if private is None:
            private = set()
            object.__setattr__(obj, "_lang_private", private)
        private.add(name)
    try:
        setattr(obj, name, value)
    except Exception as exc:
        raise convert_exception(exc, f"setattr {name}", rs.limits) from None


def del_attr(rs: RunState, obj: Any, name: str) -> None:
    """``del obj.name``."""
    if name.startswith("__"):
        raise ProgramError(f"cannot delete dunder attribute '{name}'",
                           exception="AttributeError")
    if isinstance(obj, Instance) and obj.cls.lookup(DATACLASS_PARAMS) is not None:
        refused = frozen_error(obj, name, "delete")
        if refused is not None:
            raise refused
    if isinstance(obj, Instance) and name in obj.attrs:
        del obj.attrs[name]
        return
    if type(obj) is Function and obj.attrs and name in obj.attrs:
        del obj.attrs[name]
        return
    if type(obj) is UserClass and not obj.builtin and name in obj.ns:
        del obj.ns[name]
        classes_changed()
        return
    if (hasattr(type(obj), "_lang_class") or _mutable_library_object(obj)) \
            and (not name.startswith("_") or _own_private(obj, name)):
        try:
            delattr(obj, name)
        except Exception as exc:
            raise convert_exception(exc, f"delattr {name}", rs.limits) from None
        return
    if isinstance(obj, Tensor):
        _del_tensor_attr(rs, obj, name)
        return
    if isinstance(obj, Instance):
        raise no_attribute(obj, name)
    raise write_refused(obj, name, delete=True)


def _del_tensor_attr(rs: RunState, t: Tensor, name: str) -> None:
    """``del t.grad`` (the grad is None after it) and torch's refusals of the others."""
    if name == "grad":
        t.grad = None
    elif name == "data":
        raise ProgramError("Deleting tensor data is not allowed. Delete tensor instead!",
                           exception="RuntimeError")
    elif name == "requires_grad":
        raise ProgramError("requires_grad must be a bool", exception="RuntimeError")
    elif hasattr(Tensor, name):
        raise ProgramError(f"attribute '{name}' of 'torch._C.TensorBase' objects is not "
                           "writable", exception="AttributeError")
    else:
        raise ProgramError(f"'Tensor' object has no attribute '{name}'",
                           exception="AttributeError")


# --------------------------------------------------------------------------- calling

def call_value(rs: RunState, f: Any, args: tuple | list, kwargs: dict) -> Any:
    """``f(*args, **kwargs)`` for anything a program can call."""
    t = type(f)
    if t is Function:
        return invoke(rs, f, args, kwargs)
    if t is BoundMethod:
        return call_value(rs, f.func, (f.self_, *args), kwargs)
    if t is OpFunction:
        return call_op(rs, f.name, f.fn, args, kwargs)
    if isinstance(f, BuiltinFunction):
        try:
            return f.fn(rs, *args, **kwargs)
        except Exception as exc:
            from .builtins import call_error

            raise call_error(exc, f.name, args, kwargs, rs.limits, op=None,
                             method=t is NativeMethod) from None
    if t is types.MethodType or t is types.FunctionType or t in PLAIN_LIBRARY_TYPES or \
            hasattr(t, "_lang_class"):
        return call_library(rs, f, args, kwargs)  # admitted: the library's own
    if t is UserClass:
        return instantiate(rs, f, args, kwargs)
    if isinstance(f, Instance):
        method = f.cls.lookup("__call__")
        if method is None:
            raise ProgramError(f"'{f.cls.name}' object is not callable", exception="TypeError")
        return call_special(rs, f, method, args, kwargs)
    if t is BoundOp:
        return call_op_method(rs, f.name, f.fn, (f.self_, *args), kwargs)
    if t is ContextFunction:
        manager = f.enter()
        try:
            out = call_value(rs, f.func, args, kwargs)
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        manager.__exit__(None, None, None)
        return out
    if t in (StaticMethod, ClassMethod):
        raise ProgramError(f"'{t.__name__}' object is not callable", exception="TypeError")
    if t is LibModule or not callable(f) or not (
            is_library_object(f) or is_library_class(f) or isinstance(f, types.FunctionType)
            or isinstance(f, types.MethodType)):
        raise ProgramError(f"'{type_name(f)}' object is not callable", exception="TypeError")
    return call_library(rs, f, args, kwargs)


def call_special(rs: RunState, obj: Any, method: Any, args: tuple | list,
                 kwargs: dict = _EMPTY) -> Any:
    """Run a special method found on ``obj``'s class (``__len__``, ``__call__`` ...)."""
    t = type(method)
    if t is Function or t is NativeMethod or t is ContextFunction:
        return call_value(rs, method, (obj, *args), kwargs)
    if t is StaticMethod:
        return call_value(rs, method.func, args, kwargs)
    if t is ClassMethod:
        return call_value(rs, method.func, (user_class_of(obj), *args), kwargs)
    return call_value(rs, method, args, kwargs)


def numpy_aliases(kwargs: dict) -> dict:
    """torch's argument parser takes NumPy's ``axis`` / ``keepdims`` for ``dim`` / ``keepdim``
    (``y_hat.argmax(axis=1)``); so do the ops here (not torch's Python-written Tensor
    methods, ``PYTHON_METHODS``: their callers skip it)."""
    if "axis" in kwargs or "keepdims" in kwargs:
        kwargs = dict(kwargs)
        if "axis" in kwargs and "dim" not in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs and "keepdim" not in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
    return kwargs


def array_retry(rs: RunState, name: str, fn: Any, args: tuple | list, kwargs: dict,
                exc: Exception, form: str = "function") -> Any:
    """``torch.tensor(a)`` / ``torch.as_tensor(a)`` of a program's NumPy array: the op again
    with a copy of its values (the engine knows NumPy, not the language's arrays); any other
    failure is the op's error, or torch's argument parser's refusal of the call where torch's
    signatures refuse it (``form``: "function", "torch" or "method", engine/ops/signatures.py)."""
    if name in arrays.ARRAY_TAKING_OPS and args and type(args[0]) is Array:
        if name != "tensor" and len(args) == 1 and _shares(args[0], kwargs):
            return arrays.shared_tensor(args[0])  # as_tensor / asarray: torch shares memory
        return call_op(rs, name, fn, (args[0].__array__(), *args[1:]), kwargs, form)
    if name in arrays.ARRAY_TAKING_OPS and args and _holds_array(args[0]):
        return call_op(rs, name, fn, (_array_copies(args[0]), *args[1:]), kwargs, form)
    typed = _python_types_as_dtypes(args, kwargs)
    if typed is not None:  # ``dtype=float``: torch's parser takes Python's types as dtypes
        return call_op(rs, name, fn, *typed, form)
    out = deprecated_retry(rs, name, fn, args, kwargs, form)
    if out is not MISSING:
        return out
    raise convert_exception(explain_call(name, form, args, kwargs, exc), name,
                            rs.limits) from None


def deprecated_retry(rs: RunState, name: str, fn: Any, args: tuple | list, kwargs: dict,
                     form: str) -> Any:
    """After a failed call: the call again as the deprecated signature torch still takes it
    by reads it (``torch.add(x, 2, y)`` is ``torch.add(x, y, alpha=2)``; ``x.addmm(2, a, b)``),
    with torch's warning (the server's log: engine/ops/signatures.py ``deprecated_call``),
    or MISSING when no deprecated signature takes it."""
    found = engine_signatures.deprecated_call(name, form, args, kwargs)
    if found is None:
        return MISSING
    first, named, warning = found
    warnings.warn(warning, UserWarning, stacklevel=2)
    try:
        out = fn(*first, **named)
    except LangError:
        raise
    except Exception as exc:
        raise convert_exception(explain_call(name, form, args, kwargs, exc), name,
                                rs.limits) from None
    if type(out) is Tensor:
        rs.alloc += out._data.nbytes
        if rs.alloc > rs.alloc_budget:
            rs.allocated(0)
        return out
    return admit(out)


# What torch's argument parser makes of Python's own types where it wants a dtype.
_PYTHON_DTYPES = {float: engine.float64, int: engine.int64, bool: engine.bool}


def _python_types_as_dtypes(args: tuple | list, kwargs: dict,
                            raw: bool = False) -> tuple | None:
    """``(args, kwargs)`` with the program's ``float``/``int``/``bool`` (given for a dtype)
    replaced by torch's dtypes for them (float64, int64, bool; ``raw``: by Python's types
    themselves), or None if none was given."""
    def dtype_of(v: Any) -> Any:
        if type(v) is BuiltinType and v.pytype in _PYTHON_DTYPES:
            return v.pytype if raw else _PYTHON_DTYPES[v.pytype]
        return None

    if not any(dtype_of(v) is not None for v in (*args, *kwargs.values())):
        return None
    return (tuple(dtype_of(v) or v for v in args),
            {k: dtype_of(v) or v for k, v in kwargs.items()})


def retry_with_dtypes(rs: RunState, name: str, fn: Any, args: tuple | list, kwargs: dict,
                      rename: Any = None) -> Any:
    """After a failed call of the tensor method ``name``: the call again with Python's types
    given for dtypes read as torch's parser reads them (``x.to(float)`` is float64; for
    ``x.type(float)`` Python's type itself, which torch refuses as "invalid type: 'float'"),
    or MISSING if the call had none."""
    typed = _python_types_as_dtypes(args, kwargs, raw=name == "type")
    if typed is None:
        return MISSING
    args, kwargs = typed
    try:
        return fn(*args, **(rename(kwargs) if rename is not None and kwargs else kwargs))
    except Exception as exc:
        raise convert_exception(explain_call(name, "method", args, kwargs, exc), name,
                                rs.limits) from None


def _holds_array(data: Any) -> bool:
    """Whether nested lists/tuples hold a program's NumPy array (``torch.tensor([a, b])``)."""
    stack = [data]
    while stack:
        v = stack.pop()
        if type(v) is Array:
            return True
        if type(v) in (list, tuple):
            stack.extend(v)
    return False


def _array_copies(data: Any) -> Any:
    """``data`` with each program array replaced by a NumPy copy of its values."""
    if type(data) is Array:
        return data.__array__()
    if type(data) in (list, tuple):
        return type(data)(_array_copies(v) for v in data)
    return data


def _shares(a: Array, kwargs: dict) -> bool:
    """Whether ``torch.as_tensor(a, **kwargs)`` / ``torch.asarray(a, **kwargs)`` is a tensor
    over the array's memory in torch: same dtype, the CPU, no copy asked for."""
    if set(kwargs) - {"dtype", "device", "copy"} or kwargs.get("copy"):
        return False
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    if dtype is not None and (not isinstance(dtype, engine.DType) or
                              dtype.np != a._view.dtype):
        return False
    return device is None or str(device) == "cpu"


def call_op(rs: RunState, name: str, fn: Any, args: tuple | list, kwargs: dict,
            form: str = "function") -> Any:
    if kwargs and name not in PYTHON_WRITTEN:
        kwargs = numpy_aliases(kwargs)
    try:
        out = fn(*args, **kwargs) if kwargs else fn(*args)
    except LangError:
        raise
    except Exception as exc:
        return array_retry(rs, name, fn, args, kwargs, exc, form)
    if type(out) is Tensor:
        rs.alloc += out._data.nbytes
        if rs.alloc > rs.alloc_budget:
            rs.allocated(0)
        return out
    return admit(out)


def explain_call(name: str, form: str, args: tuple | list, kwargs: dict,
                 exc: Exception) -> Exception:
    """``exc`` raised by table op ``name`` called in ``form`` ("function" / "method"), or
    torch's argument-parser refusal of the call where torch's signatures refuse it (the
    error path only: engine/ops/signatures.py)."""
    return engine_signatures.explain(name, form, args, kwargs, exc)


def call_op_method(rs: RunState, name: str, fn: Any, args: tuple | list, kwargs: dict) -> Any:
    """:func:`call_op` of a tensor method (``args[0]`` the tensor it is called on): its
    argument errors are the method parser's."""
    if kwargs and name not in PYTHON_METHODS:
        kwargs = numpy_aliases(kwargs)
    try:
        out = fn(*args, **kwargs) if kwargs else fn(*args)
    except LangError:
        raise
    except Exception as exc:
        return array_retry(rs, name, fn, args, kwargs, exc, "method")
    if type(out) is Tensor:
        rs.alloc += out._data.nbytes
        if rs.alloc > rs.alloc_budget:
            rs.allocated(0)
        return out
    return admit(out)


def library_error(rs: RunState, f: Any, exc: Exception) -> Exception:
    """What a program sees of ``exc``, raised by the library callable ``f``."""
    if isinstance(exc, LangError):
        return exc
    name = getattr(f, "__name__", None) if isinstance(f, (types.FunctionType,
                                                          types.MethodType, type)) else None
    return convert_exception(exc, name, rs.limits)


def call_library(rs: RunState, f: Any, args: tuple | list, kwargs: dict) -> Any:
    if f is Tensor:  # ``torch.Tensor(...)``: torch's legacy constructor, not the engine's own
        f = _LEGACY_TENSOR
    elif f is engine.Device:  # ``torch.device("cpu:0")``: torch's constructor (the class is
        f = engine.torch_device  # the type of ``x.device``, as torch's is)
    try:
        out = f(*args, **kwargs) if kwargs else f(*args)
    except LangError:
        raise
    except Exception as exc:
        typed = _python_types_as_dtypes(args, kwargs)
        if typed is not None:  # ``dtype=float``, as torch's parser takes it
            return call_library(rs, f, *typed)
        name = getattr(f, "__name__", None)
        opdef = engine.ops.lookup(name) if type(name) is str else None
        if opdef is not None and opdef.fn is f:  # a table op reached as a library function
            exc = explain_call(name, "function", args, kwargs, exc)
        raise library_error(rs, f, exc) from None
    if type(out) is Tensor:
        rs.alloc += out._data.nbytes
        if rs.alloc > rs.alloc_budget:
            rs.allocated(0)
        return out
    return admit(out) if out is not None else None


def call_method(rs: RunState, obj: Any, name: str, args: tuple | list, kwargs: dict) -> Any:
    """``obj.name(*args, **kwargs)`` without making a bound method where it can be helped."""
    if isinstance(obj, Tensor):
        fn = tensor_method(name)
        if fn is None:
            if name in TENSOR_NATIVE:
                return call_value(rs, TENSOR_NATIVE[name], (obj, *args), kwargs)
            if name in READABLE_ATTRS:
                return call_value(rs, tensor_attr(obj, name), args, kwargs)
            raise missing_tensor_attr(name)
        return call_op_method(rs, name, fn, (obj, *args), kwargs)
    if isinstance(obj, Instance):
        return instance_call(rs, obj, name, args, kwargs)
    return call_value(rs, get_attr(rs, obj, name), args, kwargs)


def instance_call(rs: RunState, obj: Instance, name: str, args: tuple | list,
                  kwargs: dict) -> Any:
    """``obj.name(...)`` on a program's object: its class's method run with ``obj`` first,
    unless an attribute of the object shadows it."""
    found = obj.cls.lookup(name)
    t = type(found)
    if t is Function and name not in obj.attrs:
        code = found.code
        if code.arity == len(args) + 1 and not kwargs:  # what ``invoke`` does, inline
            return code.enter(rs, found, dict(zip(code.params, (obj, *args))))
        return invoke(rs, found, (obj, *args), kwargs)
    if t is NativeMethod and name not in obj.attrs:
        return call_value(rs, found, (obj, *args), kwargs)
    return call_value(rs, instance_attr(rs, obj, name), args, kwargs)


def instantiate(rs: RunState, cls: UserClass, args: tuple | list, kwargs: dict) -> Any:
    """``cls(*args, **kwargs)``."""
    if cls.lookup(ABSTRACTS):
        check_instantiable(cls)
    if cls.lookup(ENUM_NAMES) is not None:
        return enum_call(rs, cls, args, kwargs)
    if cls.pytype is not None:
        return call_library(rs, cls.pytype, args, kwargs)
    obj = new_instance(cls)
    init = cls.lookup("__init__")
    if init is None:
        if args or kwargs:
            raise ProgramError(f"{cls.name}() takes no arguments", exception="TypeError")
        return obj
    out = call_special(rs, obj, init, args, kwargs)
    if out is not None:
        raise ProgramError(f"__init__() should return None, not '{type_name(out)}'",
                           exception="TypeError")
    return obj


def apply_decorator(rs: RunState, decorator: Any, func: Any) -> Any:
    """``@decorator``: a context manager (``torch.no_grad()``, or its class) wraps each call;
    anything else is called with the function."""
    if isinstance(func, (Function, ContextFunction)):
        if is_library_object(decorator) and hasattr(type(decorator), "__enter__") and \
                not hasattr(type(decorator), "_lang_class"):
            return ContextFunction(decorator, func)
        if is_library_class(decorator) and hasattr(decorator, "__enter__"):
            try:
                manager = decorator()
            except TypeError:
                manager = None
            if manager is not None:
                return ContextFunction(manager, func)
    return call_value(rs, decorator, (func,), _EMPTY)


def _accessor(which: str) -> Any:
    def make(rs: RunState, prop: Property, func: Any) -> Property:
        parts = {"fget": prop.fget, "fset": prop.fset, "fdel": prop.fdel}
        parts[which] = func
        return Property(**parts)

    return make


PROPERTY_ACCESSORS = {"getter": _accessor("fget"), "setter": _accessor("fset"),
                      "deleter": _accessor("fdel")}


def property_accessor(prop: Property, name: str) -> Any:
    return BoundMethod(prop, NativeMethod(name, PROPERTY_ACCESSORS[name]))
