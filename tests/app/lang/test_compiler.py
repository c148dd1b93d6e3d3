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


@pytest.mark.parametrize("source, program", [
    # literals and names
    ("1", [{"expr": 1}]), ("2.5", [{"expr": 2.5}]), ("True", [{"expr": True}]),
    ("None", [{"expr": None}]), ("'s'", [{"expr": "s"}]), ("-3", [{"expr": -3}]),
    ("[1, (2, 3)]", [{"expr": [1, [2, 3]]}]), ("x", [{"expr": X}]),
    # the module prefixes resolve to bare op names
    ("torch.tanh(x)", [{"expr": c("tanh", X)}]),
    ("torch.nn.functional.relu(x)", [{"expr": c("relu", X)}]),
    ("F.relu(x)", [{"expr": c("relu", X)}]), ("nn.functional.relu(x)", [{"expr": c("relu", X)}]),
    ("torch.autograd.grad(y, x)", [{"expr": c("grad", Y, X)}]),
    ("torch.randn(2, 3, requires_grad=True)",
     [{"expr": c("randn", 2, 3, requires_grad=True)}]),
    # dtypes and constants are variables of the language
    ("torch.float32", [{"expr": {"var": "float32"}}]),
    ("torch.float", [{"expr": {"var": "float32"}}]),
    ("torch.long", [{"expr": {"var": "int64"}}]), ("torch.pi", [{"expr": {"var": "pi"}}]),
    # methods take the receiver first
    ("x.sum()", [{"expr": c("sum", X)}]),
    ("x.sum(dim=0, keepdim=True)", [{"expr": c("sum", X, dim=0, keepdim=True)}]),
    ("x.grad.zero_()", [{"expr": c("zero_", {"attr": "grad", "of": X})}]),
    ("x.float()", [{"expr": c("to", X, {"var": "float32"})}]),
    ("float(x)", [{"expr": c("float", X)}]),
    # operators are calls
    ("x + y", [{"expr": c("add", X, Y)}]), ("x - y", [{"expr": c("sub", X, Y)}]),
    ("x * y", [{"expr": c("mul", X, Y)}]), ("x / y", [{"expr": c("div", X, Y)}]),
    ("x // y", [{"expr": c("floordiv", X, Y)}]), ("x % y", [{"expr": c("remainder", X, Y)}]),
    ("x ** y", [{"expr": c("pow", X, Y)}]), ("x @ y", [{"expr": c("matmul", X, Y)}]),
    ("-x", [{"expr": c("neg", X)}]), ("~x", [{"expr": c("bitwise_not", X)}]),
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
    ("x.max(dim=0).values", [{"expr": {"attr": "values", "of": c("max", X, dim=0)}}]),
    ("x[0]", [{"expr": {"index": X, "key": 0}}]),
    ("x[:, 1:3]", [{"expr": {"index": X, "key": [{"slice": [None, None, None]},
                                                {"slice": [1, 3, None]}]}}]),
    ("x[::2, None, ...]", [{"expr": {"index": X, "key": [{"slice": [None, None, 2]}, None,
                                                        {"ellipsis": None}]}}]),
    ("x[[0, 2]]", [{"expr": {"index": X, "key": c("list", [0, 2])}}]),
    ("x[x > 0]", [{"expr": {"index": X, "key": c("gt", X, 0)}}]),
    ("f'{x:.2f}!'", [{"expr": c("add", c("add", "", c("format", X, ".2f")), "!")}]),
    # statements
    ("y = x", [{"assign": "y", "value": X}]),
    ("a, b = x", [{"assign": ["a", "b"], "value": X}]),
    ("a = b = 1", [{"assign": "a", "value": 1}, {"assign": "b", "value": {"var": "a"}}]),
    ("n: int = 1", [{"assign": "n", "value": 1}]),
    ("x[0] = 1", [{"setitem": X, "key": 0, "value": 1}]),
    ("x.grad = None", [{"setattr": X, "attr": "grad", "value": None}]),
    ("x.requires_grad = True", [{"setattr": X, "attr": "requires_grad", "value": True}]),
    ("x -= y", [{"assign": "x", "value": c("isub", X, Y)}]),
    ("x[0] += 1", [{"setitem": X, "key": 0,
                    "value": c("iadd", {"index": X, "key": 0}, 1)}]),
    ("x.grad *= 2", [{"setattr": X, "attr": "grad",
                      "value": c("imul", {"attr": "grad", "of": X}, 2)}]),
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
    ("import torch\nimport torch.nn.functional as F\nfrom torch import nn\nx", [{"expr": X}]),
])
def test_source_compiles_to_the_json_form(source, program):
    assert compile_source(source) == program


@pytest.mark.parametrize("source, line, col, words", [
    ("x = (", 1, 5, "never closed"),
    ("import os", 1, 1, "import of 'os'"),
    ("from os import path", 1, 1, "import of 'os.path'"),
    ("import torch as t", 1, 1, "not allowed"),
    ("x.__class__", 1, 1, "dunder"),
    ("__import__('os')", 1, 1, "dunder"),
    ("y = x.__dict__", 1, 5, "dunder"),
    ("x.foo", 1, 1, "attribute 'foo' is not allowed"),
    ("x.shape = 1", 1, 1, "cannot be assigned"),
    ("class A:\n  pass", 1, 1, "class definitions"),
    ("def f():\n  global x", 2, 3, "'global'"),
    ("f = lambda: 1", 1, 5, "lambda"),
    ("[i for i in x]", 1, 1, "list comprehensions"),
    ("{1: 2}", 1, 1, "dict literals"),
    ("try:\n  x\nexcept:\n  pass", 1, 1, "try statements"),
    ("del x", 1, 1, "del"),
    ("f(*x)", 1, 3, "'*' unpacking"),
    ("f(**x)", 1, 5, "'**' arguments"),
    ("break", 1, 1, "'break' outside loop"),
    ("return 1", 1, 1, "'return' outside function"),
    ("def f(a=1):\n  pass", 1, 1, "positional parameters"),
    ("with open('f'):\n  pass", 1, 6, "no_grad"),
    ("torch.os.system('ls')", 1, 1, "unknown function"),
    ("torch", 1, 1, "module"),
    ("x()()", 1, 1, "only names and methods"),
    ("x = 1j", 1, 5, "complex"),
    ("while x:\n  pass\nelse:\n  pass", 1, 1, "'else' after a loop"),
    ("x[0], y = 1, 2", 1, 1, "only names"),
])
def test_outside_the_subset_is_a_syntax_error_with_line_and_col(source, line, col, words):
    with pytest.raises(SourceSyntaxError) as info:
        compile_source(source)
    err = info.value
    assert (err.code, err.status) == ("syntax_error", 400)
    assert (err.extra["line"], err.extra["col"]) == (line, col)
    assert words in err.detail


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


def test_where_method_puts_the_receiver_second():
    from app.lang import compile_source

    (stmt,) = compile_source("x.where(c, y)")
    assert stmt == {"expr": {"call": "where",
                             "args": [{"var": "c"}, {"var": "x"}, {"var": "y"}]}}
