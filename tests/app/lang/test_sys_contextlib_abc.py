"""``sys`` (its safe part), ``contextlib.nullcontext``/``suppress``, ``abc`` and attributes of
a program's functions: printed as CPython prints them, in both forms."""

from __future__ import annotations

import sys

import pytest
import torch

from app.lang import Environment, LangError, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    # sys
    "import sys\nprint(sys.version_info >= (3, 8), sys.version_info[:2], sys.version_info.major,"
    " sys.version_info.releaselevel, sys.maxsize, sys.float_info.epsilon, sys.float_info.max)",
    "print(repr(sys.version_info), sys.float_info)",
    "from sys import maxsize\nprint(maxsize == 2**63 - 1)",
    "try:\n    sys.exit(2)\nexcept SystemExit as e:\n    print('caught', e.code, repr(e), str(e))",
    "try:\n    sys.exit()\nexcept Exception:\n    print('not an Exception')\nexcept BaseException"
    " as e:\n    print('base', e.code, repr(e))\nfinally:\n    print('finally')",
    "try:\n    raise SystemExit('bye', 1)\nexcept SystemExit as e:\n    print(e.code, e.args)",
    "sys.exit(1, 2)",
    "sys.nothing",
    # contextlib
    "from contextlib import nullcontext, suppress\nwith nullcontext(5) as v:\n    print(v)\n"
    "with nullcontext() as w:\n    print(w)\nwith suppress(KeyError):\n    {}['a']\n"
    "    print('not reached')\nprint('after')",
    "import contextlib\nwith contextlib.suppress(ValueError, KeyError):\n    int('x')\n"
    "with contextlib.suppress(LookupError):\n    [][1]\nprint(type(contextlib.nullcontext()))",
    "import contextlib\nwith contextlib.suppress(KeyError):\n    int('x')",
    "import contextlib\nwith contextlib.suppress(1):\n    int('x')",
    # abc
    "from abc import ABC, abstractmethod\nclass A(ABC):\n    @abstractmethod\n    def f(self):"
    " ...\n    @abstractmethod\n    def b(self): ...\nclass B(A):\n    def f(self):\n"
    "        return 1\nclass C(B):\n    def b(self):\n        return 2\n"
    "print(C().f(), C().b(), isinstance(C(), A), issubclass(C, ABC))",
    "A()",
    "B()",
    "import abc\nprint(abc.ABC)",
    "class D(ABC):\n    @property\n    @abstractmethod\n    def p(self): ...\n    @staticmethod\n"
    "    @abstractmethod\n    def s(): ...\nD()",
    "class E(ABC):\n    pass\nprint(type(E()).__name__)",
    "abstractmethod(1)",
    "class F(A):\n    def f(self):\n        return super().f()\n    b = 3\nprint(F().f())",
    "class G:\n    @abstractmethod\n    def f(self): ...\nprint(type(G()).__name__)",
    "class M(nn.Module, ABC):\n    @abstractmethod\n    def forward(self, x): ...\nM()",
    # a program's functions have attributes
    "def f():\n    f.calls += 1\nf.calls = 0\nf()\nf()\nprint(f.calls, hasattr(f, 'calls'), "
    "getattr(f, 'x', 5))\ndel f.calls\nprint(hasattr(f, 'calls'))\nsetattr(f, 'y', 1)\n"
    "print(f.y)",
    "g = lambda: 1\ng.tag = 'x'\nprint(g.tag)\ndel g.nothing",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_sys_contextlib_abc_as_cpython(form):
    names = {"sys": sys, "nn": torch.nn}
    assert our_cells(CELLS, form) == python_cells(CELLS, names)


@pytest.mark.parametrize("source", ["import sys\nx = 1\nsys.exit()\nx = 2\nx",
                                    "import sys\nx = 1\nsys.exit(0)\nx = 2",
                                    "x = 1\nraise SystemExit\nx = 2",
                                    "import sys\ndef main():\n    global x\n    x = 1\n"
                                    "    sys.exit()\n    x = 2\nmain()\nx = 3"])
def test_a_clean_exit_ends_the_run_as_a_script_ends(form, source):
    env = Environment()
    result = form(source, env)
    assert result.result is None and env.variables["x"] == 1
    assert form("x + 1", env).result == 2  # the session goes on


@pytest.mark.parametrize(("source", "detail"), [("import sys\nsys.exit(3)", "3"),
                                                ("import sys\nsys.exit('bye')", "bye"),
                                                ("raise SystemExit(1)", "1")])
def test_an_exit_with_a_failure_code_fails_the_run(form, source, detail):
    with pytest.raises(LangError) as info:
        form(source)
    assert info.value.code == "program_error"
    assert (info.value.extra["exception"], info.value.detail) == ("SystemExit", detail)


def test_sys_reaches_nothing_of_the_process(form):
    for name in ("argv", "modules", "path", "stdout", "setrecursionlimit", "_getframe"):
        with pytest.raises(LangError):
            form(f"import sys\nsys.{name}")


def test_a_function_with_attributes_is_not_snapshotted_plain():
    from app.services.snapshots import NotPlain, capture

    env = Environment()
    run_program(compile_source("def f():\n    return 1\nf.x = 1"), env)
    with pytest.raises(NotPlain):
        capture(env)
