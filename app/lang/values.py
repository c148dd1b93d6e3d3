"""The language's own values: functions, methods, classes, objects, generators, iterators.

They are interpreter values, not Python functions or classes a program could open: a program
reaches them only through the language's attribute and call rules (no dunder reads, no
``__globals__``, no frames). Library code (``jacobian(f, x)``, ``DataLoader(dataset)``,
``model.apply(fn)``) sees them through ordinary Python protocols — ``__call__``, ``__len__``,
``__getitem__``, ``__iter__`` ... — which run the user's code in the interpreter, under the
budget of the run in progress.

The Python type names are Python's (``function``, ``method``, ``type``, ``generator``), and an
object's Python type is named after its class, so the texts of Python's own errors
(``unsupported operand type(s) for +: 'Point' and 'int'``) read as they would in Python.
"""

from __future__ import annotations

import itertools
import sys
import types
from collections.abc import Callable
from typing import Any

import engine

from .errors import ProgramError
from .runtime import RETURN, Frame, RunState, current_rs, framed_entry, make_frame

Tensor = engine.Tensor
_EMPTY: dict[str, Any] = {}


# --------------------------------------------------------------------------- functions


def _atomic_copy(self: Any, memo: Any = None) -> Any:
    """``copy.copy``/``copy.deepcopy`` of a function, method or class: the object itself, as
    Python copies its functions and classes (a copy must never reach the run's scopes)."""
    return self

class Code:
    """What a ``def`` or ``lambda`` compiled to, shared by every function value made from it."""

    __slots__ = ("name", "qualname", "params", "vararg", "kwonly", "kwarg", "body",
                 "generator", "simple", "nparams", "argnames", "ndefaults", "doc", "stmts",
                 "arity", "origin", "straight", "plans", "enter", "posonly")

    def __init__(self, name: str, qualname: str, params: tuple[str, ...], ndefaults: int,
                 vararg: str | None, kwonly: tuple[str, ...], kwarg: str | None,
                 body: Callable[[Frame], Any], generator: bool, doc: str | None = None,
                 posonly: int = 0) -> None:
        self.name, self.qualname, self.doc = name, qualname, doc
        self.params, self.ndefaults = params, ndefaults
        self.vararg, self.kwonly, self.kwarg = vararg, kwonly, kwarg
        self.body, self.generator = body, generator
        self.nparams = len(params)
        self.simple = vararg is None and kwarg is None and not kwonly and not generator
        #: how many positional arguments a call binds without :func:`bind` (-1: none)
        self.arity = self.nparams if self.simple else -1
        #: the first ``posonly`` parameters are positional-only (``def f(a, /, b)``)
        self.posonly = posonly
        #: the names a keyword argument binds (not the positional-only ones)
        self.argnames = frozenset(params[posonly:]) | frozenset(kwonly)
        #: the statements of a body of several, which a call runs without the block's closure
        self.stmts: tuple | None = getattr(body, "stmts", None)
        #: a body of plain statements (none can break, continue or return) and an optional
        #: final ``return``: its entry, one closure making the frame and returning the
        #: call's value (``compile_statements.straight_body``)
        self.straight: Callable[[RunState, Function, dict], Any] | None = \
            None if generator else getattr(body, "straight", None)
        #: how every call runs the body over its bound locals: ``enter(rs, func, locals)``
        #: -> the call's value (:func:`invoke_bound`)
        self.enter: Callable[[RunState, Function, dict], Any] = \
            self.straight or _general_entry(self)
        #: (the program's JSON form, the ``def``/``lambda`` node in it): compiling that
        #: program again makes the same code (session snapshots store functions this way)
        self.origin: tuple[list, dict] | None = None
        #: binding plans (:func:`binding_plan`) by call shape: the number of positional
        #: arguments, or (that number, *the keyword names) when there are keywords
        self.plans: dict[Any, Any] = {}


class Function:
    """A user function (``def`` or ``lambda``): its code, defaults and the scopes it closes
    over. Library code calls it like a Python function; the call runs the interpreter under
    the budget of the run in progress."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("code", "defaults", "kwdefaults", "enclosing", "glob", "owner", "name",
                 "qualname", "doc", "attrs")

    def __init__(self, code: Code, defaults: tuple, kwdefaults: dict, enclosing: tuple,
                 glob: dict) -> None:
        self.code, self.defaults, self.kwdefaults = code, defaults, kwdefaults
        self.enclosing, self.glob = enclosing, glob
        self.owner: UserClass | None = None  # the class whose body defined it (for super())
        self.name, self.qualname = code.name, code.qualname
        self.doc = code.doc  # (functools.wraps copies another's)
        #: the attributes a program set on it (``f.calls = 0``), None until one is set
        self.attrs: dict[str, Any] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all

        return invoke(current_rs(), self, admit_all(args), admit_all(kwargs))

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


def invoke(rs: RunState, func: Function, args: tuple | list, kwargs: dict) -> Any:
    """Call a user function: bind the arguments, run the body in a new frame."""
    code = func.code
    n = code.arity
    if len(args) == n and not kwargs:  # a simple function (not a generator either)
        if n == 2:
            first, second = code.params
            local = {first: args[0], second: args[1]}
        elif n == 1:
            local = {code.params[0]: args[0]}
        else:
            local = dict(zip(code.params, args))
    elif kwargs:  # (a call site with keywords written out has its own plan: PlanSite)
        local = bind(func, args, kwargs)
    else:  # the binding plan of this many positional arguments, else bind
        build = binding_plan(func, len(args), ())
        local = build(func, args, ()) if build is not None else bind(func, args, kwargs)
    return code.enter(rs, func, local)


def invoke_bound(rs: RunState, func: Function, local: dict) -> Any:
    """Run ``func``'s body in a new frame over its bound locals (what every call of a user
    function does after binding): its code's entry (:attr:`Code.enter`), which the inner
    loops' call sites (:func:`invoke`, a :class:`PlanSite`, a custom Function's hooks) call
    themselves."""
    return func.code.enter(rs, func, local)


def _general_entry(code: Code) -> Callable[[RunState, Function, dict], Any]:
    """The entry of a body that is not straight: a generator's frame outlives the call; any
    other is linked to the caller's under the depth limit while the body's statements run
    until one signals (a straight body's entry: ``compile_statements.straight_entry``)."""
    if code.generator:
        def enter_generator(rs: RunState, func: Function, local: dict) -> Any:
            frame = make_frame(rs, local, func.glob, func.enclosing, func)
            return GeneratorValue(code.name, code.qualname, code.body(frame), frame)

        return enter_generator
    return _enter_statements(code.stmts or (code.body,))


#: The entry of a body that is not straight (nor a generator's): its statements run in the
#: frame until one signals (``return``'s value is ``frame.retval``).
_enter_statements = framed_entry("enter_statements(stmts)", "enter(rs, func, local)", """\
    for stmt in stmts:
        signal = stmt(frame)
        if signal is not None:
            break
""", prelude="signal = None", after="return frame.retval if signal is RETURN else None",
    scope={"RETURN": RETURN})


_MISSING = object()
#: Binding plans kept per code (a code called with more shapes binds the general way).
MAX_PLANS = 16


def binding_plan(func: Function, npos: int,
                 kwnames: tuple[str, ...]) -> Callable[[Function, Any, Any], dict] | None:
    """How a call of ``func``'s code with ``npos`` positional arguments and the keywords
    ``kwnames`` (in the call's order) binds: ``build(func, args, kwvalues)`` -> the call's
    locals, what :func:`bind` gives for such a call (the defaults read from ``func`` at each
    call), or None when such a call is an error (:func:`bind` then raises Python's text) or
    the code has :data:`MAX_PLANS` plans already (:func:`bind` then binds it).
    Made once per code and shape and kept in :attr:`Code.plans` (at most :data:`MAX_PLANS`
    shapes); ``func``'s keyword-only defaults name the same parameters for every function of
    its code (they come from its ``def``)."""
    code = func.code
    key = (npos, *kwnames) if kwnames else npos
    plans = code.plans
    plan = plans.get(key, _MISSING)
    if plan is _MISSING:
        if len(plans) >= MAX_PLANS:
            return None  # a code called with many shapes binds the general way
        plan = plans[key] = _make_plan(code, npos, kwnames, frozenset(func.kwdefaults))
    return plan


class PlanSite:
    """A call site with keywords written out (``f(y, shift=0.1)``, ``obj.m(x, k=1)``): its
    shape, and the code it called last with that code's :func:`binding_plan`. The site's
    closure runs ``last[1]`` itself when the callee's code is ``last[0]`` (the inner loop's
    case) and :meth:`first_call` otherwise."""

    __slots__ = ("npos", "kwnames", "last")

    def __init__(self, npos: int, kwnames: tuple[str, ...]) -> None:
        self.npos, self.kwnames = npos, kwnames
        #: (code, build), one tuple replaced whole: runs in other threads read it too
        self.last: tuple[Code | None, Any] = (None, None)

    def first_call(self, rs: RunState, func: Function, args: tuple, kwvalues: tuple) -> Any:
        """A call of a code this site did not call last: its plan, kept for the next call;
        Python's text (from :func:`bind`) when the call is an error."""
        build = binding_plan(func, self.npos, self.kwnames)
        if build is None:
            return invoke(rs, func, args, dict(zip(self.kwnames, kwvalues)))
        self.last = (func.code, build)
        return func.code.enter(rs, func, build(func, args, kwvalues))


def _make_plan(code: Code, npos: int, kwnames: tuple[str, ...],
               kwdefault_names: frozenset) -> Callable[[Function, Any, Any], dict] | None:
    params, n = code.params, code.nparams
    vararg, kwarg = code.vararg, code.kwarg
    if npos > n and vararg is None:
        return None
    ptargets = params[:min(npos, n)]
    bound = set(ptargets)
    kwpairs: list[tuple[str, int]] = []  # (parameter, index in the keywords)
    extras: list[tuple[str, int]] = []   # (key, index) into **kwarg
    for j, key in enumerate(kwnames):
        if key in code.argnames:
            if key in bound:
                return None  # multiple values
            bound.add(key)
            kwpairs.append((key, j))
        elif kwarg is not None:
            extras.append((key, j))
        else:
            return None  # unexpected keyword
    first_default = n - code.ndefaults
    fills = []
    for i in range(npos, n):
        if params[i] not in bound:
            if i < first_default:
                return None  # missing positional
            fills.append((params[i], i - first_default))
    kwfills = []
    for name in code.kwonly:
        if name not in bound:
            if name not in kwdefault_names:
                return None  # missing keyword-only
            kwfills.append(name)
    fills_t, kwfills_t = tuple(fills), tuple(kwfills)
    if vararg is None and kwarg is None:
        kwtargets = tuple(key for key, _ in kwpairs)  # every keyword, in order

        if not kwtargets and not kwfills_t:
            def build_positional(func: Function, args: Any, kwvalues: Any) -> dict:
                local = dict(zip(ptargets, args))
                defaults = func.defaults
                for name, i in fills_t:
                    local[name] = defaults[i]
                return local

            return build_positional

        def build(func: Function, args: Any, kwvalues: Any) -> dict:
            local = dict(zip(ptargets, args))
            local.update(zip(kwtargets, kwvalues))
            if fills_t:
                defaults = func.defaults
                for name, i in fills_t:
                    local[name] = defaults[i]
            if kwfills_t:
                kwdefaults = func.kwdefaults
                for name in kwfills_t:
                    local[name] = kwdefaults[name]
            return local

        return build
    kwpairs_t, extras_t = tuple(kwpairs), tuple(extras)
    if not params and not kwpairs_t and not kwfills_t and vararg is not None and \
            kwarg is not None:
        def build_star(func: Function, args: Any, kwvalues: Any) -> dict:  # f(*a, **k)
            return {vararg: tuple(args), kwarg: dict(zip(kwnames, kwvalues))}

        return build_star

    def build_var(func: Function, args: Any, kwvalues: Any) -> dict:
        local = dict(zip(ptargets, args))
        if vararg is not None:
            local[vararg] = tuple(args[n:])
        if kwnames:
            kwvalues = tuple(kwvalues)
            for name, j in kwpairs_t:
                local[name] = kwvalues[j]
        if kwarg is not None:
            extra = {}
            for key, j in extras_t:
                extra[key] = kwvalues[j]
            local[kwarg] = extra
        if fills_t:
            defaults = func.defaults
            for name, i in fills_t:
                local[name] = defaults[i]
        if kwfills_t:
            kwdefaults = func.kwdefaults
            for name in kwfills_t:
                local[name] = kwdefaults[name]
        return local

    return build_var


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(missing: list[str]) -> str:
    quoted = [f"'{m}'" for m in missing]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def bind(func: Function, args: tuple | list, kwargs: dict) -> dict[str, Any]:
    """Python's argument binding, with Python's error texts."""
    code = func.code
    params, n = code.params, code.nparams
    nargs = len(args)
    # the common shapes, bound directly (any error: the general way)
    if code.vararg is None and code.kwarg is None:
        if nargs <= n:
            local = dict(zip(params, args))
            names = code.argnames
            for key in kwargs:
                if key not in names or key in local:
                    break
                local[key] = kwargs[key]
            else:
                kwonly = code.kwonly
                total = n + len(kwonly) if kwonly else n
                if len(local) == total:
                    return local
                first_default = n - code.ndefaults
                defaults = func.defaults
                for i in range(first_default, n):
                    name = params[i]
                    if name not in local:
                        local[name] = defaults[i - first_default]
                if kwonly:  # def f(y, *, shift=0.0)
                    kwdefaults = func.kwdefaults
                    for name in kwonly:
                        if name not in local and name in kwdefaults:
                            local[name] = kwdefaults[name]
                if len(local) == total:
                    return local
    elif n == 0 and code.vararg is not None and code.kwarg is not None and not code.kwonly:
        return {code.vararg: tuple(args), code.kwarg: dict(kwargs)}  # def f(*a, **k)
    local = {}
    if nargs > n:
        if code.vararg is None:
            low = n - code.ndefaults
            takes = f"{n}" if low == n else f"from {low} to {n}"
            plural = "argument" if n == 1 and low == n else "arguments"
            raise ProgramError(f"{code.qualname}() takes {takes} positional {plural} but "
                               f"{nargs} {'was' if nargs == 1 else 'were'} given",
                               exception="TypeError")
        local.update(zip(params, args))
        local[code.vararg] = tuple(args[n:])
    else:
        local.update(zip(params, args))
        if code.vararg is not None:
            local[code.vararg] = ()
    extra: dict[str, Any] | None = {} if code.kwarg is not None else None
    for key, value in kwargs.items():
        if key in code.argnames:
            if key in local:
                raise ProgramError(f"{code.qualname}() got multiple values for argument "
                                   f"'{key}'", exception="TypeError")
            local[key] = value
        elif extra is not None:
            extra[key] = value
        else:
            passed = [k for k in kwargs if k in params[:code.posonly]]
            if passed:
                raise ProgramError(f"{code.qualname}() got some positional-only arguments "
                                   f"passed as keyword arguments: '{', '.join(passed)}'",
                                   exception="TypeError")
            raise ProgramError(f"{code.qualname}() got an unexpected keyword argument '{key}'",
                               exception="TypeError")
    if nargs < n:
        first_default = n - code.ndefaults
        missing = []
        for i in range(nargs, n):
            name = params[i]
            if name not in local:
                if i >= first_default:
                    local[name] = func.defaults[i - first_default]
                else:
                    missing.append(name)
        if missing:
            raise ProgramError(f"{code.qualname}() missing "
                               f"{_plural(len(missing), 'required positional argument')}: "
                               f"{_names(missing)}", exception="TypeError")
    if code.kwonly:
        missing = []
        for name in code.kwonly:
            if name not in local:
                if name in func.kwdefaults:
                    local[name] = func.kwdefaults[name]
                else:
                    missing.append(name)
        if missing:
            raise ProgramError(f"{code.qualname}() missing "
                               f"{_plural(len(missing), 'required keyword-only argument')}: "
                               f"{_names(missing)}", exception="TypeError")
    if extra is not None:
        local[code.kwarg] = extra
    return local


class BoundMethod:
    """``obj.method`` as a value: the function with its receiver."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("self_", "func")

    def __init__(self, self_: Any, func: Any) -> None:
        self.self_, self.func = self_, func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all
        from .objects import call_value

        return call_value(current_rs(), self.func, (self.self_, *admit_all(args)),
                          admit_all(kwargs))

    def __eq__(self, other: object) -> bool:
        return type(other) is BoundMethod and other.self_ is self.self_ \
            and other.func is self.func

    def __hash__(self) -> int:
        return hash((id(self.self_), id(self.func)))

    def __repr__(self) -> str:
        if isinstance(self.self_, Tensor):  # x.numpy: one of the tensor's C methods
            return f"<built-in method {getattr(self.func, 'name', '?')} of Tensor object>"
        if type(self.func) is NativeMethod and user_class_of(self.self_) is None:
            return builtin_method_text(self.self_, self.func.name)  # ``[].append``
        name = getattr(self.func, "qualname", "?")
        return f"<bound method {name} of {safe_repr(self.self_)}>"


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class written in Python


def builtin_method_text(obj: Any, name: str) -> str:
    """Python's repr of the method ``name`` of a plain value, without the address (as every
    repr of ours): ``<built-in method append of list object>``; a method CPython writes in
    Python (``Counter.most_common``, a named tuple's ``_asdict``) is a bound method, as there.
    The type is named as ``type(obj)`` prints it (``numpy.ndarray``, ``collections.deque``)
    but a class written in Python (``Counter``, not our own classes that stand for CPython's)
    by its bare name, as CPython's ``tp_name``."""
    t = type(obj)
    attr = getattr(t, name, None)
    if isinstance(attr, types.FunctionType) and not t.__module__.startswith("app."):
        return f"<bound method {attr.__qualname__} of {safe_repr(obj)}>"
    from .builtins import class_of, torch_repr

    text = torch_repr(class_of(obj))
    tname = text[len("<class '"):-2] if text.startswith("<class '") else type_name(obj)
    if t.__flags__ & _HEAPTYPE and (hasattr(t, "_lang_type") or (
            not t.__module__.startswith(("app.", "engine."))
            and getattr(sys.modules.get(t.__module__), t.__name__, None) is t)):
        tname = t.__name__  # collections.Counter, a program's named tuple
    return f"<built-in method {name} of {tname} object>"


class BuiltinFunction:
    """A builtin of the language (``print``, ``len`` ...): ``fn(rs, *args, **kwargs)``."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name, self.fn = name, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all

        return self.fn(current_rs(), *admit_all(args), **admit_all(kwargs))

    def __repr__(self) -> str:
        return f"<built-in function {self.name}>"


class ShownBuiltin(BuiltinFunction):
    """A builtin that stands for a function Python or torch prints otherwise than
    ``<built-in function name>``: ``random.randint`` (a bound method of Python's hidden
    ``Random``), ``torch.manual_seed`` (a Python function): ``text`` is that repr, without the
    address."""

    __slots__ = ("text",)

    def __init__(self, name: str, fn: Callable[..., Any], text: str) -> None:
        super().__init__(name, fn)
        self.text = text

    def __repr__(self) -> str:
        return self.text


class Partial(BuiltinFunction):
    """``functools.partial(f, *args, **kwargs)``: calling it calls ``f`` with those first."""

    __slots__ = ("func", "args", "keywords")

    def __init__(self, func: Any, args: tuple, keywords: dict) -> None:
        from .objects import call_value

        if isinstance(func, Partial):  # flattened, as Python does
            args, keywords = func.args + args, {**func.keywords, **keywords}
            func = func.func
        self.func, self.args, self.keywords = func, args, keywords
        super().__init__("partial", lambda rs, *more, **named: call_value(
            rs, func, args + more, {**keywords, **named} if named else keywords))

    def __repr__(self) -> str:
        parts = [repr(self.func), *(repr(a) for a in self.args),
                 *(f"{k}={v!r}" for k, v in self.keywords.items())]
        return f"functools.partial({', '.join(parts)})"


class NativeMethod(BuiltinFunction):
    """A builtin in a class namespace (the builtin exceptions' ``__init__``): binds to the
    object like a user method."""

    __slots__ = ()


class BuiltinType(BuiltinFunction):
    """A builtin that is also a type (``int``, ``list``, ``dict`` ...): callable, and usable
    with ``isinstance`` and ``type(x) is ...``."""

    __slots__ = ("pytype",)

    def __init__(self, name: str, fn: Callable[..., Any], pytype: type | tuple) -> None:
        super().__init__(name, fn)
        self.pytype = pytype

    def __repr__(self) -> str:
        module = getattr(self.pytype, "__module__", None)
        if module in ("collections", "__main__", "itertools", "functools", "warnings"):
            # Counter, a named tuple's class, functools.partial, warnings.catch_warnings
            return f"<class '{module}.{self.name}'>"
        return f"<class '{self.name}'>"


class OpFunction:
    """An op of the engine's table as a value (``act = torch.relu``)."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name, self.fn = name, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all

        return self.fn(*admit_all(args), **admit_all(kwargs))

    def __eq__(self, other: object) -> bool:
        return type(other) is OpFunction and other.fn is self.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return f"<built-in method {self.name} of type object>"


class BoundOp:
    """A tensor method as a value (``f = x.sum``)."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("self_", "name", "fn")

    def __init__(self, self_: Any, name: str, fn: Callable[..., Any]) -> None:
        self.self_, self.name, self.fn = self_, name, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all

        return self.fn(self.self_, *admit_all(args), **admit_all(kwargs))

    def __repr__(self) -> str:
        if self.name in TENSOR_PYTHON_METHODS:  # torch writes these in Python (torch/_tensor.py)
            return f"<bound method Tensor.{self.name} of {safe_repr(self.self_)}>"
        return f"<built-in method {self.name} of Tensor object>"


#: ``torch.Tensor``'s public methods written in Python (the others are C methods), recorded
#: from torch 2.13: a bound one prints as ``<bound method Tensor.backward of tensor(...)>``.
TENSOR_PYTHON_METHODS = frozenset({
    "backward", "dim_order", "eig", "index", "is_shared", "istft", "lstsq", "lu",
    "module_load", "norm", "register_hook", "register_post_accumulate_grad_hook", "reinforce",
    "resize", "resize_as", "share_memory_", "solve", "split", "stft", "storage",
    "storage_type", "symeig", "to_sparse_coo", "unflatten", "unique", "unique_consecutive"})


class ContextFunction:
    """A user function decorated with a context manager (``@torch.no_grad()``): each call runs
    inside a fresh copy of the manager."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("manager", "func", "name", "qualname")

    def __init__(self, manager: Any, func: Any) -> None:
        self.manager, self.func = manager, func
        self.name = getattr(func, "name", "function")
        self.qualname = getattr(func, "qualname", self.name)

    def enter(self) -> Any:
        import copy

        manager = copy.copy(self.manager)
        manager.__enter__()
        return manager

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all
        from .objects import call_value

        manager = self.enter()
        try:
            out = call_value(current_rs(), self.func, admit_all(args), admit_all(kwargs))
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        manager.__exit__(None, None, None)
        return out

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


class StaticMethod:

    __copy__ = __deepcopy__ = _atomic_copy
    __slots__ = ("func",)

    def __init__(self, func: Any) -> None:
        self.func = func

    def __repr__(self) -> str:
        return f"<staticmethod({self.func!r})>"


class ClassMethod:

    __copy__ = __deepcopy__ = _atomic_copy
    __slots__ = ("func",)

    def __init__(self, func: Any) -> None:
        self.func = func

    def __repr__(self) -> str:
        return f"<classmethod({self.func!r})>"


class Property:
    """``@property`` (with ``.setter`` / ``.deleter``)."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("fget", "fset", "fdel")

    def __init__(self, fget: Any = None, fset: Any = None, fdel: Any = None) -> None:
        self.fget, self.fset, self.fdel = fget, fset, fdel

    def __repr__(self) -> str:
        return "<property object>"


# --------------------------------------------------------------------------- classes

_class_version = itertools.count()
CLASS_VERSION = [0]  # bumped whenever a class namespace changes: method caches are rebuilt


def classes_changed() -> None:
    CLASS_VERSION[0] = next(_class_version) + 1


class UserClass:
    """A class a program defined (or a builtin exception class). ``mro`` lists the language's
    classes, most derived first; ``lib_base`` is the library class at its root, if any
    (``nn.Module``, ``autograd.Function``, ``Dataset``), and ``pytype`` the Python subclass of
    it whose objects library code handles (see :mod:`app.lang.library`)."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("name", "qualname", "bases", "mro", "ns", "lib_base", "pytype", "builtin",
                 "doc", "annotations", "_cache", "_cache_version", "__weakref__")

    def __init__(self, name: str, qualname: str, bases: tuple, ns: dict,
                 lib_base: type | None = None, builtin: bool = False) -> None:
        self.name, self.qualname, self.bases, self.ns = name, qualname, bases, ns
        self.lib_base = lib_base
        self.pytype: type | None = None
        self.builtin = builtin
        self.doc: str | None = None
        #: the body's annotated names and their annotations' texts, in order
        self.annotations: tuple[tuple[str, str], ...] = ()
        self.mro: tuple[UserClass, ...] = (self, *c3_merge([list(b.mro) for b in bases]
                                                           + [list(bases)], name))
        self._cache: dict[str, Any] = {}
        self._cache_version = -1

    def lookup(self, name: str) -> Any:
        """The class attribute ``name`` along the MRO (``None`` when none defines it)."""
        if self._cache_version != CLASS_VERSION[0]:
            self._cache = {}
            self._cache_version = CLASS_VERSION[0]
        cache = self._cache
        try:
            return cache[name]
        except KeyError:
            pass
        found = None
        for cls in self.mro:
            if name in cls.ns:
                found = cls.ns[name]
                break
        cache[name] = found
        return found

    def defines(self, name: str) -> bool:
        return any(name in cls.ns for cls in self.mro)

    def is_subclass(self, other: UserClass) -> bool:
        return other in self.mro

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all
        from .objects import instantiate

        return instantiate(current_rs(), self, admit_all(args), admit_all(kwargs))

    def __repr__(self) -> str:
        if self.builtin:  # Python's own are bare; a library's carry their module
            return f"<class '{LIBRARY_CLASS_MODULES.get(self.name, '')}{self.name}'>"
        return f"<class '__main__.{self.qualname}'>"


#: The modules of the library exception classes (app.lang.exceptions) as Python names them in
#: a class's repr: ``<class 'torch._C._LinAlgError'>``.
LIBRARY_CLASS_MODULES = {
    "_LinAlgError": "torch._C.", "GradcheckError": "torch.autograd.gradcheck.",
    "FrozenInstanceError": "dataclasses.", "AxisError": "numpy.exceptions.",
    "LinAlgError": "numpy.linalg.", "UFuncTypeError": "numpy._core._exceptions.",
    "PickleError": "_pickle.", "PicklingError": "_pickle.", "UnpicklingError": "_pickle.",
    "CheckpointError": "torch.utils.checkpoint.", "InvalidBackend": "torch._dynamo.exc.",
    "JSONDecodeError": "json.decoder."}


def c3_merge(seqs: list[list[UserClass]], name: str) -> list[UserClass]:
    """C3 linearization (Python's method resolution order)."""
    out: list[UserClass] = []
    seqs = [list(s) for s in seqs if s]
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:
            raise ProgramError("Cannot create a consistent method resolution order (MRO) "
                               f"for bases of {name}", exception="TypeError")
        out.append(head)
        seqs = [[c for c in s if c is not head] for s in seqs]
        seqs = [s for s in seqs if s]
    return out


class Instance:
    """An object of a user class without a library base. Its Python type is a subclass named
    after the class (see :func:`instance_type`); its attributes live in ``attrs``."""

    __slots__ = ("cls", "attrs")

    def __init__(self, cls: UserClass) -> None:
        self.cls = cls
        self.attrs: dict[str, Any] = {}

    # The Python protocols library code and Python's own builtins use: each runs the user's
    # special method when the class defines one.

    def _special(self, name: str) -> Any:
        return self.cls.lookup(name)

    def _run(self, method: Any, *args: Any) -> Any:
        from .objects import call_special

        return call_special(current_rs(), self, method, args)

    def __repr__(self) -> str:
        method = self._special("__repr__")
        if method is None:
            return default_repr(self)
        out = self._run(method)
        if not isinstance(out, str):
            raise ProgramError(f"__repr__ returned non-string (type {type_name(out)})",
                               exception="TypeError")
        return out

    def __str__(self) -> str:
        method = self._special("__str__")
        if method is None:
            return self.__repr__()
        out = self._run(method)
        if not isinstance(out, str):
            raise ProgramError(f"__str__ returned non-string (type {type_name(out)})",
                               exception="TypeError")
        return out

    def __format__(self, spec: str) -> str:
        method = self._special("__format__")
        if method is not None:
            return self._run(method, spec)
        if spec:
            raise ProgramError(f"unsupported format string passed to {self.cls.name}.__format__",
                               exception="TypeError")
        return str(self)

    def __len__(self) -> int:
        method = self._special("__len__")
        if method is None:
            raise ProgramError(f"object of type '{self.cls.name}' has no len()",
                               exception="TypeError")
        return self._run(method)

    def __bool__(self) -> bool:
        method = self._special("__bool__")
        if method is not None:
            return self._run(method)
        if self._special("__len__") is not None:
            return len(self) != 0
        return True

    def __getitem__(self, key: Any) -> Any:
        method = self._special("__getitem__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object is not subscriptable",
                               exception="TypeError")
        return self._run(method, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        method = self._special("__setitem__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object does not support item assignment",
                               exception="TypeError")
        self._run(method, key, value)

    def __delitem__(self, key: Any) -> None:
        method = self._special("__delitem__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object does not support item deletion",
                               exception="TypeError")
        self._run(method, key)

    def __iter__(self) -> Any:
        method = self._special("__iter__")
        if method is not None:
            out = self._run(method)
            if not hasattr(type(out), "__next__"):
                raise ProgramError(f"iter() returned non-iterator of type '{type_name(out)}'",
                                   exception="TypeError")
            return out
        if self._special("__getitem__") is not None:
            return _sequence_iter(self)
        raise ProgramError(f"'{self.cls.name}' object is not iterable", exception="TypeError")

    def __next__(self) -> Any:
        method = self._special("__next__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object is not an iterator",
                               exception="TypeError")
        try:
            return self._run(method)
        except ProgramError as exc:
            if exc.extra.get("exception") == "StopIteration":
                raise StopIteration from None
            raise

    def __contains__(self, item: Any) -> bool:
        method = self._special("__contains__")
        if method is not None:
            return bool(self._run(method, item))
        return any(x is item or x == item for x in iter(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .library import admit_all
        from .objects import call_value

        return call_value(current_rs(), self, admit_all(args), admit_all(kwargs))

    def __enter__(self) -> Any:
        method = self._special("__enter__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object does not support the context "
                               "manager protocol", exception="TypeError")
        return self._run(method)

    def __exit__(self, *exc: Any) -> Any:
        method = self._special("__exit__")
        if method is None:
            raise ProgramError(f"'{self.cls.name}' object does not support the context "
                               "manager protocol", exception="TypeError")
        return self._run(method, *exc)

    def __hash__(self) -> int:
        method = self._special("__hash__")
        if method is not None:
            return self._run(method)
        if self._special("__eq__") is not None:
            raise ProgramError(f"unhashable type: '{self.cls.name}'", exception="TypeError")
        return object.__hash__(self)

    def __float__(self) -> float:
        return self._convert("__float__", "float() argument must be a string or a real "
                                          f"number, not '{self.cls.name}'")

    def __int__(self) -> int:
        return self._convert("__int__", "int() argument must be a string, a bytes-like "
                                        f"object or a real number, not '{self.cls.name}'")

    def __index__(self) -> int:
        return self._convert("__index__", f"'{self.cls.name}' object cannot be interpreted "
                                          "as an integer")

    def _convert(self, name: str, message: str) -> Any:
        method = self._special(name)
        if method is None:
            raise ProgramError(message, exception="TypeError")
        return self._run(method)


def _binary(name: str) -> Callable[[Instance, Any], Any]:
    def op(self: Instance, other: Any) -> Any:
        method = self._special(name)
        if method is None:
            return NotImplemented
        return self._run(method, other)

    op.__name__ = name
    return op


def _unary(name: str, symbol: str) -> Callable[[Instance], Any]:
    def op(self: Instance) -> Any:
        method = self._special(name)
        if method is None:
            raise ProgramError(f"bad operand type for unary {symbol}: '{self.cls.name}'",
                               exception="TypeError")
        return self._run(method)

    op.__name__ = name
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"):
    for _form in (f"__{_name}__", f"__r{_name}__", f"__i{_name}__"):
        setattr(Instance, _form, _binary(_form))
for _form in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(Instance, _form, _binary(_form))
for _form, _symbol in (("__neg__", "-"), ("__pos__", "+"), ("__abs__", "abs()"),
                       ("__invert__", "~")):
    setattr(Instance, _form, _unary(_form, _symbol))
Instance.__hash__ = Instance.__dict__["__hash__"]  # defining __eq__ would have cleared it


def _sequence_iter(obj: Instance) -> Any:
    i = 0
    while True:
        try:
            value = obj[i]
        except ProgramError as exc:
            if exc.extra.get("exception") in ("IndexError", "StopIteration"):
                return
            raise
        yield value
        i += 1


_instance_types: dict[str, type] = {}


def instance_type(name: str) -> type:
    """The Python type of a user class's objects: an :class:`Instance` subclass with the
    class's name (so Python's own error texts name it). Shared by classes of one name."""
    pytype = _instance_types.get(name)
    if pytype is None:
        pytype = type(name, (Instance,), {"__slots__": (), "__module__": "__main__"})
        if len(_instance_types) > 4096:
            _instance_types.clear()
        _instance_types[name] = pytype
    return pytype


def new_instance(cls: UserClass) -> Instance:
    pytype = instance_type(cls.name)
    obj = pytype.__new__(pytype)
    obj.cls = cls
    obj.attrs = {}
    return obj


class SuperProxy:
    """``super()`` inside a method: attribute lookup starts after ``owner`` in the MRO of
    ``obj``'s class."""

    __copy__ = __deepcopy__ = _atomic_copy

    __slots__ = ("owner", "obj")

    def __init__(self, owner: UserClass, obj: Any) -> None:
        self.owner, self.obj = owner, obj

    def __repr__(self) -> str:
        return f"<super: <class '{self.owner.name}'>, <{type_name(self.obj)} object>>"


# --------------------------------------------------------------------------- generators

class GeneratorValue:
    """A running generator (from a generator function or a generator expression). Each resume
    runs under the budget of the run in progress, so a generator kept in the session goes on in
    a later run."""

    def __deepcopy__(self, memo: Any = None) -> Any:
        raise ProgramError("cannot pickle 'generator' object", exception="TypeError")

    __copy__ = __deepcopy__

    __slots__ = ("name", "qualname", "gen", "frame", "running")

    def __init__(self, name: str, qualname: str, gen: Any, frame: Frame | None) -> None:
        self.name, self.qualname, self.gen, self.frame = name, qualname, gen, frame
        self.running = False

    def __iter__(self) -> GeneratorValue:
        return self

    def __next__(self) -> Any:
        return self._resume(self.gen.__next__)

    def _resume(self, how: Callable[..., Any], *arg: Any) -> Any:
        """Resume the body (``next``, ``send`` or ``throw`` of the Python generator that runs
        it) under the budget of the run in progress; its ``return value`` is the
        ``StopIteration``'s value, as CPython's."""
        if self.running:
            raise ProgramError("generator already executing", exception="ValueError")
        rs = current_rs()
        frame = self.frame
        if frame is not None:
            frame.rs = rs
        if rs.depth >= rs.max_depth:
            raise rs.depth_error()
        rs.depth += 1
        self.running = True
        try:
            return how(*arg)
        except StopIteration as stop:
            if stop.value is RETURN and frame is not None:
                raise StopIteration(frame.retval) from None
            raise
        finally:
            self.running = False
            rs.depth -= 1

    def send(self, value: Any) -> Any:
        """``gen.send(value)``: resume it, ``value`` the value of the ``yield`` it stopped at."""
        if value is not None and self.gen.gi_frame is not None and \
                not self.gen.gi_suspended and not self.running:
            raise ProgramError("can't send non-None value to a just-started generator",
                               exception="TypeError")
        return self._resume(self.gen.send, value)

    def throw(self, kind: Any, value: Any = None, tb: Any = None) -> Any:
        """``gen.throw(exc)``: raise ``exc`` where the generator stopped (also what a Python
        ``yield from`` over this generator calls, with an error of the language)."""
        if isinstance(value, BaseException):
            return self._resume(self.gen.throw, value)
        if isinstance(kind, BaseException):
            return self._resume(self.gen.throw, kind)
        from .exceptions import raised, thrown_exception

        return self._resume(self.gen.throw, raised(thrown_exception(kind, value)))

    def close_program(self) -> None:
        """A program's ``gen.close()``: ``GeneratorExit`` raised where it stopped (its
        ``finally`` and ``except GeneratorExit`` run), as CPython's; Python's own ``close``
        (garbage collection) only drops the Python generator."""
        gen = self.gen
        if gen.gi_frame is None or not gen.gi_suspended:
            gen.close()
            return
        from .exceptions import BUILTIN_EXCEPTIONS, exception_of, raised

        exit_class = BUILTIN_EXCEPTIONS["GeneratorExit"]
        try:
            self._resume(gen.throw, raised(new_instance(exit_class)))
        except StopIteration:
            return
        except ProgramError as err:
            cls = user_class_of(exception_of(err))
            if cls is not None and exit_class in cls.mro:
                return
            raise
        raise ProgramError("generator ignored GeneratorExit", exception="RuntimeError")

    def close(self) -> None:
        self.gen.close()

    def __repr__(self) -> str:
        return f"<generator object {self.qualname}>"


class LangIterator:
    """A lazy iterator a builtin made (``enumerate``, ``zip``, ``map``, ``iter`` ...)."""

    __slots__ = ("kind", "it")

    def __init__(self, kind: str, it: Any) -> None:
        self.kind, self.it = kind, it

    def __iter__(self) -> LangIterator:
        return self

    def __next__(self) -> Any:
        return next(self.it)

    def __repr__(self) -> str:
        return f"<{self.kind} object>"


# --------------------------------------------------------------------------- helpers

LANG_TYPES = (Function, BoundMethod, BuiltinFunction, OpFunction, BoundOp, ContextFunction,
              StaticMethod, ClassMethod, Property, UserClass, Instance, SuperProxy,
              GeneratorValue, LangIterator, Partial)

Function.__name__ = Function.__qualname__ = "function"
BoundMethod.__name__ = BoundMethod.__qualname__ = "method"
BuiltinFunction.__name__ = BuiltinFunction.__qualname__ = "builtin_function_or_method"
Partial.__name__ = Partial.__qualname__ = "partial"
ShownBuiltin.__name__ = ShownBuiltin.__qualname__ = "builtin_function_or_method"
Partial.__module__ = "functools"
OpFunction.__name__ = OpFunction.__qualname__ = "builtin_function_or_method"
BoundOp.__name__ = BoundOp.__qualname__ = "builtin_function_or_method"
ContextFunction.__name__ = ContextFunction.__qualname__ = "function"
UserClass.__name__ = UserClass.__qualname__ = "type"
BuiltinType.__name__ = BuiltinType.__qualname__ = "type"
GeneratorValue.__name__ = GeneratorValue.__qualname__ = "generator"
SuperProxy.__name__ = SuperProxy.__qualname__ = "super"
Property.__name__ = Property.__qualname__ = "property"
StaticMethod.__name__ = StaticMethod.__qualname__ = "staticmethod"
ClassMethod.__name__ = ClassMethod.__qualname__ = "classmethod"


def user_class_of(value: Any) -> UserClass | None:
    """The user class of an object (a plain object or a library-subclass object)."""
    if isinstance(value, Instance):
        return value.cls
    return getattr(type(value), "_lang_class", None)


def type_name(value: Any) -> str:
    """The type name Python's messages would use."""
    if isinstance(value, Tensor):
        return "Tensor"
    cls = user_class_of(value)
    if cls is not None:
        return cls.name
    return type(value).__name__


def default_repr(obj: Any) -> str:
    """``<__main__.A object>``: Python's default repr without the address (runs must be
    reproducible, and addresses are no business of a program)."""
    cls = user_class_of(obj)
    if cls is not None and cls.builtin:
        from .exceptions import exception_repr

        return exception_repr(obj)
    name = cls.qualname if cls is not None else type(obj).__name__
    return f"<__main__.{name} object>"


def safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a failing user __repr__ inside another value's repr
        return f"<{type_name(value)} object>"


def children(value: Any) -> list[Any]:
    """What a value holds, for the session's memory walk (:mod:`app.lang.memory`)."""
    if isinstance(value, Instance):
        return [value.attrs]
    if isinstance(value, Function):
        return [value.defaults, value.kwdefaults, *value.enclosing, value.attrs or ()]
    if isinstance(value, (BoundMethod, BoundOp)):
        return [value.self_, getattr(value, "func", None)]
    if isinstance(value, ContextFunction):
        return [value.func]
    if isinstance(value, UserClass):
        return [value.ns]
    if isinstance(value, GeneratorValue):
        frame = value.frame
        return [] if frame is None else [frame.locals, *frame.enclosing]
    if isinstance(value, (StaticMethod, ClassMethod)):
        return [value.func]
    if isinstance(value, Property):
        return [value.fget, value.fset, value.fdel]
    if isinstance(value, SuperProxy):
        return [value.obj]
    if isinstance(value, BuiltinFunction):  # a partial's arguments, an lru_cache's entries
        cache = getattr(value, "cache", None)
        return [getattr(value, "func", None), getattr(value, "args", None),
                getattr(value, "keywords", None), *(cache.items() if cache else ())]
    if type(value).__module__.startswith("engine.") or hasattr(type(value), "_lang_class"):
        try:
            return list(vars(value).values())
        except TypeError:  # no __dict__
            return []
    return []
