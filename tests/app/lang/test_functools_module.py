"""``functools``' ``lru_cache``, ``cache``, ``wraps`` and ``update_wrapper`` as CPython's, in
both forms; their caches counted (entries, memory) and their calls bounded; kept across runs."""

from __future__ import annotations

import re

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "import functools\nfrom functools import lru_cache, cache, wraps",
    "@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    "print(fib(30), fib.cache_info())",
    "print(fib, fib.__name__, type(fib))",
    "@cache\ndef sq(x):\n    'square'\n    return x * x\n"
    "print(sq(3), sq(3), sq.cache_info(), sq.__doc__)",
    "sq.cache_clear()\nprint(sq.cache_info(), sq.cache_parameters())",
    "@lru_cache\ndef g(x, y=1):\n    return x + y\n"
    "print(g(1), g(1, y=1), g(y=1, x=1), g(1), g.cache_info())",
    "@functools.lru_cache(maxsize=2)\ndef h(x):\n    return x\nfor i in [1, 2, 1, 3, 1, 2]:\n"
    "    h(i)\nprint(h.cache_info())",
    "@lru_cache(maxsize=0)\ndef z(x):\n    return x\nz(1)\nz(1)\nprint(z.cache_info())",
    "@lru_cache(maxsize=-3, typed=True)\ndef t(x):\n    return x\nprint(t.cache_parameters())",
    "@lru_cache(typed=True)\ndef ty(x):\n    return x\nty(1)\nty(1.0)\nty(True)\n"
    "print(ty.cache_info())",
    "@lru_cache\ndef un(x):\n    return x\nprint(un(1.0), un(1), un.cache_info())",
    "class A:\n    @lru_cache(maxsize=None)\n    def f(self, x):\n        return x * 2\n"
    "a = A()\nprint(a.f(2), a.f(2), A.f.cache_info())",
    "def deco(fn):\n    @wraps(fn)\n    def inner(*args, **kwargs):\n"
    "        return fn(*args, **kwargs)\n"
    "    return inner\n@deco\ndef named(x):\n    'the doc'\n    return x\n"
    "print(named.__name__, named.__qualname__, named.__doc__, named(5), named)",
    "def plain():\n    pass\nprint(functools.update_wrapper(plain, named).__name__, plain.__doc__)",
    "def other():\n    pass\nfunctools.update_wrapper(other, named, assigned=('__name__',))\n"
    "print(other.__name__, other.__doc__, other.__qualname__)",
    "g([1])",
    "info = g.cache_info()\nprint(info.hits, info[1], type(info).__name__, info)",
    "print(lru_cache(maxsize=3))",
    "lru_cache('x')",
    "print(functools.reduce(lambda a, b: a * b, range(1, 6)), functools.partial(max, 1)(0))",
    "print(type(functools.partial(max, 1)))",
    "print(fib(31), fib.cache_info().currsize)",
]


def _no_addresses(cells: list[tuple]) -> list[tuple]:
    """CPython's reprs without their addresses (the language's have none)."""
    return [([re.sub(r" at 0x[0-9a-f]+", "", line) for line in printed], error)
            for printed, error in cells]


@pytest.mark.parametrize("form", ["source", "json"])
def test_functools_as_cpython(form):
    assert our_cells(CELLS, form) == _no_addresses(python_cells(CELLS))


def _run(source: str, env: Environment | None = None, **limits):
    return run_program(compile_source(source), env or Environment(), Limits(**limits),
                       source=source)


def _limit(source: str, **limits) -> str:
    with pytest.raises(LangError) as info:
        _run(source, **limits)
    return info.value.extra.get("limit") or info.value.extra.get("exception")


def test_a_cache_lasts_across_runs():
    env = Environment()
    _run("from functools import cache\n@cache\ndef f(x):\n    print('computing', x)\n"
         "    return x\nf(1)", env)
    assert _run("f(1)\nf(2)\nprint(f.cache_info())", env).printed == [
        "computing 2", "CacheInfo(hits=1, misses=2, maxsize=None, currsize=2)"]


@pytest.mark.parametrize(("source", "limits", "limit"), [
    # an unbounded cache is held to max_value_elements entries
    ("from functools import cache\nf = cache(lambda x: x)\nfor i in range(10 ** 6):\n    f(i)",
     {"max_value_elements": 1000}, "max_value_elements"),
    # what it keeps is in the session's memory: tensors no variable holds
    ("import torch\nfrom functools import cache\nf = cache(lambda i: torch.zeros(100_000))\n"
     "for i in range(20):\n    f(i)", {"max_session_bytes": 2_000_000}, "max_session_bytes"),
    ("from functools import cache\n@cache\ndef f(n):\n    return f(n + 1)\nf(0)", {},
     "max_recursion_depth"),
    ("from functools import lru_cache\nclass K:\n    def __hash__(self):\n        while True:\n"
     "            pass\nlru_cache(lambda k: k)(K())", {"max_steps": 1000}, "max_steps"),
    ("from functools import lru_cache\nf = lru_cache(maxsize=None)(lambda x: x)\nwhile True:\n"
     "    f(1)", {"max_steps": 1000}, "max_steps"),
])
def test_caches_are_bounded(source, limits, limit):
    assert _limit(source, **limits) == limit


@pytest.mark.parametrize(("source", "text"), [
    ("import functools, torch\nfunctools.wraps(torch.tanh)(lambda x: x)", "library function"),
    ("import functools\nfunctools.update_wrapper(max, lambda: 1)", "must be a function"),
    ("import functools\nfunctools.lru_cache(lambda: 1).__wrapped__", "dunder"),
    ("import functools\nf = functools.lru_cache(lambda: 1)\nf.cache", "has no attribute"),
    ("import functools\nf = functools.lru_cache(lambda: 1)\nf.func", "has no attribute"),
])
def test_no_python_object_leaks(source, text):
    with pytest.raises(LangError) as info:
        _run(source)
    assert text in info.value.detail


def test_wraps_makes_the_session_replayed_not_snapshotted():
    from app.services import snapshots

    env = Environment()
    _run("import functools\ndef a():\n    'doc a'\ndef b():\n    pass\n"
         "functools.update_wrapper(b, a)", env)
    with pytest.raises(snapshots.NotPlain):
        snapshots.capture(env)
