"""Constructs in both forms: notebook semantics across runs, the JSON form's own nodes, names
that shadow only bare names, the memory and step accounting of every construct."""

from __future__ import annotations

import json

import pytest

import engine
from app.lang import (
    Environment,
    LangError,
    Limits,
    ProgramError,
    compile_source,
    parse_program,
    run_program,
)

from .conftest import needs_ops


def run(source, env=None, limits=None):
    env = env if env is not None else Environment()
    return run_program(compile_source(source), env, limits or Limits(), source=source)


# ------------------------------------------------------------------ notebook semantics

def test_functions_classes_objects_generators_and_dicts_live_between_runs(form):
    env = Environment()
    form("def sq(v):\n    return v * v\nclass C:\n    def __init__(self):\n        self.n = 0\n"
         "    def bump(self):\n        self.n += 1\n        return self.n\n"
         "def gen():\n    i = 0\n    while True:\n        i += 1\n        yield i\n"
         "c = C()\ng = gen()\nd = {'a': [1]}\nnext(g)", env)
    assert form("c.bump()\n[sq(3), c.bump(), next(g), next(g), d['a']]", env).result == \
        [9, 2, 2, 3, [1]]
    assert form("d['b'] = 2\nsorted(d)", env).result == ["a", "b"]


def test_a_failing_statement_keeps_what_ran_before_it(form):
    env = Environment()
    with pytest.raises(ProgramError):
        form("def f():\n    return 1\nclass A:\n    pass\nx = f()\nA.missing", env)
    assert {"f", "A", "x"} <= set(env.variables)
    with pytest.raises(ProgramError):
        form("x = 2\ny = [x][5]", env)
    assert env.variables["x"] == 2 and "y" not in env.variables


def test_a_global_written_by_a_function_is_rolled_back_with_its_failing_statement(form):
    env = Environment()
    form("n = 1\ndef f():\n    global n\n    n = 99\n    raise ValueError('x')", env)
    with pytest.raises(ProgramError):
        form("f()", env)
    assert env.variables["n"] == 1


# ------------------------------------------------------------------ names

@needs_ops("tensor", "relu", "exp")
def test_a_user_function_named_like_an_op_shadows_only_the_bare_name(form):
    source = """
def relu(x):
    return 'mine'
def exp(x):
    return torch.exp(x) + 1
x = torch.tensor([-1.0, 0.0])
[relu(x), F.relu(x).tolist(), x.relu().tolist(), torch.relu(x).tolist(), exp(x).tolist(),
 torch.nn.functional.relu(x).tolist()]"""
    assert form(source).result == ["mine", [0.0, 0.0], [0.0, 0.0], [0.0, 0.0],
                                   [1.3678793907165527, 2.0], [0.0, 0.0]]


@needs_ops("tensor", "sigmoid", "relu", "flip")
def test_a_function_may_bind_a_library_root_as_its_own_local(form):
    # d2l's LSTM names its forget gate F; Python makes F local to the whole function (and
    # to the functions nested in it), while F outside it (and in defaults) is still the module
    source = """
def gate(x):
    F = torch.sigmoid(x)
    return F * 2
def outer(x):
    F = 3
    def inner():
        return F + 1
    return inner() + (lambda: F)()
def param(nn, y=F.relu(torch.tensor(-1.0))):
    return nn + y.item()
[gate(torch.tensor(0.0)).item(), F.relu(torch.tensor(-2.0)).item(), outer(0), param(5),
 (lambda torch: torch * 2)(4)]"""
    assert form(source).result == [1.0, 0.0, 7, 5.0, 8]


@needs_ops("arange", "flip")
def test_reversed_of_a_tensor_is_the_tensor_flipped_as_in_torch(form):
    got = form("x = torch.arange(6.0).reshape(3, 2)\nr = reversed(x)\n"
               "[type(r).__name__, r.tolist(), reversed(torch.tensor(3.0)).item()]").result
    assert got == ["Tensor", [[4.0, 5.0], [2.0, 3.0], [0.0, 1.0]], 3.0]


@needs_ops("arange", "flip", "tile")
def test_tensor_methods_take_torchs_method_signature(form):
    # x.flip(0) and x.tile(2) take ints one by one; torch.flip(x, 0) wants a tuple (torch 2.13)
    got = form("x = torch.arange(6.0).reshape(2, 3)\n"
               "out = [x.flip(0).tolist(), x.flip(0, 1)[0].tolist(), list(x.tile(2).shape),\n"
               "       list(x.tile(2, 1).shape), torch.flip(x, (1,))[0].tolist()]\n"
               "try:\n    torch.flip(x, 0)\nexcept TypeError as e:\n    out.append(str(e))\n"
               "out").result
    assert got == [[[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]], [5.0, 4.0, 3.0], [2, 6], [4, 3],
                   [2.0, 1.0, 0.0],
                   "flip(): argument 'dims' (position 2) must be tuple of ints, not int"]


def test_a_user_function_named_like_an_operator_is_called_by_name(form):
    assert form("def add(a, b):\n    return a * b\n[add(2, 3), 2 + 3]").result == [6, 5]


def test_names_torch_has_and_the_service_lacks_are_not_supported_naming_them(form):
    for source, path in (("torch.fft.fft(1)", "torch.fft.fft"), ("import torch.fft as f",
                                                                   "torch.fft"),
                         ("torch.Tensor.to_sparse_csr", "torch.Tensor.to_sparse_csr"),
                         ("from torch.nn.utils import fusion", "torch.nn.utils.fusion"),
                         ("torch.autograd.Variable", "torch.autograd.Variable")):
        with pytest.raises(ProgramError) as info:
            form(source)
        assert info.value.detail == f"{path} is not supported"
    with pytest.raises(ProgramError, match="Tensor.to_sparse_csr is not supported"):
        form("torch.zeros(1).to_sparse_csr()")
    with pytest.raises(ProgramError, match="name 'nonexistent' is not defined"):
        form("nonexistent(1)")


def test_imports_bind_library_modules(form):
    result = form("import torch.nn.functional as fn\nfrom math import sqrt\n"
                  "import random as rnd\n[fn.relu(torch.tensor([-1.0])).tolist(), sqrt(4.0), "
                  "type(rnd.random()).__name__]").result
    assert result == [[0.0], 2.0, "float"]


# ------------------------------------------------------------------ the JSON form's own nodes

def test_the_explicit_float_literal_survives_javascript():
    env = Environment()
    program = [{"assign": "x", "value": {"call": "torch.zeros", "args": [2],
                                         "kwargs": {"requires_grad": True}}},
               {"expr": {"call": "mul", "args": [{"var": "x"}, {"float": 0}]}}]
    assert run_program(program, env).result.dtype == engine.float32
    assert run_program([{"expr": {"float": 3}}], env).result == 3.0
    assert isinstance(run_program([{"expr": {"float": 3}}], env).result, float)
    assert run_program([{"expr": {"float": "-Infinity"}}], env).result == float("-inf")
    # what the compiler writes for 2.0 is the float node
    assert compile_source("x = 2.0") == [{"assign": "x", "value": {"float": 2.0}}]


def test_the_spec_core_form_and_the_canonical_form_agree():
    env = Environment()
    core = [{"assign": "x", "value": {"call": "arange", "args": [4.0],
                                      "kwargs": {"requires_grad": True}}},
            {"assign": "y", "value": {"call": "sum", "args": [{"var": "x"}]}},
            {"expr": {"call": "backward", "args": [{"var": "y"}]}},
            {"expr": {"attr": "grad", "of": {"var": "x"}}}]
    canonical = compile_source("x = torch.arange(4.0, requires_grad=True)\ny = x.sum()\n"
                               "y.backward()\nx.grad")
    assert repr(run_program(core, env).result) == repr(run_program(canonical, env).result)


def test_a_call_of_any_expression_and_a_method_of_any_value(form):
    assert form("fs = {'double': lambda v: 2 * v}\nfs['double'](4)").result == 8
    program = [{"expr": {"call": {"lambda": ["v"], "body": {"call": "add",
                                                            "args": [{"var": "v"}, 1]}},
                         "args": [1]}}]
    assert run_program(program, Environment()).result == 2
    method = [{"expr": {"method": "upper", "args": ["abc"]}}]
    assert run_program(method, Environment()).result == "ABC"


def test_compiled_programs_round_trip_through_the_schema():
    source = """
class A(object):
    def __init__(self, *args, k=1, **kw):
        super().__init__()
        self.v = [a for a in args if a] + [k]
    @property
    def total(self):
        return sum(self.v)
def gen(n):
    yield from range(n)
try:
    out = {i: A(i, k=2).total for i in gen(3)}
except (ValueError, KeyError) as e:
    raise RuntimeError('no') from e
else:
    out['x'] = {*out}
finally:
    assert out, 'empty'
del out['x']
out"""
    program = compile_source(source)
    parsed = parse_program(json.loads(json.dumps(program)))
    dumped = json.loads(parsed.model_dump_json(by_alias=True, exclude_unset=True))
    assert dumped == program
    assert run_program(dumped, Environment()).result == {0: 2, 1: 3, 2: 4}


# ------------------------------------------------------------------ accounting

@needs_ops("ones")
def test_tensors_hidden_in_objects_closures_and_generators_count_against_the_session():
    limits = Limits(max_session_bytes=2_000_000)
    for source in (
            "class Box:\n    pass\nboxes = []\nfor i in range(50):\n    b = Box()\n"
            "    b.t = torch.ones(100_000)\n    boxes.append(b)",
            "fs = []\nfor i in range(50):\n    t = torch.ones(100_000)\n"
            "    fs.append(lambda t=t: t)",
            "def keep():\n    t = torch.ones(100_000)\n    yield 1\n    yield t\n"
            "gs = [keep() for i in range(50)]\nfor g in gs:\n    next(g)",
            "d = {}\nfor i in range(50):\n    d[i] = {'k': (torch.ones(100_000),)}"):
        with pytest.raises(LangError) as info:
            run(source, limits=limits)
        assert info.value.extra["limit"] == "max_session_bytes", source


def test_every_construct_counts_steps():
    limits = Limits(max_steps=1_000)
    for source in ("[i for i in range(10**6)]", "{i: i for i in range(10**6)}",
                   "sum(i for i in range(10**6))", "list(map(lambda v: v, range(10**6)))",
                   "def g():\n    while True:\n        yield 1\nfor v in g():\n    pass",
                   "class A:\n    def __iter__(self):\n        return self\n"
                   "    def __next__(self):\n        return 1\nfor v in A():\n    pass",
                   "sorted(range(10**6), key=lambda v: -v)"):
        with pytest.raises(LangError) as info:
            run(source, limits=limits)
        assert info.value.extra["limit"] in ("max_steps", "max_loop_iterations"), source


def test_runs_are_reproducible_from_the_session_seed():
    def draws(seed):
        env = Environment()
        env.generator.manual_seed(seed)
        return run("import random\nxs = list(range(10))\nrandom.shuffle(xs)\n"
                   "[xs, random.random(), random.randint(1, 6), random.choice('abc')]",
                   env).result
    assert draws(1) == draws(1) != draws(2)
    # unseeded, ``random`` starts as random.seed(the session's seed) would start it; it is
    # Python's own generator, so torch.manual_seed leaves it where it is, as in Python
    import random

    env = Environment()
    a = run("torch.manual_seed(5)\nrandom.random()", env).result
    b = run("torch.manual_seed(5)\nrandom.random()", env).result
    python = random.Random(5)
    assert [a, b] == [python.random(), python.random()]
    assert run("random.seed(5)\nrandom.random()", env).result == a


def test_printed_reprs_of_objects_have_no_addresses(form):
    printed = form("class A:\n    pass\nprint(A(), A, lambda: 1, print)").printed
    assert printed == ["<__main__.A object> <class '__main__.A'> <function <lambda>> "
                       "<built-in function print>"]


def test_python_only_names_are_free_for_a_programs_own_variables(form):
    assert form("def forward(ctx, input):\n    return input * 2\nid = 3\nforward(None, id)"
                ).result == 6
    with pytest.raises(ProgramError, match="name 'open' is not defined"):
        form("f = open")


@needs_ops("zeros")
def test_in_place_draws_follow_the_session_generator(form):
    env = Environment()
    env.generator.manual_seed(3)
    first = form("w = torch.zeros(3)\nw.normal_(0, 0.01)\nw.uniform_(-1, 1).tolist()", env)
    env.generator.manual_seed(3)
    second = form("w = torch.zeros(3)\nw.normal_(0, 0.01)\nw.uniform_(-1, 1).tolist()", env)
    assert first.result == second.result and all(-1 <= v < 1 for v in first.result)
    with pytest.raises(ProgramError, match="a leaf Variable that requires grad"):
        form("torch.zeros(2, requires_grad=True).normal_()")


def test_programs_that_ask_for_an_accelerator_get_the_sessions_device(form):
    assert form("device = 'cuda' if torch.cuda.is_available() else 'cpu'\ndevice").result \
        == "cpu"
    assert form("import numpy as np\nnp.pi").result == 3.141592653589793
    with pytest.raises(ProgramError, match="numpy.load is not supported"):
        form("import numpy as np\nnp.load('weights.npy')")


# ------------------------------------------------------------------ grad modes

GRAD_MODE_EXITS = """import torch
seen = []
def inside(fail):
    with torch.no_grad():
        seen.append(torch.is_grad_enabled())
        torch.set_grad_enabled(True)
        seen.append(torch.is_grad_enabled())
        if fail:
            raise ValueError('out')
        return 1
for fail in (False, True):
    try:
        inside(fail)
    except ValueError as e:
        seen.append(str(e))
    seen.append(torch.is_grad_enabled())
torch.set_grad_enabled(False)
with torch.enable_grad():
    seen.append(torch.is_grad_enabled())
    for i in range(2):
        with torch.no_grad():
            if i == 1:
                break
            seen.append(torch.is_grad_enabled())
    seen.append(torch.is_grad_enabled())
seen.append(torch.is_grad_enabled())
torch.set_grad_enabled(True)
seen"""


def test_a_grad_mode_block_restores_the_mode_however_it_ends(form):
    """``with torch.no_grad():`` / ``enable_grad()`` put back the mode they found, on a normal
    exit, ``return``, ``break`` and an exception, undoing a ``set_grad_enabled`` inside them,
    as torch's managers do (torch 2.13 prints the same list)."""
    assert form(GRAD_MODE_EXITS).result == [
        False, True, True, False, True, "out", True, True, False, True, False]


SPECIAL_BY_NAME = """class V:
    def __init__(self, d):
        self.d = d
    def __getitem__(self, k):
        if isinstance(k, list):
            return [self.__getitem__(i) for i in k]
        return self.d.get(k, -1)
    def __len__(self):
        return len(self.d)
class W(V):
    def __getitem__(self, k):
        return ('W', super().__getitem__(k))
v = V({'a': 1})
out = [v[['a', 'b']], v.__len__(), V.__len__(v), W(v.d)['a'], W(v.d).__getitem__('a'),
       v.__repr__() == repr(v), v.__str__() == str(v)]
try:
    v.__iter__()
except AttributeError as e:
    out.append(str(e))
try:
    V.__iter__(v)
except AttributeError as e:
    out.append(str(e))
out"""


def test_a_special_method_a_class_defines_is_called_by_name(form):
    """``self.__getitem__(k)`` (d2l's ``Vocab``), ``Cls.__len__(obj)``, ``super().__getitem__``
    run the program's own special methods; a missing one is Python's AttributeError (torch
    2.13's Python prints the same list)."""
    assert form(SPECIAL_BY_NAME).result == [
        [1, -1], 1, 1, ("W", 1), ("W", 1), True, True,
        "'V' object has no attribute '__iter__'", "type object 'V' has no attribute '__iter__'"]


UNBOUND_METHODS = """out = [sorted(['b', 'a', 'C'], key=str.lower), str.join(',', ['x', 'y']),
       repr(str.lower)]
xs = []
list.append(xs, 1)
out += [xs, dict.get({1: 2}, 1), dict.get({}, 1, 'd'), list(map(str.upper, ['a'])),
        int.bit_length(5)]
for bad in (True, False):
    try:
        str.lower(5) if bad else str.lower()
    except TypeError as e:
        out.append(str(e))
out"""


def test_a_plain_types_method_read_from_the_type(form):
    """``sorted(words, key=str.lower)``, ``list.append(xs, 1)``: the method with its receiver
    first, Python's texts for a wrong or missing receiver (Python 3.11 gives the same list)."""
    assert form(UNBOUND_METHODS).result == [
        ["a", "b", "C"], "x,y", "<method 'lower' of 'str' objects>", [1], 2, "d", ["A"], 3,
        "descriptor 'lower' for 'str' objects doesn't apply to a 'int' object",
        "unbound method str.lower() needs an argument"]


@pytest.mark.parametrize("source", [
    "torch.autograd.is_grad_enabled", "torch.autograd.is_grad_enabled()", "torch.nonexistent",
    "torch.nonexistent.x", "F.nonexistent(1)", "torch.nn.functional.nonexistent",
    "nn.Conv9d(1, 1, 1)", "torch.optim.Adamm", "torch.utils.data.DataLoder",
    "torch.zeros(1).nonexistent", "torch.zeros(1).nonexistent()", "torch.Tensor.nonexistent",
    "import torch.nonexistent as t", "from torch.nonexistent import x",
    "from torch import nonexistent", "from torch.nn import Foo", "math.nonexistent",
    "import random\nrandom.nonexistent", "from math import foo",
    "import torch.nn.utils.nothing as n", "from torch.nn.utils import nothing",
])
def test_names_torch_lacks_too_fail_with_torchs_own_text(form, source):
    """The text (and class) torch 2.13 and Python give for a name torch itself lacks, from
    the names recorded by scripts/torch_goldens/record_torch_names.py."""
    torch = pytest.importorskip("torch")
    import importlib
    import math  # noqa: F401 (the programs' standard modules)
    import random  # noqa: F401

    scope = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional,
             "importlib": importlib, "math": math}
    with pytest.raises(Exception) as theirs:
        exec(source, scope)  # the oracle
    with pytest.raises(ProgramError) as ours:
        form(source)
    assert ours.value.extra["exception"] == type(theirs.value).__name__
    expected = str(theirs.value)
    if isinstance(theirs.value, ImportError) and " (" in expected:
        expected = expected.split(" (")[0] + " (unknown location)"  # no file path
    assert ours.value.detail == expected


@pytest.mark.parametrize("source", ["import torch.nn.utils.stateless as stateless",
                                    "from torch.nn.utils import fusion",
                                    "import torch.nn.utils.fusion as fusion"])
def test_a_submodule_torch_imports_is_not_supported_rather_than_missing(form, source):
    """A submodule torch imports and the service lacks: the service says it lacks it, not
    that torch has no such module. (``torch.nn.utils.prune``, which is not in
    ``dir(torch.nn.utils)`` until something imports it, is supported now:
    tests/engine/test_dist_library_programs.py imports it.)"""
    torch = pytest.importorskip("torch")

    exec(source, {"torch": torch})  # torch imports it
    with pytest.raises(ProgramError) as ours:
        form(source)
    name = source.split()[1] if source.startswith("import") else "torch.nn.utils." + \
        source.split()[-1]
    assert ours.value.detail == f"{name} is not supported"


def test_the_recorded_names_are_torchs():
    torch = pytest.importorskip("torch")
    from app.lang.torch_names import MODULE_NAMES, TENSOR_NAMES, TORCH_VERSION

    if not torch.__version__.startswith(TORCH_VERSION):
        pytest.skip(f"names recorded from torch {TORCH_VERSION}, oracle is {torch.__version__}")
    import importlib
    import importlib.util

    def submodule(path: str, name: str) -> bool:
        """A submodule shows in ``dir()`` only once something imported it (``torch.onnx``
        after a test that uses it): such names may differ with the tests run before."""
        try:
            return importlib.util.find_spec(f"{path}.{name}") is not None
        except (ImportError, ValueError):
            return False

    for path, names in MODULE_NAMES.items():
        public = {n for n in dir(importlib.import_module(path)) if not n.startswith("_")}
        differ = {n for n in set(names.split()) ^ public if not submodule(path, n)}
        assert not differ, (path, differ)
    assert set(TENSOR_NAMES.split()) == {n for n in dir(torch.Tensor) if not n.startswith("_")}
    import pkgutil

    from app.lang.torch_names import SUBMODULE_NAMES

    for path in MODULE_NAMES:
        package = importlib.import_module(path)
        found = {m.name for m in pkgutil.iter_modules(getattr(package, "__path__", []))
                 if not m.name.startswith("_")}
        assert set(SUBMODULE_NAMES.get(path, "").split()) == found, path


STRING_PROGRAM = """import string
from string import ascii_lowercase as low, punctuation
all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
def letterToIndex(letter):
    return all_letters.find(letter)
print(n_letters, letterToIndex('J'), low[:5], len(punctuation), string.digits,
      string.hexdigits, string.octdigits, repr(string.whitespace), len(string.printable),
      string.ascii_uppercase[-3:])
"""


def test_import_string_gives_pythons_constants(form):
    """``import string`` (PyTorch's char-RNN tutorials: ``string.ascii_letters``): the
    constants as CPython has them, in both forms; its functions and classes are refused by
    name, a name ``string`` lacks fails with Python's text."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(STRING_PROGRAM, {})  # CPython, the reference
    assert form(STRING_PROGRAM).printed == buffer.getvalue().splitlines()
    for source, detail in (("import string\nstring.capwords('a b')",
                            "string.capwords is not supported"),
                           ("from string import Template", "string.Template is not supported"),
                           ("import string\nstring.nothing",
                            "module 'string' has no attribute 'nothing'")):
        with pytest.raises(ProgramError) as info:
            form(source)
        assert info.value.detail == detail
