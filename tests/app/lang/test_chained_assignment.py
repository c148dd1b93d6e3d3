"""Chained assignment (``self.a = self.b = 0.0``, ``x[0] = y[1] = t``): one JSON node, the
value evaluated once, then stored into each target left to right, as CPython does; in both
forms, compared with CPython run on the same cells."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    # the AverageMeter of PyTorch's ImageNet example
    "class AverageMeter:\n    def __init__(self):\n        self.reset()\n"
    "    def reset(self):\n        self.val = self.avg = self.sum = self.count = 0.0\n"
    "    def update(self, v, n=1):\n        self.val = v\n        self.sum += v * n\n"
    "        self.count += n\n        self.avg = self.sum / self.count\n"
    "m = AverageMeter()\nm.update(2.0)\nm.update(4.0, 3)\n"
    "print(m.val, m.avg, m.sum, m.count)\nm.reset()\nprint(m.val, m.avg, m.sum, m.count)",
    "x, y = [0, 0], [0, 0]\nt = [5]\nx[0] = y[1] = t\nprint(x, y, x[0] is y[1])",
    # the value once, then the targets left to right (a target's parts when it is stored)
    "log = []\ndef f(v):\n    log.append(getattr(v, 'name', v))\n    return v\n"
    "class Box:\n    def __init__(self, name):\n        self.name = name\n"
    "    def __setitem__(self, k, v):\n        log.append(('set', self.name, k, v))\n"
    "a, b = Box('a'), Box('b')\n"
    "f(a)[f(1)] = f(b)[f(2)] = f('value')\nprint(log)",
    "class P:\n    @property\n    def v(self):\n        return self._v\n"
    "    @v.setter\n    def v(self, value):\n        print('set', value)\n        self._v = value\n"
    "p, q = P(), P()\np.v = q.v = n = 3\nprint(p.v, q.v, n)",
    # a later target sees what an earlier one bound
    "xs = [0, 0, 0]\ni = 0\nxs[i] = i = 1\nprint(xs, i)",
    "i = 0\nxs = [0, 0, 0]\ni = xs[i] = 2\nprint(xs, i)",
    "a = [0]\na[0] = a[0] = 1\nprint(a)",
    "a = b = [0]\na[0] = b[0] = 1\nprint(a, b, a is b)",
    "class Node:\n    pass\nnode = Node()\nhead = head_next = None\n"
    "cur = cur.next = node if False else node\nprint(cur is node, node.next is node)",
    # unpacking targets in a chain
    "a, b = c, (d, *e) = [1, (2, 3, 4)]\nprint(a, b, c, d, e)",
    "d = {}\nd['x'] = d['y'], z = (1, 2)\nprint(d, z)",
    # a failing target stops the chain where it fails; the earlier stores stay
    "r = [0]\nout = {}\ntry:\n    out['a'] = r[5] = out['b'] = 7\nexcept IndexError as e:\n"
    "    print('IndexError', e)\nprint(out)",
    # inside functions: locals, globals, nonlocals, closures
    "def outer():\n    a = 0\n    def inner():\n        nonlocal a\n        global g1\n"
    "        a = g1 = loc = [1]\n        return loc\n    r = inner()\n    return a, r, a is r\n"
    "print(outer(), g1)",
    "import torch\nw = torch.zeros(3)\nw[0] = w[2] = 1.5\nprint(w)",
    "def gen():\n    a = b = yield 1\n    print('got', a, b, a is b)\n    d = {}\n"
    "    d['k'] = d['j'] = yield from iter([2])\n    print(d)\n"
    "g = gen()\nprint(next(g), g.send([9]))\ntry:\n    next(g)\nexcept StopIteration:\n"
    "    print('done')",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_chained_assignments_run_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_a_chain_is_one_assign_node_with_also():
    assert compile_source("self.a = self.b = 0.0") == [
        {"assign": {"attr": "a", "of": {"var": "self"}},
         "also": [{"attr": "b", "of": {"var": "self"}}], "value": {"float": 0.0}}]
    assert compile_source("x[0] = y, z = t") == [
        {"assign": {"index": {"var": "x"}, "key": 0}, "also": [["y", "z"]],
         "value": {"var": "t"}}]


def test_the_json_form_takes_also_directly():
    program = [{"assign": "a", "also": [{"index": {"var": "xs"}, "key": 0}, "b"],
                "value": {"call": "len", "args": [{"var": "xs"}]}},
               {"expr": {"tuple": [{"var": "a"}, {"var": "b"}, {"var": "xs"}]}}]
    env = Environment()
    run_program([{"assign": "xs", "value": [7, 8]}], env)
    assert run_program(program, env).result == (2, 2, [2, 8])


def test_also_targets_are_checked_by_the_schema():
    from app.lang import parse_program

    with pytest.raises(LangError) as info:
        parse_program([{"assign": "a", "also": [{"call": "f"}], "value": 1}])
    assert info.value.code == "invalid_request" and "/also/0" in info.value.detail


def test_a_long_chain_counts_against_the_limits():
    source = "v = 0\n" + " = ".join(f"x{i}" for i in range(200)) + " = v"
    result = run_program(compile_source(source), Environment(), Limits())
    assert result.printed == []
    with pytest.raises(LangError) as info:
        run_program(compile_source("xs = [0]\nwhile True:\n    xs[0] = a = b = xs"),
                    Environment(), Limits(max_steps=2000))
    assert info.value.code == "limit_exceeded"
