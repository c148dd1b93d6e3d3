"""``functools``' caches and wrappers as the language's values: ``lru_cache``, ``cache``,
``wraps`` and ``update_wrapper`` (``partial`` and ``reduce`` are in :mod:`app.lang.pymodules`).

A cached function (:class:`CachedFunction`) is CPython's ``_lru_cache_wrapper`` written over
the interpreter: each miss calls the program's function through the interpreter (its steps
and depth counted as any call), a hit runs nothing; keys are made as CPython makes them (the
arguments, keywords in order, their types with ``typed=True``), hashed by Python (a program's
``__hash__``/``__eq__`` run under the run's budget; a list argument is CPython's
``unhashable type`` TypeError). An unbounded cache (``maxsize=None``, ``cache``) is held to
``max_value_elements`` entries, and every entry (its arguments and its value) is in the
session's memory walk. In a class body it binds to the instance as CPython's does. It keeps
its entries across runs, as a notebook kernel keeps a cached function's.

``wraps(wrapped)(wrapper)`` copies ``__name__``, ``__qualname__`` and ``__doc__`` onto a
program's function, as ``update_wrapper`` does with its default ``assigned``; ``__module__``
(always ``__main__`` here), ``__annotations__`` (not kept) and ``__wrapped__``/``__dict__``
(dunders a program cannot read) have nothing to show.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

from .errors import ProgramError
from .guards import size_guard
from .runtime import RunState
from .values import BuiltinFunction, Function, Partial, UserClass

_KWD_MARK = object()  # separates positional arguments from keywords in a key (as CPython's)


def _key(args: tuple, kwargs: dict, typed: bool) -> Any:
    key: tuple = args
    if kwargs:
        key += (_KWD_MARK,)
        for item in kwargs.items():
            key += item
    if typed:
        key += tuple(type(v) for v in args)
        if kwargs:
            key += tuple(type(v) for v in kwargs.values())
    elif len(key) == 1 and type(key[0]) in (int, str):
        return key[0]
    return key


class CachedFunction(BuiltinFunction):
    """``lru_cache(maxsize, typed)(func)``: ``func`` with a cache of its results."""

    __slots__ = ("func", "maxsize", "typed", "cache", "hits", "misses", "qualname", "doc")

    def __init__(self, func: Any, maxsize: int | None, typed: bool) -> None:
        from .objects import name_of, qualname_of

        super().__init__(name_of(func), self._call)
        self.func, self.maxsize, self.typed = func, maxsize, typed
        self.qualname = qualname_of(func)
        self.doc = func.doc if isinstance(func, Function) else None
        self.cache: OrderedDict[Any, Any] = OrderedDict()
        self.hits = self.misses = 0

    def _call(self, rs: RunState, *args: Any, **kwargs: Any) -> Any:
        from .objects import call_value

        if self.maxsize == 0:
            self.misses += 1
            return call_value(rs, self.func, args, kwargs)
        key = _key(args, kwargs, self.typed)
        cache = self.cache
        try:
            value = cache[key]
        except KeyError:
            pass
        else:
            self.hits += 1
            cache.move_to_end(key)
            return value
        self.misses += 1
        value = call_value(rs, self.func, args, kwargs)
        if key in cache:  # the call itself cached it (recursion)
            return value
        if self.maxsize is None:
            size_guard(rs, len(cache) + 1, "an lru_cache")
        cache[key] = value
        if self.maxsize is not None and len(cache) > self.maxsize:
            cache.popitem(last=False)
        return value

    def __repr__(self) -> str:
        return "<functools._lru_cache_wrapper object>"


def _cache_info(rs: RunState, self: CachedFunction) -> Any:
    return functools._CacheInfo(self.hits, self.misses, self.maxsize, len(self.cache))


def _cache_clear(rs: RunState, self: CachedFunction) -> None:
    self.cache.clear()
    self.hits = self.misses = 0


def _cache_parameters(rs: RunState, self: CachedFunction) -> dict:
    return {"maxsize": self.maxsize, "typed": self.typed}


#: the methods of a cached function (``f.cache_info()``)
CACHED_FUNCTION_METHODS = {"cache_info": _cache_info, "cache_clear": _cache_clear,
                           "cache_parameters": _cache_parameters}


class _Decorating(BuiltinFunction):
    """What ``lru_cache(maxsize)`` returns: the decorator, printed as CPython's."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<function lru_cache.<locals>.decorating_function>"


def _decorator(maxsize: int | None, typed: bool) -> BuiltinFunction:
    def decorate(rs: RunState, func: Any) -> CachedFunction:
        return CachedFunction(func, maxsize, typed)

    return _Decorating("decorating_function", decorate)


def _lru_cache(rs: RunState, maxsize: Any = 128, typed: Any = False) -> Any:
    """``lru_cache(maxsize=128, typed=False)`` (a decorator) or ``lru_cache(func)``."""
    from .builtins import _callable

    if isinstance(maxsize, int) and not isinstance(maxsize, bool):
        return _decorator(max(maxsize, 0), bool(typed))
    if maxsize is not None and _callable(rs, maxsize) and not isinstance(maxsize, bool):
        return CachedFunction(maxsize, 128, bool(typed))
    if maxsize is not None:
        raise ProgramError("Expected first argument to be an integer, a callable, or None",
                           exception="TypeError")
    return _decorator(None, bool(typed))


def _cache(rs: RunState, user_function: Any) -> CachedFunction:
    return CachedFunction(user_function, None, False)


_ASSIGNED = ("__module__", "__name__", "__qualname__", "__annotations__", "__doc__")


def _update_wrapper(rs: RunState, wrapper: Any, wrapped: Any, assigned: Any = _ASSIGNED,
                    updated: Any = ("__dict__",)) -> Any:
    """``functools.update_wrapper``: ``wrapped``'s name, qualified name and docstring onto
    ``wrapper``, a program's function (or a cached function)."""
    from .methods import materialize
    from .objects import doc_of, name_of, qualname_of

    if not isinstance(wrapper, (Function, CachedFunction)):
        raise ProgramError("functools.update_wrapper()/wraps(): the wrapper must be a function "
                           "the program defined", exception="NotImplementedError")
    names = materialize(rs, assigned, "update_wrapper()")
    if "__name__" in names:
        try:
            wrapper.name = name_of(wrapped)
        except ProgramError:
            pass  # CPython skips what ``wrapped`` lacks
    if "__qualname__" in names:
        try:
            wrapper.qualname = qualname_of(wrapped)
        except ProgramError:
            pass
    if "__doc__" in names:
        if not isinstance(wrapped, (Function, CachedFunction, UserClass)) or \
                isinstance(wrapped, UserClass) and wrapped.builtin:
            raise ProgramError("functools.wraps()/update_wrapper() of a library function is "
                               "not supported: its __doc__ is torch's or Python's, which "
                               "programs cannot read here", exception="NotImplementedError")
        wrapper.doc = doc_of(wrapped)
    return wrapper


_UPDATE_WRAPPER = BuiltinFunction("update_wrapper", _update_wrapper)


def _wraps(rs: RunState, wrapped: Any, assigned: Any = _ASSIGNED,
           updated: Any = ("__dict__",)) -> Partial:
    """CPython's: ``partial(update_wrapper, wrapped=..., assigned=..., updated=...)``."""
    return Partial(_UPDATE_WRAPPER, (), {"wrapped": wrapped, "assigned": assigned,
                                         "updated": updated})


FUNCTOOLS_MORE: dict[str, Any] = {
    "lru_cache": BuiltinFunction("lru_cache", _lru_cache),
    "cache": BuiltinFunction("cache", _cache),
    "wraps": BuiltinFunction("wraps", _wraps),
    "update_wrapper": _UPDATE_WRAPPER}


def _register_methods() -> None:
    from . import methods

    methods._TABLES[CachedFunction] = CACHED_FUNCTION_METHODS


_register_methods()
CachedFunction.__name__ = CachedFunction.__qualname__ = "_lru_cache_wrapper"
CachedFunction.__module__ = "functools"  # type(f) prints <class 'functools._lru_cache_wrapper'>
