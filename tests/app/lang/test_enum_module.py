"""``enum``: ``Enum``, ``IntEnum``, ``auto`` as CPython 3.11's, in both forms."""

from __future__ import annotations

import enum

import pytest

from .conftest import our_cells, python_cells

CELLS = [
    "from enum import Enum, IntEnum, auto\nclass Color(Enum):\n    RED = 1\n    GREEN = auto()\n"
    "    BLUE = 'b'\n    ALIAS = 1\n    def describe(self):\n        return self.name.lower()\n"
    "    @property\n    def twice(self):\n        return self.value * 2\n"
    "print(list(Color), len(Color), Color.ALIAS, Color.ALIAS is Color.RED)\n"
    "print(repr(Color.RED), str(Color.RED), f'{Color.RED}', format(Color.RED), Color)",
    "print(Color(1), Color['GREEN'], Color.GREEN.value, Color.RED.describe(), Color.BLUE.twice)",
    "Color(3)",
    "Color('x')",
    "Color['X']",
    "Color.RED < Color.GREEN",
    "1 in Color",
    "print(Color.RED in Color, Color.RED == 1, Color.RED == Color.RED, Color.RED != Color.BLUE)",
    "print(hash(Color.RED) == hash('RED'), {Color.RED: 1}[Color.ALIAS])",
    "class B(Color):\n    X = 5",
    "Color.RED = 5",
    "Color.X",
    "print(list(reversed(Color)), [c.name for c in Color], Color.RED.name, Color.BLUE.value)",
    "print(type(Color.RED) is Color, isinstance(Color.GREEN, Color), isinstance(Color.RED, Enum),"
    " Color.RED.__class__)",
    "class N(IntEnum):\n    A = 1\n    B = auto()\n"
    "print(N.A + 1, N.B * 2, 3 - N.B, str(N.A), repr(N.A), f'{N.A}', f'{N.B:03d}', N.A == 1, "
    "N.A < N.B, N.B >= 2, int(N.B), float(N.A), [0, 1, 2][N.B], hash(N.A), N(2), "
    "sorted([N.B, N.A]), N.A.value, -N.B, N.A | N.B)",
    "class S(Enum):\n    a = auto()\n    b = auto()\nclass P(Enum):\n    X = (1, 2)\n"
    "    Y = (3, 4)\n    def __init__(self, m, r):\n        self.m = m\n        self.r = r\n"
    "print(S.a.value, S.b.value, P.X.m, P.Y.r, P.X.value, P((1, 2)))",
    "class E(Enum):\n    pass\nprint(list(E), len(E))\nclass F(E):\n    A = 1\n"
    "    @staticmethod\n    def s():\n        return 's'\n"
    "    @classmethod\n    def first(cls):\n        return list(cls)[0]\n"
    "print(F.A, F.s(), F.first(), list(F))",
    "Mode = Enum('Mode', 'TRAIN EVAL')\nprint(list(Mode), Mode.EVAL.value, Mode(1))\n"
    "Opt = Enum('Opt', ['SGD', 'ADAM'])\nprint(Opt.ADAM, Opt['SGD'].value)",
    "Color()",
    "match Color.GREEN:\n    case Color.RED:\n        print('red')\n    case Color.GREEN:\n"
    "        print('green')",
    "class Bad(IntEnum):\n    A = 'x'",
    "print(Color.RED.name.upper(), {c.name: c.value for c in Color})",
    "class A:\n    pass\nA['x']",
    "len(A)",
    "list(A)",
    "1 in A",
    "reversed(A)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_enum_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS, {"Enum": enum.Enum})


@pytest.mark.parametrize("source", [
    "from enum import Enum\nEnum._member_map_['x'] = 1",
    "from enum import Enum\nEnum._member_names_.append('x')",
    "from enum import Enum\nEnum.RED = 1",
    "from enum import IntEnum\nIntEnum.__add__ = None",
    "import enum\nenum.Enum = None"])
def test_the_shared_enum_classes_are_read_only(source):
    from app.lang import Environment, LangError

    from .conftest import run_source

    with pytest.raises(LangError):
        run_source(source, Environment())
    result = run_source("from enum import Enum\nclass C(Enum):\n    A = 1\nprint(list(C))",
                        Environment())  # another session: untouched
    assert result.printed == ["[<C.A: 1>]"]


def test_a_member_name_is_read_only():
    from app.lang import Environment, LangError

    from .conftest import run_source

    with pytest.raises(LangError) as info:
        run_source("from enum import Enum\nclass C(Enum):\n    A = 1\nC.A.name = 'x'",
                   Environment())
    assert info.value.extra["exception"] == "AttributeError"
