"""The code compiler, expressions: each JSON expression becomes a closure ``fr -> value``."""

from __future__ import annotations

import math
from typing import Any

import engine
from engine.backends import CUDNN_FLAGS, cudnn_flag
from engine.ops import signatures as engine_signatures

from . import builtins as bi
from . import calls
from .arrays import index_retry
from .calls import (
    PREBOUND_ROOTS,
    Arguments,
    Closure,
    binary_closure,
    global_call,
    guarded_value,
    inplace_closure,
    method_call,
    op_call,
    static_call,
    super_method_call,
    unary_closure,
    value_call,
)
from .errors import LangError, ProgramError, ProgramValidationError
from .exceptions import convert_exception
from .library import _SAFE as SAFE_TYPES
from .library import admit, canonical, resolve_path
from .methods import materialize
from .objects import (
    PLAIN_LIBRARY_TYPES,
    bridge_attr,
    dunder_attr,
    get_attr,
    library_getattr,
)
from .runtime import Frame
from .schema import READ_DUNDERS, READABLE_ATTRS
from .scopes import CLASS, Scope
from .shared import SHARED_CONTAINERS, unshared
from .values import CLASS_VERSION, Instance, OpFunction, Property, SuperProxy

Tensor = engine.Tensor
_MISSING = object()
_NO_DICT: dict[str, Any] = {}
_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _unbound_local(name: str) -> ProgramError:
    return ProgramError(f"cannot access local variable '{name}' where it is not associated "
                        "with a value", exception="UnboundLocalError")


def _unbound_free(name: str) -> ProgramError:
    return ProgramError(f"cannot access free variable '{name}' where it is not associated "
                        "with a value in enclosing scope", exception="NameError")


def global_value(name: str) -> Any:
    """What a name no program binds means: a builtin, a constant, a library root. (An op of
    the table is no bare name, as in Python: ``t`` is NameError unless the program binds it,
    and ``torch.t`` the op; ``{"call": "t", ...}``, the SPEC's core call, calls the op.)"""
    value = bi.BUILTIN_VALUES.get(name, _MISSING)
    if value is not _MISSING:
        return value
    value = bi.CONSTANTS.get(name, _MISSING)
    if value is not _MISSING:
        return value
    if name in PREBOUND_ROOTS:
        return resolve_path(name)
    return _MISSING


class ExpressionCompiler:
    unit: bytes

    def expr(self, node: Any, scope: Scope) -> Closure:
        if node is None or isinstance(node, (bool, int, float, str)):
            return lambda fr: node
        if isinstance(node, list):
            return self._sequence(node, scope, list)
        method = self._EXPRESSIONS.get(next((k for k in node if k in self._EXPRESSIONS), ""))
        if method is None:  # pragma: no cover - the schema admits nothing else
            raise ProgramValidationError("unknown expression")
        return method(self, node, scope)

    def _ellipsis(self, node: dict, scope: Scope) -> Closure:
        return lambda fr: Ellipsis

    def _sequence(self, items: list, scope: Scope, kind: type) -> Closure:
        if not any(isinstance(e, dict) and "star" in e for e in items):
            parts = tuple(self.expr(e, scope) for e in items)
            if kind is list:
                return lambda fr: [part(fr) for part in parts]
            if kind is tuple:
                return lambda fr: tuple([part(fr) for part in parts])
            return lambda fr: {part(fr) for part in parts}
        starred = tuple((isinstance(e, dict) and "star" in e,
                         self.expr(e["star"] if isinstance(e, dict) and "star" in e else e,
                                   scope)) for e in items)

        def run(fr: Frame) -> Any:
            out: list[Any] = []
            for star, part in starred:
                if star:
                    out.extend(materialize(fr.rs, part(fr), "an unpacked sequence"))
                else:
                    out.append(part(fr))
            return out if kind is list else kind(out)

        return run

    def _tuple(self, node: dict, scope: Scope) -> Closure:
        return self._sequence(node["tuple"], scope, tuple)

    def _set(self, node: dict, scope: Scope) -> Closure:
        return self._sequence(node["set"], scope, set)

    def _dict(self, node: dict, scope: Scope) -> Closure:
        entries = []
        for entry in node["dict"]:
            if isinstance(entry, dict):
                entries.append((None, self.expr(entry["starstar"], scope)))
            else:
                entries.append((self.expr(entry[0], scope), self.expr(entry[1], scope)))
        entries_t = tuple(entries)

        def run(fr: Frame) -> dict:
            out: dict[Any, Any] = {}
            for key, value in entries_t:
                if key is None:
                    mapping = value(fr)
                    if not isinstance(mapping, dict):
                        raise ProgramError(f"'{type(mapping).__name__}' object is not a "
                                           "mapping", exception="TypeError")
                    out.update(mapping)
                else:
                    k = key(fr)
                    try:
                        out[k] = value(fr)
                    except TypeError as exc:
                        raise convert_exception(exc) from None
            return out

        return run

    def _float(self, node: dict, scope: Scope) -> Closure:
        raw = node["float"]
        value = _FLOATS[raw] if isinstance(raw, str) else float(raw)
        return lambda fr: value

    def _lib(self, node: dict, scope: Scope) -> Closure:
        path = node["lib"]
        root = path.split(".", 1)[0]
        if root in PREBOUND_ROOTS and scope.resolve(root)[0] != "global":
            return self.dynamic_path(path, scope)  # the program's own variable of that name
        module, _, flag = path.rpartition(".")
        if flag in CUDNN_FLAGS and canonical(module) == "torch.backends.cudnn":
            return self._guarded(root, lambda fr: cudnn_flag(flag),  # a program may set it
                                 path, scope)
        try:
            value = resolve_path(path)
        except ProgramError as exc:
            error = exc

            def fail(fr: Frame) -> Any:
                raise ProgramError(error.detail, **error.extra)

            return self._guarded(root, fail, path, scope)
        if root not in PREBOUND_ROOTS:
            return lambda fr: value
        return guarded_value(root, value, self.dynamic_path(path, scope))

    def _guarded(self, root: str, static: Closure, path: str, scope: Scope) -> Closure:
        """``static`` for a path whose root a session variable may shadow: read through that
        variable when there is one (:data:`app.lang.calls.ROOTS_BOUND`)."""
        if root not in PREBOUND_ROOTS:
            return static
        dynamic = self.dynamic_path(path, scope)

        def run(fr: Frame) -> Any:
            if calls.ROOTS_BOUND and root in fr.glob:
                return dynamic(fr)
            return static(fr)

        return run

    def dynamic_path(self, path: str, scope: Scope) -> Closure:
        """``torch.nn.Linear`` read as Python reads it: the name ``torch`` where the program
        sees it (its own variable, else the library module), then each attribute."""
        root, *parts = path.split(".")
        read = self.read(root, scope)
        if not parts:
            return read

        def run(fr: Frame) -> Any:
            value = read(fr)
            for part in parts:
                value = get_attr(fr.rs, value, part)
            return value

        return run

    # ------------------------------------------------------------------ names

    def _var(self, node: dict, scope: Scope) -> Closure:
        return self.read(node["var"], scope)

    def read(self, name: str, scope: Scope) -> Closure:
        kind, index = scope.resolve(name)
        if kind == "local":
            def local(fr: Frame) -> Any:
                try:
                    return fr.locals[name]
                except KeyError:
                    raise _unbound_local(name) from None
            return local
        if kind == "free":
            def free(fr: Frame) -> Any:
                try:
                    return fr.enclosing[index][name]
                except KeyError:
                    raise _unbound_free(name) from None
            return free
        fallback = global_value(name)

        def glob(fr: Frame) -> Any:
            value = fr.glob.get(name, _MISSING)
            if value is not _MISSING:
                return value
            if fallback is not _MISSING:
                return fallback
            raise ProgramError(f"name '{name}' is not defined", exception="NameError")

        if kind == "global":
            return glob
        outer_kind, outer_index = scope.resolve_outside(name)
        if outer_kind == "free":
            def class_free(fr: Frame) -> Any:
                value = fr.locals.get(name, _MISSING)
                if value is not _MISSING:
                    return value
                try:
                    return fr.enclosing[outer_index][name]
                except KeyError:
                    raise _unbound_free(name) from None
            return class_free

        def class_glob(fr: Frame) -> Any:
            value = fr.locals.get(name, _MISSING)
            return glob(fr) if value is _MISSING else value

        return class_glob

    def fast_name(self, node: Any, scope: Scope) -> str | None:
        """The name of a variable operand that lives in ``fr.locals`` (every top-level name,
        a function's own locals), which a closure can read inline; None otherwise."""
        if isinstance(node, dict) and "var" in node:
            name = node["var"]
            if scope.top or scope.resolve(name)[0] == "local":
                return name
        return None

    # ------------------------------------------------------------------ attributes, items

    def _attr(self, node: dict, scope: Scope) -> Closure:
        name = node["attr"]
        obj = self.expr(node["of"], scope)
        if name in READ_DUNDERS:
            return lambda fr: dunder_attr(fr.rs, obj(fr), name)
        tensor_readable = name in READABLE_ATTRS and name not in ("values", "indices")
        public = not name.startswith("_")
        fast = self.fast_name(node["of"], scope)

        def run(fr: Frame) -> Any:
            if fast is not None:
                try:
                    value = fr.locals[fast]
                except KeyError:
                    value = obj(fr)
            else:
                value = obj(fr)
            if tensor_readable and isinstance(value, Tensor):
                return getattr(value, name)
            if isinstance(value, Instance):
                attrs = value.attrs
                if name in attrs:
                    cls = value.cls  # ``lookup``'s cache hit, inline
                    found = cls._cache.get(name, _MISSING) if \
                        cls._cache_version == CLASS_VERSION[0] else _MISSING
                    if found is _MISSING:
                        found = cls.lookup(name)
                    if type(found) is not Property:
                        return attrs[name]
            elif public and type(value) in PLAIN_LIBRARY_TYPES:  # ctx.saved_tensors ...
                try:
                    found = getattr(value, name)
                except LangError:
                    raise
                except Exception:
                    found = library_getattr(value, name)  # the error as programs see it
                if type(found) in SHARED_CONTAINERS:
                    found = unshared(value, name, found)
                return admit(found)
            elif hasattr(type(value), "_lang_class") and not isinstance(value, Tensor):
                if public:  # ``self.s`` in a Module subclass: what bridge_attr does, inline
                    item = getattr(value, "__dict__", _NO_DICT).get(name, _MISSING)
                    if type(item) in SAFE_TYPES:
                        cls = type(value)._lang_class  # ``lookup``'s cache hit, inline
                        found = cls._cache.get(name, _MISSING) if \
                            cls._cache_version == CLASS_VERSION[0] else _MISSING
                        if found is _MISSING:
                            found = cls.lookup(name)
                        if type(found) is not Property:
                            return item
                return bridge_attr(fr.rs, value, name)
            return get_attr(fr.rs, value, name)

        if fast is not None and public and not tensor_readable:
            def other(rs: Any, value: Any) -> Any:  # what ``run`` does for any other value
                if isinstance(value, Instance):
                    attrs = value.attrs
                    if name in attrs and type(value.cls.lookup(name)) is not Property:
                        return attrs[name]
                return get_attr(rs, value, name)

            run.attr = (fast, obj, name, other)  # type: ignore[attr-defined]  # unpack_attr
        return run

    def _index(self, node: dict, scope: Scope) -> Closure:
        obj = self.expr(node["index"], scope)
        key = self.key(node["key"], scope)
        fast = self.fast_name(node["index"], scope)
        if fast is not None and type(node["key"]) in (str, int):
            const = node["key"]

            def run_const(fr: Frame) -> Any:  # ``state['y']``: the variable and key inline
                try:
                    value = fr.locals[fast]
                except KeyError:
                    value = obj(fr)
                try:
                    return value[const]
                except LangError:
                    raise
                except Exception as exc:
                    raise convert_exception(exc, "index", fr.rs.limits) from None

            return run_const

        def run(fr: Frame) -> Any:
            value = obj(fr)
            k = key(fr)
            try:
                return value[k]
            except LangError:
                raise
            except Exception as exc:
                return index_retry(value, k, exc, fr.rs.limits)

        return run

    def key(self, node: Any, scope: Scope) -> Closure:
        if isinstance(node, list):
            parts = tuple(self.key(k, scope) for k in node)
            return lambda fr: tuple([part(fr) for part in parts])
        if isinstance(node, dict) and "slice" in node:
            parts = [None if p is None else self.expr(p, scope) for p in node["slice"]]
            start, stop, step = (parts + [None])[:3]
            none = lambda fr: None  # noqa: E731
            start, stop, step = start or none, stop or none, step or none
            return lambda fr: slice(start(fr), stop(fr), step(fr))
        if isinstance(node, dict) and "ellipsis" in node:
            return lambda fr: Ellipsis
        return self.expr(node, scope)

    # ------------------------------------------------------------------ logic

    def _and_or(self, operands: list, scope: Scope, *, is_and: bool) -> Closure:
        parts = tuple(self.expr(e, scope) for e in operands)
        last = parts[-1]
        head = parts[:-1]
        if is_and:
            def run(fr: Frame) -> Any:
                for part in head:
                    value = part(fr)
                    if not value:
                        return value
                return last(fr)
        else:
            def run(fr: Frame) -> Any:
                for part in head:
                    value = part(fr)
                    if value:
                        return value
                return last(fr)
        return run

    def _and(self, node: dict, scope: Scope) -> Closure:
        return self._and_or(node["and"], scope, is_and=True)

    def _or(self, node: dict, scope: Scope) -> Closure:
        return self._and_or(node["or"], scope, is_and=False)

    def _not(self, node: dict, scope: Scope) -> Closure:
        operand = self.expr(node["not"], scope)
        return lambda fr: not operand(fr)

    def _ifexp(self, node: dict, scope: Scope) -> Closure:
        cond = self.expr(node["ifexp"], scope)
        then = self.expr(node["then"], scope)
        orelse = self.expr(node["else"], scope)
        return lambda fr: then(fr) if cond(fr) else orelse(fr)

    # ------------------------------------------------------------------ calls

    def arguments(self, node: dict, scope: Scope, callee: str, skip: int = 0) -> Arguments:
        args = []
        names: list[str | None] = []
        for a in node.get("args", ())[skip:]:
            if isinstance(a, dict) and "star" in a:
                args.append((True, self.expr(a["star"], scope)))
                names.append(None)
            else:
                args.append((False, self.expr(a, scope)))
                names.append(self.fast_name(a, scope))
        kwargs = [(k, self.expr(v, scope)) for k, v in node.get("kwargs", {}).items()]
        kwstar = [self.expr(v, scope) for v in node.get("kwstar", ())]
        arguments = Arguments(args, kwargs, kwstar, callee, tuple(names))
        star = node.get("args", ())[skip:]
        if len(star) == 1 and isinstance(star[0], dict) and "star" in star[0] and \
                not kwargs and len(kwstar) == 1:  # ``f(*args, **kwargs)``: forwarding
            arguments.forward = (self.fast_name(star[0]["star"], scope),
                                 self.fast_name(node["kwstar"][0], scope))
        return arguments

    def _call(self, node: dict, scope: Scope) -> Closure:
        callee = node["call"]
        if not isinstance(callee, str):
            if isinstance(callee, dict) and "attr" in callee:  # {"call": {"attr": m, "of": x}}
                receiver = self.expr(callee["of"], scope)
                return method_call(callee["attr"], receiver,
                                   self.arguments(node, scope, callee["attr"]))
            return value_call(self.expr(callee, scope), self.arguments(node, scope, "function"))
        if "." in callee:
            return self._library_call(callee, node, scope)
        plain_args = node.get("args", [])
        simple = not node.get("kwargs") and not node.get("kwstar") and not any(
            isinstance(a, dict) and "star" in a for a in plain_args)
        if simple:
            if callee in bi.TENSOR_BINARY and len(plain_args) == 2:
                left, right = (self.expr(a, scope) for a in plain_args)
                return binary_closure(callee, left, right, *plain_args,
                                      *(self.fast_name(a, scope) for a in plain_args))
            if callee in bi.INPLACE and len(plain_args) == 2:
                return inplace_closure(callee, *(self.expr(a, scope) for a in plain_args))
            if callee in bi.UNARY and len(plain_args) == 1:
                return unary_closure(callee, self.expr(plain_args[0], scope))
            if callee == "bitwise_not" and len(plain_args) == 1:  # the old form of ~x
                return unary_closure("invert", self.expr(plain_args[0], scope))
            if callee == "positive" and len(plain_args) == 1:
                return unary_closure("pos", self.expr(plain_args[0], scope))
        if callee == "super" and not plain_args and not scope.top:
            return self._super(scope)
        arguments = self.arguments(node, scope, callee)
        kind, _ = scope.resolve(callee)
        if kind != "global" or callee in bi.OPERATOR_NAMES:
            if callee in bi.OPERATOR_NAMES:  # with keywords: torch.add(x, y, alpha=2)
                opdef = engine.ops.lookup({"div": "div", "remainder": "remainder"}.get(
                    callee, callee))
                if opdef is not None:
                    return op_call(callee, opdef.fn, arguments)
                return static_call(bi.BUILTIN_VALUES.get(callee), arguments)
            return value_call(self.read(callee, scope), arguments)
        return global_call(callee, arguments)

    def _library_call(self, path: str, node: dict, scope: Scope) -> Closure:
        arguments = self.arguments(node, scope, path.rsplit(".", 1)[-1])
        root = path.split(".", 1)[0]
        if root not in PREBOUND_ROOTS:  # ``builtins.format``: the language's own, always
            root_name: str | None = None
            dynamic = None
        else:
            dynamic = value_call(self.dynamic_path(path, scope), arguments)
            if scope.resolve(root)[0] != "global":
                return dynamic  # the program's own variable of that name
            root_name = root
        try:
            value = resolve_path(path)
        except ProgramError as exc:
            error = exc

            def fail(fr: Frame) -> Any:
                if calls.ROOTS_BOUND and root_name in fr.glob:
                    return dynamic(fr)  # type: ignore[misc]
                raise ProgramError(error.detail, **error.extra)

            return fail
        if isinstance(value, OpFunction):
            form = "torch" if canonical(path).rsplit(".", 1)[0] == "torch" else "function"
            fn = value.fn
            if arguments.simple and (
                    arguments.keywords is None or arguments.kwnames is not None) and \
                    engine_signatures.count_refused(value.name, form, arguments.count,
                                                    arguments.kwnames or ()):
                # ``torch.softmax(x)``: torch.x's parser refuses the call's shape where F.x
                # (the op) takes it; ``torch.sum(x, keepdim=True)``: the op is looser than
                # torch's parser. This call site binds by torch's signatures first.
                fn = engine_signatures.guarded(value.name, form, fn)
            return op_call(value.name, fn, arguments, root_name, dynamic, form)
        return static_call(value, arguments, root_name, dynamic)

    def _method(self, node: dict, scope: Scope) -> Closure:
        name = node["method"]
        first = node["args"][0]
        if isinstance(first, dict) and "star" in first:
            raise ProgramValidationError("a method's receiver cannot be '*' unpacked")
        receiver = self.expr(first, scope)
        arguments = self.arguments(node, scope, name, skip=1)
        general = method_call(name, receiver, arguments, self.fast_name(first, scope),
                              isinstance(first, dict) and first.keys() == {"var"})
        if first == {"call": "super"} and not scope.top and scope.first_param is not None:
            return super_method_call(name, scope.first_param, arguments, general)
        return general

    def _super(self, scope: Scope) -> Closure:
        first = scope.first_param

        def run(fr: Frame) -> SuperProxy:
            func = fr.func
            owner = getattr(func, "owner", None)
            if owner is None:
                raise ProgramError("super(): __class__ cell not found",
                                   exception="RuntimeError")
            try:
                obj = fr.locals[first] if first is not None else None
            except KeyError:
                obj = None
            if obj is None:
                raise ProgramError("super(): no arguments", exception="RuntimeError")
            return SuperProxy(owner, obj)

        return run

    def _walrus(self, node: dict, scope: Scope) -> Closure:
        """``(name := value)``: in a comprehension the name is the scope's around it
        (:attr:`Scope.container`), with CPython's compile-time refusals."""
        name = node["walrus"]
        value = self.expr(node["value"], scope)
        if scope.container is not None:
            if scope.container.kind == CLASS:
                raise ProgramValidationError("assignment expression within a comprehension "
                                             "cannot be used in a class body")
            inner: Scope | None = scope
            while inner is not None and inner.container is not None:
                if name in inner.bound:
                    raise ProgramValidationError("assignment expression cannot rebind "
                                                 f"comprehension iteration variable '{name}'")
                inner = inner.chain[0] if inner.chain else None
        store = self.store_name(name, scope)  # type: ignore[attr-defined]

        def run(fr: Frame) -> Any:
            out = value(fr)
            store(fr, out)
            return out

        return run

    def _yield(self, node: dict, scope: Scope) -> Closure:
        """A ``yield`` expression the lowering of a generator's statements did not take
        (:mod:`app.lang.yield_lowering`): outside a function, in a class body, a lambda or a
        comprehension."""
        if scope.kind == "function" and scope.qualname.endswith(">"):
            raise ProgramValidationError("'yield' inside a lambda or a comprehension is not "
                                         "supported")
        raise ProgramValidationError("'yield' outside function")

    _EXPRESSIONS: dict[str, Any] = {
        "yield": _yield, "yield_from": _yield,
        "walrus": _walrus, "call": _call, "var": _var, "method": _method, "attr": _attr,
        "index": _index,
        "and": _and, "or": _or, "not": _not, "ifexp": _ifexp, "tuple": _tuple, "set": _set,
        "dict": _dict, "float": _float, "lib": _lib, "ellipsis": _ellipsis,
    }
