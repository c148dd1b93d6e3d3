"""``:=`` (with Python's scoping in comprehensions) and ``match`` statements (literal, capture,
wildcard, or, sequence, mapping and class patterns on the program's and the library's types,
guards). Each case runs cell by cell in one session, in both forms (the source, and its JSON
form without it), and in CPython on torch; printed lines and errors (type and text) must agree.
CPython's compile-time refusals are the language's, in both forms."""

from __future__ import annotations

import pytest

from app.lang import (
    Environment,
    LangError,
    Limits,
    ProgramValidationError,
    compile_source,
    run_program,
)

from .conftest import our_cells, python_cells

torch = pytest.importorskip("torch")

FORMS = ["source", "json"]

WALRUS = {
    "a value and a binding": ["print((y := 10) + 1, y)", "print([n := 3, n ** 2])"],
    "while reading until None": [
        "it = iter([1, 2, 3])\ntotal = 0\nwhile (v := next(it, None)) is not None:\n"
        "    total += v\nprint(total, v)"],
    "in an if and its branch": [
        "xs = [1, 2, 3, 4]\nif (n := len(xs)) > 3:\n    print(f'long: {n}')"],
    "a comprehension binds the module's name": [
        "data = [1, 2, 3]\nprint([z for x in data if (z := x * 2) > 2], z)",
        "print(any((hit := v) > 2 for v in [1, 3, 5]), hit)"],
    "a comprehension in a function binds the function's local": [
        "def g():\n    ys = [(w := x) for x in range(3)]\n    return w, ys\nprint(g())",
        "def h():\n    [(q := x) for x in []]\n    return q\nh()"],
    "nested comprehensions bind the outer scope": [
        "def g():\n    m = [[(last := i * j) for j in range(3)] for i in range(3)]\n"
        "    return last, m\nprint(g())"],
    "a global declared in the function": [
        "count = 0\ndef g():\n    global count\n    [(count := count + x) for x in range(4)]\n"
        "g()\nprint(count)"],
    "a nonlocal declared in the function": [
        "def outer():\n    k = 0\n    def inner():\n        nonlocal k\n"
        "        [(k := k + 1) for _ in range(3)]\n    inner()\n    return k\nprint(outer())"],
    "a lambda's walrus is its own": [
        "f = lambda x: (tt := x * 2) + tt\nprint(f(3))",
        "tt"],
    "in a class body": ["class C:\n    a = (b := 4) * 2\nprint(C.a, C.b)"],
    "in a closure read later": [
        "def make():\n    fs = []\n    for i in range(3):\n        fs.append(lambda: (j := i))\n"
        "    return fs\nprint([f() for f in make()])"],
    "with tensors": [
        "x = torch.arange(4.0, requires_grad=True)\nif (s := (x * x).sum()) > 1:\n"
        "    s.backward()\nprint(s, x.grad)"],
}

MATCH = {
    "literals, singletons, or, as": [
        "def f(v):\n    match v:\n        case None:\n            return 'none'\n"
        "        case True:\n            return 'true'\n        case 0 | 1 as small:\n"
        "            return f'small {small}'\n        case 'a' | 'b':\n            return 'ab'\n"
        "        case -2.5:\n            return 'neg'\n"
        "        case _:\n            return 'other'\n"
        "for v in [None, True, False, 0, 1, 1.0, 'a', 'c', -2.5, 2]:\n    print(f(v))"],
    "captures and guards": [
        "def f(v):\n    match v:\n        case x if x > 10:\n            return f'big {x}'\n"
        "        case y:\n            return f'small {y}'\nprint(f(11), f(3))",
        "match 5:\n    case n if n < 0:\n        print('neg')\nprint(n)"],
    "sequences": [
        "def f(v):\n    match v:\n        case []:\n            return 'empty'\n"
        "        case [x]:\n            return f'one {x}'\n        case [x, y, *rest]:\n"
        "            return f'{x} {y} {rest}'\n        case _:\n            return 'no'\n"
        "for v in [[], [1], (1, 2), [1, 2, 3, 4], range(3), 'ab', {1: 2}, torch.Size([2, 3]),"
        " torch.ones(2), 7]:\n    print(f(v))",
        "match [1, 2, 3, 4, 5]:\n    case [first, *mid, last]:\n        print(first, mid, last)",
        "match (1, (2, 3)):\n    case (a, (b, c)):\n        print(a + b + c)",
        "match [1, 2]:\n    case [1, *_, 2]:\n        print('ends')"],
    "a failed pattern binds nothing": [
        "match [1, 2]:\n    case [x, 3]:\n        pass\n    case [1, y]:\n        print(y)",
        "print(x)"],
    "mappings": [
        "def f(v):\n    match v:\n        case {'a': 1, 'b': b}:\n            return f'b={b}'\n"
        "        case {'a': a, **rest}:\n            return f'a={a} rest={rest}'\n"
        "        case {}:\n            return 'a mapping'\n"
        "        case _:\n            return 'no'\n"
        "for v in [{'a': 1, 'b': 2}, {'a': 2, 'c': 3, 'd': 4}, {'z': 0}, [('a', 1)], 'a']:\n"
        "    print(f(v))",
        "from collections import OrderedDict, defaultdict\nd = defaultdict(int)\n"
        "match d:\n    case {'k': v}:\n        print('k', v)\n    case _:\n        print(len(d))"],
    "classes of the program": [
        "class P:\n    __match_args__ = ('x', 'y')\n    def __init__(self, x, y):\n"
        "        self.x, self.y = x, y\n"
        "class Q(P):\n    pass\n"
        "def f(v):\n    match v:\n        case Q(0, y):\n            return f'Q0 {y}'\n"
        "        case P(x=0, y=y):\n            return f'P0 {y}'\n        case P(a, b):\n"
        "            return f'P {a} {b}'\n        case object():\n            return 'object'\n"
        "for v in [Q(0, 1), P(0, 2), P(3, 4), 5]:\n    print(f(v))",
        "class N:\n    pass\nmatch N():\n    case N(1):\n        pass",
        "class M:\n    a = 1\nmatch M():\n    case M(b=1):\n        print('b')\n"
        "    case M(a=1):\n        print('a')",
        "match P(1, 2):\n    case P(1, 2, 3):\n        pass"],
    "dataclasses": [
        "from dataclasses import dataclass, field\n@dataclass\nclass Pt:\n    x: int\n"
        "    y: int = 0\n    z: int = field(default=0, kw_only=True)\n"
        "match Pt(1, 2, z=3):\n    case Pt(1, y, z=z):\n        print(y, z)",
        "@dataclass(match_args=False)\nclass R:\n    a: int\nmatch R(1):\n    case R(a):\n"
        "        pass"],
    "builtin and library types": [
        "def f(v):\n    match v:\n        case bool(b):\n            return f'bool {b}'\n"
        "        case int(n) | float(n):\n            return f'number {n}'\n"
        "        case str() as s:\n            return 's ' + s\n"
        "        case torch.Tensor(shape=torch.Size([2])):\n            return 'a pair tensor'\n"
        "        case torch.Tensor():\n            return 'a tensor'\n"
        "        case torch.nn.Linear(in_features=3, out_features=o):\n"
        "            return f'linear to {o}'\n        case list(xs):\n"
        "            return f'list {len(xs)}'\n        case _:\n            return 'other'\n"
        "for v in [True, 3, 2.5, 'x', torch.ones(2), torch.ones(3), torch.nn.Linear(3, 4),"
        " [1, 2], None]:\n    print(f(v))",
        "match 3:\n    case int(1, 2):\n        pass"],
    "errors of class patterns": [
        "f = len\nmatch 1:\n    case f():\n        pass",
        "match torch.ones(1):\n    case torch.Tensor(1):\n        pass"],
    "a tensor subject compared with a literal": [
        "match torch.tensor(1.0):\n    case 1:\n        print('one')",
        "match torch.ones(2):\n    case 1:\n        print('one')"],
    "control flow inside cases": [
        "out = []\nfor v in [1, 2, 3, 4]:\n    match v:\n        case 2:\n            continue\n"
        "        case 4:\n            break\n    out.append(v)\nprint(out)",
        "def gen(xs):\n    for x in xs:\n        match x:\n            case [a, b]:\n"
        "                yield a + b\n            case _:\n                yield x\n"
        "print(list(gen([[1, 2], 3, (4, 5)])))"],
    "nested match and walrus in a guard": [
        "def f(v):\n    match v:\n        case [x, *_] if (n := len(v)) > 2:\n"
        "            match x:\n                case int():\n"
        "                    return f'{n} ints'\n"
        "                case _:\n                    return f'{n} things'\n"
        "        case _:\n            return 'short'\nprint(f([1, 2, 3]), f(['a', 2, 3]), f([1]))"],
    "the subject is evaluated once": [
        "calls = []\ndef s():\n    calls.append(1)\n    return 3\nmatch s():\n    case 1:\n"
        "        pass\n    case 2:\n        pass\n    case _:\n        pass\nprint(len(calls))"],
}


def _torch_names() -> dict:
    return {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("title", list(WALRUS))
def test_walrus_as_python(title: str, form: str) -> None:
    cells = WALRUS[title]
    assert our_cells(cells, form) == python_cells(cells, _torch_names())


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("title", list(MATCH))
def test_match_as_python(title: str, form: str) -> None:
    cells = MATCH[title]
    assert our_cells(cells, form) == python_cells(cells, _torch_names())


#: Programs CPython refuses when it compiles them (its parser accepts them).
REFUSED = [
    "[i := 0 for i in range(3)]",
    "[j for j in (k := [1])]",
    "[j for j in range(3) for m in (k := [1])]",
    "class C:\n    y = [(z := i) for i in range(3)]",
    "match 1:\n    case x:\n        pass\n    case 1:\n        pass",
    "match 1:\n    case _:\n        pass\n    case 1:\n        pass",
    "match 1:\n    case x | 1:\n        pass",
    "match 1:\n    case [x, x]:\n        pass",
    "match 1:\n    case [x] | [y]:\n        pass",
    "match 1:\n    case {'a': 1, 'a': 2}:\n        pass",
]


def _cpython_message(source: str) -> str:
    with pytest.raises(SyntaxError) as info:
        compile(source, "<cell>", "exec")
    return info.value.msg


@pytest.mark.parametrize("source", REFUSED)
def test_compile_time_refusals_are_cpythons(source: str) -> None:
    message = _cpython_message(source)
    with pytest.raises(LangError) as info:  # the source form: CPython's own check
        compile_source(source)
    assert info.value.code == "syntax_error" and info.value.detail.endswith(message)
    json_form = _json_of(source)
    with pytest.raises(ProgramValidationError) as refused:  # the JSON form: ours, same text
        run_program(json_form, Environment(), Limits())
    assert refused.value.detail == message


def _json_of(source: str) -> list:
    """The JSON form of a program CPython refuses to compile, made from a variant it accepts
    (the same tree with a placeholder the refusal does not depend on)."""
    from app.lang import compiler

    tree = compiler.ast.parse(source)
    sc = compiler.SourceCompiler()
    return sc.block(tree.body, "#/program", {"loop": False, "func": False, "cls": False})


def test_a_guard_that_fails_keeps_its_bindings_and_the_next_case_runs(form) -> None:
    out = form("match [1, 2]:\n    case [a, b] if a > b:\n        r = 'first'\n"
               "    case [a, b]:\n        r = 'second'\nprint(a, b, r)")
    assert out.printed == ["1 2 second"]


def test_no_case_matches_and_nothing_is_bound(form) -> None:
    env = Environment()
    form("match 3:\n    case [q]:\n        pass\n    case {'k': q}:\n        pass", env)
    assert "q" not in env.variables
