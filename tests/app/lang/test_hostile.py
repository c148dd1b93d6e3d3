"""Hostile programs: each is stopped with the right code, and the session stays usable."""

from __future__ import annotations

import pytest

from app.lang import (
    Environment,
    LangError,
    Limits,
    compile_source,
    parse_program,
    run_program,
)

from .conftest import missing_ops

LIMITS = Limits(max_steps=200_000, timeout_s=10.0, max_tensor_elements=10_000_000,
                max_session_bytes=200_000_000, max_recursion_depth=100,
                max_loop_iterations=100_000, max_program_nodes=50_000, max_nesting_depth=200,
                max_value_elements=1_000_000, max_int_bits=100_000)


def _nested_json(depth: int) -> list:
    expr = {"var": "keep"}
    for _ in range(depth):
        expr = {"call": "neg", "args": [expr]}
    return [{"expr": expr}]


# (name, program: source text or JSON list, code, limit or None, ops the engine must have)
HOSTILE = [
    ("import socket", "import socket", "syntax_error", None, ()),
    ("sys.modules", "from sys import modules", "program_error", None, ()),
    ("sys._getframe", "from sys import _getframe", "program_error", None, ()),
    ("import subprocess", "import subprocess\nsubprocess.run('ls')", "syntax_error", None, ()),
    ("from-import", "from shutil import rmtree", "syntax_error", None, ()),
    ("__import__", "__import__('os').system('ls')", "syntax_error", None, ()),
    ("dunder attr", "keep.__dict__", "syntax_error", None, ()),
    ("__class__ then dict", "keep.__class__.__dict__", "syntax_error", None, ()),
    ("__class__ then mro", "type(keep).__class__.__mro__", "syntax_error", None, ()),
    ("__class__ of a class then subclasses", "torch.nn.Linear.__class__.__subclasses__()",
     "syntax_error", None, ()),
    ("__class__ then getattr subclasses",
     "getattr(getattr(1, '__class__'), '__subcla' + 'sses__')()", "program_error", None, ()),
    ("__class__ of a library class then mro", "getattr(torch.Tensor.__class__, 'mro')()",
     "program_error", None, ()),
    ("__class__ of a type makes a class", "type(1).__class__('X', (), {})", "program_error",
     None, ()),
    ("__class__ of a builtin called", "print.__class__('x')", "program_error", None, ()),
    ("__class__ of the tensor class internals", "torch.ones(1).__class__._make_subclass",
     "program_error", None, ("ones",)),
    ("__class__ assigned", "class A:\n    pass\na = A()\na.__class__ = int", "syntax_error",
     None, ()),
    ("__name__ assigned", "def f():\n    pass\nf.__name__ = 'g'", "syntax_error", None, ()),
    ("__class__ deleted", "class A:\n    pass\ndel A().__class__", "syntax_error", None, ()),
    ("setattr __class__", "class A:\n    pass\nsetattr(A(), '__class__', int)",
     "syntax_error", None, ()),
    ("setattr computed __class__", "class A:\n    pass\nsetattr(A(), '__cl' + 'ass__', int)",
     "program_error", None, ()),
    ("library __doc__", "torch.nn.Linear.__doc__", "program_error", None, ()),
    ("library module __class__ attributes", "torch.nn.__class__.__init__.__globals__",
     "syntax_error", None, ()),
    ("function __class__ then code", "def f():\n    pass\ngetattr(f.__class__, 'code')",
     "program_error", None, ()),
    ("super __class__ walk", "class A:\n    def m(self):\n        return getattr(super()"
     ".__class__, '__ini' + 't__')\nA().m()", "program_error", None, ()),
    ("__class__ walk", "().__class__.__bases__[0].__subclasses__()", "syntax_error", None, ()),
    ("__builtins__", "__builtins__", "syntax_error", None, ()),
    ("tensor internals", "torch.ones(1)._data", "program_error", None, ("ones",)),
    ("array base", "torch.ones(1).numpy().base", "program_error", None, ("ones",)),
    ("array data buffer", "getattr(torch.ones(1).numpy(), 'data')", "program_error", None,
     ("ones",)),
    ("array dunder", "torch.ones(1).numpy().__array_interface__", "syntax_error", None,
     ("ones",)),
    ("array write of an object", "a = torch.ones(1).numpy()\na[0] = torch", "program_error",
     None, ("ones",)),
    ("array broadcast bomb", "a = torch.ones(10**5).numpy()\na.reshape(-1, 1) * a",
     "limit_exceeded", "max_tensor_elements", ("ones",)),
    ("array tolist bomb", "torch.ones(10**7).numpy().tolist()", "limit_exceeded",
     "max_value_elements", ("ones",)),
    ("tensor numpy via class", "torch.Tensor.numpy(torch.ones(1))", "program_error", None,
     ("ones",)),
    ("library internals", "torch.ones(1, requires_grad=True).sum().grad_fn._saved",
     "program_error", None, ("ones",)),
    ("engine module through torch", "torch.ops", "program_error", None, ()),
    ("os through torch", "torch.os.system('ls')", "program_error", None, ()),
    ("getattr", "getattr(keep, '__dict__')", "syntax_error", None, ()),
    ("open", "open('/etc/passwd').read()", "syntax_error", None, ()),
    ("python eval", "eval('1 + 1')", "syntax_error", None, ()),
    ("exec", "exec('import os')", "syntax_error", None, ()),
    ("compile", "compile('1', 'f', 'eval')", "syntax_error", None, ()),
    ("globals", "globals()", "syntax_error", None, ()),
    ("type bases", "type(keep).__bases__", "syntax_error", None, ()),
    ("type mro", "type(keep).mro()", "program_error", None, ()),
    ("type subclasses", "object.__subclasses__()", "syntax_error", None, ()),
    ("getattr dunder", "getattr(keep, '__di' + 'ct__')", "program_error", None, ()),
    ("delattr", "delattr(keep, '__class__')", "syntax_error", None, ()),
    ("delattr dunder", "delattr(keep, '__cla' + 'ss__')", "program_error", None, ()),
    ("delattr private library", "delattr(torch.nn.Linear(1, 1), '_parameters')",
     "program_error", None, ()),
    ("partial internals", "import functools as f\nf.partial(print).func", "program_error",
     None, ()),
    ("partial keywords", "from functools import partial as f\nf(print).keywords",
     "program_error", None, ()),
    ("functools internals", "import functools as f\nf.WRAPPER_ASSIGNMENTS", "program_error",
     None, ()),
    ("functools cache internals", "import functools as f\nf.cache(max).cache",
     "program_error", None, ()),
    ("getattr private library", "getattr(torch.ones(1), '_data')", "program_error", None,
     ("ones",)),
    ("function globals", "def f():\n    pass\nf.__globals__", "syntax_error", None, ()),
    ("function code", "f = lambda: 1\ngetattr(f, 'func_code')", "program_error", None, ()),
    ("class dict", "class A:\n    pass\nA.__dict__", "syntax_error", None, ()),
    ("instance class dict", "class A:\n    pass\nA().__class__.__dict__", "syntax_error",
     None, ()),
    ("function code", "def f():\n    pass\nf.__code__", "syntax_error", None, ()),
    ("function builtins", "def f():\n    pass\nf.__builtins__", "syntax_error", None, ()),
    ("class attribute walk", "class A:\n    pass\ngetattr(A, 'mro')()", "program_error",
     None, ()),
    ("special method call", "class A:\n    def __repr__(self):\n        return 1\nstr(A())",
     "program_error", None, ()),
    ("exception internals", "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__",
     "syntax_error", None, ()),
    ("exception attributes", "try:\n    1 / 0\nexcept Exception as e:\n    x = e.with_traceback",
     "program_error", None, ()),
    ("generator frame", "def g():\n    yield 1\ng().gi_frame", "program_error", None, ()),
    ("module value internals", "import math as m\nm.sys", "program_error", None, ()),
    ("library class subclass of Tensor", "class T(torch.Tensor):\n    pass",
     "program_error", None, ()),
    ("format field lookup", "'{0.__class__}'.format(1)", "program_error", None, ()),
    ("format field index", "'{0[0]}'.format([1])", "program_error", None, ()),
    ("engine setattr on shared dtype", "torch.float32.name = 'x'", "program_error", None, ()),
    ("engine setattr on a class", "torch.Tensor.add = 1", "program_error", None, ()),
    ("lambda recursion", "f = lambda n: f(n + 1)\nf(0)", "limit_exceeded",
     "max_recursion_depth", ()),
    ("__call__ recursion", "class A:\n    def __call__(self):\n        return self()\nA()()",
     "limit_exceeded", "max_recursion_depth", ()),
    ("__repr__ recursion", "class A:\n    def __repr__(self):\n        return repr(self)\n"
     "repr(A())", "limit_exceeded", "max_recursion_depth", ()),
    ("__getitem__ iteration bomb", "class A:\n    def __getitem__(self, i):\n"
     "        return i\nlist(A())", "limit_exceeded", None, ()),
    ("generator bomb", "def g():\n    while True:\n        yield 1\nlist(g())",
     "limit_exceeded", None, ()),
    ("generator recursion", "def g():\n    yield from g()\nlist(g())", "limit_exceeded",
     None, ()),
    ("generator expression bomb", "sum(x for x in range(10**12))", "limit_exceeded",
     "max_steps", ()),
    ("comprehension bomb", "[0 for i in range(10**9)]", "limit_exceeded", "max_steps", ()),
    ("nested comprehension bomb", "[(i, j) for i in range(10**5) for j in range(10**5)]",
     "limit_exceeded", "max_steps", ()),
    ("dict comprehension bomb", "{i: i for i in range(10**9)}", "limit_exceeded",
     "max_steps", ()),
    ("huge dict", "dict.fromkeys(range(10**9))", "limit_exceeded", "max_value_elements", ()),
    ("dict from a huge range", "dict(zip(range(10**9), range(10**9)))", "limit_exceeded",
     None, ()),
    ("dict doubling", "d = {0: 0}\nfor i in range(100):\n    d.update({(i, k): 0 for k in d})",
     "limit_exceeded", None, ()),
    ("set of a huge range", "set(range(10**12))", "limit_exceeded", "max_value_elements", ()),
    ("join bomb", "','.join(['x' * 100000] * 1000)", "limit_exceeded", "max_value_elements",
     ()),
    ("replace bomb", "s = 'a' * 100000\ns.replace('a', 'a' * 1000)", "limit_exceeded",
     "max_value_elements", ()),
    ("ljust bomb", "'a'.ljust(10**9)", "limit_exceeded", "max_value_elements", ()),
    ("shift bomb", "1 << 10**9", "limit_exceeded", "max_int_bits", ()),
    ("factorial bomb", "import math\nmath.factorial(10**6)", "limit_exceeded",
     "max_int_bits", ()),
    ("except cannot catch limits", "n = 0\nwhile True:\n    try:\n        while True:\n"
     "            n = n + 1\n    except BaseException:\n        pass", "limit_exceeded",
     None, ()),
    ("finally cannot outlive limits", "try:\n    while True:\n        pass\nfinally:\n"
     "    while True:\n        pass", "limit_exceeded", None, ()),
    ("star-args bomb", "def f(*a):\n    return len(a)\nf(*range(10**12))", "limit_exceeded",
     None, ()),
    ("class statement bomb", "for i in range(10**6):\n    class A(torch.no_grad):\n"
     "        pass", "limit_exceeded", None, ()),
    ("class mro conflict", "class A:\n    pass\nclass B(A):\n    pass\nclass C(A, B):\n"
     "    pass", "program_error", None, ()),
    ("non-exception raise", "raise 5", "program_error", None, ()),
    ("catch non-exception", "try:\n    1 / 0\nexcept int:\n    pass", "program_error", None,
     ()),
    ("json __import__", [{"expr": {"call": "__import__", "args": ["os"]}}],
     "invalid_request", None, ()),
    ("json dunder attr", [{"expr": {"attr": "__dict__", "of": 1}}], "invalid_request", None, ()),
    ("json dunder method", [{"expr": {"method": "__getattribute__", "args": [1, "x"]}}],
     "invalid_request", None, ()),
    ("json special method read as an attribute",
     [{"expr": {"attr": "__getitem__", "of": {"var": "keep"}}}], "invalid_request", None, ()),
    ("json special method of a list", [{"expr": {"method": "__getitem__", "args": [[1], 0]}}],
     "program_error", None, ()),
    ("special method of a tensor by name", "torch.ones(2).__getitem__(0)", "program_error", None,
     ("ones",)),
    ("special method of a library object by name", "torch.nn.ReLU().__call__(torch.ones(1))",
     "program_error", None, ("ones",)),
    ("library special method through a Module subclass",
     "class A(torch.nn.Module):\n    pass\nA().__call__(1)", "program_error", None, ()),
    ("library special method through super()",
     "class A(torch.nn.Sequential):\n    def f(self):\n        return super().__len__()\n"
     "A().f()", "program_error", None, ()),
    ("special method read, not called", "class A:\n    def __len__(self):\n        return 1\n"
     "f = A().__len__", "syntax_error", None, ()),
    ("special method of a class's class", "class A:\n    pass\nA.__class__.__call__(A)",
     "program_error", None, ()),
    ("non-special dunder method", "class A:\n    pass\nA().__reduce__()", "syntax_error",
     None, ()),
    ("special method recursion by name",
     "class A:\n    def __len__(self):\n        return self.__len__()\nA().__len__()",
     "limit_exceeded", "max_recursion_depth", ()),
    ("json __globals__", [{"expr": {"attr": "__globals__", "of": {"var": "keep"}}}],
     "invalid_request", None, ()),
    ("json __class__ assigned", [{"setattr": {"var": "keep"}, "attr": "__class__",
                                  "value": 1}], "program_error", None, ()),
    ("json getattr __subclasses__", [{"expr": {"call": "getattr", "args": [
        {"attr": "__class__", "of": 1}, "__subclasses__"]}}], "program_error", None, ()),
    ("json dunder var", [{"expr": {"var": "__builtins__"}}], "invalid_request", None, ()),
    ("json dotted call", [{"expr": {"call": "os.system", "args": ["ls"]}}],
     "program_error", None, ()),
    ("while True", "while True:\n    pass", "limit_exceeded", "max_loop_iterations", ()),
    ("while True with work", "n = 0\nwhile True:\n    n = n + 1", "limit_exceeded", None, ()),
    ("endless function", "def f():\n    while True:\n        pass\nf()", "limit_exceeded",
     "max_loop_iterations", ()),
    ("step bomb", "for i in range(100000):\n    for j in range(100000):\n        pass",
     "limit_exceeded", "max_steps", ()),
    ("deep recursion", "def f(n):\n    return f(n + 1)\nf(0)", "limit_exceeded",
     "max_recursion_depth", ()),
    ("mutual recursion", "def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nf(0)",
     "limit_exceeded", "max_recursion_depth", ()),
    ("5000-deep json", _nested_json(5000), "limit_exceeded", "max_nesting_depth", ()),
    ("5000-deep source", "y = " + "-" * 5000 + "keep", "limit_exceeded", "max_nesting_depth",
     ()),
    ("5000-deep parens", "y = " + "(" * 5000 + "1" + ")" * 5000, "syntax_error", None, ()),
    ("huge program", [{"expr": 1}] * 60_000, "limit_exceeded", "max_program_nodes", ()),
    ("string bomb", "'a' * 10**9", "limit_exceeded", "max_value_elements", ()),
    ("list bomb", "[0] * 10**9", "limit_exceeded", "max_value_elements", ()),
    ("string doubling", "s = 'a'\nfor i in range(64):\n    s = s + s", "limit_exceeded",
     "max_value_elements", ()),
    ("power bomb", "10**10**10", "limit_exceeded", "max_int_bits", ()),
    ("squaring bomb", "x = 3\nfor i in range(64):\n    x = x * x", "limit_exceeded",
     "max_int_bits", ()),
    ("range materialized", "list(range(10**12))", "limit_exceeded", "max_value_elements", ()),
    ("max over a huge range", "max(range(10**12))", "limit_exceeded", "max_value_elements",
     ()),
    ("format width bomb", "format(1, '999999999d')", "program_error", None, ()),
    ("f-string width bomb", "f'{1:>999999999}'", "program_error", None, ()),
    ("percent formatting", "'%0999999999d' % 1", "program_error", None, ()),
    ("print flood", "for i in range(10000):\n    print('x' * 1000)", "limit_exceeded",
     "max_value_elements", ()),
    ("huge zeros", "torch.zeros(10**10)", "limit_exceeded", "max_tensor_elements", ("zeros",)),
    ("huge 2-d ones", "torch.ones(100000, 100000)", "limit_exceeded", "max_tensor_elements",
     ("ones",)),
    ("broadcast bomb", "a = torch.ones(100000, 1)\nb = torch.ones(1, 100000)\nc = a + b",
     "limit_exceeded", "max_tensor_elements", ("ones",)),
    ("matmul bomb", "a = torch.ones(100000, 1)\nb = torch.ones(1, 100000)\nc = a @ b",
     "limit_exceeded", "max_tensor_elements", ("ones", "matmul")),
    ("doubling cat", "x = torch.ones(1)\nfor i in range(100):\n    x = torch.cat([x, x])",
     "limit_exceeded", None, ("ones", "cat")),
    ("session memory", "xs = []\nfor i in range(1000):\n    xs.append(torch.ones(1000000))",
     "limit_exceeded", "max_session_bytes", ("ones",)),
    ("custom Function recursing through apply",
     "class A(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
     "        return A.apply(x)\n    @staticmethod\n    def backward(ctx, g):\n        return g\n"
     "A.apply(torch.ones(1))", "limit_exceeded", "max_recursion_depth", ("ones",)),
    ("custom Function apply with a dunder keyword",
     "class A(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, k=1):\n"
     "        return x * k\n    @staticmethod\n    def backward(ctx, g):\n        return g, None\n"
     "A.apply(torch.ones(1), **{'__class__': 1})", "program_error", None, ("ones",)),
    ("match star over a huge range", "match range(10**12):\n    case [*xs]:\n        pass",
     "limit_exceeded", "max_value_elements", ()),
    ("match rest of a huge dict", "d = {i: i for i in range(900000)}\nfor i in range(10):\n"
     "    match d:\n        case {0: 0, **m}:\n            xs = [m]", "limit_exceeded", None,
     ()),
    ("match in an endless loop", "while True:\n    match keep:\n        case [a, b]:\n"
     "            pass\n        case int(n) if n > 0:\n            pass", "limit_exceeded", None,
     ()),
    ("recursion through a match", "def f(x):\n    match x:\n        case _:\n"
     "            return f(x)\nf(1)", "limit_exceeded", "max_recursion_depth", ()),
    ("recursion through a class pattern's attribute",
     "class A:\n    @property\n    def b(self):\n        match self:\n"
     "            case A(b=x):\n                return x\nA().b", "limit_exceeded",
     "max_recursion_depth", ()),
    ("class pattern reading a dunder", "match keep:\n    case int(__class__=c):\n        pass",
     "syntax_error", None, ()),
    ("match args naming a dunder", "class A:\n    __match_args__ = ('__class__',)",
     "syntax_error", None, ()),
    ("JSON class pattern reading a dunder",
     [{"match": {"var": "keep"}, "cases": [{"pattern": {"instance": {"var": "int"},
                                                        "kwargs": {"__dict__": {"capture": "d"}}},
                                            "body": []}]}], "invalid_request", None, ()),
    ("JSON capture of a dunder name",
     [{"match": {"var": "keep"}, "cases": [{"pattern": {"capture": "__builtins__"},
                                            "body": []}]}], "invalid_request", None, ()),
    ("JSON walrus to a dunder name", [{"expr": {"walrus": "__class__", "value": 1}}],
     "invalid_request", None, ()),
    ("walrus in an endless comprehension", "n = 0\nxs = [(n := n + 1) for i in range(10**9)]",
     "limit_exceeded", None, ()),
    ("walrus doubling a string", "s = 'a'\nwhile (s := s + s):\n    pass", "limit_exceeded",
     "max_value_elements", ()),
    # mul saves its inputs, so the graph behind y holds every step's tensor
    ("graph memory", "w = torch.ones(1000000, requires_grad=True)\ny = w\n"
     "for i in range(1000):\n    y = y * w", "limit_exceeded", "max_session_bytes", ("ones",)),
]


def _run(program, env):
    if isinstance(program, str):
        return run_program(compile_source(program, LIMITS), env, LIMITS, source=program)
    return run_program(program, env, LIMITS)


@pytest.mark.parametrize("name, program, code, limit, ops", HOSTILE,
                         ids=[entry[0] for entry in HOSTILE])
def test_hostile_program_is_stopped_and_the_session_survives(name, program, code, limit, ops):
    if missing_ops(*ops):
        pytest.skip(f"engine lacks ops {missing_ops(*ops)}")
    env = Environment()
    _run("keep = 41", env)
    with pytest.raises(LangError) as info:
        _run(program, env)
    err = info.value
    assert err.code == code, err.detail
    if limit is not None:
        assert err.extra["limit"] == limit, err.detail
    if code == "limit_exceeded":
        assert err.extra["value"] is not None or err.extra["limit"] != "max_steps"
    assert _run("keep + 1", env).result == 42
    assert set(env.variables) <= {"keep", "s", "x", "n", "a", "b", "xs", "w", "y", "f", "g",
                                  "A", "B", "d", "m"}


def test_a_slow_loop_hits_the_wall_clock_limit():
    limits = Limits(timeout_s=0.2, max_steps=10**12, max_loop_iterations=10**12)
    env = Environment()
    with pytest.raises(LangError) as info:
        run_program(compile_source("n = 0\nwhile True:\n    n = n + 1"), env, limits)
    assert info.value.extra["limit"] == "timeout_s" and info.value.extra["steps"] > 0


def test_nesting_is_checked_before_pydantic_sees_the_document():
    with pytest.raises(LangError) as info:
        parse_program(_nested_json(5000))
    assert (info.value.code, info.value.status) == ("limit_exceeded", 413)
