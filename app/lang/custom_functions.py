"""``Cls.apply(...)`` for a program's ``torch.autograd.Function`` subclass, without its Python
layers: the class's hooks become plain callables for
:func:`engine.autograd.function.apply_function`, and ``apply``'s arguments are bound to
``forward``'s parameters the way torch binds them.

torch binds two ways. A class with ``setup_context`` (``forward(*args)``) binds every call
with ``inspect.Signature.bind`` and then applies the defaults, so ``setup_context`` sees every
parameter in ``inputs`` and ``backward`` owes a gradient for each; a keyword-only parameter or a
``**kwargs`` one is refused. A class without it (``forward(ctx, *args)``) passes positional
arguments as they are and puts each keyword argument at its parameter's position; a gap before
the last one given is an error, even for a parameter with a default. Error texts are torch's.
"""

from __future__ import annotations

from typing import Any

import engine
from engine.autograd.function import Function as EngineFunction
from engine.autograd.function import apply_function, keywords_at_positions

from .errors import ProgramError
from .exceptions import convert_exception, located
from .library import _LIBRARY_TYPES, _MISSING, _SAFE, admit
from .runtime import CURRENT, RETURN_BODY, framed_entry
from .values import (
    CLASS_VERSION,
    Function,
    StaticMethod,
    UserClass,
    current_rs,
    invoke,
)

Tensor = engine.Tensor

_PLAN = PLAN_KEY = "(custom Function plan)"  # a key no attribute name can be
_HOOKS = ("forward", "backward", "vjp", "setup_context", "jvp")
_NO_KWARGS: dict[str, Any] = {}
_NO_ARG = object()  # a hook called with one argument

#: What :func:`apply_custom` answers for a class it cannot run by a plan.
NO_PLAN = object()


def function_plan(cls: UserClass) -> tuple | None:
    """How ``cls.apply(...)`` runs for a program's ``torch.autograd.Function`` subclass that
    defines no ``apply`` of its own and whose hooks (``forward``, ``backward`` or ``vjp``,
    optional ``setup_context`` and ``jvp``) are plain ``@staticmethod`` functions:
    ``(name, forward, backward, setup_context, jvp, bind)``: callables that run the user's
    functions straight away, for :func:`engine.autograd.function.apply_function`, and how
    ``apply``'s arguments become ``forward``'s (None: as they are, unless there are keywords).
    None for any other shape (the class then goes through its Python subclass's ``apply``, as
    library code calls it). Kept in the class's lookup cache, so a change to any class
    namespace makes it again."""
    if cls._cache_version != CLASS_VERSION[0]:
        cls.lookup("apply")  # brings the class's cache up to date
    plan = cls._cache.get(_PLAN, _MISSING)
    if plan is _MISSING:
        plan = cls._cache[_PLAN] = _make_plan(cls)
    return plan


def _make_plan(cls: UserClass) -> tuple | None:
    pytype = cls.pytype
    if pytype is None or cls.lookup("apply") is not None or \
            not issubclass(pytype, EngineFunction) or \
            getattr(pytype.apply, "__func__", None) is not EngineFunction.apply.__func__:
        return None
    hooks: dict[str, Any] = {}
    for name in _HOOKS:
        value = cls.lookup(name)
        if value is not None and (type(value) is not StaticMethod or
                                  type(value.func) is not Function):
            return None
        hooks[name] = value.func if value is not None else None
    forward, setup = hooks["forward"], hooks["setup_context"]
    backward = hooks["backward"] or hooks["vjp"]
    if forward is None or backward is None:
        return None  # the engine's own error texts, through the Python subclass
    code = forward.code
    if setup is None:
        bind = None
    elif code.simple and not code.ndefaults:  # bound as given, or torch's error text
        def bind(args: tuple, kwargs: dict) -> tuple:
            if kwargs or len(args) != code.nparams:
                return bind_signature(forward, args, kwargs)
            return args
    else:
        def bind(args: tuple, kwargs: dict) -> tuple:
            return bind_signature(forward, args, kwargs)
    # a tuple, not a ``functools.partial``: a partial with keywords copies them into a new
    # dict on every call (~0.2 us here, more than the unpacking it saves)
    return (cls.name, _runner(forward, admitting=False), _runner(backward),
            _runner(setup, admitting=False) if setup is not None else None,
            _runner(hooks["jvp"]) if hooks["jvp"] is not None else None, bind)


def _runner(func: Function, admitting: bool = True) -> Any:
    """A Python callable that runs ``func`` under the run in progress (the engine calls a
    backward later, maybe in another run), its arguments admitted; without ``admitting`` for
    ``forward`` and ``setup_context``, which get only what the program handed to ``apply``,
    what its own ``forward`` returned and the ``ctx`` :func:`apply_function` made."""
    if func.code.arity == 2:
        return _runner2(func, admitting)
    if not admitting:
        def run_given(*args: Any) -> Any:
            return invoke(CURRENT.get() or current_rs(), func, args, _NO_KWARGS)

        return run_given

    def run(*args: Any) -> Any:
        for arg in args:  # ctx, tensors, grads: checked by type alone
            t = type(arg)
            if t not in _SAFE and t not in _LIBRARY_TYPES:
                admit(arg)
        return invoke(CURRENT.get() or current_rs(), func, args, _NO_KWARGS)

    return run


def _runner2(func: Function, admitting: bool) -> Any:
    """:func:`_runner` for a hook of two parameters (``forward(ctx, x)``, ``backward(ctx,
    g)``: the common shape), its locals bound directly and its code's entry called (what
    :func:`invoke_bound` does: this is the custom Function's inner loop). Any other number
    of arguments goes through ``invoke`` (its binding and texts)."""
    first, second = func.code.params
    enter = func.code.enter
    parts = getattr(enter, "parts", None)
    if parts is not None:
        return _straight_runner2(func, admitting, parts)

    def run2(a: Any, b: Any = _NO_ARG, *more: Any) -> Any:
        rs = CURRENT.get() or current_rs()
        if admitting:  # ``a`` is the ctx apply_function made (forward got it as it is)
            t = type(b)
            if t not in _SAFE and t not in _LIBRARY_TYPES and b is not _NO_ARG:
                admit(b)
        if b is _NO_ARG or more:
            args = (a,) if b is _NO_ARG else (a, b, *more)
            if admitting:
                for arg in more:
                    t = type(arg)
                    if t not in _SAFE and t not in _LIBRARY_TYPES:
                        admit(arg)
            return invoke(rs, func, args, _NO_KWARGS)
        return enter(rs, func, {first: a, second: b})

    return run2


def _straight_runner2(func: Function, admitting: bool, parts: tuple) -> Any:
    """:func:`_runner2` for a hook whose body is straight and ends in a general ``return
    value`` (``compile_statements.straight_entry``'s ``enter_return``, whose ``parts`` these
    are): the hook's call and the body's entry in one Python call (the entry's frame and
    body, ``runtime.RETURN_BODY``, in the runner: a call of the entry is what this
    saves in the custom Function's inner loop)."""
    first, second = func.code.params
    pre, (value, fast, unit, pointer) = parts
    return _make_run2(func, admitting, first, second, pre, value, fast, unit, pointer)


_make_run2 = framed_entry(
    "make_run2(func, admitting, first, second, pre, value, fast, unit, pointer)",
    "run2(a, b=_NO_ARG, *more)", RETURN_BODY, prelude="""\
    rs = CURRENT.get() or current_rs()
    if b is _NO_ARG or more:
        args = (a,) if b is _NO_ARG else (a, b, *more)
        if admitting:
            for arg in args[1:]:
                t = type(arg)
                if t not in _SAFE and t not in _LIBRARY_TYPES:
                    admit(arg)
        return invoke(rs, func, args, _NO_KWARGS)
    if admitting:  # ``a`` is the ctx apply_function made (forward got it as it is)
        t = type(b)
        if t not in _SAFE and t not in _LIBRARY_TYPES:
            admit(b)
    local = {first: a, second: b}
""", scope={"_NO_ARG": _NO_ARG, "CURRENT": CURRENT, "current_rs": current_rs, "_SAFE": _SAFE,
            "_LIBRARY_TYPES": _LIBRARY_TYPES, "admit": admit, "invoke": invoke,
            "_NO_KWARGS": _NO_KWARGS, "located": located})


def apply_custom(rs: Any, cls: UserClass, args: tuple, kwargs: dict) -> Any:
    """``cls.apply(*args, **kwargs)`` by the class's :func:`function_plan` (what
    ``Function.apply`` does), or :data:`NO_PLAN` when it has none."""
    if cls._cache_version == CLASS_VERSION[0]:
        plan = cls._cache.get(_PLAN, _MISSING)
        if plan is _MISSING:
            plan = function_plan(cls)
    else:
        plan = function_plan(cls)
    if plan is None:
        return NO_PLAN
    bind = plan[5]
    if bind is not None:
        args = bind(args, kwargs)
    elif kwargs:
        args = bind_positions(cls.lookup("forward").func, args, kwargs)
    return apply_planned(rs, plan, args)


def apply_planned(rs: Any, plan: tuple, args: tuple) -> Any:
    """``apply`` of a :func:`function_plan` over arguments bound already: the output admitted
    and counted in the run's memory, an engine error converted."""
    try:
        out = apply_function(plan[0], plan[1], plan[2], args, setup_context=plan[3],
                             jvp=plan[4])
    except Exception as exc:
        raise convert_exception(exc, "apply", rs.limits) from None
    if type(out) is Tensor:
        rs.alloc += out._data.nbytes
        if rs.alloc > rs.alloc_budget:
            rs.allocated(0)
        return out
    return admit(out)


def bind_apply(cls: UserClass, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """``apply``'s arguments bound as torch binds them for a class without a plan (a hook
    that is not a plain static function, e.g. an ``@once_differentiable`` backward) whose
    ``forward`` is still the program's static function; as they are otherwise."""
    forward = cls.lookup("forward")
    if type(forward) is not StaticMethod or type(forward.func) is not Function:
        return args, kwargs
    if cls.lookup("setup_context") is not None:
        return bind_signature(forward.func, args, kwargs), {}
    if kwargs:
        return bind_positions(forward.func, args, kwargs), {}
    return args, kwargs


def _type_error(message: str) -> ProgramError:
    return ProgramError(message, exception="TypeError")


def bind_positions(forward: Function, args: tuple, kwargs: dict) -> tuple:
    """``apply``'s keywords put at the positions of ``forward(ctx, ...)``'s parameters of
    those names (a class without ``setup_context``), as the engine's ``Function.apply`` puts
    them."""
    return keywords_at_positions(forward.code.params[1:], args, kwargs)


def bind_signature(forward: Function, args: tuple, kwargs: dict) -> tuple:
    """``inspect.signature(forward).bind(*args, **kwargs)`` with the defaults applied, as
    positional arguments (a class with ``setup_context``); a keyword-only or ``**kwargs``
    parameter left over is refused as torch refuses it."""
    code = forward.code
    params, n = code.params, code.nparams
    given = len(args)
    for i in range(min(given, n)):
        if params[i] in kwargs:
            raise _type_error(f"multiple values for argument '{params[i]}'")
    if given > n and code.vararg is None:
        raise _type_error("too many positional arguments")
    rest = dict(kwargs)
    first_default = n - code.ndefaults
    out = list(args[:n])
    for i in range(given, n):
        name = params[i]
        if i < code.posonly and name in rest:
            raise _type_error(f"'{name}' parameter is positional only, but was passed as a "
                              "keyword")
        if name in rest:
            out.append(rest.pop(name))
        elif i >= first_default:
            out.append(forward.defaults[i - first_default])
        else:
            raise _type_error(f"missing a required argument: '{name}'")
    out.extend(args[n:])
    left_over = []
    for name in code.kwonly:
        if name in rest:
            rest.pop(name)
        elif name not in forward.kwdefaults:
            raise _type_error(f"missing a required argument: '{name}'")
        left_over.append(name)
    if rest and code.kwarg is None:
        raise _type_error(f"got an unexpected keyword argument '{next(iter(rest))}'")
    left_over.extend(rest)
    if left_over:  # what would be passed by keyword: torch's C++ apply refuses it
        raise _type_error(f"forward() got an unexpected keyword argument '{left_over[0]}'")
    return tuple(out)


__all__ = ["NO_PLAN", "PLAN_KEY", "apply_custom", "apply_function", "apply_planned", "bind_apply",
           "bind_positions", "bind_signature", "function_plan"]
