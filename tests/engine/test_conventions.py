"""Op-level conventions compared with torch 2.13 (issue 10): bool subtraction refused in every
form, the reflected operators as torch writes them (rsub, ``reciprocal() * other``), alpha
checks, integer ``dtype=`` on reductions that need a gradient, creation edges (linspace with
one step, arange with integer dtypes and float steps, fill values that overflow their dtype),
index_select's out-of-range errors, gelu at infinities, signs of zero in results and
gradients. ``reprs`` compares the printed results too (the repr shows ``-0.`` and the
grad_fn), which ``compare`` alone does not.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

INF, NAN = float("inf"), float("nan")
F1 = [1.5, -2.0, 0.0]


def _f(m, values=F1, dtype=None):
    return m.tensor(values, dtype=dtype or m.float64, requires_grad=True)


def _b(m):
    return m.tensor([True, False, True])


SUB_CASES = {
    "tensor-minus-True": lambda m, F, leaf: leaf(F1) - True,
    "True-minus-tensor": lambda m, F, leaf: True - leaf(F1),
    "bool-minus-int": lambda m, F, leaf: _b(m) - 1,
    "int-minus-bool": lambda m, F, leaf: 1 - _b(m),
    "bool-minus-True": lambda m, F, leaf: _b(m) - True,
    "bool-minus-bool": lambda m, F, leaf: _b(m) - _b(m),
    "float-minus-bool": lambda m, F, leaf: leaf(F1) - _b(m),
    "bool-sub-float": lambda m, F, leaf: _b(m).sub(leaf(F1)),
    "sub_-True": lambda m, F, leaf: m.tensor(F1).sub_(True),
    "bool-sub_": lambda m, F, leaf: _b(m).sub_(1),
    "torch.sub-bool": lambda m, F, leaf: m.sub(_b(m), 1),
    "sub-True-alpha": lambda m, F, leaf: leaf(F1).sub(True, alpha=2),
    "sub-alpha-True": lambda m, F, leaf: leaf(F1).sub(1, alpha=True),
    "add-alpha-True": lambda m, F, leaf: leaf(F1).add(1, alpha=True),
    "bool-add-alpha-True": lambda m, F, leaf: _b(m).add(_b(m), alpha=True),
    "rsub-bool": lambda m, F, leaf: m.rsub(_b(m), 1),
    "rsub-bool-True": lambda m, F, leaf: m.rsub(_b(m), True),
    "rsub-float-True": lambda m, F, leaf: m.rsub(leaf(F1), True),
    "rsub-float-bool": lambda m, F, leaf: m.rsub(leaf(F1), _b(m)),
}

REFLECTED_CASES = {
    "number-minus-tensor": lambda m, F, leaf: 4.2 - leaf(F1),
    "int-minus-tensor": lambda m, F, leaf: 2 - leaf(F1),
    "number-minus-int-tensor": lambda m, F, leaf: 2.5 - m.tensor([1, 2]),
    "rsub-number": lambda m, F, leaf: m.rsub(leaf(F1), 2),
    "rsub-tensor": lambda m, F, leaf: m.rsub(leaf(F1), leaf([1.0, 2.0, 3.0])),
    "rsub-alpha": lambda m, F, leaf: m.rsub(leaf(F1), 2, alpha=3),
    "rsub-tensor-alpha": lambda m, F, leaf: m.rsub(leaf(F1), leaf(F1), alpha=0.5),
    "rsub-number-first": lambda m, F, leaf: m.rsub(2, leaf(F1)),
    "number-over-tensor": lambda m, F, leaf: 2 / leaf([3.0, -7.0, 0.5]),
    "number-over-zero": lambda m, F, leaf: 2 / leaf([0.0, -0.0, INF]),
    "number-over-int": lambda m, F, leaf: 2 / m.tensor([1, 2]),
    "number-over-half": lambda m, F, leaf: 3 / leaf([3.0, 7.0], dtype=m.float16),
    "number-pow-tensor": lambda m, F, leaf: 2 ** leaf(F1),
    "tensor-pow-number": lambda m, F, leaf: leaf(F1) ** 2,
    "number-mod-tensor": lambda m, F, leaf: 2 % leaf([1.5, -2.5, 3.0]),
    "tensor-mod-number": lambda m, F, leaf: leaf(F1) % 2,
    "number-floordiv-tensor": lambda m, F, leaf: 2 // leaf([1.5, -2.5, 3.0]),
    "fmod-number": lambda m, F, leaf: leaf(F1).fmod(2),
    "masked_fill-number": lambda m, F, leaf: leaf(F1).masked_fill(_b(m), 1.0),
}

ALPHA_CASES = {
    "int-add-float-alpha": lambda m, F, leaf: m.tensor([1, 2]).add(0.25, alpha=0.5),
    "int-sub-float-alpha": lambda m, F, leaf: m.tensor([1, 2]).sub(0.25, alpha=0.5),
    "int-add_-float-alpha": lambda m, F, leaf: m.tensor([1, 2]).add_(0.25, alpha=0.5),
    "int-add-int-float-alpha": lambda m, F, leaf: m.tensor([1, 2]).add(2, alpha=0.5),
    "int-add-tensor-float-alpha": lambda m, F, leaf: m.tensor([1, 2]).add(m.tensor([1, 1]),
                                                                          alpha=1.0),
    "int-add-float-tensor-alpha": lambda m, F, leaf: m.tensor([1, 2]).add(leaf([1.0, 2.0]),
                                                                          alpha=0.5),
}

_REDUCTIONS = {
    "sum": lambda x, dt: x.sum(dtype=dt),
    "sum-dim": lambda x, dt: x.sum(0, dtype=dt),
    "prod": lambda x, dt: x.prod(dtype=dt),
    "prod-dim": lambda x, dt: x.prod(1, dtype=dt),
    "cumsum": lambda x, dt: x.cumsum(0, dtype=dt),
    "cumprod": lambda x, dt: x.cumprod(1, dtype=dt),
    "mean": lambda x, dt: x.mean(dtype=dt),
    "norm": lambda x, dt: x.norm(dtype=dt),
    "no-grad-sum": lambda x, dt: x.detach().sum(dtype=dt),
    "no-grad-cumsum": lambda x, dt: x.detach().cumsum(0, dtype=dt),
}


def _reduction_case(call, dt_name):
    return lambda m, F, leaf: call(leaf([[1.0, 2.0], [3.0, 4.0]]), getattr(m, dt_name))



def _alpha_case(fn, a, b, alpha):
    def case(m, F, leaf):
        operands = {"int": m.tensor([[1, -2], [0, 3]]),
                    "half": leaf([[0.5], [-1.25]], dtype=m.float16),
                    "float": leaf([0.3, 0.7], dtype=m.float32), "double": leaf([0.3, 0.7]),
                    "number": 2.5, "bool": m.tensor([True, False])}
        return getattr(m, fn)(operands[a], operands[b], alpha=alpha)

    return case


ALPHA_CASES.update({
    f"{fn}-{a}-{b}-alpha-{alpha}": _alpha_case(fn, a, b, alpha)
    for fn in ("add", "sub", "rsub")
    for a, b in (("int", "half"), ("half", "int"), ("int", "float"), ("float", "double"),
                 ("int", "number"), ("half", "number"), ("bool", "bool"))
    for alpha in (0.5, 2, True)})

REDUCTION_DTYPE_CASES = {f"{name}-{dt}": _reduction_case(call, dt)
                         for name, call in _REDUCTIONS.items()
                         for dt in ("int64", "int32", "bool", "float64")}
REDUCTION_DTYPE_CASES["int-mean-dtype"] = lambda m, F, leaf: m.tensor([1, 2]).mean(dtype=m.int64)
REDUCTION_DTYPE_CASES["int-mean"] = lambda m, F, leaf: m.tensor([1, 2]).mean()

def _linspace_case(steps, dt_name):
    return lambda m, F, leaf: m.linspace(-1.5, 5, steps, dtype=getattr(m, dt_name))


def _arange_case(args, dt_name):
    return lambda m, F, leaf: m.arange(
        *args, dtype=None if dt_name == "default" else getattr(m, dt_name))


def _fill_case(fn, value, dt_name):
    def case(m, F, leaf):
        dt = getattr(m, dt_name)
        if fn == "full":
            return m.full((2,), value, dtype=dt)
        if fn == "fill_":
            return m.zeros(2, dtype=dt).fill_(value)
        return m.zeros(2, dtype=dt).masked_fill(m.tensor([True, False]), value)

    return case


def _index_select_case(shape, dim, index):
    return lambda m, F, leaf: m.arange(24.0)[:_numel(shape)].reshape(shape).index_select(
        dim, m.tensor(index))


CREATION_CASES = {
    **{f"linspace-{steps}-{dt}": _linspace_case(steps, dt)
       for steps in (0, 1, 2, 5) for dt in ("float32", "float64", "int64", "int32", "bool")},
    **{f"arange-{args}-{dt}": _arange_case(args, dt)
       for args in ((0, 5, 1.5), (0.5, 5, 1.5), (0, 5.7, 1), (0, -5, -1.5), (0.9, 4.2, 0.7),
                    (4.0, 0), (0.001, -2), (-1.5,), (0, 5, 2.9))
       for dt in ("default", "int64", "int32", "float16", "float32", "bool")},
    **{f"{fn}-{value}-{dt}": _fill_case(fn, value, dt)
       for fn in ("full", "fill_", "masked_fill")
       for value in (INF, NAN, 1e10, 2 ** 31, -2 ** 31, 1e39, 70000, -1, True, 2.7)
       for dt in ("int64", "int32", "float16", "float32", "bool")},
}

INDEX_SELECT_CASES = {
    f"index_select-{shape}-{dim}-{index}": _index_select_case(shape, dim, index)
    for shape in ((3,), (2, 3), (2, 3, 4), ())
    for dim in range(-len(shape), max(len(shape), 1))
    for index in ([5], [-1], [1, -2, -1], [0], [5, -1], [-1, 5])
}


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


ALL = {**SUB_CASES, **REFLECTED_CASES, **ALPHA_CASES, **REDUCTION_DTYPE_CASES,
       **CREATION_CASES, **INDEX_SELECT_CASES}


@pytest.mark.parametrize("name", list(ALL))
def test_matches_torch(name):
    compare(ALL[name])


# ------------------------------------------------------------------ printed results (-0., nan)
def _printed(lib, case) -> list[str]:
    """The reprs of what ``case`` returns, then of its leaves' gradients after backward of a
    weighted sum (weights of both signs, so a zero gradient can come out as -0.)."""
    leaves = []

    def leaf(values, dtype=None):
        t = lib.tensor(values, dtype=dtype or lib.float64, requires_grad=True)
        leaves.append(t)
        return t

    try:
        out = case(lib, leaf)
    except Exception as e:  # noqa: BLE001 (compared with the other side)
        base = next(k for k in type(e).__mro__ if k.__module__ == "builtins")
        return [f"{base.__name__}: {e}"]
    outs = list(out) if isinstance(out, tuple) else [out]
    seen = [repr(o) for o in outs]
    floats = [o for o in outs if o.requires_grad]
    if floats:
        total = None
        for o in floats:
            w = lib.linspace(-1.0, 1.5, o.numel(), dtype=o.dtype).reshape(o.shape)
            term = (o * w).sum()
            total = term if total is None else total + term
        total.backward()
        seen += [repr(x.grad) for x in leaves]
    return seen


def reprs(case) -> None:
    ours, theirs = _printed(engine, case), _printed(torch, case)
    assert ours == theirs, f"\n  ours:  {ours}\n  torch: {theirs}"


def _gelu_case(dt_name, n, approx):
    return lambda m, leaf: m.nn.functional.gelu(
        leaf([INF, -INF, 0.0, 10.0][:n], dtype=getattr(m, dt_name)), approximate=approx)


PRINTED_CASES = {
    "zero-times-inf": lambda m, leaf: leaf([0.0, -0.0, 1.0]) * INF,
    "atan2-zeros": lambda m, leaf: m.atan2(leaf([0.0, -0.0, 0.0, -0.0]),
                                           leaf([0.0, 0.0, -0.0, -0.0])),
    **{f"gelu-{dt}-{n}-{approx}": _gelu_case(dt, n, approx)
       for dt in ("float16", "float32", "float64") for n in (1, 4)
       for approx in ("none", "tanh")},
    "gelu-plus-inf-alone": lambda m, leaf: m.nn.functional.gelu(
        leaf([INF], dtype=m.float32)),
}


@pytest.mark.parametrize("name", list(PRINTED_CASES))
def test_prints_as_torch(name):
    reprs(PRINTED_CASES[name])


# ------------------------------------------------------------------ activations at the edges
# ±0, NaN, ±inf and the kinks, seven values: torch's scalar kernels (its vectorized ones, on
# blocks of 8+ elements, differ at NaN and -0 for some of these)
EDGES = [-0.0, 0.0, NAN, -1.0, 2.0, INF, -3.0]
WEIGHTS = [-1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 1.5]
ACTIVATIONS = {
    "relu": lambda F, x: F.relu(x), "relu6": lambda F, x: F.relu6(x),
    "hardtanh": lambda F, x: F.hardtanh(x), "threshold": lambda F, x: F.threshold(x, 0.0, 0.0),
    "leaky_relu": lambda F, x: F.leaky_relu(x), "rrelu": lambda F, x: F.rrelu(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x), "hardswish": lambda F, x: F.hardswish(x),
    "hardshrink": lambda F, x: F.hardshrink(x), "softshrink": lambda F, x: F.softshrink(x),
    "elu": lambda F, x: F.elu(x), "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "relu6-inplace": lambda F, x: F.relu6(x * 1, inplace=True),
    "hardtanh-inplace": lambda F, x: F.hardtanh(x * 1, inplace=True),
    "threshold-inplace": lambda F, x: F.threshold(x * 1, 0.0, 0.0, inplace=True),
    "leaky_relu-inplace": lambda F, x: F.leaky_relu(x * 1, inplace=True),
}
# first-order gradients whose own graph (node names, edges) is torch's too
TWICE = ("relu", "relu6", "hardtanh", "threshold", "leaky_relu", "rrelu", "hardsigmoid",
         "hardshrink", "softshrink", "relu6-inplace", "hardtanh-inplace", "threshold-inplace",
         "leaky_relu-inplace")


def _activation(lib, name, order):
    F = lib.nn.functional
    x = lib.tensor(EDGES, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(WEIGHTS, dtype=lib.float64)
    y = ACTIVATIONS[name](F, x)
    seen = [repr(y.detach()), y.grad_fn.name()]
    if order == 1:
        (y * w).sum().backward()
        return seen + [repr(x.grad)]
    (g,) = lib.autograd.grad((y * w).sum(), x, create_graph=True)
    seen += [repr(g.detach()), g.requires_grad, g.grad_fn and g.grad_fn.name()]
    try:
        (g * w.flip(0)).sum().backward()
    except RuntimeError as e:
        return seen + [str(e)]
    return seen + [repr(x.grad)]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_edges_as_torch(name):
    assert _activation(engine, name, 1) == _activation(torch, name, 1)


@pytest.mark.parametrize("name", TWICE)
def test_activation_second_order_as_torch(name):
    ours, theirs = _activation(engine, name, 2), _activation(torch, name, 2)
    assert ours == theirs


# ------------------------------------------------------------------ operands torch refuses
def _operator_case(expr):
    def case(m, F, leaf):
        t = m.tensor([1.0, 2.0])
        return eval(expr, {"t": t, "m": m})  # noqa: S307 (a fixed test expression)

    return case


OPERAND_CASES = {
    **{f"{fn}({a}, {b})": _operator_case(f"m.{fn}({a}, {b})")
       for fn in ("eq", "ne", "lt", "le", "gt", "ge")
       for a, b in (("2.5", "t"), ("t", "2.5"), ("t", "'a'"), ("2", "1"), ("True", "t"),
                    ("t", "None"))},
    **{f"t {op} {other}": _operator_case(f"t {op} {other}")
       for op in ("+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "&", "|",
                  "^", "@")
       for other in ("'a'", "None", "[1]")},
    **{f"{other} {op} t": _operator_case(f"{other} {op} t")
       for op in ("+", "-", "*", "/", "//", "%", "<", "==", "@")
       for other in ("'a'", "None", "[1]")},
    **{f"method-{name}": _operator_case(f"t.{name}")
       for name in ("bucketize", "searchsorted", "tensordot", "is_tensor", "rsub")},
}


@pytest.mark.parametrize("name", list(OPERAND_CASES))
def test_operands_as_torch(name):
    compare(OPERAND_CASES[name])


# ------------------------------------------------------------------ zeros in gradients
ZERO_GRAD_CASES = {
    "max-dim": lambda m, leaf: leaf([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]).max(1)[0],
    "min-dim": lambda m, leaf: leaf([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]).min(0)[0],
    "max-all": lambda m, leaf: leaf([[1.0, -2.0], [3.0, 3.0]]).max(),
    "median-dim": lambda m, leaf: leaf([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]).median(1)[0],
    "kthvalue": lambda m, leaf: leaf([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]).kthvalue(2, 1)[0],
    "trace": lambda m, leaf: leaf([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]).trace() * -1,
    "cumprod-zero": lambda m, leaf: leaf([-1.0, 0.0, 1.0, 2.0, -1.0]).cumprod(0),
}


@pytest.mark.parametrize("name", list(ZERO_GRAD_CASES))
def test_zero_gradients_print_as_torch(name):
    reprs(ZERO_GRAD_CASES[name])
