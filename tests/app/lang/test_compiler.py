"""The source form: what each construct compiles to, and what is rejected (with line/col)."""

from __future__ import annotations

import pytest

from app.lang import LimitExceeded, SourceSyntaxError, compile_source
from app.lang.compiler import compile_source_with_positions

X, Y = {"var": "x"}, {"var": "y"}


def c(name, *args, **kwargs):
    out = {"call": name}
    if args:
        out["args"] = list(args)
    if kwargs:
        out["kwargs"] = kwargs
    return out


def m(name, receiver, *args, **kwargs):
    out = {"method": name, "args": [receiver, *args]}
    if kwargs:
        out["kwargs"] = kwargs
    return out


@pytest.mark.parametrize("source, program", [
    # literals and names
    ("1", [{"expr": 1}]), ("2.5", [{"expr": 2.5}]), ("2.0", [{"expr": {"float": 2.0}}]),
    ("-2.0", [{"expr": {"float": -2.0}}]), ("1e999", [{"expr": {"float": "Infinity"}}]),
    ("True", [{"expr": True}]),
    ("None", [{"expr": None}]), ("'s'", [{"expr": "s"}]), ("-3", [{"expr": -3}]),
    ("[1, (2, 3)]", [{"expr": [1, {"tuple": [2, 3]}]}]), ("x", [{"expr": X}]),
    ("{1, 2}", [{"expr": {"set": [1, 2]}}]),
    ("{'a': 1, **d}", [{"expr": {"dict": [["a", 1], {"starstar": {"var": "d"}}]}}]),
    ("[*xs, 1]", [{"expr": [{"star": {"var": "xs"}}, 1]}]),
    # library paths stay paths: no user function ever shadows them
    ("torch.tanh(x)", [{"expr": c("torch.tanh", X)}]),
    ("torch.nn.functional.relu(x)", [{"expr": c("torch.nn.functional.relu", X)}]),
    ("F.relu(x)", [{"expr": c("F.relu", X)}]),
    ("nn.functional.relu(x)", [{"expr": c("nn.functional.relu", X)}]),
    ("torch.autograd.grad(y, x)", [{"expr": c("torch.autograd.grad", Y, X)}]),
    ("torch.randn(2, 3, requires_grad=True)",
     [{"expr": c("torch.randn", 2, 3, requires_grad=True)}]),
    ("torch.float32", [{"expr": {"lib": "torch.float32"}}]),
    ("torch.long", [{"expr": {"lib": "torch.long"}}]), ("torch", [{"expr": {"lib": "torch"}}]),
    ("nn.Linear(2, 1)", [{"expr": c("nn.Linear", 2, 1)}]),
    # methods take the receiver first, and are never user functions
    ("x.sum()", [{"expr": m("sum", X)}]),
    ("x.sum(dim=0, keepdim=True)", [{"expr": m("sum", X, dim=0, keepdim=True)}]),
    ("x.grad.zero_()", [{"expr": m("zero_", {"attr": "grad", "of": X})}]),
    ("x.float()", [{"expr": m("float", X)}]),
    ("float(x)", [{"expr": c("float", X)}]),
    ("super().__init__(x)", [{"expr": m("__init__", c("super"), X)}]),
    # bare names are calls by name; an operator's name called bare is a variable's value
    ("f(x)", [{"expr": c("f", X)}]), ("add(x, y)", [{"expr": c({"var": "add"}, X, Y)}]),
    ("f(x)(y)", [{"expr": c(c("f", X), Y)}]),
    ("f(*x, y, **k, z=1)", [{"expr": {"call": "f", "args": [{"star": X}, Y],
                                      "kwargs": {"z": 1}, "kwstar": [{"var": "k"}]}}]),
    # operators are calls
    ("x + y", [{"expr": c("add", X, Y)}]), ("x - y", [{"expr": c("sub", X, Y)}]),
    ("x * y", [{"expr": c("mul", X, Y)}]), ("x / y", [{"expr": c("div", X, Y)}]),
    ("x // y", [{"expr": c("floordiv", X, Y)}]), ("x % y", [{"expr": c("remainder", X, Y)}]),
    ("x ** y", [{"expr": c("pow", X, Y)}]), ("x @ y", [{"expr": c("matmul", X, Y)}]),
    ("-x", [{"expr": c("neg", X)}]), ("~x", [{"expr": c("invert", X)}]),
    ("x & y", [{"expr": c("and_", X, Y)}]), ("x | y", [{"expr": c("or_", X, Y)}]),
    ("x ^ y", [{"expr": c("xor", X, Y)}]), ("x << y", [{"expr": c("lshift", X, Y)}]),
    ("x >> y", [{"expr": c("rshift", X, Y)}]),
    ("x < y", [{"expr": c("lt", X, Y)}]), ("x <= y", [{"expr": c("le", X, Y)}]),
    ("x > y", [{"expr": c("gt", X, Y)}]), ("x >= y", [{"expr": c("ge", X, Y)}]),
    ("x == y", [{"expr": c("eq", X, Y)}]), ("x != y", [{"expr": c("ne", X, Y)}]),
    ("x is None", [{"expr": c("is_", X, None)}]),
    ("x is not None", [{"expr": c("is_not", X, None)}]),
    ("x in y", [{"expr": c("contains", Y, X)}]),
    ("x not in y", [{"expr": {"not": c("contains", Y, X)}}]),
    ("0 < x < 1", [{"expr": {"and": [c("lt", 0, X), c("lt", X, 1)]}}]),
    ("x and y or not x", [{"expr": {"or": [{"and": [X, Y]}, {"not": X}]}}]),
    ("x if y else 0", [{"expr": {"ifexp": Y, "then": X, "else": 0}}]),
    # attributes and indexing
    ("x.shape", [{"expr": {"attr": "shape", "of": X}}]),
    ("x.max(dim=0).values", [{"expr": {"attr": "values", "of": m("max", X, dim=0)}}]),
    ("obj.anything", [{"expr": {"attr": "anything", "of": {"var": "obj"}}}]),
    ("x[0]", [{"expr": {"index": X, "key": 0}}]),
    ("x[:, 1:3]", [{"expr": {"index": X, "key": [{"slice": [None, None, None]},
                                                {"slice": [1, 3, None]}]}}]),
    ("x[::2, None, ...]", [{"expr": {"index": X, "key": [{"slice": [None, None, 2]}, None,
                                                        {"ellipsis": None}]}}]),
    ("x[[0, 2]]", [{"expr": {"index": X, "key": c("builtins.list", [0, 2])}}]),
    ("x[x > 0]", [{"expr": {"index": X, "key": c("gt", X, 0)}}]),
    ("f'{x:.2f}!'", [{"expr": c("add", c("add", "", c("builtins.format", X, ".2f")), "!")}]),
    # functions, lambdas, comprehensions
    ("lambda a, b=1: a", [{"expr": {"lambda": ["a", {"name": "b", "default": 1}],
                                    "body": {"var": "a"}}}]),
    ("[i for i in x if i]", [{"expr": {"listcomp": {"var": "i"}, "generators": [
        {"target": "i", "in": X, "ifs": [{"var": "i"}]}]}}]),
    ("{k: v for k, v in x}", [{"expr": {"dictcomp": [{"var": "k"}, {"var": "v"}],
                                        "generators": [{"target": ["k", "v"], "in": X}]}}]),
    ("(i for i in x)", [{"expr": {"genexp": {"var": "i"},
                                  "generators": [{"target": "i", "in": X}]}}]),
    # statements
    ("y = x", [{"assign": "y", "value": X}]),
    ("a, b = x", [{"assign": ["a", "b"], "value": X}]),
    ("a, (b, *c) = x", [{"assign": ["a", ["b", {"star": "c"}]], "value": X}]),
    ("x[0], y = 1, 2", [{"assign": [{"index": X, "key": 0}, "y"],
                        "value": {"tuple": [1, 2]}}]),
    ("a = b = 1", [{"assign": "a", "also": ["b"], "value": 1}]),
    ("n: int = 1", [{"assign": "n", "value": 1}]),
    ("x[0] = 1", [{"setitem": X, "key": 0, "value": 1}]),
    ("x.grad = None", [{"setattr": X, "attr": "grad", "value": None}]),
    ("x.requires_grad = True", [{"setattr": X, "attr": "requires_grad", "value": True}]),
    ("x -= y", [{"assign": "x", "value": c("isub", X, Y)}]),
    ("x[0] += 1", [{"setitem": X, "key": 0, "op": "iadd", "value": 1}]),
    ("x.grad *= 2", [{"setattr": X, "attr": "grad", "op": "imul", "value": 2}]),
    ("if x:\n  y\nelif y:\n  x\nelse:\n  pass",
     [{"if": X, "then": [{"expr": Y}], "else": [{"if": Y, "then": [{"expr": X}], "else": []}]}]),
    ("while x:\n  break", [{"while": X, "body": [{"break": None}]}]),
    ("for i in range(3):\n  continue",
     [{"for": "i", "in": c("range", 3), "body": [{"continue": None}]}]),
    ("for i, v in enumerate(x):\n  pass",
     [{"for": ["i", "v"], "in": c("enumerate", X), "body": []}]),
    ("def f(a, b):\n  return a\n", [{"def": "f", "params": ["a", "b"],
                                     "body": [{"return": {"var": "a"}}]}]),
    ("def f():\n  return", [{"def": "f", "params": [], "body": [{"return": None}]}]),
    ("with torch.no_grad():\n  x", [{"with": "no_grad", "body": [{"expr": X}]}]),
    ("with torch.enable_grad():\n  x", [{"with": "enable_grad", "body": [{"expr": X}]}]),
    ("with m(x) as a, b:\n  x", [{"with": c("m", X), "as": "a",
                                  "body": [{"with": {"var": "b"}, "body": [{"expr": X}]}]}]),
    ("import torch\nimport torch.nn.functional as F\nfrom torch import nn\nx",
     [{"import": "torch"}, {"import": "torch.nn.functional", "as": "F"},
      {"from_import": "torch", "names": ["nn"]}, {"expr": X}]),
    ("import math\nfrom torch.utils import data\nimport torch.optim as optim",
     [{"import": "math"}, {"from_import": "torch.utils", "names": ["data"]},
      {"import": "torch.optim", "as": "optim"}]),
    ("def f(a, b=2, *args, c, d=3, **kw):\n  pass",
     [{"def": "f", "params": ["a", {"name": "b", "default": 2}], "vararg": "args",
       "kwonly": ["c", {"name": "d", "default": 3}], "kwarg": "kw", "body": []}]),
    ("@dec\ndef f():\n  yield 1", [{"def": "f", "params": [], "decorators": [{"var": "dec"}],
                                     "body": [{"yield": 1}]}]),
    ("def f():\n  yield from x", [{"def": "f", "params": [], "body": [{"yield_from": X}]}]),
    ("class A(B):\n  def __init__(self):\n    super().__init__()",
     [{"class": "A", "bases": [{"var": "B"}], "body": [
         {"def": "__init__", "params": ["self"],
          "body": [{"expr": m("__init__", c("super"))}]}]}]),
    ("try:\n  x\nexcept (E, F) as e:\n  y\nelse:\n  x\nfinally:\n  y",
     [{"try": [{"expr": X}], "handlers": [{"type": {"tuple": [{"var": "E"}, {"lib": "F"}]},
                                           "as": "e", "body": [{"expr": Y}]}],
       "else": [{"expr": X}], "finally": [{"expr": Y}]}]),
    ("raise E('m') from e", [{"raise": c("E", "m"), "from": {"var": "e"}}]),
    ("raise", [{"raise": None}]), ("assert x, 'm'", [{"assert": X, "msg": "m"}]),
    ("def f():\n  global g\n  nonlocal_free = 1", [{"def": "f", "params": [], "body": [
        {"global": ["g"]}, {"assign": "nonlocal_free", "value": 1}]}]),
    ("del x, y[0]", [{"delete": ["x", {"index": Y, "key": 0}]}]),
    ("while x:\n  pass\nelse:\n  y", [{"while": X, "body": [], "else": [{"expr": Y}]}]),
    ("if __name__ == '__main__':\n  x", [{"if": c("eq", "__main__", "__main__"),
                                          "then": [{"expr": X}]}]),
])
def test_source_compiles_to_the_json_form(source, program):
    assert compile_source(source) == program


@pytest.mark.parametrize("source, line, col, words", [
    ("x = (", 1, 5, "never closed"),
    ("import socket", 1, 1, "import of 'socket'"),
    ("from shutil import rmtree", 1, 1, "import of 'shutil'"),
    ("import scipy", 1, 1, "import of 'scipy'"),
    ("from torch import *", 1, 1, "import *"),
    ("x.__globals__", 1, 1, "dunder"),
    ("x.__class__ = A", 1, 1, "read-only"),
    ("del f.__name__", 1, 5, "read-only"),
    ("__import__('os')", 1, 1, "dunder"),
    ("y = x.__dict__", 1, 5, "dunder"),
    ("x.__foo__", 1, 1, "dunder"),
    ("x.__init__", 1, 1, "dunder"),
    ("def __len__(self):\n  pass", 1, 1, "dunder"),
    ("class A:\n  def __getattribute__(self):\n    pass", 2, 3, "special method"),
    ("getattr(x, '__dict__')", 1, 12, "dunder"),
    ("setattr(x, '__class__', A)", 1, 12, "dunder"),
    ("type(x).__bases__", 1, 1, "dunder"),
    ("memoryview(x)", 1, 1, "not available"),
    ("break", 1, 1, "'break' outside loop"),
    ("return 1", 1, 1, "'return' outside function"),
    ("yield 1", 1, 1, "'yield' outside function"),
    ("def f():\n  print(lambda: (yield 1))", 2, 3, "'yield' inside a lambda is not supported"),
    ("nonlocal x", 1, 1, "nonlocal declaration not allowed at module level"),
    ("class A(metaclass=M):\n  pass", 1, 19, "metaclass"),
    ("with open('f'):\n  pass", 1, 6, "not available"),
    ("x = 1j", 1, 5, "complex"),
    ("async def f():\n  pass", 1, 1, "async functions"),
    ("try:\n  pass\nexcept* ValueError:\n  pass", 1, 1, "except*"),
    ("x = 1\nfrom __future__ import division", 2, 1, "must occur at the beginning"),
    ("from __future__ import nope", 1, 1, "future feature nope is not defined"),
    ("from __future__ import braces", 1, 1, "not a chance"),
])
def test_outside_the_subset_is_a_syntax_error_with_line_and_col(source, line, col, words):
    with pytest.raises(SourceSyntaxError) as info:
        compile_source(source)
    err = info.value
    assert (err.code, err.status) == ("syntax_error", 400)
    assert (err.extra["line"], err.extra["col"]) == (line, col)
    assert words in err.detail


def test_future_imports_are_python_3_already():
    """``from __future__ import print_function`` (pytorch/examples' regression opens with it)
    compiles to nothing: every feature it can name is how Python 3 behaves."""
    assert compile_source('"""doc"""\nfrom __future__ import print_function, division\n'
                          "x = 1") == [{"expr": "doc"}, {"assign": "x", "value": 1}]


@pytest.mark.parametrize("source", [
    "y = " + "-" * 5000 + "x",
    "y = " + "x + " * 5000 + "x",
    "y = " + "(" * 5000 + "x" + ")" * 5000,
    "y = " + "[" * 5000 + "]" * 5000,
    "y = " + "f(" * 5000 + ")" * 5000,
    "\n".join(" " * i + "if x:" for i in range(300)) + "\n" + " " * 300 + "pass",
])
def test_deep_nesting_is_a_clean_error(source):
    with pytest.raises((LimitExceeded, SourceSyntaxError)) as info:
        compile_source(source)
    assert info.value.status in (400, 413)


def test_overlong_source_is_413():
    with pytest.raises(LimitExceeded) as info:
        compile_source("x = 1\n" * 200_000)
    assert info.value.status == 413 and info.value.extra["limit"] == "max_source_chars"


def test_positions_map_each_statement_pointer_to_line_and_col():
    source = "x = 1\nif x:\n    y = 2\n    for i in range(3):\n        z = i\n"
    _, positions = compile_source_with_positions(source)
    assert positions == {"#/program/0": (1, 1), "#/program/1": (2, 1),
                         "#/program/1/then/0": (3, 5), "#/program/1/then/1": (4, 5),
                         "#/program/1/then/1/body/0": (5, 9)}


def test_compile_is_pure_and_returns_a_fresh_copy():
    first = compile_source("y = x + 1")
    first[0]["value"] = "changed"
    assert compile_source("y = x + 1") == [{"assign": "y", "value": c("add", X, 1)}]


def test_methods_keep_the_receiver_first():
    (stmt,) = compile_source("x.where(c, y)")
    assert stmt == {"expr": m("where", X, {"var": "c"}, Y)}
