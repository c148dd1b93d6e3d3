"""torch's argument-parser errors, by rule, from torch's own signature strings.

torch binds a call of one of its C functions (``torch.matmul``, ``Tensor.add``, ``x.add_``,
``F.gelu``, ``torch.linalg.det`` ...) with an argument parser that holds one or more signature
strings such as ``matmul(Tensor input, Tensor other, *, Tensor out=None)``. A call that no
signature accepts is refused with a ``TypeError`` whose text the parser words from those
strings: a wrong type (``matmul(): argument 'other' (position 2) must be Tensor, not int``), a
missing argument, too many positional arguments, an unexpected keyword, or, where several
signatures are plausible, ``received an invalid combination of arguments - got (Tensor, str),
but expected one of: ...`` with every signature printed.

``signatures.json`` (next to this file) holds each table op's strings per form ("function":
the callable the differential suite calls for ``torch.x`` / ``F.x`` / ``torch.linalg.x``;
"method": ``Tensor.x``), recorded from torch itself by ``tests/oracle/signature_recorder.py``.
:func:`explain` re-checks a call that failed inside the engine against them and gives torch's
error, or None when a signature accepts the call (the engine's own error then stands). It runs
on the error path only: nothing here is on a call that succeeds.
"""

from __future__ import annotations

import json
import pathlib

from .. import errors

GOLDEN = pathlib.Path(__file__).with_name("signatures.json")
_TABLE: dict | None = None

# the parser's parameter types -> the words its texts use for them
TYPE_NAMES = {
    "Tensor": "Tensor", "Scalar": "Number", "int64_t": "int", "SymInt": "int",
    "double": "float", "complex": "complex", "TensorList": "tuple of Tensors",
    "c10::List<::std::optional<Tensor>>": "tuple of Tensors",
    "c10::List<std::optional<Tensor>>": "tuple of Tensors",
    "c10::List<c10::optional<Tensor>>": "tuple of Tensors",
    "IntArrayRef": "tuple of ints", "SymIntArrayRef": "tuple of ints",
    "ArrayRef<double>": "tuple of floats", "Generator": "torch.Generator", "bool": "bool",
    "Storage": "torch.Storage", "PyObject*": "object", "ScalarType": "torch.dtype",
    "Layout": "torch.layout", "MemoryFormat": "torch.memory_format",
    "QScheme": "torch.qscheme", "Device": "torch.device", "Stream": "torch.Stream",
    "std::string": "str", "c10::string_view": "str", "::std::string_view": "str",
    "std::string_view": "str", "Dimname": "name", "DimnameList": "tuple of names",
    "ScalarList": "tuple of Scalars", "DispatchKeySet": "DispatchKeySet",
}
_INT_LISTS = ("IntArrayRef", "SymIntArrayRef")
# torch's parser lets a Python number bind to a Tensor parameter of these functions only
_NUMBERS_AS_TENSORS = frozenset((
    "add", "add_", "div", "div_", "divide", "divide_", "mul", "mul_", "multiply",
    "multiply_", "sub", "sub_", "subtract", "subtract_", "true_divide", "true_divide_",
    "to", "_to_copy", "copy_", "floor_divide", "floor_divide_"))
_NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
                "other": ("x2",)}


class Param:
    __slots__ = ("type", "size", "allow_none", "optional", "default", "name", "kw_only",
                 "numbers_as_tensors")

    def __init__(self, text: str, kw_only: bool, numbers_as_tensors: bool) -> None:
        type_, _, rest = text.partition(" ")
        self.allow_none = "?" in type_
        type_ = type_.replace("?", "")
        self.size = 0
        if "[" in type_:
            type_, _, size = type_.partition("[")
            self.size = int(size.rstrip("]"))
        self.type = type_
        name, eq, default = rest.partition("=")
        self.name, self.optional = name, bool(eq)
        self.default = default if eq else None
        if default == "None":
            self.allow_none = True
        self.kw_only = kw_only
        self.numbers_as_tensors = numbers_as_tensors

    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type, self.type)

    def shown(self) -> str:
        out = f"{self.type_name()} {self.name}"
        return out if self.default is None else f"{out} = {self.default}"


class Signature:
    __slots__ = ("name", "params", "hidden", "min_args", "max_args", "max_pos_args")

    def __init__(self, text: str) -> None:
        head, _, flag = text.partition("|")
        self.hidden = flag in ("hidden", "deprecated")
        name, _, body = head.partition("(")
        body = body[:-1]
        self.name = name
        self.params: list[Param] = []
        kw_only = False
        numbers = name in _NUMBERS_AS_TENSORS
        for part in (body.split(", ") if body else ()):
            if part == "*":
                kw_only = True
            else:
                self.params.append(Param(part, kw_only, numbers))
        self.max_args = len(self.params)
        self.min_args = sum(not p.optional for p in self.params)
        self.max_pos_args = sum(not p.kw_only for p in self.params)

    def shown(self) -> str:
        parts, star = [], False
        for p in self.params:
            if p.kw_only and not star:
                parts.append("*")
                star = True
            parts.append(p.shown())
        return "(" + ", ".join(parts) + ")"


# --------------------------------------------------------------------------- what a value is

def tp_name(obj) -> str:
    """The name torch's texts give the type of ``obj`` (CPython's ``tp_name``)."""
    from ..tensor import Tensor

    t = type(obj)
    if isinstance(obj, Tensor):
        return "Parameter" if t.__name__ == "Parameter" else "Tensor"
    name = getattr(t, "_torch_tp_name", None)
    if name is not None:
        return name
    mod = t.__module__
    if mod == "builtins":
        return t.__name__
    if mod == "numpy":
        return "numpy." + t.__name__
    if t.__name__ == "DType":
        return "torch.dtype"
    if t.__name__ in ("device", "Device"):
        return "torch.device"
    if t.__name__ in ("memory_format", "layout"):
        return "torch." + t.__name__
    if t.__name__ == "Generator":
        return "torch._C.Generator"
    if t.__name__ in ("Size", "size"):
        return "torch.Size"
    return t.__name__


def _is_tensor(obj) -> bool:
    from ..tensor import Tensor
    return isinstance(obj, Tensor)


def _is_int(obj) -> bool:  # THPUtils_checkLong: a Python int, never a bool
    import numpy as np
    return (isinstance(obj, int) and not isinstance(obj, bool)) or \
        isinstance(obj, np.integer)


def _is_number(obj) -> bool:  # int (bools too), float, complex
    import numpy as np
    return isinstance(obj, (int, float, complex, np.integer, np.floating))


def _is_double(obj) -> bool:
    import numpy as np
    return isinstance(obj, (int, float, np.integer, np.floating))


def _scalar_tensor(obj) -> bool:
    return _is_tensor(obj) and obj.ndim == 0 and not obj.requires_grad


def _is_index(obj) -> bool:  # an int or a one-element integral tensor (``__index__``)
    if isinstance(obj, bool):
        return False
    if _is_int(obj):
        return True
    return _is_tensor(obj) and obj.numel() == 1 and _integral(obj, False)


def _integral(t, include_bool: bool) -> bool:
    name = t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype)
    name = str(name).removeprefix("torch.")
    if name == "bool":
        return include_bool
    return name.startswith(("int", "uint"))


def _is_dtype(obj) -> bool:
    return type(obj).__name__ == "DType" or obj in (float, int, bool, complex)


def _check(p: Param, obj) -> tuple[bool, int]:
    """Whether ``obj`` binds to ``p``, and the index of the element that failed (-1)."""
    t = p.type
    if t == "Tensor":
        if _is_tensor(obj):
            return True, -1
        return p.numbers_as_tensors and _is_number(obj), -1
    if t in ("Scalar", "complex", "double"):
        if t != "double" and (_is_number(obj)):
            return True, -1
        return _is_double(obj) or _scalar_tensor(obj), -1
    if t in ("int64_t",):
        if _is_int(obj):
            return True, -1
        return _scalar_tensor(obj) and _integral(obj, False), -1
    if t == "SymInt":
        return _is_index(obj), -1
    if t in _INT_LISTS:
        if isinstance(obj, (tuple, list)):
            if not obj or _is_index(obj[0]):
                return True, -1
            return False, 0
        return p.size > 0 and _is_index(obj), -1
    if t == "bool":
        return isinstance(obj, bool), -1
    if t in ("TensorList",) or t.startswith("c10::List<"):
        return isinstance(obj, (tuple, list)), -1  # (its elements: _tensor_list_error)
    if t == "ArrayRef<double>":
        return isinstance(obj, (tuple, list)) and (not obj or _is_number(obj[0])), -1
    if t == "ScalarType":
        return _is_dtype(obj), -1
    if t == "Device":
        return _is_int(obj) or isinstance(obj, str) or type(obj).__name__ in (
            "device", "Device"), -1
    if t in ("std::string", "c10::string_view", "::std::string_view", "std::string_view"):
        return isinstance(obj, str), -1
    if t == "PyObject*":
        return True, -1
    if t == "Dimname":
        return obj is None or isinstance(obj, str), -1
    if t == "DimnameList":
        return (isinstance(obj, (tuple, list)) and all(
            v is None or isinstance(v, str) for v in obj)) or (
            p.size == 1 and (obj is None or isinstance(obj, str))), -1
    if t == "ScalarList":
        return isinstance(obj, (tuple, list)) and all(_is_number(v) for v in obj), -1
    if t == "Generator":
        return type(obj).__name__ == "Generator", -1
    if t == "Layout":
        return type(obj).__name__ in ("layout", "Layout"), -1
    if t == "MemoryFormat":
        return type(obj).__name__ in ("memory_format", "MemoryFormat"), -1
    return False, -1


def _tensor_list_error(p: Param, obj, argnum: int) -> None:
    """torch's parser refuses a list holding a non-tensor as it checks it, whichever
    signature it is trying."""
    if not isinstance(obj, (tuple, list)) or p.type not in ("TensorList",) and \
            not p.type.startswith("c10::List<"):
        return
    allow_none = p.type.startswith("c10::List<")
    for i, v in enumerate(obj):
        if not _is_tensor(v) and not (allow_none and v is None):
            raise errors.EngineTypeError(
                f"expected Tensor as element {i} in argument {argnum}, but got {tp_name(v)}")


class _Refused(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _extra_args(sig: Signature, nargs: int) -> _Refused:
    if sig.min_args != sig.max_pos_args:
        return _Refused(f"{sig.name}() takes from {sig.min_args} to {sig.max_pos_args} "
                        f"positional arguments but {nargs} were given")
    s = "" if sig.max_pos_args == 1 else "s"
    was = "was" if nargs == 1 else "were"
    return _Refused(f"{sig.name}() takes {sig.max_pos_args} positional argument{s} but "
                    f"{nargs} {was} given")


def _missing(sig: Signature, idx: int) -> _Refused:
    names = [f'"{p.name}"' for p in sig.params[idx:] if not p.optional]
    s = "s" if len(names) == 1 else ""  # (sic: torch's plural is inverted)
    return _Refused(f"{sig.name}() missing {len(names)} required positional argument{s}: "
                    + ", ".join(names))


def _parse(sig: Signature, args: tuple, kwargs: dict, raise_: bool,
           bound: list | None = None) -> bool:
    """One signature's binding of the call (torch's rules); with ``raise_`` the refusal is
    raised as :class:`_Refused` with torch's text. ``bound`` collects (parameter, value)."""
    nargs = len(args)
    remaining = len(kwargs)
    varargs = sig.max_pos_args == 1 and sig.params and sig.params[0].type in _INT_LISTS
    if nargs > sig.max_pos_args and not varargs:
        if raise_:
            raise _extra_args(sig, nargs)
        return False
    pos = 0
    for i, p in enumerate(sig.params):
        is_kwd = False
        have = False
        obj = None
        if pos < nargs:
            if p.kw_only:
                if raise_:
                    raise _extra_args(sig, nargs)
                return False
            obj, have = args[pos], True
        elif kwargs:
            is_kwd = True
            for key in (p.name, *_NUMPY_NAMES.get(p.name, ())):
                if key in kwargs:
                    obj, have = kwargs[key], True
                    break
        eligible = varargs and pos == 0 and not is_kwd
        if (not have and p.optional) or (have and obj is None and p.allow_none):
            pass
        elif not have:
            if raise_:
                raise _missing(sig, i)
            return False
        else:
            _tensor_list_error(p, obj, i)
            ok, failed = _check(p, obj)
            if not ok and eligible:
                ok2, failed2 = _check(p, tuple(args))
                if ok2:
                    if bound is not None:
                        bound.append((p, tuple(args)))
                    pos = nargs
                    continue
                if nargs > sig.max_pos_args:  # (torch 2.13: the count, then the type)
                    if raise_:
                        raise _extra_args(sig, nargs)
                    return False
            if not ok:
                if not raise_:
                    return False
                if is_kwd:
                    raise _Refused(f"{sig.name}(): argument '{p.name}' must be "
                                   f"{p.type_name()}, not {tp_name(obj)}")
                if failed != -1:
                    seq = obj if isinstance(obj, (tuple, list)) else args
                    raise _Refused(
                        f"{sig.name}(): argument '{p.name}' (position {pos + 1}) must be "
                        f"{p.type_name()}, but found element of type "
                        f"{tp_name(seq[failed])} at pos {failed}")
                raise _Refused(f"{sig.name}(): argument '{p.name}' (position {pos + 1}) "
                               f"must be {p.type_name()}, not {tp_name(obj)}")
            if bound is not None:
                bound.append((p, obj))
        if not is_kwd:
            pos += 1
        elif have:
            remaining -= 1
    if pos < nargs:  # positional arguments left after a list parameter took its own
        if raise_:
            raise _extra_args(sig, nargs)
        return False
    if remaining > 0:
        if raise_:
            for key in kwargs:
                names = [q.name for q in sig.params]
                if key not in names and not any(
                        key in _NUMPY_NAMES.get(q, ()) for q in names):
                    raise _Refused(f"{sig.name}() got an unexpected keyword argument '{key}'")
                if key in names and names.index(key) < nargs:
                    raise _Refused(f"{sig.name}() got multiple values for argument '{key}'")
            raise _Refused("invalid keyword arguments")
        return False
    return True


def _unpack_error(sig: Signature, bound: list) -> str | None:
    """What torch says when it reads a bound int list whose later element is not an int (its
    binding looked at the first element only)."""
    for p, obj in bound:
        if p.type in _INT_LISTS and isinstance(obj, (tuple, list)):
            for i, v in enumerate(obj):
                if not (_is_index(v) or isinstance(v, bool)):
                    return (f"{sig.name}(): argument '{p.name}' failed to unpack the object "
                            f"at pos {i + 1} with error \"type must be tuple of ints,but got "
                            f"{tp_name(v)}\"")
    return None


# --------------------------------------------------------------------------- the listing

def _option_args(shown: str) -> tuple[list[tuple[str, str]], bool]:
    """A printed signature as torch's error formatter reads it back: (type, name) pairs split
    at ", " and the last space (so ``Tensor min = None`` reads as type ``Tensor min =``)."""
    inner = shown[1:-1]
    out = []
    for arg in inner.split(", "):
        k = arg.rfind(" ")
        out.append((arg[:k] if k >= 0 else arg, arg[k + 1:]))
    return out, "..." in inner


def _matches(type_: str, obj) -> bool:
    name = tp_name(obj)
    if type_ == "float":
        return name in ("float", "int", "long")
    if type_ == "int":
        return name in ("int", "long")
    return name == type_


def _kw_order(kwargs: dict) -> list:
    """The keywords in the order torch's texts list them: its parser keeps them in a C++
    hash map (libstdc++'s), which iterates two keys in the reverse of their insertion (the
    call's order); with three or more the order depends on the keys' hashes (not modelled:
    the call's order)."""
    keys = list(kwargs)
    return keys[::-1] if len(keys) == 2 else keys


def _arg_desc(args: tuple, kwargs: dict) -> str:
    parts = [tp_name(a) for a in args] + [f"{k}={tp_name(kwargs[k])}" for k in _kw_order(kwargs)]
    # (torch drops the last ", " only when there are positional arguments)
    return "(" + ", ".join(parts) + (", " if kwargs and not args else "") + ")"


def _count_match(option: list, variadic: bool, args: tuple, kwargs: dict) -> bool:
    got = len(args) + len(kwargs)
    return got == len(option) or (variadic and got > len(option))


def _formatted(option: list, variadic: bool, args: tuple, kwargs: dict) -> str | None:
    parts = []
    values = list(args) + list(kwargs.values())
    for i, obj in enumerate(values):
        is_kw = i >= len(args)
        if is_kw:  # torch looks the value up under the option's i-th name
            name = option[i][1]
            if name not in kwargs:
                return None
            obj = kwargs[name]
        if i < len(option):
            ok = _matches(option[i][0], obj)
        else:
            ok = variadic and _matches(option[-1][0], obj)
        text = (option[i][1] + "=" if is_kw else "") + _value_desc(obj)
        parts.append(text if ok else f"!{text}!")
    return "(" + ", ".join(parts) + (", " if kwargs and not args else "") + ")"


def _value_desc(obj) -> str:
    if isinstance(obj, (tuple, list)):
        inner = ", ".join(tp_name(v) for v in obj)
        if isinstance(obj, tuple):
            return f"{tp_name(obj)} of ({inner}{',' if len(obj) == 1 else ''})"
        return f"{tp_name(obj)} of [{inner}]"
    return tp_name(obj)


def _unmatched_kwargs(option: list, kwargs: dict) -> list[str]:
    start = max(len(option) - len(kwargs), 0)
    names = [n for _, n in option[start:]]
    return [k for k in _kw_order(kwargs) if k not in names]


def _invalid_combination(name: str, shown: list[str], args: tuple, kwargs: dict) -> str:
    msg = f"{name}() received an invalid combination of arguments - "
    if len(shown) == 1:
        option, variadic = _option_args(shown[0])
        bad = _unmatched_kwargs(option, kwargs) if kwargs else []
        if bad:
            return msg + "got unrecognized keyword arguments: " + ", ".join(bad)
        desc = _formatted(option, variadic, args, kwargs) if _count_match(
            option, variadic, args, kwargs) else _arg_desc(args, kwargs)
        return msg + f"got {desc or _arg_desc(args, kwargs)}, but expected {shown[0]}"
    msg += f"got {_arg_desc(args, kwargs)}, but expected one of:\n"
    for s in shown:
        option, variadic = _option_args(s)
        msg += f" * {s}\n"
        if _count_match(option, variadic, args, kwargs):
            bad = _unmatched_kwargs(option, kwargs) if kwargs else []
            if bad:
                msg += ("      didn't match because some of the keywords were incorrect: "
                        + ", ".join(bad) + "\n")
            else:
                desc = _formatted(option, variadic, args, kwargs)
                msg += ("      didn't match because some of the arguments have invalid "
                        f"types: {desc}\n")
    return msg


# --------------------------------------------------------------------------- the entry

def _table() -> dict:
    global _TABLE
    if _TABLE is None:
        _TABLE = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    return _TABLE


_PARSED: dict = {}


def signatures(op: str, form: str) -> list[Signature] | None:
    """``op``'s signatures in ``form``, parsed once (None: not recorded)."""
    key = (op, form)
    sigs = _PARSED.get(key)
    if sigs is None:
        entry = _table().get(form, {}).get(op)
        sigs = [Signature(s) for s in entry] if entry and not entry[0].endswith(
            "|noargs") else ()
        _PARSED[key] = sigs
    return sigs or None


def refusal(op: str, form: str, args: tuple, kwargs: dict) -> str | None:
    """torch's text refusing ``op``'s call in ``form`` ("function": ``args`` as given;
    "method": ``args[0]`` is the tensor it is called on), or None when torch's parser accepts
    the call (or the op's signatures are not recorded). "torch": ``torch.x`` where the
    function form is another callable (``F.relu``), its own parser's when recorded."""
    if form == "torch":
        form = "torch" if op in _table().get("torch", ()) else "function"
    entry = _table().get(form, {}).get(op)
    if not entry:
        return None
    if entry[0].endswith("|noargs"):  # a method torch binds without arguments
        name = entry[0][:-len("|noargs")]
        if kwargs:
            return f"{name}() takes no keyword arguments"
        if len(args) > 1:
            return f"{name}() takes no arguments ({len(args) - 1} given)"
        return None
    sigs = signatures(op, form)
    if form == "method":
        args = tuple(args[1:])
    else:
        args = tuple(args)
    kwargs = dict(kwargs)
    try:
        if len(sigs) == 1:
            bound: list = []
            _parse(sigs[0], args, kwargs, True, bound)
            return _unpack_error(sigs[0], bound)
        for s in sigs:
            bound = []
            if _parse(s, args, kwargs, False, bound):
                text = _unpack_error(s, bound)
                if text is not None and op == "new" and len(args) == 1:
                    # Tensor.new's legacy constructor reads one sequence as data: its
                    # first element that is not a number is refused as the data's (all
                    # numbers: data it takes, ``x.new([0, 1.5])``)
                    foreign = [v for v in args[0] if not _is_number(v)]
                    return "must be real number, not " + tp_name(foreign[0]) if foreign \
                        else None
                return text
        n = len(args) + len(kwargs)
        plausible = [s for s in sigs if s.min_args <= n <= s.max_args and not s.hidden]
        if len(plausible) == 1:
            _parse(plausible[0], args, kwargs, True)
        shown = [s.shown() for s in sigs if not s.hidden]
        return _invalid_combination(sigs[0].name, shown, args, kwargs)
    except _Refused as e:
        return e.text
    except errors.EngineTypeError as e:
        return str(e)


def deprecated_call(op: str, form: str, args, kwargs) -> tuple[tuple, dict, str] | None:
    """A call that only a deprecated signature of ``op`` takes (``torch.add(x, 2, y)``:
    ``add(Tensor input, Scalar alpha, Tensor other)``, which torch still computes, warning):
    the same call by its parameters' names (``(x,), {"other": y, "alpha": 2}``; a method's
    tensor first) and torch's warning; None when no deprecated signature takes it."""
    if form == "torch":
        form = "torch" if op in _table().get("torch", ()) else "function"
    entry = _table().get(form, {}).get(op)
    if not entry or not any(s.endswith("|deprecated") for s in entry):
        return None
    sigs = signatures(op, form)
    rest = tuple(args[1:]) if form == "method" else tuple(args)
    for text, sig in zip(entry, sigs, strict=True):
        bound: list = []
        if not text.endswith("|deprecated") or not _parse(sig, rest, dict(kwargs), False,
                                                          bound):
            continue
        named = {p.name: v for p, v in bound if not (p.name == "out" and v is None)}
        first = (args[0],) if form == "method" else (named.pop("input"),)
        others = "\n\t".join(f"{s.name}{s.shown()}" for s, t in zip(sigs, entry, strict=True)
                              if not t.endswith(("|deprecated", "|hidden")))
        warning = (f"This overload of {sig.name} is deprecated:\n\t{sig.name}{sig.shown()}\n"
                   f"Consider using one of the following signatures instead:\n\t{others}")
        return first, named, warning
    return None


def python_refusal(op: str, args, kwargs) -> tuple[str, str] | None:
    """torch's (class, text) for a call of a function torch writes in Python (``F.mse_loss``)
    holding something other than a tensor in a Tensor parameter: what its body meets first
    there, as recorded (``'int' object has no attribute 'size'``, an inner parser's refusal).
    None when the call does not bind as Python binds it or every Tensor parameter holds a
    tensor (or an allowed None)."""
    entry = _table().get("python", {}).get(op)
    if not entry:
        return None
    params = entry["params"]
    positional = [p for p in params if not p[1]]
    if len(args) > len(positional):
        return None
    bound = {p[0]: v for p, v in zip(positional, args)}
    for key, v in kwargs.items():
        if key in bound or key not in {p[0] for p in params}:
            return None
        bound[key] = v
    for name, _kw_only, has_default, is_tensor, none_ok in params:
        if name not in bound:
            if not has_default:
                return None
            continue
        if not is_tensor:
            continue
        v = bound[name]
        if _is_tensor(v) or (v is None and none_ok):
            continue
        kind = type(v).__name__
        numbers = entry.get("numbers", {}).get(name, {})
        if kind in numbers:  # a Python number: torch's recorded outcome for one (None: took it)
            found = numbers[kind]
            if found is None or found[0] not in ("TypeError", "AttributeError"):
                return None  # (took it, or a later check of the values: the engine's own)
            return found[0], found[1]
        found = entry["touch"].get(name)
        if found is None:
            return None
        return found[0], found[1].replace("{type}", tp_name(v))
    return None


def explain(op: str, form: str, args, kwargs, exc: BaseException) -> BaseException:
    """What a program sees of ``exc``, raised by a call of ``op``: torch's parser refusal
    when torch's signatures refuse the call (an engine TypeError/AttributeError/ValueError
    from an argument the op cannot use), else ``exc`` itself."""
    if not isinstance(exc, (TypeError, AttributeError, ValueError, IndexError,
                            RuntimeError)) or isinstance(exc, errors.TensorTooLarge) or \
            type(exc).__name__ == "BatchingError":
        return exc
    try:
        text = refusal(op, form, args, kwargs)
        if text is None and (form == "function" or form == "torch" and op not in _table().get(
                "torch", ())):
            found = python_refusal(op, args, kwargs)
            if found is not None:
                cls = errors.EngineTypeError if found[0] == "TypeError" else \
                    _PY_ERRORS.get(found[0])
                return exc if cls is None else cls(found[1])
    except Exception:  # noqa: BLE001 - a value the rules cannot read: the engine's own error
        return exc
    if text is None:
        return exc
    if len(kwargs) > 2 and isinstance(exc, TypeError) and \
            _unordered(str(exc)) == _unordered(text):
        # the op words torch's listing itself, its keywords in torch's order (torch prints
        # three or more keywords in its hash map's order, which the rules do not model)
        return exc
    return errors.EngineTypeError(text)


def _unordered(text: str):
    """A listing text with the items of its ``got (...)`` as a set."""
    head, sep, rest = text.partition(" - got (")
    got, sep2, tail = rest.partition("), but expected")
    if not sep or not sep2:
        return text
    return head, frozenset(got.split(", ")), tail


_PY_ERRORS = {"AttributeError": AttributeError, "ValueError": errors.EngineValueError,
              "RuntimeError": errors.EngineRuntimeError, "IndexError": errors.EngineIndexError}


# --------------------------------------------------------------------------- the guards

# The op forms whose engine callables, left to themselves, compute calls torch's parser
# refuses (``torch.square(3)``, ``x.relu(1)``, ``x.softmax()``, ``torch.lerp(a, b, None)``,
# ``x.narrow(0, 1.5, 1)``, ``F.l1_loss(3, t)`` ...): found by the sweep
# (``python -m tests.oracle.signature_sweep --guards`` lists the forms it finds computing; its
# pinned count in tests/oracle/test_signature_errors.py fails when a new one appears). Each is
# installed with :func:`guarded`: the call is bound by torch's signatures first. Every other
# op form keeps its plain callable (its refusals are worded on the error path, ``explain``).
GUARDED = {
    "function": ("argsort", "lerp", "linalg.matrix_rank", "linalg.pinv", "linspace",
                 "logspace", "max", "min", "narrow", "normal", "pow", "remainder",
                 "repeat_interleave", "rsub", "sort", "square", "std", "std_mean", "subtract",
                 "var", "var_mean"),
    "method": ("argsort", "fill_", "lerp", "lerp_", "log_softmax", "max", "min", "narrow",
               "relu", "repeat_interleave", "resize_", "softmax", "sort", "std", "subtract",
               "subtract_", "tile", "to", "var"),
    "python": ("alpha_dropout", "feature_alpha_dropout", "huber_loss", "l1_loss",
               "mse_loss", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss"),
}


def guarded(op: str, form: str, fn):
    """``fn`` (op ``op``'s callable in ``form``: "function", "method", "torch" or "python", a
    function torch writes in Python) refusing, with torch's class and text, a call torch's
    recorded signatures refuse, before it computes anything. A call of positional arguments
    of the plain types (exact tensors, Python numbers, ints, bools, dtypes, None where
    allowed) that a signature takes goes straight to ``fn`` by a check compiled from the
    signatures (:func:`_fast_source`); any other call is bound by the rules first."""
    import functools

    if form == "python":
        def slow(args, kwargs):
            found = python_refusal(op, args, kwargs)
            if found is not None:
                cls = errors.EngineTypeError if found[0] == "TypeError" else \
                    _PY_ERRORS[found[0]]
                raise cls(found[1])
            return fn(*args, **kwargs)
    else:
        def slow(args, kwargs):
            text = refusal(op, form, args, kwargs)
            if text is not None:
                raise errors.EngineTypeError(text)
            return fn(*args, **kwargs)
    from ..dtypes import DType
    from ..tensor import Tensor

    scope = {"fn": fn, "slow": slow, "T": Tensor, "NUM": (int, float, bool), "DT": DType}
    exec(compile(_fast_source(op, form), f"<signature guard {form} {op}>", "exec"), scope)
    call = scope["call"]
    functools.update_wrapper(call, fn)
    call.signature_guard = (op, form)
    for attr in ("operator", "operator_form"):  # (the operator forms stay the plain ones)
        if hasattr(fn, attr):
            setattr(call, attr, getattr(fn, attr))
    return call


def _fast_check(p: Param, expr: str) -> str | None:
    """A Python expression true when ``expr`` surely binds to ``p`` (None: no quick test)."""
    t = p.type
    if t == "Tensor":
        check = f"type({expr}) is T"
    elif t in ("Scalar", "double"):
        check = f"type({expr}) in NUM"
    elif t in ("int64_t", "SymInt"):
        check = f"type({expr}) is int"
    elif t == "bool":
        check = f"type({expr}) is bool"
    elif t == "ScalarType":
        check = f"type({expr}) is DT"
    elif t in _INT_LISTS and p.size > 0:  # (``int[1] dim``: one int binds)
        check = f"type({expr}) is int"
    else:
        return None
    return f"({expr} is None or {check})" if p.allow_none else check


def _fast_source(op: str, form: str) -> str:
    """The source of the guard ``call(*args, **kwargs)``: for each argument count, the
    conditions under which a recorded signature takes positional arguments of plain types,
    calling ``fn`` at once; else ``slow`` (the rules, then ``fn``)."""
    by_count: dict[int, list[str]] = {}
    if form == "python":
        params = _table()["python"][op]["params"]
        positional = [p for p in params if not p[1]]
        conds = []
        for i, (_name, _kw, _default, is_tensor, none_ok) in enumerate(positional):
            if is_tensor:
                check = f"type(args[{i}]) is T"
                if none_ok:
                    check = f"(args[{i}] is None or {check})"
                conds.append(f"(n <= {i} or {check})")
        lines = ["def call(*args, **kwargs):", "    if not kwargs:", "        n = len(args)",
                 f"        if n <= {len(positional)} and " + (" and ".join(conds) or "True")
                 + ":", "            return fn(*args)", "    return slow(args, kwargs)"]
        return "\n".join(lines) + "\n"
    sigs = signatures(op, form if form != "torch" or op in _table().get("torch", ())
                      else "function") or []
    first = 1 if form == "method" else 0
    entry = _table().get(form, {}).get(op) or ()
    if first and entry and entry[0].endswith("|noargs"):
        by_count[1] = ["type(args[0]) is T"]
    for sig in sigs:
        if any(not p.optional for p in sig.params if p.kw_only):
            continue
        pos = [p for p in sig.params if not p.kw_only]
        for n in range(sig.min_args, len(pos) + 1):
            checks = ["type(args[0]) is T"] if first else []
            for i, p in enumerate(pos[:n]):
                c = _fast_check(p, f"args[{i + first}]")
                if c is None:
                    break
                checks.append(c)
            else:
                by_count.setdefault(n + first, []).append(" and ".join(checks) or "True")
    lines = ["def call(*args, **kwargs):", "    if not kwargs:", "        n = len(args)"]
    for n, conds in sorted(by_count.items()):
        lines.append(f"        if n == {n} and ({' or '.join(f'({c})' for c in conds)}):")
        lines.append("            return fn(*args)")
    lines.append("    return slow(args, kwargs)")
    return "\n".join(lines) + "\n"


def install_guards(table: dict, tensor_cls) -> None:
    """Put :func:`guarded` on the function forms in ``table`` and the methods of
    ``tensor_cls`` that :data:`GUARDED` names (once: at the op table's import)."""
    import dataclasses

    for form in ("function", "python"):
        for op in GUARDED[form]:
            d = table[op]
            table[op] = dataclasses.replace(d, fn=guarded(op, form, d.fn))
    for op in GUARDED["method"]:
        setattr(tensor_cls, op, guarded(op, "method", getattr(tensor_cls, op)))


def count_refused(op: str, form: str, nargs: int, kwnames: tuple) -> bool:
    """Whether every recorded signature of ``op`` in ``form`` refuses a call of ``nargs``
    positional arguments and keywords ``kwnames`` whatever their values (too many, a required
    one missing, an unknown keyword): a call site of that shape always raises (app/lang then
    binds it with :func:`guarded`). False when in doubt (a list parameter taking varargs).
    "torch": ``torch.x``, whose parser is the function form's where torch.x is F.x."""
    if form == "torch" and op not in _table().get("torch", ()):
        form = "function"
    sigs = signatures(op, form)
    if not sigs:
        return False
    for s in sigs:
        if s.max_pos_args == 1 and s.params and s.params[0].type in _INT_LISTS:
            return False
        if nargs > s.max_pos_args:
            continue
        names = {p.name for p in s.params}
        names |= {a for p in s.params for a in _NUMPY_NAMES.get(p.name, ())}
        if any(k not in names for k in kwnames):
            continue
        if any(not p.optional and i >= nargs and p.name not in kwnames
               for i, p in enumerate(s.params)):
            continue
        return False
    return True
