"""``x = yield v``, ``x = yield from g`` and a generator's ``send``, ``throw`` and ``close``
(``GeneratorExit``), printed and failing as CPython's, in both forms."""

from __future__ import annotations

import pytest

from app.lang import LangError, compile_source

from .conftest import our_cells, python_cells

CELLS = [
    "def echo():\n    total = 0\n    while True:\n        x = yield total\n        if x is None:\n"
    "            break\n        total += x\n    return total\ng = echo()\n"
    "print(next(g), g.send(1), g.send(2), g.send(3))",
    "try:\n    g.send(None)\nexcept StopIteration as e:\n    print('stop', e.args)",
    "g2 = echo()\ng2.send(1)",
    "g3 = echo()\nprint(g3.send(None), g3.send(5))",
    "def inner():\n    a = yield 1\n    b = yield a\n    return a + b\n"
    "def outer():\n    r = yield from inner()\n    yield ('r', r)\n"
    "o = outer()\nprint(next(o), o.send(10), o.send(20))",
    "def catcher():\n    while True:\n        try:\n            yield 1\n"
    "        except ValueError as e:\n"
    "            yield 'caught ' + str(e)\n"
    "c = catcher()\nnext(c)\nprint(c.throw(ValueError('bad')), next(c), c.throw(ValueError, 'x'))",
    "c.throw(KeyError('k'))",
    "try:\n    next(c)\nexcept StopIteration as e:\n    print('stop', e.args, e.value)",
    "def fin():\n    try:\n        yield 1\n        yield 2\n    finally:\n"
    "        print('cleanup')\n"
    "f = fin()\nprint(next(f))\nf.close()\nprint('closed')\nf.close()",
    "try:\n    next(f)\nexcept StopIteration as e:\n    print('stop', e.args, e.value)",
    "try:\n    raise StopIteration(3)\nexcept StopIteration as e:\n    print(e.args, e.value)",
    "def stubborn():\n    try:\n        yield 1\n    except GeneratorExit:\n        yield 2\n"
    "s = stubborn()\nnext(s)\ns.close()",
    "def polite():\n    try:\n        yield 1\n    except GeneratorExit:\n"
    "        print('exit seen')\n        raise\n"
    "p = polite()\nnext(p)\np.close()\nprint(fin().close(), polite().close())",
    "def thrower():\n    yield 1\nt = thrower()\nnext(t)\nt.throw(1)",
    "t = thrower()\nt.throw(ValueError('early'))",
    "t = thrower()\nnext(t)\nt.throw(ValueError('v'), 'x')",
    "def acc2():\n    d = {}\n    d['k'] = yield 1\n    a, b = yield 2\n    print(d, a, b)\n"
    "    z: int = yield 3\n    print(z)\n"
    "a2 = acc2()\nprint(next(a2), a2.send('v'), a2.send((1, 2)))\ntry:\n    a2.send(9)\n"
    "except StopIteration:\n    print('done')",
    "def bare():\n    x = yield\n    print('got', x)\nb = bare()\nprint(next(b))\ntry:\n"
    "    b.send(7)\nexcept StopIteration:\n    pass",
    "def delegating():\n    yield from catcher()\nd = delegating()\nnext(d)\n"
    "print(d.throw(ValueError('through')))\nd.close()",
    "def ret():\n    yield 1\n    return 42\ndef wrap():\n    v = yield from ret()\n"
    "    print('returned', v)\nfor _ in wrap():\n    pass",
    "def selfsend():\n    yield gen.send(1)\ngen = selfsend()\nnext(gen)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_generators_take_sent_values_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_yield_with_a_target_is_one_json_node():
    program = compile_source("def f():\n    x = yield 1\n    y = yield from g()")
    assert program[0]["body"][0] == {"yield": 1, "to": "x"}
    assert program[0]["body"][1] == {"yield_from": {"call": "g"}, "to": "y"}


@pytest.mark.parametrize("source", ["x = yield 1", "def f():\n    g = lambda: (yield 1)"])
def test_yield_outside_a_function_body_stays_out(source):
    with pytest.raises(LangError) as info:
        compile_source(source)
    assert info.value.code == "syntax_error"


def test_sending_forever_is_bounded_by_the_step_limit():
    from app.lang import Environment, Limits, run_program

    source = ("def echo():\n    while True:\n        x = yield\n"
              "g = echo()\nnext(g)\nwhile True:\n    g.send(1)")
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(max_steps=5000))
    assert info.value.code == "limit_exceeded"


def test_a_generator_resumed_in_a_later_run_inside_its_handler_finishes_it():
    from app.lang import Environment, run_program

    env = Environment()
    run_program(compile_source(
        "def g():\n    try:\n        yield 1\n    except ValueError:\n        x = yield 2\n"
        "        yield x\nit = g()\nnext(it)\nit.throw(ValueError)"), env)
    result = run_program(compile_source("print(it.send('later'))\nlist(it)"), env)
    assert result.printed == ["later"] and result.result == []
