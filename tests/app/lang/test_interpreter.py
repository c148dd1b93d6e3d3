"""The interpreter: every statement and expression kind, in both forms, and its semantics."""

from __future__ import annotations

import pytest

import engine
from app.lang import (
    Environment,
    Limits,
    ProgramError,
    SourceSyntaxError,
    compile_source,
    run_program,
)

from .conftest import needs_ops, run_source


def value(form, source, env=None):
    return form(source, env).result


# ------------------------------------------------------------------ expressions

@pytest.mark.parametrize("source, expected", [
    ("1", 1), ("2.5", 2.5), ("True", True), ("None", None), ("'x'", "x"),
    ("[1, [2, 'a']]", [1, [2, "a"]]), ("(1, 2)", (1, 2)), ("{1, 1}", {1}),
    ("{'a': 1}['a']", 1), ("2.0", 2.0), ("type(2.0).__name__", "float"),
    ("7 // 2", 3), ("7 % 3", 1), ("2 ** 10", 1024), ("1 / 4", 0.25), ("-(3)", -3),
    ("3 - 5", -2), ("'a' + 'b'", "ab"), ("[1] * 3", [1, 1, 1]),
    ("1 < 2", True), ("2 <= 1", False), ("1 == 1.0", True), ("1 != 1", False),
    ("0 < 1 < 2", True), ("0 < 3 < 2", False),
    ("0 and 1", 0), ("1 and 2", 2), ("0 or 3", 3), ("not 0", True),
    ("1 if 0 else 2", 2), ("'yes' if [1] else 'no'", "yes"),
    ("None is None", True), ("1 is not None", True), ("2 in [1, 2]", True),
    ("3 not in [1, 2]", True),
    ("[1, 2, 3][1]", 2), ("[1, 2, 3][-1]", 3), ("[1, 2, 3][1:]", [2, 3]),
    ("[1, 2, 3][::-1]", [3, 2, 1]), ("'abc'[0]", "a"),
    ("len([1, 2])", 2), ("float(1)", 1.0), ("int(2.7)", 2), ("bool(0)", False),
    ("abs(-2)", 2), ("round(2.567, 2)", 2.57), ("min(3, 1)", 1), ("max([1, 5, 2])", 5),
    ("sum([1, 2, 3])", 6), ("list(range(3))", [0, 1, 2]), ("tuple([1])", (1,)),
    ("list(enumerate(['a']))", [(0, "a")]), ("list(zip([1], [2]))", [(1, 2)]),
    ("sorted([3, 1])", [1, 3]), ("list(reversed([1, 2]))", [2, 1]), ("any([0, 1])", True),
    ("all([1, 0])", False), ("str(1.5)", "1.5"), ("repr('a')", "'a'"),
    ("format(3.14159, '.2f')", "3.14"), ("f'{2 + 1}x{1.5:.0f}'", "3x2"),
    ("range(3)", [0, 1, 2]), ("torch.pi > 3", True), ("torch.float32", engine.float32),
])
def test_expression_values(form, source, expected):
    assert value(form, source) == expected


def test_and_or_short_circuit(form):
    env = Environment()
    assert value(form, "0 and undefined_name", env) == 0
    assert value(form, "1 or undefined_name", env) == 1
    assert value(form, "x = 5\n1 if x else undefined_name", env) == 1


@needs_ops("arange", "sum", "reshape", "__getitem__")
@pytest.mark.parametrize("source, expected", [
    ("x = torch.arange(4.0)\nx[1]", "tensor(1.)"),
    ("x = torch.arange(6.0).reshape(2, 3)\nx[:, 1:3]", "tensor([[1., 2.],\n        [4., 5.]])"),
    ("x = torch.arange(4.0)\nx[None, ::2]", "tensor([[0., 2.]])"),
    ("x = torch.arange(4.0)\nx[x > 1]", "tensor([2., 3.])"),
    ("x = torch.arange(4.0)\nx.shape", "torch.Size([4])"),
    ("x = torch.arange(4.0)\nx.dtype", "torch.float32"),
    ("x = torch.arange(4.0)\nx.ndim", "1"),
    ("x = torch.arange(4.0, requires_grad=True)\n(x * 2).is_leaf", "False"),
    ("x = torch.arange(4.0, requires_grad=True)\n(x * 2).grad_fn", None),
    ("x = torch.arange(6.0).reshape(2, 3)\nx.T.shape", "torch.Size([3, 2])"),
    ("x = torch.arange(4)\nx.float()", "tensor([0., 1., 2., 3.])"),
    ("x = torch.arange(4.0)\n-x", "tensor([-0., -1., -2., -3.])"),
    ("x = torch.arange(4.0)\n2 * x + 1", "tensor([1., 3., 5., 7.])"),
    ("x = torch.arange(4.0)\nx.sum().item()", "6.0"),
    ("x = torch.ones(2, 2, dtype=torch.float64)\nx.dtype", "torch.float64"),
])
def test_tensor_expressions(form, source, expected):
    result = value(form, source)
    if expected is None:
        assert result.name() == "MulBackward0"
    else:
        assert repr(result) == expected


# ------------------------------------------------------------------ statements

def test_assign_and_unpack(form):
    env = Environment()
    form("a = 1\nb, c = [2, 3]", env)
    assert {k: env.variables[k] for k in "abc"} == {"a": 1, "b": 2, "c": 3}


def test_unpack_mismatch_binds_nothing(form):
    env = Environment()
    with pytest.raises(ProgramError, match="not enough values to unpack"):
        form("a, b = [1]", env)
    assert env.variables == {}


def test_if_while_for_break_continue(form):
    source = """
total = 0
i = 0
while True:
    i += 1
    if i % 2 == 0:
        continue
    if i > 9:
        break
    total += i
for j in range(3):
    total = total * 10
total"""
    assert value(form, source) == 25000


def test_for_over_lists_tuples_and_tensor_rows(form):
    assert value(form, "out = []\nfor a, b in [(1, 2), (3, 4)]:\n    out.append(a * b)\nout") \
        == [2, 12]


@needs_ops("arange", "reshape", "unbind")
def test_for_over_a_tensor_iterates_dim_0(form):
    result = value(form, "out = []\nfor row in torch.arange(6.0).reshape(3, 2):\n"
                         "    out.append(row.sum().item())\nout")
    assert result == [1.0, 5.0, 9.0]


def test_def_return_recursion_and_kwargs(form):
    source = """
def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)
def pair(a, b):
    return [a, b]
[fact(10), pair(b=2, a=1)]"""
    assert value(form, source) == [3628800, [1, 2]]


def test_functions_read_session_variables_and_keep_locals_local(form):
    env = Environment()
    form("scale = 3\ndef f(v):\n    tmp = v * scale\n    return tmp\nr = f(2)", env)
    assert env.variables["r"] == 6 and "tmp" not in env.variables


def test_local_read_before_assignment_is_pythons_error(form):
    with pytest.raises(ProgramError, match="cannot access local variable 'y'"):
        form("y = 1\ndef f():\n    z = y\n    y = 2\n    return z\nf()")


def test_nested_functions_close_over_their_scope(form):
    source = """
def outer(a):
    def inner(b):
        return a + b
    return inner(10)
outer(1)"""
    assert value(form, source) == 11


def test_functions_persist_between_runs():
    env = Environment()
    run_source("def sq(v):\n    return v * v", env)
    assert run_source("sq(7)", env).result == 49


def test_wrong_call_arity_is_pythons_type_error(form):
    with pytest.raises(ProgramError, match=r"f\(\) missing 1 required positional argument: 'b'"):
        form("def f(a, b):\n    return a\nf(1)")
    with pytest.raises(ProgramError, match=r"takes 1 positional argument but 2 were given"):
        form("def f(a):\n    return a\nf(1, 2)")


def test_print_appends_lines(form):
    result = form("print('a', 1, 2.5)\nprint([1, 'b'], sep='-')\nprint(1, 2, sep=', ')")
    assert result.printed == ["a 1 2.5", "[1, 'b']", "1, 2"]


@needs_ops("arange")
def test_print_formats_tensors_as_their_repr(form):
    result = form("x = torch.arange(3.0, requires_grad=True)\nprint(x)\nprint('x:', x * 2)")
    assert result.printed == ["tensor([0., 1., 2.], requires_grad=True)",
                              "x: tensor([0., 2., 4.], grad_fn=<MulBackward0>)"]


def test_the_result_is_the_last_expression_statement(form):
    assert value(form, "x = 1") is None
    assert value(form, "x = 1\nx + 1") == 2
    assert value(form, "x = 1\nx\ny = 2") is None


@needs_ops("ones", "sub_")
def test_augmented_assignment_is_in_place_on_tensors_and_rebinds_numbers(form):
    env = Environment()
    form("p = torch.ones(3, requires_grad=True)\nalias = p\nn = 1\nm = n\n"
         "with torch.no_grad():\n    p -= 0.5 * torch.ones(3)\nn += 1", env)
    v = env.variables
    assert v["alias"] is v["p"] and v["p"].tolist() == [0.5, 0.5, 0.5]
    assert v["p"].requires_grad and v["p"].is_leaf
    assert (v["n"], v["m"]) == (2, 1)


@needs_ops("ones", "zeros", "__setitem__")
def test_setitem_and_setattr(form):
    env = Environment()
    form("x = torch.zeros(3)\nx[1] = 5.0\nw = torch.ones(2, requires_grad=True)\n"
         "(w * 2).sum().backward()\ng = w.grad\nw.grad = None\nlst = [1, 2]\nlst[0] = 9", env)
    v = env.variables
    assert v["x"].tolist() == [0.0, 5.0, 0.0]
    assert v["g"].tolist() == [2.0, 2.0] and v["w"].grad is None and v["lst"] == [9, 2]


@needs_ops("ones")
def test_setattr_requires_grad(form):
    env = Environment()
    form("x = torch.ones(2)\nx.requires_grad = True", env)
    assert env.variables["x"].requires_grad


@needs_ops("ones")
def test_setattr_errors_pass_pytorchs_text(form):
    with pytest.raises(ProgramError, match="assigned grad has data of a different size"):
        form("x = torch.ones(2)\nx.grad = torch.ones(3)")


@needs_ops("ones")
def test_with_no_grad_and_enable_grad(form):
    env = Environment()
    form("w = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n    a = w * 2\n"
         "    with torch.enable_grad():\n        b = w * 2\nc = w * 2", env)
    v = env.variables
    assert (v["a"].requires_grad, v["b"].requires_grad, v["c"].requires_grad) == \
        (False, True, True)


@needs_ops("ones")
def test_no_grad_is_restored_after_return_and_errors(form):
    env = Environment()
    with pytest.raises(ProgramError):
        form("w = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n"
             "    undefined_name", env)
    assert form("d = w * 2\nd.requires_grad", env).result is True


@needs_ops("ones")
def test_tensor_truthiness(form):
    assert value(form, "x = torch.ones(1)\n1 if x else 2") == 1
    with pytest.raises(ProgramError, match="Boolean value of Tensor with more than one value"):
        form("x = torch.ones(2)\nif x:\n    pass")


def test_dtype_constants_can_be_shadowed(form):
    assert value(form, "float32 = 3\nfloat32") == 3


# ------------------------------------------------------------------ builtins that are also ops

@needs_ops("tensor", "abs")
def test_dual_names_pick_the_op_for_a_tensor_first_argument(form):
    env = Environment()
    result = form("t = torch.tensor([1.0, -3.0, 2.0])\n"
                  "[max(3, 4), sum([1, 2]), abs(-2), round(1.4), abs(t), t.abs()]", env).result
    assert result[:4] == [4, 3, 2, 1]
    assert result[4].tolist() == [1.0, 3.0, 2.0] and result[5].tolist() == [1.0, 3.0, 2.0]


@needs_ops("tensor")
def test_sum_of_a_list_of_tensors_adds_them(form):
    result = value(form, "ts = [torch.tensor(1.0), torch.tensor(2.0)]\nsum(ts)")
    assert repr(result) == "tensor(3.)"


def test_the_session_wide_train_and_eval_builtins_are_gone():
    with pytest.raises(SourceSyntaxError, match="eval\\(\\) is not available"):
        compile_source("eval()")
    with pytest.raises(ProgramError, match="name 'train' is not defined"):
        run_source("train()", Environment())


@needs_ops("randn")
def test_manual_seed_makes_runs_reproducible(form):
    a = value(form, "torch.manual_seed(7)\ntorch.randn(3)").tolist()
    b = value(form, "torch.manual_seed(7)\ntorch.randn(3)").tolist()
    assert a == b


@needs_ops("randn")
def test_manual_seed_returns_the_sessions_generator_as_torch_does(form):
    # torch: <torch._C.Generator object at 0x...>, its class torch._C.Generator
    got = value(form, "g = torch.manual_seed(7)\na = torch.randn(2, generator=g)\n"
                      "g.manual_seed(7)\n"
                      "[g.initial_seed(), repr(g)[:32], str(type(g)), a.tolist() == "
                      "torch.randn(2).tolist()]")
    assert got == [7, "<torch._C.Generator object at 0x", "<class 'torch._C.Generator'>", True]


def test_modes_are_set_inside_the_run_and_do_not_leak(monkeypatch):
    from app.lang import builtins as bi

    monkeypatch.setitem(bi.BUILTINS, "probe_modes", lambda rs: [engine.is_grad_enabled()])
    env = Environment()
    assert run_source("probe_modes()", env).result == [True]
    assert run_source("with torch.no_grad():\n    m = probe_modes()\nm", env).result == \
        [False]
    assert engine.is_grad_enabled() is True
    with engine.no_grad():  # a caller's no_grad does not reach into the run
        assert run_source("probe_modes()", env).result == [True]


@needs_ops("arange", "dot")
def test_grad_builtin_is_autograd_grad(form):
    result = value(form, "x = torch.arange(3.0, requires_grad=True)\n"
                         "(g,) = torch.autograd.grad(torch.dot(x, x), [x])\ng")
    assert repr(result) == "tensor([0., 2., 4.])"


# ------------------------------------------------------------------ errors

def test_unknown_name_is_a_program_error_with_location(form):
    with pytest.raises(ProgramError) as info:
        form("x = 1\nif x:\n    y = undefined_thing + 1")
    err = info.value
    assert err.code == "program_error" and err.status == 400
    assert err.detail == "name 'undefined_thing' is not defined"
    location = err.extra["location"]
    assert location["pointer"] == "#/program/1/then/0"
    if form.form == "source":
        assert (location["line"], location["col"]) == (3, 5)
    else:
        assert "line" not in location
    assert err.extra["steps"] >= 3


@needs_ops("ones")
def test_op_failures_name_the_op_and_pass_the_engines_text(form):
    with pytest.raises(ProgramError) as info:
        form("a = torch.ones(2, 3)\nb = torch.ones(4)\nc = a + b")
    err = info.value
    assert err.extra["op"] == "add"
    with pytest.raises(Exception) as direct:
        engine.ones(2, 3) + engine.ones(4)
    assert err.detail == str(direct.value)


def test_failed_statement_rolls_back_its_bindings_and_keeps_earlier_ones(form):
    env = Environment()
    with pytest.raises(ProgramError):
        form("a = 1\nfor i in range(3):\n    b = i\n    c = undefined\n", env)
    assert env.variables == {"a": 1}
    with pytest.raises(ProgramError):
        form("def g():\n    return 1\ndef g():\n    return undefined\nq = g()", env)
    assert "g" in env.variables and "q" not in env.variables
    assert form("a + 1", env).result == 2  # the session still runs


def test_failed_def_statement_leaves_the_old_function():
    env = Environment()
    run_source("def h():\n    return 1", env)
    old = env.variables["h"]
    with pytest.raises(ProgramError):
        run_source("x = 1\nfor i in range(2):\n    def h():\n        return 2\n    boom", env)
    assert env.variables["h"] is old and env.variables["x"] == 1


def test_errors_inside_functions_defined_in_an_earlier_run_point_at_the_call():
    env = Environment()
    run_source("def bad():\n    return nothing_here", env)
    with pytest.raises(ProgramError) as info:
        run_source("a = 1\nb = bad()", env)
    assert info.value.extra["location"]["pointer"] == "#/program/1"
    assert info.value.extra["location"]["line"] == 2


def test_json_form_control_flow_outside_loops_is_invalid():
    from app.lang import ProgramValidationError

    with pytest.raises(ProgramValidationError) as info:
        run_program([{"expr": 1}, {"break": None}], Environment(), Limits())
    assert info.value.extra["pointer"] == "#/program/1"
    with pytest.raises(ProgramValidationError):
        run_program([{"return": 1}], Environment(), Limits())


def test_run_result_reports_steps_and_time(form):
    result = form("s = 0\nfor i in range(10):\n    s = s + i")
    assert result.steps >= 20 and result.elapsed_ms >= 0
