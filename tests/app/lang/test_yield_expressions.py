"""``yield`` inside larger expressions (``total += (yield x)``, ``f((yield))``, ``a = b = yield
v``, ``x or (yield)``, ``while (v := (yield)) is not None``): the JSON form's ``{"yield": v}``
expression node, lowered by the interpreter into hidden temporaries in CPython's order; in both
forms, compared with CPython running the same cells; refusals and limits."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, compile_source, parse_program, run_program

from .conftest import our_cells, python_cells

CELLS = [
    # the running average of a coroutine (Fluent Python's averager)
    "def averager():\n    total = count = 0\n    average = None\n    while True:\n"
    "        term = yield average\n        total += term\n        count += 1\n"
    "        average = total / count\n"
    "def acc():\n    total = 0\n    while True:\n        total += (yield total)\n"
    "g = acc()\nprint(next(g), g.send(2), g.send(5))",
    "def p():\n    print('got', (yield 1), (yield 2))\n    return 'r'\nq = p()\n"
    "print(next(q), q.send('a'))\ntry:\n    q.send('b')\nexcept StopIteration as e:\n"
    "    print('stop', e.value)",
    "def gen():\n    a = b = yield 1\n    print(a, b, a is b)\ng = gen()\nnext(g)\ntry:\n"
    "    g.send([3])\nexcept StopIteration:\n    pass",
    # short-circuits and conditional expressions evaluate what CPython evaluates
    "def f():\n    x = (yield) or 'default'\n    y = 'set' if (yield) else (yield 'ask')\n"
    "    print(x, y)\ng = f()\nnext(g)\ng.send(None)\nprint(g.send(0))\ntry:\n"
    "    g.send('z')\nexcept StopIteration:\n    pass",
    "def both():\n    x = (yield 1) and (yield 2)\n    print('x', x)\ng = both()\nnext(g)\n"
    "try:\n    print(g.send(0))\nexcept StopIteration:\n    pass\ng = both()\nnext(g)\n"
    "print(g.send(1))\ntry:\n    g.send(3)\nexcept StopIteration:\n    pass",
    "def chain():\n    r = (yield 'a') or (yield 'b') or (yield 'c') or 'none'\n    print(r)\n"
    "for sends in ([0, 0, 0], [0, 5], [7]):\n    c = chain()\n    asked = [next(c)]\n"
    "    try:\n        for s in sends:\n            asked.append(c.send(s))\n"
    "    except StopIteration:\n        pass\n    print(asked)",
    # a while test with a yield runs it before each test; its else clause stays its own
    "def w():\n    n = 0\n    while (v := (yield n)) is not None:\n        n += v\n"
    "    else:\n        print('else', n)\ng = w()\nprint(next(g), g.send(1), g.send(2))\n"
    "try:\n    g.send(None)\nexcept StopIteration:\n    print('done')",
    # items, attributes, augmented: CPython's order (value, object, key; object, key, item,
    # value)
    "def lst():\n    d = {}\n    d[(yield 'k')] = (yield 'v')\n    xs = [0, 1]\n"
    "    xs[0] += (yield 'inc')\n    print(d, xs)\n    return [x for x in (yield 'it')]\n"
    "g = lst()\nprint(next(g), g.send('key'), g.send('val'), g.send(10))\ntry:\n"
    "    g.send([1, 2])\nexcept StopIteration as e:\n    print(e.value)",
    "class O:\n    pass\ndef sa():\n    o = O()\n    o.a = 1\n    o.a += (yield)\n"
    "    o.b = (yield)\n    print(o.a, o.b)\ng = sa()\nnext(g)\ng.send(5)\ntry:\n"
    "    g.send(6)\nexcept StopIteration:\n    pass",
    "def order():\n    log = []\n    def f(v):\n        log.append(v)\n        return v\n"
    "    r = f(1) + (yield f(2)) + f(3)\n"
    "    d = {f('k1'): f('v1'), f('k2'): (yield), **{f('k3'): 3}}\n"
    "    print(log, r, d)\ng = order()\nprint(next(g))\ng.send(10)\ntry:\n"
    "    g.send('v2')\nexcept StopIteration:\n    pass",
    "def unpack():\n    xs = [1, 2]\n    def it():\n        yield from xs\n"
    "    print(*it(), (yield), sep='-')\ng = unpack()\nnext(g)\ntry:\n    g.send(3)\n"
    "except StopIteration:\n    pass",
    # yield from as a value: what the inner generator returned
    "def yf():\n    r = 1 + (yield from iter([1, 2]))\ng = yf()\nprint(list(g))",
    "def inner():\n    yield 1\n    return 5\n"
    "def outer():\n    print('r', 10 * (yield from inner()))\n"
    "print(list(outer()))",
    "def ret():\n    return (yield 1) * 2\ng = ret()\nnext(g)\ntry:\n    g.send(21)\n"
    "except StopIteration as e:\n    print(e.value)",
    "def cond():\n    if (yield 'q'):\n        print('yes')\n    else:\n        print('no')\n"
    "    for i in (yield 'range'):\n        print(i)\n    with (yield 'ctx') as c:\n"
    "        print('in', c)\nimport contextlib\nc = cond()\nnext(c)\nc.send(1)\n"
    "c.send([7, 8])\ntry:\n    c.send(contextlib.nullcontext('n'))\nexcept StopIteration:\n"
    "    pass",
    "def yy():\n    yield (yield 1)\ng = yy()\nprint(next(g), g.send(2))",
    "def raiser():\n    raise ValueError((yield 'msg'))\n"
    "g = raiser()\nnext(g)\ng.send('from a send')",
    # thrown in at a yield inside an expression
    "def th():\n    try:\n        x = [(yield 1), (yield 2)]\n    except ValueError as e:\n"
    "        print('caught', e)\n        yield 'after'\ng = th()\nnext(g)\n"
    "print(g.throw(ValueError('v')))",
    "def err():\n    x = 1 + (yield)\ng = err()\nnext(g)\ng.send('s')",
    "def m():\n    match (yield 'subject'):\n        case [a, b]:\n"
    "            print('pair', a, b)\n"
    "        case _:\n            print('other')\ng = m()\nnext(g)\ntry:\n    g.send((1, 2))\n"
    "except StopIteration:\n    pass",
    "import torch\ndef grads():\n    w = torch.ones(2, requires_grad=True)\n"
    "    loss = (w * (yield 'x')).sum()\n    loss.backward()\n    print(w.grad)\n"
    "g = grads()\nnext(g)\ntry:\n    g.send(torch.tensor([2.0, 3.0]))\n"
    "except StopIteration:\n    pass",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_yield_expressions_run_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_yield_expressions_are_json_nodes():
    body = compile_source("def g():\n    total += (yield 1)\n    print((yield))\n"
                          "    a = b = yield from h()")[0]["body"]
    assert body == [
        {"assign": "total", "value": {"call": "iadd", "args": [{"var": "total"},
                                                               {"yield": 1}]}},
        {"expr": {"call": "print", "args": [{"yield": None}]}},
        {"assign": "a", "also": ["b"], "value": {"yield_from": {"call": "h"}}}]


def test_a_generator_suspended_inside_an_expression_finishes_in_a_later_run():
    env = Environment()
    run_program(compile_source("log = []\ndef f(v):\n    log.append(v)\n    return v\n"
                               "def g():\n    return f('a') + (yield) + f('c')\n"
                               "it = g()\nnext(it)"), env)
    source = "try:\n    it.send('b')\nexcept StopIteration as e:\n    print(e.value, log)"
    assert run_program(compile_source(source), env).printed == ["abc ['a', 'c']"]


def test_hidden_temporaries_are_dropped_when_the_statement_is_done():
    env = Environment()
    run_program(compile_source("def g():\n    x = [0] * 10 + (yield)\n    yield 'between'\n"
                               "it = g()\nnext(it)"), env)
    frame = env.variables["it"].frame
    assert any(name.startswith(".") for name in frame.locals)  # held across the suspension
    run_program(compile_source("it.send([1])"), env)
    assert not any(name.startswith(".") for name in frame.locals)
    assert frame.locals["x"] == [0] * 10 + [1]


@pytest.mark.parametrize(("source", "message", "line"), [
    ("def g():\n    f = lambda: (yield)", "'yield' inside a lambda is not supported", 2),
    ("def g():\n    return [(yield) for x in y]", "'yield' inside list comprehension", 2),
    ("def g():\n    return ((yield) for x in y)", "'yield' inside generator expression", 2),
    ("x = print((yield))", "'yield' outside function", 1),
    ("class A:\n    x = f((yield))", "'yield' outside function", 2),
    ("def g():\n    assert x, (yield)",
     "'yield' inside an assert statement's message is not supported", 2),
    ("def g():\n    def f(a=(yield)):\n        pass",
     "'yield' inside a default value is not supported", 2),
    ("def g():\n    for (yield).x in y:\n        pass",
     "'yield' inside a for loop's target is not supported", 2),
    ("def g():\n    match x:\n        case 1 if (yield):\n            pass",
     "'yield' inside a match guard is not supported", 2),
    ("def g():\n    try:\n        pass\n    except (yield):\n        pass",
     "'yield' inside an except clause is not supported", 2),
    ("def g():\n    (yield).a = b = 1", "'yield' inside an assignment target is not supported", 2),
])
def test_a_yield_where_it_is_not_lowered_is_a_syntax_error(source, message, line):
    with pytest.raises(LangError) as info:
        compile_source(source)
    assert info.value.code == "syntax_error"
    assert info.value.detail == f"line {line}: {message}" and info.value.extra["line"] == line


@pytest.mark.parametrize(("program", "pointer", "message"), [
    ([{"expr": {"yield": 1}}], "#/program/0", "'yield' outside function"),
    ([{"expr": 1}, {"assign": "x", "value": {"yield": 1}}], "#/program/1",
     "'yield' outside function"),
    ([{"def": "g", "params": [], "body": [
        {"expr": {"lambda": [], "body": {"yield": None}}}]}], "#/program/0/body/0",
     "'yield' inside a lambda is not supported"),
    ([{"def": "g", "params": [], "body": [
        {"assign": {"index": {"var": "d"}, "key": {"yield": 1}}, "value": 1}]}],
     "#/program/0/body/0", "'yield' inside an assignment target is not supported"),
    ([{"class": "A", "body": [{"expr": {"call": "print", "args": [{"yield": 1}]}}]}],
     "#/program/0", "'yield' outside function"),
])
def test_the_json_form_refuses_the_same_places(program, pointer, message):
    with pytest.raises(LangError) as info:
        run_program(program, Environment())
    assert info.value.code == "invalid_request"
    assert info.value.detail == f"{pointer}: {message}"


def test_hidden_temporaries_cannot_be_named_by_a_program():
    with pytest.raises(LangError) as info:
        parse_program([{"expr": {"var": ".0"}}])
    assert info.value.code == "invalid_request"


def test_yield_expressions_count_against_the_limits():
    source = ("def acc():\n    total = 0\n    while True:\n        total += (yield total)\n"
              "g = acc()\nnext(g)\nwhile True:\n    g.send(1)")
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(max_steps=5000))
    assert info.value.code == "limit_exceeded"


def test_a_long_short_circuit_of_yields_lowers_flat():
    n = 3000
    source = "def g():\n    r = " + " or ".join(["(yield)"] * n) + "\n    yield ('r', r)\n" \
             "it = g()\nnext(it)\nfor i in range(" + str(n - 1) + "):\n    it.send(0)\n" \
             "print(it.send('last'))"
    assert run_program(compile_source(source), Environment()).printed == ["('r', 'last')"]


def test_deeply_nested_yields_are_bounded_by_the_nesting_limit():
    source = "def g():\n    x = " + "(yield " * 400 + "1" + ")" * 400
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment())
    assert info.value.code in ("limit_exceeded", "syntax_error")
