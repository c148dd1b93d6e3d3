"""The safe ``itertools`` module: Python's iterator building blocks as lazy interpreter
iterators.

Each is CPython's own ``itertools`` function over what the program gives it, wrapped in a
:class:`LangIterator` (so it prints without an address, as the language's values do). Pulling
items counts as the loop or builtin that pulls them counts; what must be held whole
(``product``'s and ``cycle``'s inputs, ``combinations``' pool) is materialized under the size
guard. A function a program passes (``accumulate``'s ``func``, ``groupby``'s ``key``,
``starmap`` ...) is called through the interpreter under the budget of the run that pulls the
item (an iterator kept in the session and resumed in a later run uses that run's).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from .errors import ProgramError
from .guards import size_guard
from .methods import iterate, materialize
from .runtime import RunState, current_rs
from .values import BuiltinFunction, BuiltinType, LangIterator


def _caller(func: Any) -> Callable[..., Any]:
    """``func`` as a Python callable that runs it in the run in progress."""
    from .objects import call_value

    return lambda *args: call_value(current_rs(), func, args, {})


def _lazy(kind: str, it: Iterator[Any]) -> LangIterator:
    return LangIterator(f"itertools.{kind}", it)


def _chain(rs: RunState, *iterables: Any) -> LangIterator:
    return _lazy("chain", itertools.chain.from_iterable(
        iterate(current_rs(), it) for it in iterables))


def _from_iterable(rs: RunState, iterables: Any) -> LangIterator:
    return _lazy("chain", itertools.chain.from_iterable(
        iterate(current_rs(), it) for it in iterate(rs, iterables)))


def _count(rs: RunState, start: Any = 0, step: Any = 1) -> LangIterator:
    return _lazy("count", itertools.count(start, step))


def _cycle(rs: RunState, iterable: Any) -> LangIterator:
    return _lazy("cycle", itertools.cycle(materialize(rs, iterable, "itertools.cycle()")))


def _repeat(rs: RunState, obj: Any, times: Any = None) -> LangIterator:
    return _lazy("repeat", itertools.repeat(obj) if times is None else
                 itertools.repeat(obj, times))


def _islice(rs: RunState, iterable: Any, *args: Any) -> LangIterator:
    return _lazy("islice", itertools.islice(iterate(rs, iterable), *args))


def _pools(rs: RunState, iterables: tuple, what: str) -> list[tuple]:
    return [tuple(materialize(rs, it, what)) for it in iterables]


def _product(rs: RunState, *iterables: Any, repeat: int = 1) -> LangIterator:
    pools = _pools(rs, iterables, "itertools.product()")
    if not isinstance(repeat, int) or repeat < 0:
        raise ProgramError("repeat argument cannot be negative", exception="ValueError")
    size_guard(rs, sum(len(p) for p in pools) * repeat, "itertools.product()")
    return _lazy("product", itertools.product(*pools, repeat=repeat))


def _r(rs: RunState, r: Any, n: int, what: str) -> int:
    if r is None:
        return n
    if not isinstance(r, int):
        raise ProgramError("Expected int as r", exception="TypeError")
    if r < 0:
        raise ProgramError("r must be non-negative", exception="ValueError")
    return r


def _combinations(rs: RunState, iterable: Any, r: Any) -> LangIterator:
    pool = tuple(materialize(rs, iterable, "itertools.combinations()"))
    return _lazy("combinations", itertools.combinations(pool, _r(rs, r, len(pool), "")))


def _combinations_with_replacement(rs: RunState, iterable: Any, r: Any) -> LangIterator:
    pool = tuple(materialize(rs, iterable, "itertools.combinations_with_replacement()"))
    return _lazy("combinations_with_replacement",
                 itertools.combinations_with_replacement(pool, _r(rs, r, len(pool), "")))


def _permutations(rs: RunState, iterable: Any, r: Any = None) -> LangIterator:
    pool = tuple(materialize(rs, iterable, "itertools.permutations()"))
    return _lazy("permutations", itertools.permutations(pool, _r(rs, r, len(pool), "")))


def _zip_longest(rs: RunState, *iterables: Any, fillvalue: Any = None) -> LangIterator:
    return _lazy("zip_longest", itertools.zip_longest(
        *[iterate(rs, it) for it in iterables], fillvalue=fillvalue))


def _accumulate(rs: RunState, iterable: Any, func: Any = None, *,
                initial: Any = None) -> LangIterator:
    from .builtins import py_add

    step = (lambda a, b: py_add(current_rs(), a, b)) if func is None else _caller(func)
    return _lazy("accumulate", itertools.accumulate(iterate(rs, iterable), step,
                                                    initial=initial))


def _groupby(rs: RunState, iterable: Any, key: Any = None) -> LangIterator:
    groups = itertools.groupby(iterate(rs, iterable), None if key is None else _caller(key))
    return _lazy("groupby", ((k, LangIterator("itertools._grouper", g)) for k, g in groups))


def _starmap(rs: RunState, function: Any, iterable: Any) -> LangIterator:
    return _lazy("starmap", itertools.starmap(_caller(function), iterate(rs, iterable)))


def _predicate(name: str) -> Callable[..., LangIterator]:
    fn = getattr(itertools, name)

    def make(rs: RunState, predicate: Any, iterable: Any) -> LangIterator:
        if name == "filterfalse" and predicate is None:
            return _lazy(name, fn(None, iterate(rs, iterable)))
        return _lazy(name, fn(_caller(predicate), iterate(rs, iterable)))

    return make


def _compress(rs: RunState, data: Any, selectors: Any) -> LangIterator:
    return _lazy("compress", itertools.compress(iterate(rs, data), iterate(rs, selectors)))


def _pairwise(rs: RunState, iterable: Any) -> LangIterator:
    return _lazy("pairwise", itertools.pairwise(iterate(rs, iterable)))


def _tee(rs: RunState, iterable: Any, n: int = 2) -> tuple:
    if not isinstance(n, int) or n < 0:
        raise ProgramError("n must be >= 0", exception="ValueError")
    size_guard(rs, n, "itertools.tee()")
    return tuple(_lazy("_tee", it) for it in itertools.tee(iterate(rs, iterable), n))


ITERTOOLS: dict[str, Any] = {name: BuiltinFunction(name, fn) for name, fn in (
    ("count", _count), ("cycle", _cycle), ("repeat", _repeat), ("islice", _islice),
    ("product", _product), ("combinations", _combinations),
    ("combinations_with_replacement", _combinations_with_replacement),
    ("permutations", _permutations), ("zip_longest", _zip_longest),
    ("accumulate", _accumulate), ("groupby", _groupby), ("starmap", _starmap),
    ("takewhile", _predicate("takewhile")), ("dropwhile", _predicate("dropwhile")),
    ("filterfalse", _predicate("filterfalse")), ("compress", _compress),
    ("pairwise", _pairwise), ("tee", _tee))}
#: ``chain`` is a class in Python (``chain.from_iterable``): a type here, not constructible
#: other than by calling it.
CHAIN = BuiltinType("chain", _chain, itertools.chain)
ITERTOOLS["chain"] = CHAIN
TYPE_ATTRIBUTES = {("chain", "from_iterable"): BuiltinFunction("from_iterable", _from_iterable)}
