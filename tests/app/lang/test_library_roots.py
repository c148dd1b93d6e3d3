"""Library roots (``torch``, ``F``, ``nn``, ``math``, ``random`` ...) are ordinary names, as
Python's builtins are: a program's own binding wins from where it is bound, imports bind,
and the session remembers both between runs. Each case runs cell by cell in one session, in
both forms (source, and the compiled JSON), and in CPython with the same names as builtins;
printed lines and errors (type and text) must agree."""

from __future__ import annotations

import math
import random

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

torch = pytest.importorskip("torch")

LIMITS = Limits()


def _python(cells: list[str]) -> list[tuple]:
    """Each cell run by CPython, the language's prebound names as builtins."""
    return python_cells(cells, {"torch": torch, "F": torch.nn.functional, "nn": torch.nn,
                                "math": math, "random": random, "autograd": torch.autograd,
                                "functional": torch.nn.functional})


def _ours(cells: list[str], form: str) -> list[tuple]:
    return our_cells(cells, form, LIMITS)


CASES = {
    "a global named like a module (introyt tensors)": [
        "random = torch.rand(2, 3)\nprint(random.shape)",
        "print(type(random).__name__, random.dtype)",
        "random.random()",
        "import random\nprint(random.random() < 1.0)",
    ],
    "import torch.functional as F (introyt models)": [
        "import torch.functional as F\nprint(type(F).__name__)",
        "print(F.einsum('i,i->', torch.ones(3), torch.ones(3)))",
        "print(F.atleast_2d(torch.ones(2)).shape, F.F.relu(torch.tensor([-1.0])))",
        "F.relu(torch.ones(1))",
        "F.max_pool2d",
        "import torch.nn.functional as F\nprint(F.relu(torch.tensor([-1.0, 1.0])))",
    ],
    "aliases and modules as values": [
        "import torch.nn.functional as nnf\nfrom torch import nn as tnn\n"
        "print(nnf.relu(torch.tensor([-1.0, 2.0])), tnn.ReLU())",
        "m = torch.nn\nprint(m.functional.relu(torch.tensor([-3.0])), type(m).__name__)",
        "mods = [torch, math]\nprint(mods[1].sqrt(4.0), mods[0].zeros(1))",
        "d = {'t': torch}\nprint(getattr(d['t'], 'tanh')(torch.zeros(1)))",
        "def use(mod):\n    return mod.ones(2)\nprint(use(torch))",
    ],
    "a parameter shadows math": [
        "def f(math, x):\n    return math * x\nprint(f(3, 2))",
        "print(math.sqrt(16.0))",
        "def g(x):\n    math = 2\n    return math + x\nprint(g(1), math.pi)",
        "h = lambda F: F + 1\nprint(h(1))",
        "print([F for F in (1, 2)], F.relu(torch.tensor([-1.0])))",
    ],
    "notebook semantics: a function sees a later rebinding": [
        "x = torch.ones(2)\ndef g(v):\n    with torch.no_grad():\n        return torch.tanh(v)\n"
        "print(g(x))",
        "torch = 5",
        "g(x)",
        "print(torch + 1)",
        "del torch\nprint(g(x))",
        "def h():\n    global F\n    F = 'mine'\nh()\nprint(F)",
        "F.relu(x)",
        "import torch.nn.functional as F\nprint(F.relu(-x))",
    ],
    "class bodies and loops bind the names": [
        "class A:\n    nn = 3\n    y = nn + 1\n    def m(self):\n        return nn.ReLU()\n"
        "print(A.y, A().m())",
        "for nn in range(2):\n    pass\nprint(nn)",
        "nn.Linear",
        "from torch import nn\nprint(nn.ReLU())",
        "with torch.no_grad() as math:\n    pass\nprint(type(math).__name__)",
        "import math\nprint(math.floor(2.5))",
    ],
    "imports are statements": [
        "import torch.nonexistent",
        "import torch.nn.nonexistent_module",
        "torch = 3\nimport torch.optim\nprint(torch.zeros(1))",
        "import torch.optim as optim\nprint(type(optim).__name__)",
        "autograd = 1\nprint(autograd)\nfrom torch import autograd\nprint(type(autograd).__name__)",
    ],
    "rebinding to something with attributes of its own": [
        "class T:\n    def tanh(self, v):\n        return 'mine'\ntorch = T()\n"
        "print(torch.tanh(1))",
        "print(math.tanh(0.0))",
        "F = print\nF.relu",
        "nn = {'Linear': 1}\nnn.Linear",
    ],
}


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("title", list(CASES))
def test_roots_are_names_as_in_python(title, form):
    cells = CASES[title]
    assert _ours(cells, form) == _python(cells)


def test_hand_written_json_binds_a_root_as_the_source_does():
    env = Environment()
    run_program([{"assign": "torch", "value": 5}], env, LIMITS)
    with pytest.raises(LangError) as info:
        run_program([{"expr": {"call": "torch.tanh", "args": [1]}}], env, LIMITS)
    assert info.value.extra["exception"] == "AttributeError"
    assert info.value.detail.endswith("'int' object has no attribute 'tanh'")
    with pytest.raises(LangError):
        run_program([{"expr": {"lib": "torch.float64"}}], env, LIMITS)
    run_program([{"import": "torch"}], env, LIMITS)
    assert "torch" not in env.variables  # the module by default: no variable, the fast path
    assert str(run_program([{"expr": {"lib": "torch.float64"}}], env, LIMITS).result) == \
        "torch.float64"


def test_a_session_binding_a_root_changes_no_other_session():
    mine, other = Environment(), Environment()
    code = "x = torch.ones(2)\ndef g(v):\n    return torch.tanh(v) * 2"
    run_program(compile_source(code), mine, LIMITS)
    run_program(compile_source(code), other, LIMITS)  # the same compiled closures
    run_program(compile_source("class T:\n    def tanh(self, v):\n        return 0\n"
                               "torch = T()"), mine, LIMITS)
    assert run_program(compile_source("g(x)"), mine, LIMITS).result == 0
    assert repr(run_program(compile_source("g(x)"), other, LIMITS).result) == \
        "tensor([1.5232, 1.5232])"
    assert "torch" not in other.variables


def test_a_failing_statement_rolls_back_its_root_binding():
    env = Environment()
    with pytest.raises(LangError):
        run_program(compile_source("for random in [1, 2]:\n    undefined_name"), env, LIMITS)
    assert "random" not in env.variables
    assert run_program(compile_source("random.random() < 1"), env, LIMITS).result is True


def test_a_root_bound_outside_a_run_is_seen_by_the_next_run():
    env = Environment()
    env.variables["nn"] = 7  # as a run's inputs or PUT .../variables/nn bind it
    assert run_program(compile_source("nn + 1"), env, LIMITS).result == 8


@pytest.fixture
def fresh_roots(monkeypatch):
    """calls' root-binding state as in a fresh process (restored after the test)."""
    import weakref

    from app.lang import calls

    monkeypatch.setattr(calls, "ROOTS_BOUND", False)
    monkeypatch.setattr(calls, "_ROOTS_STICKY", False)
    monkeypatch.setattr(calls, "_ROOT_SESSIONS", weakref.WeakSet())
    return calls


def test_the_roots_flag_is_cleared_when_no_session_holds_a_root(fresh_roots):
    calls = fresh_roots
    a, b = Environment(), Environment()
    run_program(compile_source("import torch\nx = torch.ones(1)"), a, LIMITS)
    assert not calls.ROOTS_BOUND  # the default module: no variable, no flag
    run_program(compile_source("torch = 5"), a, LIMITS)
    run_program(compile_source("nn = 1"), b, LIMITS)
    assert calls.ROOTS_BOUND
    run_program(compile_source("del torch\ny = torch.ones(1)"), a, LIMITS)
    assert calls.ROOTS_BOUND  # b still holds one
    assert run_program(compile_source("nn + torch.ones(1).item()"), b, LIMITS).result == 2.0
    run_program(compile_source("del nn\nz = nn.ReLU()"), b, LIMITS)
    assert not calls.ROOTS_BOUND
    # a binding made by a failing statement is rolled back, and the flag follows
    with pytest.raises(LangError):
        run_program(compile_source("for F in [3]:\n    F.relu"), a, LIMITS)
    assert not calls.ROOTS_BOUND and "F" not in a.variables
    # a session that goes away with a root bound: cleared at another session's next run end
    run_program(compile_source("math = 2"), b, LIMITS)
    assert calls.ROOTS_BOUND
    del b
    import gc

    gc.collect()
    run_program(compile_source("torch.tanh(torch.zeros(1))"), a, LIMITS)
    assert not calls.ROOTS_BOUND
    # bound outside a run (inputs, PUT): the next run of that session sets it again
    a.variables["random"] = 7
    assert run_program(compile_source("def f():\n    return random + 1\nf()"), a,
                       LIMITS).result == 8
    assert calls.ROOTS_BOUND
    a.variables.pop("random")
    run_program(compile_source("random.random() < 1"), a, LIMITS)
    assert not calls.ROOTS_BOUND


def test_a_root_bound_by_code_run_outside_any_run_sets_the_flag_for_good(fresh_roots):
    calls = fresh_roots
    env = Environment()
    run_program(compile_source("def rebind():\n    global torch\n    torch = 1"), env, LIMITS)
    env.variables["rebind"]()  # library code calling a program's function outside a run
    assert env.variables["torch"] == 1 and calls.ROOTS_BOUND
    env.variables.pop("torch")
    run_program(compile_source("torch.ones(1)"), env, LIMITS)
    assert calls.ROOTS_BOUND  # the session was not known: kept


@pytest.mark.parametrize("source", [
    "torch = 1\ntorch.__dict__",
    "F = print\nF.__self__",
])
def test_rebinding_gives_no_way_past_the_dunder_rules(source):
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), LIMITS)
    assert info.value.code == "syntax_error"


@pytest.mark.parametrize("source", [
    "torch = 1\ngetattr(torch, '__di' + 'ct__')",
    "m = torch\ngetattr(m, '__di' + 'ct__')",
    "m = torch.nn\nm.functional = 1",
    "import torch.functional as F\nF.itertools",
    "import torch.functional as F\nF.handle_torch_function",
])
def test_module_values_stay_library_modules(source):
    env = Environment()
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), env, LIMITS)
    assert info.value.code == "program_error"
    assert run_program(compile_source("math.floor(2.5) + 1"), env, LIMITS).result == 3
