"""``__slots__`` on a program's classes: the only attributes its objects may have, with
CPython's ``AttributeError`` texts, in both forms."""

from __future__ import annotations

import pytest

from app.lang import LangError, compile_source

from .conftest import our_cells, python_cells

CELLS = [
    "class P:\n    __slots__ = ('x', 'y')\n    def __init__(self, x):\n        self.x = x\n"
    "p = P(1)\np.y = 2\nprint(p.x, p.y, hasattr(p, 'z'))",
    "P(1).z = 3",
    "P(1).y",
    "def set_z(o):\n    o.z = 1\nset_z(p)",
    "setattr(p, 'w', 1)",
    "class Q(P):\n    pass\nq = Q(1)\nq.z = 3\nprint(q.z)",
    "class R(P):\n    __slots__ = ['z']\nr = R(1)\nr.z = 2\nprint(r.x, r.z)\nr.w = 1",
    "class S:\n    __slots__ = ('x',)\n    x = 1",
    "class T:\n    __slots__ = 'x'\nt = T()\nt.x = 5\nprint(t.x)\nt.y = 1",
    "class V:\n    __slots__ = ('a', '__dict__')\nv = V()\nv.q = 1\nprint(v.q)",
    "class W:\n    __slots__ = ()\n    @property\n    def p(self):\n        return 1\n"
    "print(W().p)\nW().p = 2",
    "class E(Exception):\n    __slots__ = ('code',)\ne = E('m')\ne.other = 1\nprint(e.other, e)",
    "class Pt:\n    __slots__ = ('x', 'y')\n    def __init__(self, x, y):\n"
    "        self.x, self.y = x, y\n"
    "    def __repr__(self):\n        return f'Pt({self.x}, {self.y})'\nprint(Pt(1, 2))\n"
    "pt = Pt(1, 2)\npt.x += 5\nprint(pt)\npt.z += 1",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_slots_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_slots_are_a_field_of_the_class_node():
    program = compile_source("class P:\n    __slots__ = ('x', 'y')\n    z = 1")
    assert program[0]["slots"] == ["x", "y"]
    assert program[0]["body"] == [{"assign": "z", "value": 1}]


@pytest.mark.parametrize("source", ["class A:\n    __slots__ = (1,)",
                                    "class A:\n    __slots__ = names",
                                    "__slots__ = ('x',)"])
def test_other_slots_are_refused(source):
    with pytest.raises(LangError) as info:
        compile_source(source)
    assert info.value.code == "syntax_error"
