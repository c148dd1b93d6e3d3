"""``enum``'s ``Flag``, ``IntFlag`` (bit operators, combinations printed as CPython 3.11
prints them, iteration, ``in``, CPython's ``STRICT``/``KEEP`` boundaries), ``StrEnum``,
``_missing_`` and ``__members__``: in both forms, compared with CPython running the same
cells."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "import enum\nfrom enum import Enum, Flag, IntFlag, StrEnum, auto\nclass Perm(Flag):\n"
    "    R = auto()\n    W = auto()\n    X = auto()\nprint(repr(Perm.R | Perm.W), "
    "str(Perm.R | Perm.W), repr(~Perm.R), repr(Perm(0)))\nprint(list(Perm.R | Perm.X), "
    "len(Perm.R | Perm.W), Perm.R in (Perm.R | Perm.W), bool(Perm(0)))\n"
    "print(repr(Perm.R & Perm.W), repr(Perm.R ^ Perm.W), format(Perm.R | Perm.W), list(Perm))\n"
    "print(Perm.__members__, (Perm.R | Perm.X).name, Perm(0).name, Perm(5) is Perm(5), len(Perm))",
    "Perm(8)",
    "Perm.R | 1",
    "1 in Perm.R",
    "class Perm2(Flag):\n    R = 4\n    W = 2\n    X = 1\n    RW = R | W\nprint(list(Perm2), "
    "repr(Perm2.RW), repr(Perm2(7)), list(Perm2(7)), str(Perm2.RW), repr(Perm2(-1)))\n"
    "print(Perm2.__members__)\nfor name, m in Perm2.__members__.items():\n    print(name, "
    "m.value)",
    "class I(IntFlag):\n    A = 1\n    B = 2\n    C = 4\nprint(repr(I.A | I.B), str(I.A | I.B), "
    "I.A | 8, repr(I.A | 8), repr(I(9)), I.A + 1, repr(~I.A))\nprint(format(I.A | I.B), "
    "f'{I.A}', repr(I.A | 2), I.A == 1, I.A < 2, repr(I(0)), str(I(0)))\nprint(repr(3 & I.A), "
    "repr(I.A ^ I.C), I.A + I.B, list(I.A | I.C), len(I), (I.A | 8).name, ['x', 'y', 'z', "
    "'w'][I.B])",
    "class S(StrEnum):\n    A = auto()\n    B = 'bee'\nprint(repr(S.A), str(S.A), S.A == 'a', "
    "f'{S.B}', S.B.upper(), S('bee'), S.A + 'x', len(S.B))\nprint(list(S), "
    "hash(S.A) == hash('a'), sorted([S.B, S.A]), 'x' + S.A, {S.A: 1}['a'] if False else '', "
    "S.B.startswith('b'))\nprint(S.__members__, 'e' in S.B, S.B[1:])",
    "class C(Enum):\n    RED = 1\n    GREEN = 2\n    @classmethod\n    def _missing_(cls, "
    "value):\n        if isinstance(value, str):\n            return cls[value.upper()]\n"
    "        return None\nprint(C('red'), C.__members__, list(C.__members__), "
    "'RED' in C.__members__, len(C.__members__))\nprint(repr(C.__members__), "
    "C.__members__['GREEN'], C.__members__.get('BLUE'), list(C.__members__.values()))",
    "C(5)",
    "class D(Enum):\n    A = 1\n    @classmethod\n    def _missing_(cls, value):\n"
    "        return 5\nD(3)",
    "C.__members__['X'] = 1",
    "class P(Flag):\n    A = auto()\n    B = auto()\n    AB = A | B\n    C = auto()\n"
    "print(list(P), P.C.value, P.AB, repr(P.A | P.B))",
    "class Q(Flag):\n    NONE = 0\n    A = 1\nprint(list(Q), repr(Q(0)), repr(Q.NONE), "
    "repr(~Q.A), Q.NONE.name)",
    "class Color(enum.Enum):\n    RED = 'r'\nprint(Color.__members__, "
    "Color.RED.__members__ if False else '')",
    "class Plain:\n    pass\nPlain.__members__",
    "class BadS(StrEnum):\n    A = 1",
    "class BadF(Flag):\n    A = 'x'",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_flags_str_enums_and_missing_run_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_members_is_a_read_only_dunder_of_enums_only():
    env = Environment()
    run_program(compile_source("import enum\nclass C(enum.Enum):\n    A = 1"), env)
    with pytest.raises(LangError) as info:
        run_program(compile_source("C.__members__['B'] = 2"), env)
    assert "does not support item assignment" in info.value.detail
    with pytest.raises(LangError) as info:
        compile_source("C.__members__ = {}")
    assert info.value.code == "syntax_error"
    assert run_program(compile_source("list(C.__members__.keys())"), env).result == ["A"]


def test_flag_combinations_are_bounded():
    """An ``IntFlag`` keeps other bits, so a program can make a combination per integer: the
    class keeps the first ones (``P(5) is P(5)``, as CPython) and no more than
    ``MAX_PSEUDO_MEMBERS``; every call counts against the limits."""
    from app.lang.pyenum import MAX_PSEUDO_MEMBERS

    env = Environment()
    source = ("import enum\nclass I(enum.IntFlag):\n    A = 1\n"
              "xs = [I(i) for i in range(2 * M)]\nprint(I(3) is I(3), len(xs))")
    result = run_program(compile_source(source.replace("M", str(MAX_PSEUDO_MEMBERS))), env)
    assert result.printed == ["True 8192"]
    assert len(env.variables["I"].ns["_value2member_map_"]) <= MAX_PSEUDO_MEMBERS + 1
    with pytest.raises(LangError) as info:
        run_program(compile_source("while True:\n    I(7) | I.A"), env, Limits(max_steps=3000))
    assert info.value.code == "limit_exceeded"


def test_a_missing_hook_that_recurses_is_bounded():
    source = ("import enum\nclass C(enum.Enum):\n    A = 1\n    @classmethod\n"
              "    def _missing_(cls, value):\n        return cls(value + 1)\nC(2)")
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment())
    assert info.value.code == "limit_exceeded"
