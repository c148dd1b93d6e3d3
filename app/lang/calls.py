"""Call closures: operators, ops, builtins, user functions and methods, as the code compiler
builds them. Every call counts a step, turns what the engine or Python raises into a
:class:`LangError` (with the op's name) and accounts the memory of the tensor it returns. The
common cases (an operator on a tensor, a one-argument op, a method of a tensor or of an object)
are inlined.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import engine
from engine.ops import signatures as engine_signatures
from engine.ops.keywords import PYTHON_METHODS

from . import builtins as bi
from .arrays import Array, array_tensor
from .custom_functions import (
    NO_PLAN,
    PLAN_KEY,
    apply_custom,
    apply_function,
    bind_apply,
)
from .errors import LangError, ProgramError
from .exceptions import convert_exception, located
from .library import _MISSING as MISSING
from .library import _SAFE as SAFE_TYPES
from .library import admit
from .methods import materialize
from .objects import (
    ASSIGNED_NAMES,
    LIBRARY_METHODS,
    PLAIN_LIBRARY_TYPES,
    array_retry,
    call_library,
    call_method,
    call_op,
    call_value,
    deprecated_retry,
    dunder_attr,
    explain_call,
    instance_call,
    library_attr,
    library_error,
    library_method,
    numpy_aliases,
    retry_with_dtypes,
    special_method_call,
    super_attr,
    super_function,
    tensor_method,
)
from .runtime import RETURN, UNBOUND, Frame, RunState
from .schema import READ_DUNDERS
from .values import (
    CLASS_VERSION,
    BoundMethod,
    Function,
    Instance,
    PlanSite,
    SuperProxy,
    UserClass,
    bind,
    invoke,
)

Tensor = engine.Tensor
Closure = Callable[[Frame], Any]
_EMPTY: dict[str, Any] = {}
_MISSING = object()

#: The names a program has without importing them: library modules (``torch``, ``F``,
#: ``nn`` ...). They are ordinary names, as builtins are in Python: a program's own binding
#: (a variable, a parameter, an import of another module) wins from where it is bound.
PREBOUND_ROOTS = frozenset({"torch", "F", "nn", "math", "random", "autograd", "functional"})
#: Whether some live session may hold a global named like one of :data:`PREBOUND_ROOTS`
#: (bound to anything but the module it names by default). While not, a library path
#: (``torch.tanh``) is the value found when the program was compiled, with no test of the
#: session's variables (the fast path); while so, each such closure first looks for a
#: session variable of its root (``root in fr.glob``) and, when there is one, reads the path
#: through it. One process-wide flag (a per-session one would cost every library call a
#: read of the run's state), set when a session binds a root (:func:`mark_roots_bound`) and
#: cleared again when no session holds one (:func:`release_roots`, at the end of a run).
ROOTS_BOUND = False
#: The sessions (environments) that hold, or held at the end of their last run, a root
#: variable; gone with their session.
_ROOT_SESSIONS: weakref.WeakSet = weakref.WeakSet()
#: A root bound where the session is not known (user code run outside any run): never
#: cleared again.
_ROOTS_STICKY = False
_ROOTS_LOCK = threading.Lock()


def mark_roots_bound(env: Any = None, glob: dict | None = None) -> None:
    """A session (``env``, whose variables are ``glob``) binds a library root: library paths
    look for such bindings until no session holds one. Without a session that owns ``glob``,
    for good."""
    global ROOTS_BOUND, _ROOTS_STICKY
    with _ROOTS_LOCK:
        if env is not None and env.variables is glob:
            _ROOT_SESSIONS.add(env)
        else:
            _ROOTS_STICKY = True
        ROOTS_BOUND = True


def release_roots(env: Any) -> None:
    """The end of a run of ``env`` (while :data:`ROOTS_BOUND`): a session that holds no root
    variable any more leaves the set, and the flag is cleared when the set is empty (under
    the lock that setting it takes, so a binding made meanwhile by another run is never
    lost). Runs of one session do not overlap, so its membership changes only here and in
    its own runs."""
    global ROOTS_BOUND
    if any(map(env.variables.__contains__, PREBOUND_ROOTS)):
        return
    with _ROOTS_LOCK:
        _ROOT_SESSIONS.discard(env)
        ROOTS_BOUND = _ROOTS_STICKY or len(_ROOT_SESSIONS) > 0


def guarded_value(root: str, value: Any, dynamic: Closure) -> Closure:
    """A library path's value found when compiled (``torch.float64``), read through the
    session's variable ``root`` when the session has one (``dynamic``)."""

    def run(fr: Frame) -> Any:
        if ROOTS_BOUND and root in fr.glob:
            return dynamic(fr)
        return value

    return run


#: Operators whose Python meaning on plain values cannot build a huge value.
_SAFE_ON_PLAIN = frozenset({"sub", "div", "floordiv", "matmul", "lt", "le", "gt", "ge", "eq",
                            "ne", "and_", "xor", "rshift"})


def _is_number(node: Any) -> bool:
    return isinstance(node, (int, float)) and not isinstance(node, bool)


def binary_closure(name: str, left: Closure, right: Closure, left_node: Any = None,
                   right_node: Any = None, left_name: str | None = None,
                   right_name: str | None = None) -> Closure:
    """``a <op> b``: the engine for tensors, guarded Python arithmetic for plain values.
    A number literal operand is folded into the closure (the hot paths are inlined)."""
    tensor_fn = bi.TENSOR_BINARY[name]
    safe = name in _SAFE_ON_PLAIN
    guarded = bi.BINARY[name]

    def plain(rs: RunState, a: Any, b: Any) -> Any:
        try:
            return tensor_fn(a, b) if safe else guarded(rs, a, b)
        except Exception as exc:
            raise convert_exception(exc, name, rs.limits) from None

    def failed(rs: RunState, exc: Exception) -> LangError:
        return convert_exception(exc, name, rs.limits)

    if left_name is not None and (right_name is not None or _is_number(right_node)):
        general = binary_closure(name, left, right, left_node, right_node)  # no fast reads
        return _binary_from_local(name, general, left_name, right_name, right_node,
                                  tensor_fn, plain, failed)
    if _is_number(right_node):
        const = right_node

        def run(fr: Frame) -> Any:
            a = left(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(a) is Tensor or isinstance(a, Tensor):
                try:
                    out = tensor_fn(a, const)
                except Exception as exc:
                    raise failed(rs, exc) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            if safe and type(a) is float:
                try:
                    return tensor_fn(a, const)
                except Exception as exc:
                    raise failed(rs, exc) from None
            return plain(rs, a, const)
    elif _is_number(left_node):
        const = left_node

        def run(fr: Frame) -> Any:
            if right_name is not None:
                try:
                    b = fr.locals[right_name]
                except KeyError:
                    b = right(fr)
            else:
                b = right(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(b) is Tensor or isinstance(b, Tensor):
                try:
                    out = tensor_fn(const, b)
                except Exception as exc:
                    raise failed(rs, exc) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            return plain(rs, const, b)
    else:
        def run(fr: Frame) -> Any:
            if left_name is not None:
                try:
                    a = fr.locals[left_name]
                except KeyError:
                    a = left(fr)
            else:
                a = left(fr)
            if right_name is not None:
                try:
                    b = fr.locals[right_name]
                except KeyError:
                    b = right(fr)
            else:
                b = right(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(a) is Tensor or type(b) is Tensor or isinstance(a, Tensor) or \
                    isinstance(b, Tensor):
                try:
                    out = tensor_fn(a, b)
                except LangError:
                    raise
                except Exception as exc:
                    if type(b) is not Array or not isinstance(a, Tensor):
                        raise failed(rs, exc) from None
                    return plain(rs, a, array_tensor(b))  # tensor <op> array, as torch
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                return out
            return plain(rs, a, b)

    return run


def _binary_from_local(name: str, general: Closure, left_name: str, right_name: str | None,
                       right_node: Any, tensor_fn: Any, plain: Any, failed: Any) -> Closure:
    """``a <op> b`` where ``a`` is a variable of the frame's own locals and ``b`` one too or a
    number literal: the tensor case with the operands read without tests of their kind (each
    shape its own closure); an unbound variable or operands that are not tensors go the
    ``general`` way (reading a local has no effect, so it may be read again). (With any
    other ``b``, :func:`binary_closure`'s general closure reads ``a`` inline.)"""
    if right_name is not None:
        def run_names(fr: Frame) -> Any:
            local = fr.locals
            try:
                a = local[name_a]
                b = local[right_name]
            except KeyError:
                return general(fr)
            if type(a) is not Tensor and type(b) is not Tensor:
                return general(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                out = tensor_fn(a, b)
            except LangError:
                raise
            except Exception as exc:
                if type(b) is not Array or not isinstance(a, Tensor):
                    raise failed(rs, exc) from None
                return plain(rs, a, array_tensor(b))  # tensor <op> array, as torch
            if type(out) is Tensor:
                rs.alloc += out._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
            return out

        name_a = left_name
        run_names.binary = (tensor_fn, left_name, right_name, None, failed)  # type: ignore
        return run_names
    const = right_node

    def run_const(fr: Frame) -> Any:
        try:
            a = fr.locals[name_a]
        except KeyError:
            return general(fr)
        if type(a) is not Tensor:
            return general(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            out = tensor_fn(a, const)
        except Exception as exc:
            raise failed(rs, exc) from None
        if type(out) is Tensor:
            rs.alloc += out._data.nbytes
            if rs.alloc > rs.alloc_budget:
                rs.allocated(0)
        return out

    name_a = left_name
    run_const.binary = (tensor_fn, left_name, None, const, failed)  # type: ignore
    return run_const


_LIST_INPLACE = ("add", "mul")


def _list_inplace(rs: RunState, plain: str, plain_fn: Any, a: list, b: Any) -> list:
    """``xs += ys`` (extends ``xs`` by any iterable) and ``xs *= n`` (repeats ``xs`` in place),
    as CPython's list does, each growth checked against the limits first."""
    if plain == "add":
        from .methods import LIST_METHODS

        LIST_METHODS["extend"](rs, a, b)
        return a
    a[:] = plain_fn(rs, a, b)  # ``xs * n``'s checks (size, a non-int's TypeError), same list
    return a


def inplace_operator(name: str) -> Callable[[RunState, Any, Any], Any]:
    """``a op= b``'s operator ``name`` ("iadd" ...) on values (a call: one step), for
    ``x[k] op= v`` / ``o.a op= v``, whose operands the statement evaluates itself
    (:func:`inplace_closure` is the same for ``name op= v``, inline)."""
    tensor_fn, plain = bi.INPLACE[name]
    plain_fn = bi.BINARY[plain]

    def apply(rs: RunState, a: Any, b: Any) -> Any:
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                return tensor_fn(a, b)
            if isinstance(a, (list, dict, set)) or isinstance(a, Instance) or type(a) is Array:
                if isinstance(a, list) and plain in _LIST_INPLACE:
                    return _list_inplace(rs, plain, plain_fn, a, b)
                return tensor_fn(a, b)
            return plain_fn(rs, a, b)
        except Exception as exc:
            raise convert_exception(exc, plain + ("_" if isinstance(a, Tensor) else ""),
                                    rs.limits) from None

    return apply


def inplace_closure(name: str, left: Closure, right: Closure) -> Closure:
    tensor_fn, plain = bi.INPLACE[name]
    plain_fn = bi.BINARY[plain]

    def run(fr: Frame) -> Any:
        a = left(fr)
        b = right(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            if isinstance(a, Tensor) or isinstance(b, Tensor):
                return tensor_fn(a, b)
            if isinstance(a, (list, dict, set)) or isinstance(a, Instance) or type(a) is Array:
                if isinstance(a, list) and plain in _LIST_INPLACE:
                    return _list_inplace(rs, plain, plain_fn, a, b)
                return tensor_fn(a, b)
            return plain_fn(rs, a, b)
        except Exception as exc:
            raise convert_exception(exc, plain + ("_" if isinstance(a, Tensor) else ""),
                                    rs.limits) from None

    return run


def unary_closure(name: str, operand: Closure) -> Closure:
    fn = bi.UNARY[name]

    def run(fr: Frame) -> Any:
        a = operand(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        try:
            return fn(a)
        except Exception as exc:
            raise convert_exception(exc, name, rs.limits) from None

    return run


# --------------------------------------------------------------------------- arguments

def _star_args(parts: tuple[tuple[bool, Closure], ...]) -> Callable[[Frame], tuple]:
    if len(parts) == 1:  # f(*args): forwarding
        (_, only), = parts

        def run_one(fr: Frame) -> tuple:
            value = only(fr)
            if type(value) is tuple:
                return value
            return tuple(materialize(fr.rs, value, "*arguments"))

        return run_one

    def run(fr: Frame) -> tuple:
        out: list[Any] = []
        for star, part in parts:
            if star:
                out.extend(materialize(fr.rs, part(fr), "*arguments"))
            else:
                out.append(part(fr))
        return tuple(out)

    return run


def _kwargs(pairs: tuple[tuple[str, Closure], ...],
            stars: tuple[Closure, ...], callee: str) -> Callable[[Frame], dict]:
    if not pairs and len(stars) == 1:  # f(**kwargs): forwarding
        (star,) = stars

        def run_one(fr: Frame) -> dict:
            mapping = star(fr)
            if type(mapping) is dict:
                for key in mapping:
                    if type(key) is not str:
                        raise ProgramError("keywords must be strings", exception="TypeError")
                return mapping.copy()
            return run(fr)

    def run(fr: Frame) -> dict:
        out = {key: part(fr) for key, part in pairs}
        for star in stars:
            mapping = star(fr)
            if not isinstance(mapping, dict):
                raise ProgramError(f"{callee}() argument after ** must be a mapping, not "
                                   f"{type(mapping).__name__}", exception="TypeError")
            for key, value in mapping.items():
                if not isinstance(key, str):
                    raise ProgramError("keywords must be strings", exception="TypeError")
                if key in out:
                    raise ProgramError(f"{callee}() got multiple values for keyword argument "
                                       f"'{key}'", exception="TypeError")
                out[key] = value
        return out

    if not pairs and len(stars) == 1:
        return run_one
    if not stars and len(pairs) == 1:  # f(y, shift=0.1)
        (key, part), = pairs
        return lambda fr: {key: part(fr)}
    if not stars:
        def run_pairs(fr: Frame) -> dict:  # no comprehension: it would be a call of its own
            out = {}
            for key, part in pairs:
                out[key] = part(fr)
            return out

        return run_pairs
    return run


class Arguments:
    """The compiled arguments of a call: ``positional(fr)``, ``keywords(fr)``."""

    __slots__ = ("positional", "keywords", "closures", "simple", "count", "names", "kwnames",
                 "kwvalues", "forward")

    def __init__(self, args: list[tuple[bool, Closure]], kwargs: list[tuple[str, Closure]],
                 kwstar: list[Closure], callee: str,
                 names: tuple[str | None, ...] | None = None) -> None:
        self.closures = tuple(c for _, c in args)
        self.simple = not any(star for star, _ in args)
        self.count = len(args)
        #: per argument, the name of the frame's own local it reads (read inline), or None
        self.names = names if names is not None else (None,) * len(args)
        if self.simple:
            closures = self.closures
            if not closures:
                self.positional = lambda fr: ()
            elif len(closures) == 1:
                (only,) = closures
                self.positional = lambda fr: (only(fr),)
            elif len(closures) == 2:
                first, second = closures
                self.positional = lambda fr: (first(fr), second(fr))
            else:
                self.positional = lambda fr: tuple([c(fr) for c in closures])
        else:
            self.positional = _star_args(tuple(args))
        if kwargs or kwstar:
            self.keywords = _kwargs(tuple(kwargs), tuple(kwstar), callee)
        else:
            self.keywords = None
        #: keywords written out without ``**``: their names (in order) and a closure giving
        #: their values as a tuple (a binding plan's input); None otherwise
        self.kwnames: tuple[str, ...] | None = None
        self.kwvalues: Callable[[Frame], tuple] | None = None
        #: ``f(*args, **kwargs)``: the names of the two operands where each is a variable of
        #: the frame's own locals (None for another expression); None for any other call
        self.forward: tuple[str | None, str | None] | None = None
        if kwargs and not kwstar:
            self.kwnames = tuple(key for key, _ in kwargs)
            parts = tuple(part for _, part in kwargs)
            if len(parts) == 1:
                (one,) = parts
                self.kwvalues = lambda fr: (one(fr),)
            elif len(parts) == 2:
                k1, k2 = parts
                self.kwvalues = lambda fr: (k1(fr), k2(fr))
            else:
                def kwvalues(fr: Frame) -> tuple:
                    out = []
                    for part in parts:
                        out.append(part(fr))
                    return tuple(out)

                self.kwvalues = kwvalues


# --------------------------------------------------------------------------- calls

#: ``f(*args, **kwargs)`` of two local variables binds in the call's closure (tests turn this
#: off to compare it with the general closure).
FORWARDING_CLOSURE = True


def value_call(callee: Closure, arguments: Arguments) -> Closure:
    """``f(...)`` where ``f`` is any value (a local, a call's result, an item ...)."""
    positional, keywords = arguments.positional, arguments.keywords
    if keywords is None:
        one = arguments.closures[0] if arguments.simple and arguments.count == 1 else None
        one_name = arguments.names[0] if one is not None else None

        def run_positional(fr: Frame) -> Any:  # ``fn(y)`` in a decorator's wrapper
            f = callee(fr)
            if one is None:
                values = positional(fr)
            elif one_name is not None:  # one argument, a local: read inline
                try:
                    values = (fr.locals[one_name],)
                except KeyError:
                    values = (one(fr),)
            else:
                values = (one(fr),)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(f) is Function:  # what ``call_fast`` does first, inline
                code = f.code
                if code.arity == len(values):
                    if one is not None:  # ``f(y)``: bound by a dict literal
                        return code.enter(rs, f, {code.params[0]: values[0]})
                    return code.enter(rs, f, dict(zip(code.params, values)))
            return call_fast(rs, f, values, _EMPTY)

        return run_positional

    def run(fr: Frame) -> Any:
        f = callee(fr)
        values = positional(fr)
        named = keywords(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        return call_fast(rs, f, values, named)

    forward = arguments.forward
    if forward is None or None in forward or not FORWARDING_CLOSURE:
        return run
    star_name, kw_name = forward
    # ``f(*args, **kwargs)`` with ``args`` and ``kwargs`` variables of the frame's own locals
    # binds in the call's closure (here and in :func:`global_call`) when ``f`` is a program's
    # function of simple code (no ``*``/``**`` or keyword-only parameters, no generator),
    # ``args`` a tuple and ``kwargs`` a dict of string keys that name each remaining parameter
    # once: the locals are the positional parameters in order, then the keywords in theirs,
    # what :func:`bind` gives such a call. Any other call binds the general way, with Python's
    # error texts (the reads before have no effect).

    def run_forward(fr: Frame) -> Any:  # ``fn(*args, **kwargs)`` in a decorator's wrapper
        f = callee(fr)
        local = fr.locals
        a = local.get(star_name, _MISSING)
        k = local.get(kw_name, _MISSING)
        if type(f) is Function and type(a) is tuple and type(k) is dict:
            code = f.code  # the forwarding binding (value_call)
            n = code.arity
            if len(a) + len(k) == n:
                for key in k:
                    if type(key) is not str:
                        break
                else:
                    if code.argnames.issuperset(k):
                        bound = dict(zip(code.params, a))
                        bound.update(k)
                        if len(bound) == n:
                            rs = fr.rs
                            rs.steps += 1
                            if rs.steps >= rs.next_check:
                                rs.check()
                            return code.enter(rs, f, bound)
        values = positional(fr)  # what ``run`` does, ``f`` read once
        named = keywords(fr)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        return call_fast(rs, f, values, named)

    return run_forward



def call_fast(rs: RunState, f: Any, values: tuple, named: dict) -> Any:
    """``call_value`` with the calls of a program's inner loops first: its functions (simple
    ones without binding) and its callable objects (``model(x)``)."""
    if type(f) is Function:
        code = f.code
        if code.arity == len(values) and not named:  # what ``invoke`` does, inline
            return code.enter(rs, f, dict(zip(code.params, values)))
        return invoke(rs, f, values, named)
    if isinstance(f, Instance):
        method = f.cls.lookup("__call__")
        if type(method) is Function:
            code = method.code
            if code.arity == len(values) + 1 and not named:
                return code.enter(rs, method, dict(zip(code.params, (f, *values))))
            return invoke(rs, method, (f, *values), named)
    elif hasattr(type(f), "_lang_class"):  # ``model(x)``, a library subclass's object: what
        return call_library(rs, f, values, named)  # ``call_value`` does for it
    return call_value(rs, f, values, named)


def op_call(name: str, fn: Callable[..., Any], arguments: Arguments, root: str | None = None,
            dynamic: Closure | None = None, form: str = "function") -> Closure:
    """A statically known op (``torch.tanh(x)``, ``F.relu(x)``); ``root``: the library root
    of its path, and ``dynamic`` the call read through the session's variable of that name
    (:func:`guarded_value`); ``form``: "torch" for ``torch.x`` (its refusals are torch.x's
    parser's where F.x is another function: engine/ops/signatures.py), else "function"."""
    positional, keywords = arguments.positional, arguments.keywords
    if keywords is None and arguments.simple and arguments.count == 1:
        (only,) = arguments.closures
        (only_name,) = arguments.names

        def run1(fr: Frame) -> Any:
            if ROOTS_BOUND and root in fr.glob:
                return dynamic(fr)  # type: ignore[misc]
            if only_name is not None:
                try:
                    value = fr.locals[only_name]
                except KeyError:
                    value = only(fr)
            else:
                value = only(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                out = fn(value)
            except LangError:
                raise
            except Exception as exc:
                return array_retry(rs, name, fn, (value,), _EMPTY, exc, form)
            if type(out) is Tensor:
                rs.alloc += out._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
                return out
            return admit(out)

        run1.op1 = (name, fn, only, only_name, root, form)  # type: ignore[attr-defined]
        return run1

    def run(fr: Frame) -> Any:
        if ROOTS_BOUND and root in fr.glob:
            return dynamic(fr)  # type: ignore[misc]
        values = positional(fr)
        named = keywords(fr) if keywords is not None else _EMPTY
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        return call_op(rs, name, fn, values, named, form)

    return run


def op1_statement(op1: tuple, general: Closure, unit: bytes, pointer: str, *,
                  store: str | None = None, glob: str | None = None,
                  returns: bool = False, value_form: bool = False) -> Closure:
    """A statement whose expression is a one-argument op (``op1``, what :func:`op_call`'s
    ``run1`` carries), in one closure with the op: ``name = torch.tanh(arg)`` into the
    frame's locals (``store``) or a global (``glob``, journaled), ``return torch.tanh(arg)``
    (``returns``) or the bare expression. It counts and fails exactly as ``general`` (the
    statement closure around ``run1``): when the argument is a variable of the frame's own
    locals (read with no effect), the statement's step and the op's are counted together,
    unless the two would reach the next check (``general`` then counts them one by one).
    ``value_form``: ``return torch.tanh(arg)`` giving the value instead (a call's
    straight body, ``compile_statements.straight_body``; ``general`` has its own)."""
    name, fn, only, only_name, root, form = op1
    if value_form:
        general = general.value
    binary = getattr(only, "binary", None) if only_name is None else None
    if binary is not None:
        return _op1_of_binary(op1, binary, general, unit, pointer, store=store, glob=glob,
                              returns=returns, value_form=value_form)

    def run(fr: Frame) -> Any:
        if ROOTS_BOUND and root in fr.glob:
            return general(fr)  # its op call reads the path through the variable
        rs = fr.rs
        if only_name is not None:
            try:
                value = fr.locals[only_name]
            except KeyError:
                return general(fr)
            steps = rs.steps + 2
            if steps >= rs.next_check:
                return general(fr)
            rs.steps = steps
        else:
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                value = only(fr)
                rs.steps += 1
                if rs.steps >= rs.next_check:
                    rs.check()
            except Exception as exc:
                raise located(exc, unit, pointer, rs.limits) from None
        try:
            out = fn(value)
        except LangError as exc:
            raise located(exc, unit, pointer, rs.limits) from None
        except Exception as exc:
            try:
                out = array_retry(rs, name, fn, (value,), _EMPTY, exc, form)
            except Exception as err:
                raise located(err, unit, pointer, rs.limits) from None
        else:
            try:
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                else:
                    out = admit(out)
            except Exception as exc:
                raise located(exc, unit, pointer, rs.limits) from None
        if store is not None:
            fr.locals[store] = out
        elif glob is not None:
            space = fr.glob
            journal = rs.journal
            if glob not in journal:
                journal[glob] = space.get(glob, UNBOUND)
            space[glob] = out
        elif value_form:
            return out
        elif returns:
            fr.retval = out
            return RETURN
        return None

    return run


def _op1_of_binary(op1: tuple, binary: tuple, general: Closure, unit: bytes, pointer: str, *,
                   store: str | None, glob: str | None, returns: bool,
                   value_form: bool) -> Closure:
    """:func:`op1_statement` whose argument is a binary operator on the frame's own locals
    (``torch.tanh(y * 1.01)``, ``torch.tanh(y * scale)``: ``binary`` is what
    :func:`_binary_from_local`'s closure carries), the operator in the same closure: when the
    operands are a tensor and a tensor or number, the statement's, the operator's and the
    op's steps are counted in one addition where they cannot reach the next check (else one
    by one, each checked and located where the separate closures do it), and the
    operator's failure and memory check are the operator closure's, at the same step count;
    any other operands or an unbound variable go the ``general`` way (reading locals has no
    effect)."""
    name, fn, _, _, root, form = op1
    tensor_fn, left_name, right_name, const, failed = binary

    def run(fr: Frame) -> Any:
        if ROOTS_BOUND and root in fr.glob:
            return general(fr)  # its op call reads the path through the variable
        local = fr.locals
        try:
            a = local[left_name]
            b = local[right_name] if right_name is not None else const
        except KeyError:
            return general(fr)
        if type(a) is not Tensor or right_name is not None and type(b) is not Tensor and \
                type(b) is not float and type(b) is not int:
            return general(fr)
        rs = fr.rs
        steps = rs.steps + 2  # the statement's and the operator's
        near = steps + 1 >= rs.next_check
        if near:  # one by one, each checked where the separate closures check it
            rs.step()  # (the statement's: before its ``try``)
            try:
                rs.step()
            except Exception as exc:
                raise located(exc, unit, pointer, rs.limits) from None
        else:
            rs.steps = steps
        try:
            try:
                value = tensor_fn(a, b)
            except Exception as exc:
                raise failed(rs, exc) from None
            if type(value) is Tensor:
                rs.alloc += value._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
            if near:
                rs.step()  # the op's
            else:
                rs.steps = steps + 1
        except Exception as exc:
            raise located(exc, unit, pointer, rs.limits) from None
        try:
            out = fn(value)
        except LangError as exc:
            raise located(exc, unit, pointer, rs.limits) from None
        except Exception as exc:
            try:
                out = array_retry(rs, name, fn, (value,), _EMPTY, exc, form)
            except Exception as err:
                raise located(err, unit, pointer, rs.limits) from None
        else:
            try:
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                else:
                    out = admit(out)
            except Exception as exc:
                raise located(exc, unit, pointer, rs.limits) from None
        if store is not None:
            fr.locals[store] = out
        elif glob is not None:
            space = fr.glob
            journal = rs.journal
            if glob not in journal:
                journal[glob] = space.get(glob, UNBOUND)
            space[glob] = out
        elif value_form:
            return out
        elif returns:
            fr.retval = out
            return RETURN
        return None

    return run


def call_statement(library1: tuple, general: Closure, unit: bytes, pointer: str) -> Closure:
    """An expression statement ``obj.name(arg)`` or ``obj.name()`` (``ctx.save_for_backward(out)``,
    ``opt.step()``), ``obj`` and ``arg`` variables of the frame's own locals, in one closure with
    the call when ``obj`` is a library object whose class has the plain method (what
    :func:`method_call`'s ``run`` calls then), counting the statement's step and the call's
    together; any other receiver, or two steps that would reach the next check, go the
    ``general`` way (the statement closure around ``run``), which counts and fails the same."""
    name, fast_name, one_name = library1

    def run(fr: Frame) -> None:
        local = fr.locals
        try:
            obj = local[fast_name]
            arg = local[one_name] if one_name is not None else None
        except KeyError:
            return general(fr)
        t = type(obj)
        if t not in PLAIN_LIBRARY_TYPES or name in ASSIGNED_NAMES:
            return general(fr)
        method = LIBRARY_METHODS.get((t, name))
        rs = fr.rs
        steps = rs.steps + 2
        if method is None or steps >= rs.next_check:
            return general(fr)
        rs.steps = steps
        try:  # what call_library does, inline
            out = method(obj, arg) if one_name is not None else method(obj)
        except Exception as exc:
            raise located(library_error(rs, method, exc), unit, pointer, rs.limits) from None
        if out is not None:
            try:
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                else:
                    admit(out)
            except Exception as exc:
                raise located(exc, unit, pointer, rs.limits) from None

    return run


def static_call(value: Any, arguments: Arguments, root: str | None = None,
                dynamic: Closure | None = None) -> Closure:
    """A call of a value known when the program is compiled (a library path; ``root`` and
    ``dynamic`` as for :func:`op_call`)."""
    positional, keywords = arguments.positional, arguments.keywords

    def run(fr: Frame) -> Any:
        if ROOTS_BOUND and root in fr.glob:
            return dynamic(fr)  # type: ignore[misc]
        values = positional(fr)
        named = keywords(fr) if keywords is not None else _EMPTY
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        return call_value(rs, value, values, named)

    return run


def global_call(name: str, arguments: Arguments) -> Closure:
    """A bare name that is no local: a session variable (a user function), else a builtin,
    else an op (for the names that are both, the op when the first argument is a tensor)."""
    builtin = bi.BUILTINS.get(name)
    opdef = engine.ops.lookup(name)
    opfn = opdef.fn if opdef is not None else None
    dual = name in bi.DUAL_NAMES and builtin is not None and opfn is not None
    fallback = bi.BUILTIN_VALUES.get(name, _MISSING)
    if fallback is _MISSING:
        fallback = bi.CONSTANTS.get(name, _MISSING)
    positional, keywords = arguments.positional, arguments.keywords

    def dispatch(fr: Frame, values: tuple, named: dict) -> Any:
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        f = fr.glob.get(name, _MISSING)
        if f is not _MISSING:
            return call_fast(rs, f, values, named)
        return unbound(rs, values, named)

    def unbound(rs: RunState, values: tuple, named: dict) -> Any:
        """The call when the session has no variable of the name (counted already)."""
        if builtin is not None and not (dual and values and isinstance(values[0], Tensor)):
            try:
                return builtin(rs, *values, **named)
            except Exception as exc:
                raise bi.call_error(exc, name, values, named, rs.limits) from None
        if opfn is not None:
            return call_op(rs, name, opfn, values, named)
        if fallback is not _MISSING:
            return call_value(rs, fallback, values, named)
        raise ProgramError(f"name '{name}' is not defined", exception="NameError")

    if keywords is None and arguments.simple and arguments.count == 1 and builtin is None \
            and opfn is not None:
        (only,) = arguments.closures

        def run_op1(fr: Frame) -> Any:  # x.sum()-style receiver-first op calls, inlined
            value = only(fr)
            rs = fr.rs
            glob = fr.glob
            if name in glob:
                return dispatch(fr, (value,), _EMPTY)
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            try:
                out = opfn(value)
            except Exception as exc:
                raise convert_exception(explain_call(name, "function", (value,), _EMPTY, exc), name,
                                        rs.limits) from None
            if type(out) is Tensor:
                rs.alloc += out._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
                return out
            return admit(out)

        return run_op1
    # what ``dispatch`` does, in one closure with the arguments (a program's own function,
    # the inner loops' case, invoked directly); the lookup has no effect, so it may come
    # before the step
    if keywords is None:
        one = arguments.closures[0] if arguments.simple and arguments.count == 1 else None
        one_name = arguments.names[0] if one is not None else None

        def run(fr: Frame) -> Any:
            if one is None:
                values = positional(fr)
            elif one_name is not None:  # one argument, a local: read inline
                try:
                    values = (fr.locals[one_name],)
                except KeyError:
                    values = (one(fr),)
            else:
                values = (one(fr),)
            f = fr.glob.get(name, _MISSING)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(f) is Function:
                code = f.code
                if code.arity == len(values):  # what ``invoke`` does, inline
                    if one is not None:  # ``f(y)``: bound by a dict literal
                        return code.enter(rs, f, {code.params[0]: values[0]})
                    return code.enter(rs, f, dict(zip(code.params, values)))
                return invoke(rs, f, values, _EMPTY)
            if f is _MISSING:
                return unbound(rs, values, _EMPTY)
            if isinstance(f, Instance):  # ``b(y)``, a program's callable object: call_fast's way
                cls = f.cls
                method = cls._cache.get("__call__") if \
                    cls._cache_version == CLASS_VERSION[0] else None  # ``lookup``'s hit, inline
                if method is None:
                    method = cls.lookup("__call__")
                if type(method) is Function:
                    code = method.code
                    if code.arity == 2 and one is not None:  # ``__call__(self, y)``
                        first, second = code.params
                        return code.enter(rs, method, {first: f, second: values[0]})
                    if code.arity == len(values) + 1:
                        return code.enter(rs, method, dict(zip(code.params, (f, *values))))
            elif hasattr(type(f), "_lang_class"):  # ``model(x)``: call_fast's way
                return call_library(rs, f, values, _EMPTY)
            return call_fast(rs, f, values, _EMPTY)

        return run

    kwnames, kwvalues = arguments.kwnames, arguments.kwvalues
    if kwvalues is not None and arguments.simple:
        plan_site = PlanSite(arguments.count, kwnames)

        def run_plan(fr: Frame) -> Any:  # f(y, shift=0.1): the locals built by a plan
            values = positional(fr)
            kw = kwvalues(fr)
            f = fr.glob.get(name, _MISSING)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if type(f) is Function:
                last = plan_site.last
                if f.code is last[0]:
                    return last[0].enter(rs, f, last[1](f, values, kw))
                return plan_site.first_call(rs, f, values, kw)
            named = dict(zip(kwnames, kw))
            if f is not _MISSING:
                return call_fast(rs, f, values, named)
            return unbound(rs, values, named)

        return run_plan

    def run_kw(fr: Frame) -> Any:
        values = positional(fr)
        named = keywords(fr)
        f = fr.glob.get(name, _MISSING)
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        if type(f) is Function:
            if named:  # ``f(*args, **kwargs)``: what ``invoke`` does with keywords, inline
                return f.code.enter(rs, f, bind(f, values, named))
            return invoke(rs, f, values, named)
        if f is not _MISSING:
            return call_fast(rs, f, values, named)
        return unbound(rs, values, named)

    forward = arguments.forward
    if forward is None or None in forward or not FORWARDING_CLOSURE:
        return run_kw
    star_name, kw_name = forward

    def run_forward(fr: Frame) -> Any:  # ``return f(*args, **kwargs)``: a wrapper's call
        f = fr.glob.get(name)
        local = fr.locals
        a = local.get(star_name)
        k = local.get(kw_name)
        if type(f) is Function and type(a) is tuple and type(k) is dict:
            code = f.code  # the forwarding binding (value_call)
            n = code.arity
            if len(a) + len(k) == n:
                for key in k:
                    if type(key) is not str:
                        break
                else:
                    if code.argnames.issuperset(k):
                        bound = dict(zip(code.params, a))
                        bound.update(k)
                        if len(bound) == n:
                            rs = fr.rs
                            rs.steps += 1
                            if rs.steps >= rs.next_check:
                                rs.check()
                            return code.enter(rs, f, bound)
        return run_kw(fr)  # (the reads above have no effect)

    return run_forward


def super_method_call(name: str, first: str, arguments: Arguments, general: Closure) -> Closure:
    """``super().name(...)`` in a method whose first parameter is ``first``: the method found
    after the defining class in the MRO of the object's class (cached per class), called with
    the object first, without a ``super`` object or a bound method; anything but a program's
    object and a plain method goes the ``general`` way."""
    positional, keywords = arguments.positional, arguments.keywords
    one = arguments.closures[0] if arguments.simple and arguments.count == 1 and \
        keywords is None else None

    def run(fr: Frame) -> Any:
        obj = fr.locals.get(first)
        func = fr.func
        owner = func.owner if type(func) is Function else getattr(func, "owner", None)
        if owner is None or not isinstance(obj, Instance):
            return general(fr)
        cls = obj.cls  # ``super_function``'s cache hit, inline
        found = cls._cache.get((owner, name), _MISSING) if \
            cls._cache_version == CLASS_VERSION[0] else _MISSING
        if found is _MISSING:
            found = super_function(cls, owner, name)
        if found is None:
            return general(fr)
        code = found.code
        if one is not None:  # ``super().step(y * 1.01)``
            value = one(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if code.arity == 2:  # what ``invoke`` does, inline
                p0, p1 = code.params
                return code.enter(rs, found, {p0: obj, p1: value})
            return invoke(rs, found, (obj, value), _EMPTY)
        values = positional(fr)
        named = keywords(fr) if keywords is not None else _EMPTY
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        if code.arity == len(values) + 1 and not named:  # what ``invoke`` does, inline
            return code.enter(rs, found, dict(zip(code.params, (obj, *values))))
        return invoke(rs, found, (obj, *values), named)

    return run


#: A tensor method called with no arguments (``b.norm()``, ``x.item()``) gets its own closure
#: in :func:`method_call` (tests turn this off to compare it with the general closure).
ZERO_ARGUMENT_CLOSURE = True


def _same(kwargs: dict) -> dict:
    return kwargs


def method_call(name: str, receiver: Closure, arguments: Arguments,
                fast_name: str | None = None, pure_receiver: bool = False) -> Closure:
    """``obj.name(...)``: a tensor's op, an object's method, or whatever the value has
    (``pure_receiver``: the receiver is a variable, which can be read twice)."""
    positional, keywords = arguments.positional, arguments.keywords
    if name in READ_DUNDERS:  # `self.__class__(...)`
        return value_call(lambda fr: dunder_attr(fr.rs, receiver(fr), name), arguments)
    if name[:2] == "__" and name != "__init__":  # `self.__getitem__(k)`: a program's own
        def run_special(fr: Frame) -> Any:
            obj = receiver(fr)
            values = positional(fr)
            named = keywords(fr) if keywords is not None else _EMPTY
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            return special_method_call(rs, obj, name, values, named)

        return run_special
    tensor_fn = tensor_method(name)
    if tensor_fn is not None and arguments.simple and (
            keywords is None or arguments.kwnames is not None) and \
            engine_signatures.count_refused(name, "method", arguments.count,
                                            arguments.kwnames or ()):
        # ``x.sum(keepdim=True)``: torch's parser refuses the call's shape whatever the
        # values, where the op is looser: this call site binds by the method's signatures
        tensor_fn = engine_signatures.guarded(name, "method", tensor_fn)
    #: NumPy's ``axis=`` / ``keepdims=`` taken as torch's parser takes them (not by torch's
    #: Python-written methods: ``x.split(1, axis=0)`` is Python's unexpected keyword)
    aliases = numpy_aliases if name not in PYTHON_METHODS else _same
    one = arguments.closures[0] if arguments.simple and arguments.count == 1 else None
    one_name = arguments.names[0] if one is not None else None
    #: the library type this call's receiver had last and its plain method
    #: (:func:`library_method`: fixed per type and name)
    site: tuple[Any, Any] = (_MISSING, None)

    def run(fr: Frame) -> Any:
        if fast_name is not None:
            try:
                obj = fr.locals[fast_name]
            except KeyError:
                obj = receiver(fr)
        else:
            obj = receiver(fr)
        if one is None:
            values = positional(fr)
        elif one_name is not None:  # one argument, a local: read inline
            try:
                values = (fr.locals[one_name],)
            except KeyError:
                values = (one(fr),)
        else:
            values = (one(fr),)
        named = keywords(fr) if keywords is not None else _EMPTY
        rs = fr.rs
        rs.steps += 1
        if rs.steps >= rs.next_check:
            rs.check()
        if tensor_fn is not None and isinstance(obj, Tensor):
            try:
                out = tensor_fn(obj, *values, **aliases(named)) if named else \
                    tensor_fn(obj, *values)
            except Exception as exc:
                out = retry_with_dtypes(rs, name, tensor_fn, (obj, *values), named, aliases)
                if out is MISSING:
                    out = deprecated_retry(rs, name, tensor_fn, (obj, *values), named,
                                           "method")
                if out is MISSING:
                    raise convert_exception(explain_call(name, "method", (obj, *values), named,
                                                         exc), name, rs.limits) from None
            if type(out) is Tensor:
                rs.alloc += out._data.nbytes
                if rs.alloc > rs.alloc_budget:
                    rs.allocated(0)
                return out
            return admit(out)
        if isinstance(obj, Instance):
            return instance_call(rs, obj, name, values, named)
        if type(obj) is site[0] and name not in ASSIGNED_NAMES:  # this call's last library type
            return call_library(rs, site[1], (obj, *values), named)
        return other(rs, obj, values, named)

    def other(rs: RunState, obj: Any, values: tuple, named: dict) -> Any:
        """The call on a receiver that is neither a tensor nor a program's object."""
        nonlocal site
        t = type(obj)
        if t in PLAIN_LIBRARY_TYPES:  # ctx.save_for_backward(...), opt.step() ...
            method = LIBRARY_METHODS.get((t, name), _MISSING)
            if method is _MISSING:
                method = library_method(t, name)
            if method is not None and name not in ASSIGNED_NAMES:
                site = (t, method)
                return call_library(rs, method, (obj, *values), named)
            return call_library(rs, library_attr(obj, name), values, named)
        if t is UserClass and obj.pytype is not None and name[0] != "_":
            if name == "apply":  # a custom autograd.Function's, without its Python layers
                out = apply_custom(rs, obj, values, named)
                if out is not NO_PLAN:
                    return out
                values, named = bind_apply(obj, values, named)
            if obj.lookup(name) is None:
                return call_library(rs, library_attr(obj.pytype, name), values, named)
        if t is SuperProxy:
            f = super_attr(rs, obj, name)
            if type(f) is BoundMethod and type(f.func) is Function:
                return invoke(rs, f.func, (f.self_, *values), named)
            return call_value(rs, f, values, named)
        return call_method(rs, obj, name, values, named)

    if tensor_fn is not None and arguments.simple and arguments.count == 0 and \
            keywords is None and ZERO_ARGUMENT_CLOSURE:
        def run0(fr: Frame) -> Any:  # ``x.item()``, ``b.norm()``: a tensor method, no arguments
            if fast_name is not None:
                try:
                    obj = fr.locals[fast_name]
                except KeyError:
                    obj = receiver(fr)
            else:
                obj = receiver(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if isinstance(obj, Tensor):
                try:
                    out = tensor_fn(obj)
                except Exception as exc:
                    raise convert_exception(explain_call(name, "method", (obj,), _EMPTY, exc), name,
                                            rs.limits) from None
                t = type(out)
                if t is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                    return out
                return out if t in SAFE_TYPES else admit(out)  # ``x.item()``'s number
            if isinstance(obj, Instance):
                return instance_call(rs, obj, name, (), _EMPTY)
            if type(obj) is site[0] and name not in ASSIGNED_NAMES:
                return call_library(rs, site[1], (obj,), _EMPTY)
            return other(rs, obj, (), _EMPTY)

        return run0
    if fast_name is not None and keywords is None and tensor_fn is None and \
            arguments.simple and arguments.count <= 1 and None not in arguments.names:
        run.library1 = (name, fast_name, one_name)  # type: ignore[attr-defined]  # call_statement
    kwnames, kwvalues = arguments.kwnames, arguments.kwvalues
    if kwvalues is not None and arguments.simple:
        plan_site = PlanSite(arguments.count + 1, kwnames)  # the object first

        def run_plan(fr: Frame) -> Any:  # ``obj.m(x, k=1)``: a program's method, by plan
            if fast_name is not None:
                try:
                    obj = fr.locals[fast_name]
                except KeyError:
                    obj = receiver(fr)
            else:
                obj = receiver(fr)
            values = positional(fr)
            kw = kwvalues(fr)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if isinstance(obj, Instance) and name not in obj.attrs:
                found = obj.cls.lookup(name)
                if type(found) is Function:
                    last = plan_site.last
                    if found.code is last[0]:
                        return last[0].enter(rs, found, last[1](found, (obj, *values), kw))
                    return plan_site.first_call(rs, found, (obj, *values), kw)
            return tail(rs, obj, values, dict(zip(kwnames, kw)))

        def tail(rs: RunState, obj: Any, values: tuple, named: dict) -> Any:
            """What ``run`` does after its step, for any other receiver."""
            if tensor_fn is not None and isinstance(obj, Tensor):
                try:
                    out = tensor_fn(obj, *values, **aliases(named))
                except Exception as exc:
                    out = retry_with_dtypes(rs, name, tensor_fn, (obj, *values), named, aliases)
                    if out is MISSING:
                        raise convert_exception(explain_call(
                            name, "method", (obj, *values), named, exc), name,
                            rs.limits) from None
                if type(out) is Tensor:
                    rs.alloc += out._data.nbytes
                    if rs.alloc > rs.alloc_budget:
                        rs.allocated(0)
                    return out
                return admit(out)
            if isinstance(obj, Instance):
                return instance_call(rs, obj, name, values, named)
            if type(obj) is site[0] and name not in ASSIGNED_NAMES:
                return call_library(rs, site[1], (obj, *values), named)
            return other(rs, obj, values, named)

        return run_plan
    if name == "apply" and pure_receiver and one is not None and keywords is None:
        def run_apply(fr: Frame) -> Any:  # ``Cls.apply(x)``: a custom Function's first
            if fast_name is not None:
                try:
                    obj = fr.locals[fast_name]
                except KeyError:
                    obj = receiver(fr)
            else:
                obj = receiver(fr)
            if type(obj) is not UserClass or obj.pytype is None:
                return run(fr)  # reads the receiver again: a variable (``pure_receiver``)
            if one_name is not None:
                try:
                    values = (fr.locals[one_name],)
                except KeyError:
                    values = (one(fr),)
            else:
                values = (one(fr),)
            rs = fr.rs
            rs.steps += 1
            if rs.steps >= rs.next_check:
                rs.check()
            if obj._cache_version == CLASS_VERSION[0]:  # apply_custom's way, inline
                plan = obj._cache.get(PLAN_KEY)
                if plan is not None and plan[5] is None:  # apply_planned, inline
                    try:
                        out = apply_function(plan[0], plan[1], plan[2], values,
                                             setup_context=plan[3], jvp=plan[4])
                    except Exception as exc:
                        raise convert_exception(exc, "apply", rs.limits) from None
                    if type(out) is Tensor:
                        rs.alloc += out._data.nbytes
                        if rs.alloc > rs.alloc_budget:
                            rs.allocated(0)
                        return out
                    return admit(out)
            out = apply_custom(rs, obj, values, _EMPTY)
            if out is not NO_PLAN:
                return out
            values, named = bind_apply(obj, values, _EMPTY)
            if obj.lookup(name) is None:
                return call_library(rs, library_attr(obj.pytype, name), values, named)
            return call_method(rs, obj, name, values, named)

        return run_apply
    return run
