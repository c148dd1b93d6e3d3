"""The safe ``dataclasses`` module: ``@dataclass`` (with ``init``, ``repr``, ``eq``,
``order``, ``unsafe_hash``, ``frozen``, ``kw_only``), ``field``, ``fields``, ``asdict``,
``astuple``, ``replace``, ``is_dataclass``, ``MISSING`` and ``FrozenInstanceError``.

A dataclass is a user class whose special methods are builtins of the language made from its
fields: the class body's annotated names in order (the compiler records them with the text of
each annotation; a field's ``type`` is that text, as under ``from __future__ import
annotations``), after the fields of dataclass bases. The generated methods behave, and fail,
with CPython 3.11's texts: ``C.__init__() missing 1 required positional argument: 'b'``,
``non-default argument 'b' follows default argument``, ``mutable default <class 'list'> for
field x is not allowed: use default_factory``, ``cannot assign to field 'x'``. ``slots=True``
and ``weakref_slot=True`` (a different object layout) are refused; ``match_args`` (the
default) gives the class ``__match_args__`` (its positional ``__init__`` fields), which class
patterns of ``match`` read.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ProgramError
from .shared import share
from .values import (
    BuiltinFunction,
    Instance,
    NativeMethod,
    UserClass,
    _names,
    _plural,
    classes_changed,
    new_instance,
    user_class_of,
)

_FIELDS = "__dataclass_fields__"
PARAMS = "__dataclass_params__"


def _missing_repr(rs: Any, self: Any) -> str:
    return "<dataclasses._MISSING_TYPE object>"


_MISSING_CLASS = UserClass("_MISSING_TYPE", "_MISSING_TYPE", (), {
    "__repr__": NativeMethod("__repr__", _missing_repr)}, builtin=True)
MISSING = share(new_instance(_MISSING_CLASS), "dataclasses.MISSING")

_FIELD_ATTRS = ("name", "type", "default", "default_factory", "init", "repr", "hash",
                "compare", "metadata", "kw_only")


def _field_repr(rs: Any, self: Any) -> str:
    a = self.attrs
    return ("Field(" + ",".join(f"{k}={a[k]!r}" for k in _FIELD_ATTRS) + ")")


FIELD_CLASS = UserClass("Field", "Field", (), {
    "__repr__": NativeMethod("__repr__", _field_repr)}, builtin=True)


class _Params:
    """What ``@dataclass`` was asked for, kept in the class (``__dataclass_params__``)."""

    __slots__ = ("cls", "init", "repr", "eq", "order", "unsafe_hash", "frozen")

    def __init__(self, cls: UserClass, **flags: bool) -> None:
        self.cls = cls
        for k, v in flags.items():
            setattr(self, k, v)


def _fail(message: str, kind: str = "TypeError") -> ProgramError:
    return ProgramError(message, exception=kind)


def _unsupported(message: str) -> ProgramError:
    return ProgramError(message, exception="NotImplementedError")


def _make_field(default: Any = MISSING, default_factory: Any = MISSING, init: bool = True,
                repr: bool = True, hash: Any = None, compare: bool = True,
                metadata: Any = None, kw_only: Any = MISSING) -> Instance:
    f = new_instance(FIELD_CLASS)
    f.attrs.update({"name": None, "type": None, "default": default,
                    "default_factory": default_factory, "init": init, "repr": repr,
                    "hash": hash, "compare": compare,
                    "metadata": {} if metadata is None else metadata, "kw_only": kw_only})
    return f


def _field(rs: Any, *, default: Any = MISSING, default_factory: Any = MISSING,
           init: bool = True, repr: bool = True, hash: Any = None, compare: bool = True,
           metadata: Any = None, kw_only: Any = MISSING) -> Instance:
    """``dataclasses.field(...)``."""
    if default is not MISSING and default_factory is not MISSING:
        raise _fail("cannot specify both default and default_factory", "ValueError")
    return _make_field(default, default_factory, init, repr, hash, compare, metadata,
                       kw_only)


def _is_field(value: Any) -> bool:
    return isinstance(value, Instance) and value.cls is FIELD_CLASS


def _unhashable(value: Any) -> bool:
    if isinstance(value, (list, dict, set, bytearray)):
        return True
    cls = user_class_of(value)
    if cls is None:
        return False
    eq, hashing = cls.lookup("__eq__"), cls.lookup("__hash__")
    return eq is not None and hashing is None and cls.pytype is None


def _type_repr(value: Any) -> str:
    cls = user_class_of(value)
    if cls is not None:
        return f"<class '__main__.{cls.qualname}'>"
    return f"<class '{type(value).__name__}'>"


def _own_fields(cls: UserClass, kw_only_default: bool) -> list[Instance]:
    out = []
    for name, annotation in cls.annotations:
        text = annotation.replace(" ", "")
        if text.startswith(("ClassVar", "typing.ClassVar")):
            continue
        if text.startswith(("InitVar", "dataclasses.InitVar")):
            raise _unsupported(f"dataclass field {name!r}: InitVar is not supported")
        value = cls.ns.get(name, MISSING)
        f = value if _is_field(value) else _make_field(default=value)
        f.attrs["name"], f.attrs["type"] = name, annotation
        if f.attrs["kw_only"] is MISSING:
            f.attrs["kw_only"] = kw_only_default
        default = f.attrs["default"]
        if default is not MISSING and _unhashable(default):
            raise _fail(f"mutable default {_type_repr(default)} for field {name} is not "
                        "allowed: use default_factory", "ValueError")
        if _is_field(value):  # the class attribute becomes the default (or goes)
            if default is MISSING:
                del cls.ns[name]
            else:
                cls.ns[name] = default
        out.append(f)
    return out


def _read(rs: Any, obj: Any, name: str) -> Any:
    from .objects import get_attr

    return get_attr(rs, obj, name)


def _values(rs: Any, obj: Any, fields: list[Instance], key: str) -> tuple:
    return tuple(_read(rs, obj, f.attrs["name"]) for f in fields if f.attrs[key])


def _make_init(cls: UserClass, fields: list[Instance], frozen: bool) -> NativeMethod:
    from .objects import call_special, call_value

    takes = [f for f in fields if f.attrs["init"]]
    positional = [f for f in takes if not f.attrs["kw_only"]]
    keyword = [f for f in takes if f.attrs["kw_only"]]
    seen_default = None
    for f in positional:
        has_default = f.attrs["default"] is not MISSING or \
            f.attrs["default_factory"] is not MISSING
        if has_default:
            seen_default = f
        elif seen_default is not None:
            raise _fail(f"non-default argument {f.attrs['name']!r} follows default argument")
    names = {f.attrs["name"] for f in takes}
    required = sum(1 for f in positional if f.attrs["default"] is MISSING
                   and f.attrs["default_factory"] is MISSING)
    qual = f"{cls.qualname}.__init__()"

    def init(rs: Any, self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(positional):
            most = len(positional) + 1
            took = f"from {required + 1} to {most}" if required < len(positional) else \
                str(most)
            raise _fail(f"{qual} takes {took} positional argument"
                        f"{'' if most == 1 else 's'} but {len(args) + 1} "
                        f"{'was' if len(args) == 0 else 'were'} given")
        given = {f.attrs["name"]: a for f, a in zip(positional, args)}
        for key, value in kwargs.items():
            if key not in names:
                raise _fail(f"{qual} got an unexpected keyword argument '{key}'")
            if key in given:
                raise _fail(f"{qual} got multiple values for argument '{key}'")
            given[key] = value
        for group, kind in ((positional, "positional"), (keyword, "keyword-only")):
            missing = [f.attrs["name"] for f in group if f.attrs["name"] not in given
                       and f.attrs["default"] is MISSING
                       and f.attrs["default_factory"] is MISSING]
            if missing:
                raise _fail(f"{qual} missing {_plural(len(missing), f'required {kind} argument')}"
                            f": {_names(missing)}")
        for f in fields:
            name = f.attrs["name"]
            if name in given:
                value = given[name]
            elif f.attrs["default_factory"] is not MISSING:
                value = call_value(rs, f.attrs["default_factory"], (), {})
            elif f.attrs["default"] is not MISSING:
                value = f.attrs["default"]
            else:
                continue
            if frozen:
                self.attrs[name] = value
            else:
                from .objects import set_attr

                set_attr(rs, self, name, value)
        post = self.cls.lookup("__post_init__")
        if post is not None:
            call_special(rs, self, post, ())

    return NativeMethod("__init__", init)


def _make_repr(fields: list[Instance]) -> NativeMethod:
    def method(rs: Any, self: Any) -> str:
        parts = [f"{f.attrs['name']}={_read(rs, self, f.attrs['name'])!r}" for f in fields
                 if f.attrs["repr"]]
        return f"{self.cls.qualname}({', '.join(parts)})"

    return NativeMethod("__repr__", method)


def _make_compare(name: str, op: Any, fields: list[Instance]) -> NativeMethod:
    def method(rs: Any, self: Any, other: Any) -> Any:
        if user_class_of(other) is not user_class_of(self):
            return NotImplemented
        return op(_values(rs, self, fields, "compare"), _values(rs, other, fields, "compare"))

    return NativeMethod(name, method)


def _make_hash(fields: list[Instance]) -> NativeMethod:
    def method(rs: Any, self: Any) -> int:
        chosen = [f for f in fields
                  if (f.attrs["compare"] if f.attrs["hash"] is None else f.attrs["hash"])]
        return hash(tuple(_read(rs, self, f.attrs["name"]) for f in chosen))

    return NativeMethod("__hash__", method)


_ORDER = (("__lt__", lambda a, b: a < b), ("__le__", lambda a, b: a <= b),
          ("__gt__", lambda a, b: a > b), ("__ge__", lambda a, b: a >= b))


def _process(cls: Any, init: bool, repr: bool, eq: bool, order: bool, unsafe_hash: bool,
             frozen: bool, kw_only: bool, match_args: bool = True) -> UserClass:
    if not isinstance(cls, UserClass) or cls.builtin:
        raise _fail("dataclass() should be called on a class")
    if cls.pytype is not None:
        raise _unsupported(f"@dataclass on {cls.name}, a subclass of a library class, is "
                           "not supported")
    if order and not eq:
        raise _fail("eq must be true if order is true", "ValueError")
    fields: dict[str, Instance] = {}
    any_frozen = False
    bases_dataclass = False
    all_frozen = True
    for base in reversed(cls.mro[1:]):
        base_fields = base.ns.get(_FIELDS)
        if base_fields is not None:
            bases_dataclass = True
            params = base.ns[PARAMS]
            any_frozen |= params.frozen
            all_frozen &= params.frozen
            for f in base_fields.values():
                fields[f.attrs["name"]] = f
    if bases_dataclass:
        if frozen and not all_frozen:
            raise _fail("cannot inherit frozen dataclass from a non-frozen one")
        if not frozen and any_frozen:
            raise _fail("cannot inherit non-frozen dataclass from a frozen one")
    for f in _own_fields(cls, kw_only):
        fields[f.attrs["name"]] = f
    ordered = list(fields.values())
    ns = cls.ns
    ns[_FIELDS] = fields
    ns[PARAMS] = _Params(cls, init=init, repr=repr, eq=eq, order=order,
                          unsafe_hash=unsafe_hash, frozen=frozen)
    if init:
        ns["__init__"] = _make_init(cls, ordered, frozen)
    if repr and "__repr__" not in ns:
        ns["__repr__"] = _make_repr(ordered)
    if eq and "__eq__" not in ns:
        ns["__eq__"] = _make_compare("__eq__", lambda a, b: a == b, ordered)
    if order:
        for name, op in _ORDER:
            if name in ns:
                raise _fail(f"Cannot overwrite attribute {name} in class {cls.name}. "
                            "Consider using functools.total_ordering")
            ns[name] = _make_compare(name, op, ordered)
    explicit_hash = "__hash__" in ns
    if unsafe_hash:
        if explicit_hash:
            raise _fail(f"Cannot overwrite attribute __hash__ in class {cls.name}")
        ns["__hash__"] = _make_hash(ordered)
    elif eq and frozen and not explicit_hash:
        ns["__hash__"] = _make_hash(ordered)
    if match_args and "__match_args__" not in ns:
        ns["__match_args__"] = tuple(f.attrs["name"] for f in ordered
                                     if f.attrs["init"] and not f.attrs["kw_only"])
    classes_changed()
    return cls


def _dataclass(rs: Any, cls: Any = None, /, *, init: bool = True, repr: bool = True,
               eq: bool = True, order: bool = False, unsafe_hash: bool = False,
               frozen: bool = False, match_args: bool = True, kw_only: bool = False,
               slots: bool = False, weakref_slot: bool = False) -> Any:
    """``@dataclass`` or ``@dataclass(...)``."""
    if slots or weakref_slot:
        raise _unsupported("dataclass(slots=True) / dataclass(weakref_slot=True) is not "
                           "supported")
    options = (init, repr, eq, order, unsafe_hash, frozen, kw_only, match_args)
    if cls is None:
        return BuiltinFunction("wrap", lambda rs, c: _process(c, *options))
    return _process(cls, *options)


def _fields_of(value: Any) -> dict[str, Instance] | None:
    cls = value if isinstance(value, UserClass) else user_class_of(value)
    return None if cls is None else cls.lookup(_FIELDS)


def frozen_error(obj: Instance, name: str, verb: str = "assign to") -> ProgramError | None:
    """The ``FrozenInstanceError`` for ``obj.name = ...`` (``del obj.name``) on a frozen
    dataclass's object, or None where the assignment is allowed (CPython's rule: always on
    the dataclass's own objects; on a subclass's, only for the fields)."""
    params = obj.cls.lookup(PARAMS)
    if params is None or not params.frozen:
        return None
    if obj.cls is params.cls or name in params.cls.ns[_FIELDS]:
        return ProgramError(f"cannot {verb} field '{name}'", exception="FrozenInstanceError")
    return None


def _fields(rs: Any, class_or_instance: Any) -> tuple:
    found = _fields_of(class_or_instance)
    if found is None:
        raise _fail("must be called with a dataclass type or instance")
    return tuple(found.values())


def _is_dataclass(rs: Any, obj: Any) -> bool:
    return _fields_of(obj) is not None


def _is_instance(value: Any) -> bool:
    return isinstance(value, Instance) and _fields_of(value) is not None


def _convert(rs: Any, value: Any, factory: Any, as_dict: bool) -> Any:
    from .objects import call_value

    if _is_instance(value):
        pairs = [(f.attrs["name"], _convert(rs, _read(rs, value, f.attrs["name"]), factory,
                                            as_dict)) for f in _fields_of(value).values()]
        if as_dict:
            return dict(pairs) if factory is dict else call_value(rs, factory, (pairs,), {})
        items = [v for _, v in pairs]
        return tuple(items) if factory is tuple else call_value(rs, factory, (items,), {})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_convert(rs, v, factory, as_dict) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(rs, v, factory, as_dict) for v in value)
    if isinstance(value, dict):
        return type(value)((_convert(rs, k, factory, as_dict),
                            _convert(rs, v, factory, as_dict)) for k, v in value.items())
    return copy.deepcopy(value)


def _asdict(rs: Any, obj: Any, *, dict_factory: Any = dict) -> Any:
    if not _is_instance(obj):
        raise _fail("asdict() should be called on dataclass instances")
    return _convert(rs, obj, dict_factory, True)


def _astuple(rs: Any, obj: Any, *, tuple_factory: Any = tuple) -> Any:
    if not _is_instance(obj):
        raise _fail("astuple() should be called on dataclass instances")
    return _convert(rs, obj, tuple_factory, False)


def _replace(rs: Any, obj: Any, /, **changes: Any) -> Any:
    from .objects import instantiate

    if not _is_instance(obj):
        raise _fail("replace() should be called on dataclass instances")
    for f in _fields_of(obj).values():
        name = f.attrs["name"]
        if not f.attrs["init"]:
            if name in changes:
                raise _fail(f"field {name} is declared with init=False, it cannot be "
                            "specified with replace()", "ValueError")
            continue
        if name not in changes:
            changes[name] = _read(rs, obj, name)
    return instantiate(rs, obj.cls, (), changes)


def module(frozen_instance_error: UserClass) -> dict[str, Any]:
    """The module's members (the exception class comes from :mod:`app.lang.exceptions`)."""
    return {"dataclass": BuiltinFunction("dataclass", _dataclass),
            "field": BuiltinFunction("field", _field),
            "fields": BuiltinFunction("fields", _fields),
            "asdict": BuiltinFunction("asdict", _asdict),
            "astuple": BuiltinFunction("astuple", _astuple),
            "replace": BuiltinFunction("replace", _replace),
            "is_dataclass": BuiltinFunction("is_dataclass", _is_dataclass),
            "MISSING": MISSING, "Field": FIELD_CLASS,
            "FrozenInstanceError": frozen_instance_error}
