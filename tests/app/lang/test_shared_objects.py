"""Objects every session shares cannot be changed by a program (app/lang/shared.py).

Each hostile write runs in one session; a second session of the same process must then see
the object as it was. Where CPython (or torch) refuses the same write, the error is its class
and text; where Python would allow it (a module, a library class or function, a module-level
object), the refusal says the object is shared.
"""

from __future__ import annotations

import builtins
import collections
import math

import pytest
import torch

from app.lang import Environment, LangError, compile_source, parse_program, run_program

from .conftest import python_cells


def _error(run, source: str, env: Environment | None = None) -> tuple[str, str]:
    with pytest.raises(LangError) as info:
        run(source, env)
    return info.value.extra.get("exception"), info.value.detail


def _python_error(source: str, names: dict | None = None) -> tuple[str, str]:
    [(_, error)] = python_cells([source], names)
    assert error is not None, source
    return error


# (the write, what CPython raises for it): builtin types and the language's exception classes
# are immutable types; builtin functions have no attributes of their own
AS_PYTHON = [
    "int.x = 1", "del int.x", "setattr(int, 'x', 1)", "delattr(int, 'real')", "list.x = 1",
    "range.x = 1", "object.x = 1", "type.x = 1", "Exception.x = 1", "KeyError.x = 1",
    "UserWarning.x = 1", "setattr(ValueError, 'x', 1)", "delattr(Exception, 'args')",
    "del Exception.x", "print.x = 1", "del print.x", "len.x = 1", "setattr(abs, 'x', 1)",
    "import math\nmath.sqrt.x = 1", "import collections\ncollections.deque.x = 1",
    "type(print).x = 1", "type(None).x = 1",
]


@pytest.mark.parametrize("source", AS_PYTHON)
def test_builtin_types_and_functions_refuse_as_python(form, source):
    names = {"collections": collections, "math": math}
    assert _error(form, source) == _python_error(source, names)


# (the write, what torch raises for it)
AS_TORCH = [
    "torch.float32.x = 1", "del torch.float32.x", "torch.float32.is_floating_point = 1",
    "torch.relu.x = 1", "del torch.tanh.x", "torch.ones(1).relu.x = 1",
    "torch.device('cpu').x = 1", "torch.finfo(torch.float32).x = 1", "torch.Size.x = 1",
    "type(torch.float32).x = 1",
]


@pytest.mark.parametrize("source", AS_TORCH)
def test_torch_objects_written_in_c_refuse_as_torch(form, source):
    assert _error(form, source) == _python_error(source, {"torch": torch})


# (the write, a fragment of the refusal, a check run in a second session, its value there)
SHARED = [
    ("torch.relu = None", "module 'torch'", "torch.relu(torch.tensor(-1.0)).item()", 0.0),
    ("import torch\nsetattr(torch, 'x', 1)", "module 'torch'", "hasattr(torch, 'x')", False),
    ("math.pi = 3", "module 'math'", "math.pi", math.pi),
    ("import math\ndel math.pi", "module 'math'", "math.pi", math.pi),
    ("del F.relu", "module 'torch.nn.functional'", "F.relu(torch.tensor(-1.0)).item()", 0.0),
    ("import torch.nn.functional as G\nG.relu = lambda x: x", "module 'torch.nn.functional'",
     "F.relu(torch.tensor(-1.0)).item()", 0.0),
    ("torch.nn.functional.softmax = None", "module 'torch.nn.functional'",
     "F.softmax(torch.zeros(2), dim=0).tolist()", [0.5, 0.5]),
    ("import random\nrandom.random = lambda: 4", "module 'random'",
     "random.seed(0)\nrandom.random()", 0.8444218515250481),
    ("import numpy as np\nnp.pi = 3", "module 'numpy'", "import numpy as np\nnp.pi", math.pi),
    ("import numpy as np\nnp.linalg.norm = None", "module 'numpy.linalg'",
     "import numpy as np\nfloat(np.linalg.norm(np.ones(4)))", 2.0),
    ("import torch.optim as optim\noptim.SGD = None", "module 'torch.optim'",
     "torch.optim.SGD.__name__", "SGD"),
    ("import functools\nfunctools.reduce = None", "module 'functools'",
     "import functools\nfunctools.reduce(lambda a, b: a + b, [1, 2])", 3),
    ("nn.Linear.forward = lambda self, x: 7", "immutable type 'Linear'",
     "nn.Linear(1, 1, bias=False)(torch.zeros(1)).item()", 0.0),
    ("del nn.Linear.forward", "immutable type 'Linear'",
     "nn.Linear(1, 1, bias=False)(torch.zeros(1)).item()", 0.0),
    ("m = nn.Linear(1, 1)\ntype(m).forward = lambda self, x: 7", "immutable type 'Linear'",
     "nn.Linear(1, 1, bias=False)(torch.zeros(1)).item()", 0.0),
    ("nn.Module.training = False", "immutable type 'Module'", "nn.Linear(1, 1).training",
     True),
    ("torch.optim.SGD.step = None", "immutable type 'SGD'",
     "p = torch.ones(1, requires_grad=True)\np.grad = torch.ones(1)\n"
     "torch.optim.SGD([p], lr=1.0).step()\np.item()", 0.0),
    ("torch.Tensor.relu = None", "immutable type 'Tensor'", "torch.ones(1).relu().item()", 1.0),
    ("F.relu.calls = 0", "function 'relu'", "hasattr(F.relu, 'calls')", False),
    ("torch.utils.data.default_collate.x = 1", "function 'default_collate'",
     "hasattr(torch.utils.data.default_collate, 'x')", False),
    ("Exception.x = 1", "immutable type 'Exception'", "hasattr(KeyError, 'x')", False),
    ("import json\njson.JSONDecodeError.x = 1", "immutable type 'JSONDecodeError'",
     "import json\nhasattr(json.JSONDecodeError, 'x')", False),
    ("import dataclasses\ndataclasses.MISSING.x = 1", "dataclasses.MISSING",
     "import dataclasses\nhasattr(dataclasses.MISSING, 'x')", False),
    ("import dataclasses\nsetattr(dataclasses.MISSING, 'x', 1)", "dataclasses.MISSING",
     "import dataclasses\nhasattr(dataclasses.MISSING, 'x')", False),
    ("from torch.distributions import constraints\nconstraints.positive.check = None",
     "'_GreaterThan' object",
     "from torch.distributions import constraints\n"
     "constraints.positive.check(torch.tensor(1.0)).item()", True),
]


@pytest.mark.parametrize(("source", "refusal", "check", "expected"), SHARED,
                         ids=[s for s, *_ in SHARED])
def test_shared_objects_refuse_writes_and_other_sessions_see_them_unchanged(
        form, source, refusal, check, expected):
    cls, text = _error(form, source)
    assert refusal in text
    if "immutable type" in refusal:
        assert (cls, text.split(" attribute of")[0]) == ("TypeError", "cannot set '" +
                                                         text.split("'")[1] + "'")
    else:
        assert cls == "AttributeError" and "read-only" in text
    assert form(check).result == expected


# (a mutation of a container a library class holds, a check in a second session, the value
# torch has there)
CONTAINERS = [
    ("from torch.distributions import Normal\nNormal.arg_constraints['loc'] = 5",
     "from torch.distributions import Normal\nsorted(Normal.arg_constraints)",
     ["loc", "scale"]),
    ("from torch.distributions import Normal\nNormal.arg_constraints.clear()",
     "from torch.distributions import Normal\nlen(Normal.arg_constraints)", 2),
    ("from torch.distributions import Normal\nNormal(0.0, 1.0).arg_constraints.pop('loc')",
     "from torch.distributions import Normal\nNormal(0.0, 1.0).arg_constraints['loc']",
     None),
    ("from torch.distributions import identity_transform\nidentity_transform.parts.append(1)",
     "from torch.distributions import identity_transform\nidentity_transform.parts", []),
]


@pytest.mark.parametrize(("source", "check", "expected"), CONTAINERS)
def test_containers_of_library_classes_are_the_programs_copies(form, source, check,
                                                                 expected):
    env = Environment()
    form(source, env)
    result = form(check).result
    if expected is None:  # the constraint object itself, as torch's class holds it
        assert repr(result) == repr(torch.distributions.Normal.arg_constraints["loc"])
    else:
        assert result == expected


def test_a_programs_own_copy_of_a_class_container_keeps_its_change(form):
    env = Environment()
    assert form("from torch.distributions import Normal\nc = Normal.arg_constraints\n"
                "c['x'] = 1\nsorted(c)", env).result == ["loc", "scale", "x"]


def test_json_form_cannot_delete_a_dunder_of_a_shared_class():
    program = [{"delete": [{"attr": "__init__", "of": {"var": "BaseException"}}]}]
    with pytest.raises(LangError, match="cannot delete dunder attribute '__init__'"):
        run_program(parse_program(program), Environment())
    again = run_program(compile_source("str(ValueError('hi'))"), Environment())
    assert again.result == "hi"


def test_json_form_setattr_on_a_module_is_refused():
    program = [{"setattr": {"lib": "torch"}, "attr": "relu", "value": None}]
    with pytest.raises(LangError, match="module 'torch'"):
        run_program(parse_program(program), Environment())
    program = [{"delete": [{"attr": "pi", "of": {"lib": "math"}}]}]
    with pytest.raises(LangError, match="module 'math'"):
        run_program(parse_program(program), Environment())
    assert run_program(compile_source("math.pi"), Environment()).result == math.pi


# what a program defines stays writable, as in Python
OWN = [
    "class A:\n    pass\nA.x = 1\na = A()\na.y = 2\ndel a.y\nprint(A.x, hasattr(a, 'y'))",
    "class E(Exception):\n    pass\nE.x = 1\ne = E('m')\ne.y = 2\nprint(E.x, e.y, e)",
    "e = ValueError('a')\ne.note = 'n'\nprint(e.note, e)",
    "class B:\n    x = 1\nsetattr(B, 'x', 2)\ndelattr(B, 'x')\nprint(hasattr(B, 'x'))",
]


@pytest.mark.parametrize("source", OWN)
def test_a_programs_own_classes_and_objects_stay_writable(form, source):
    assert form(source).printed == python_cells([source])[0][0]


def test_a_programs_module_subclass_stays_writable(form):
    source = ("class M(nn.Module):\n    def forward(self, x):\n        return x\n"
              "M.forward = lambda self, x: x * 2\nm = M()\nm.k = 3\n"
              "print(m(torch.ones(1)).item(), m.k)")
    assert form(source).printed == ["2.0 3"]
    assert _error(form, "M.forward")[1] == "name 'M' is not defined"


def test_builtins_stay_usable_after_every_refused_write(form):
    env = Environment()
    for source in AS_PYTHON + [s for s, *_ in SHARED]:
        try:
            form(source, env)
        except LangError:
            pass
    assert form("print(len([1]), int('2'), ValueError('v'), math.pi)").printed == [
        f"1 2 v {math.pi}"]
    assert not any(hasattr(t, "x") for t in (int, list, Exception, object, builtins.print))


def test_attribute_names_set_on_library_objects_do_not_pile_up_in_the_process(form):
    from app.lang.objects import ASSIGNED_NAMES

    env = Environment()
    form("opt = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)", env)
    before = len(ASSIGNED_NAMES)
    form("for i in range(300):\n    setattr(opt, f'name_{i}', i)\nopt.name_299", env)
    assert len(ASSIGNED_NAMES) == before
    # a name that shadows a method of the class still shadows it
    assert form("opt.zero_grad = lambda: 'mine'\nopt.zero_grad()", env).result == "mine"
    assert form("opt.name_7", env).result == 7
