"""Binding plans (``values.binding_plan``): a call with keywords written out (``f(y,
shift=0.1)``) or with fewer positional arguments than parameters binds through a plan made
once per code and call shape, and a call site keeps the plan of the code it called last.
Every binding a plan makes, and every error it declines to make (then Python's text from
``bind``), must be what CPython does: each case runs cell by cell in one session, in both
forms, and in CPython; printed lines and errors (type and text) must agree. The same site
calls functions of different codes, of one code with different defaults, and fails after it
succeeded, so a kept plan is never used for a call it does not describe."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, parse_source, run_program
from app.lang.values import MAX_PLANS, Code

from .conftest import our_cells, python_cells

LIMITS = Limits()
torch = pytest.importorskip("torch")


def _python(cells: list[str]) -> list[tuple]:
    return python_cells(cells, {"torch": torch})


def _ours(cells: list[str], form: str) -> list[tuple]:
    return our_cells(cells, form, LIMITS)


SIGNATURES = """
def d1(y, scale=2, *, shift=0):
    return (y, scale, shift)
def d2(a, b=1, c=2):
    return (a, b, c)
def d3(a, *, k):
    return (a, k)
def d4(*args, **kwargs):
    return (args, sorted(kwargs.items()), list(kwargs))
def d5(a, b=5, *rest, k=7, **extra):
    return (a, b, rest, k, list(extra.items()))
def d6(x, shift=0):
    return ('d6', x, shift)
def gen(n, step=1, *, start=0):
    i = start
    while i < n:
        yield i
        i += step
"""

CALLS = [
    "d1(1, shift=3)", "d1(1, scale=4)", "d1(y=1, shift=2)", "d1(1, 2, shift=3)",
    "d1(shift=1, y=2)", "d1(1, 2)", "d1(1)", "d1(1, y=2)", "d1(1, shift=1, zz=2)",
    "d1(scale=2)", "d1(1, 2, 3)", "d1()",
    "d2(1)", "d2(1, c=5)", "d2(1, b=4)", "d2(c=1, a=2)", "d2(b=1)", "d2(1, 2, 3, 4)",
    "d2(1, a=1)", "d2(1, d=1)",
    "d3(1, k=2)", "d3(1)", "d3(k=1)", "d3(1, 2)", "d3(a=1, k=2)",
    "d4()", "d4(1, 2)", "d4(1, q=2, a=3)", "d4(a=1)",
    "d5(1)", "d5(1, 2, 3, 4)", "d5(1, k=0)", "d5(1, z=3, b=2)", "d5(b=2)",
    "d5(1, 2, 3, k=4, j=5, i=6)", "d5(a=1, extra=2)",
    "list(gen(5))", "list(gen(5, step=2))", "list(gen(9, 3, start=1))", "list(gen(5, start=2))",
    "list(gen())", "list(gen(5, stop=1))",
]


def _case(call: str) -> list[str]:
    # each call twice at one site (a loop: the second call uses the site's kept plan)
    return [SIGNATURES, f"for _ in range(2):\n    print({call})"]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("form", ["source", "json"])
def test_calls_bind_as_python(call: str, form: str) -> None:
    cells = _case(call)
    assert _ours(cells, form) == _python(cells)


SITES = {
    "one site calls different codes and one code with different defaults": [
        SIGNATURES + """
def make(s):
    def f(y, scale=s, *, shift=-s):
        return (y, scale, shift)
    return f
fs = [make(1), make(2), d1, make(3)]
""",
        "for f in fs:\n    g = f\n    print(g(0, shift=9), g(1))",
        "out = []\nfor i in range(6):\n    h = fs[i % 4]\n    out.append(h(i, scale=i))\n"
        "print(out)",
    ],
    "a site that succeeded, then fails, then succeeds": [
        SIGNATURES,
        "fs = [d1, d3, d1, d2]\nfor f in fs:\n    try:\n        g = f\n"
        "        print(g(1, shift=2))\n    except TypeError as e:\n        print('E', e)",
        "for f in [d6, d1, d6]:\n    g = f\n    print(g(1, shift=5))",
    ],
    "a global rebound between calls of one site": [
        SIGNATURES,
        "def f(y, shift=0):\n    return ('a', y, shift)\ndef call():\n    return f(1, shift=2)",
        "print(call())",
        "def f(y, *, shift):\n    return ('b', y, shift)\nprint(call())",
        "def f(y):\n    return y\nprint(call())",
        "f = d4\nprint(call())",
        "f = dict\nprint(call())",
        "del f\nprint(call())",
    ],
    "methods, lambdas and closures with defaults": [
        "class A:\n    def m(self, a, b=2, *, c=3):\n        return (a, b, c)\n"
        "    def n(self, *a, **k):\n        return (a, k)\n"
        "x = A()\nfor i in range(2):\n    print(x.m(1), x.m(1, c=4), x.n(1, z=2), A.m(x, 5))",
        "lam = lambda a, b=4, **k: (a, b, k)\nfor i in range(2):\n"
        "    print(lam(1), lam(1, q=1), lam(a=2, b=1))",
        "def outer(k):\n    def inner(a, b=k):\n        return a + b\n    return inner\n"
        "f1 = outer(10)\nf2 = outer(20)\nprint([f(1) for f in [f1, f2, f1]])",
        "x.m()",
        "lam(1, 2, 3)",
    ],
    "one method site: overrides, a shadowing attribute, other receivers": [
        "class A:\n    def m(self, a, b=2, *, c=3):\n        return ('A', a, b, c)\n"
        "class B(A):\n    def m(self, a, *, c=0, **k):\n        return ('B', a, c, k)\n"
        "class C(A):\n    def m(self, a, c):\n        return ('C', a, c)\n"
        "class D:\n    pass\n"
        "d = D()\nd.m = lambda a, c=1: ('attr', a, c)\n",
        "for o in [A(), B(), A(), C(), d, B()]:\n    try:\n        print(o.m(1, c=5))\n"
        "    except TypeError as e:\n        print('E', e)",
        "class Sp:\n    def split(self, sep=None, *, c=0):\n        return ('Sp', sep, c)\n"
        "for o in ['abc', Sp(), 'xbz', Sp(), [1]]:\n    try:\n"
        "        print(o.split(sep='b'))\n"
        "    except (TypeError, AttributeError) as e:\n        print(type(e).__name__, e)",
        "for o in [torch.ones(2, 3), A()]:\n    print(o.sum(dim=0) if type(o) is not A else 0)",
        "xs = [3, 1, 2]\nfor i in range(2):\n    xs.sort(reverse=i == 0)\n    print(xs)",
        "o = A()\nfor kw in range(2):\n    print(o.m(a=kw, c=kw + 10), o.m(kw, b=kw))",
        "A().m(1, d=2)",
        "A().m(c=2)",
    ],
    "recursion through a keyword call": [
        "def r(n, *, acc=0):\n    return acc if n == 0 else r(n - 1, acc=acc + n)\nprint(r(10))",
    ],
}


@pytest.mark.parametrize("title", list(SITES))
@pytest.mark.parametrize("form", ["source", "json"])
def test_sites_as_python(title: str, form: str) -> None:
    cells = SITES[title]
    assert _ours(cells, form) == _python(cells)


def test_recursion_through_a_planned_call_hits_the_depth_limit() -> None:
    env = Environment()
    program = "def r(n, *, acc=0):\n    return r(n + 1, acc=acc)\nr(0)"
    with pytest.raises(LangError) as info:
        run_program(parse_source(program), env, Limits(max_recursion_depth=40), source=program)
    assert info.value.extra.get("limit") == "max_recursion_depth" or \
        "max_recursion_depth" in info.value.detail


def test_plans_are_bounded_per_code() -> None:
    """A code called in more shapes than MAX_PLANS keeps MAX_PLANS plans and binds the rest
    the general way (still as Python)."""
    env = Environment()
    shapes = [f"f(*range({i}))" for i in range(1, 30)]
    source = ("def f(a=0, b=1, c=2, d=3, *rest, **kw):\n    return (a, b, c, d, rest, kw)\n"
              + "\n".join(f"print({s})" for s in shapes))
    result = run_program(parse_source(source), env, LIMITS, source=source)
    assert result.printed == _python([source])[0][0]
    f = env.variables["f"]
    assert isinstance(f.code, Code)
    assert len(f.code.plans) == MAX_PLANS
