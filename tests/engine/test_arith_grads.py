"""Unary ops whose gradient formula is plain arithmetic run it on the NumPy arrays in a plain
backward (``families.arith_rule``): the same bits as the engine-op formula, and the engine-op
formula itself wherever the array form could differ or be seen (recording, forward AD, mixed
dtypes, large arrays, a NumPy error state other than "ignore all")."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import _parallel
from engine.autograd import forward_ad as fwAD

F = engine.ops.OPS
ARITH = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "reciprocal", "tan", "atan",
         "tanh", "sigmoid"]
DTYPES = [np.float16, np.float32, np.float64]


def _rule(name):
    x = engine.tensor([0.5], requires_grad=True)
    return F[name].fn(x).grad_fn._rule[0]


def _values(dtype, shape):
    rng = np.random.default_rng(sum(map(ord, str(dtype))) + len(shape))
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    flat = a.reshape(-1)
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e30, -1.0, 1.0, 60000.0]
    flat[: min(len(special), flat.size)] = special[: flat.size]
    return a


def _bits(a):
    a = np.asarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(_bits(a), _bits(b))


def test_every_listed_op_takes_the_array_form():
    for name in ARITH:
        assert hasattr(_rule(name), "formula"), name


@pytest.mark.parametrize("name", ARITH)
@pytest.mark.parametrize("dtype", DTYPES)
def test_array_form_is_the_ops_bit_for_bit(name, dtype):
    rule = _rule(name)
    for shape, view in (((), None), ((0,), None), ((13,), None), ((4, 6), "T"),
                        ((5, 8), "step"), ((1,), None)):
        g0, s0 = _values(dtype, shape), _values(dtype, shape)[::-1] if shape else \
            _values(dtype, shape) * dtype(0.75)
        g0 = g0 * dtype(-1.25)
        if view == "T":
            g0, s0 = g0.T, s0.T
        elif view == "step":
            g0, s0 = g0[:, ::2], s0[:, 1::2]
        g, s = engine.tensor(g0), engine.tensor(s0)
        if view:  # the operands as the engine holds views: no contiguous copies
            g._data, s._data = g0, s0
        with engine.no_grad():
            got = rule(g, s)
            want = rule.tensor_rule(g, s)
        assert type(got._data) is np.ndarray
        assert got.dtype is want.dtype and _same(got._data, want._data), (name, dtype, shape)
    # 0-d operands take the ops (NumPy would go on in scalar arithmetic after the first
    # operator, whose NaNs may differ in sign from the ops' on 0-d arrays)
    rng = np.random.default_rng(5)
    values = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1e30, -1.0, 60000.0] + \
        list(rng.standard_normal(12) * 4)
    for gv in values[:6]:
        for sv in values:
            g, s = engine.tensor(np.array(gv, dtype=dtype)), engine.tensor(np.array(sv, dtype))
            with engine.no_grad():
                got, want = rule(g, s), rule.tensor_rule(g, s)
            assert got.shape == () and _same(got._data, want._data), (name, dtype, gv, sv)
    # NaNs of either sign on both sides at once (which NaN an operator hands on shows)
    nan = np.array([np.nan, -np.nan, np.nan, -np.nan, 1.0, -np.nan], dtype=dtype)
    g, s = engine.tensor(nan), engine.tensor(np.roll(nan, 1))
    with engine.no_grad():
        assert _same(rule(g, s)._data, rule.tensor_rule(g, s)._data)
    # a gradient broadcast from a sum (zero strides), as ``y.sum().backward()`` hands it
    s = engine.tensor(_values(dtype, (6,)))
    g = engine.tensor(np.ones((), dtype=dtype)).expand(6)
    with engine.no_grad():
        assert _same(rule(g, s)._data, rule.tensor_rule(g, s)._data)


@pytest.mark.parametrize("name", ["tanh", "exp", "sqrt", "sigmoid"])
def test_backward_gives_the_same_grad_either_way(name, monkeypatch):
    x0 = _values(np.float32, (3, 5))
    got = []
    for arrays in (True, False):
        if not arrays:  # no array form: the error state is not "ignore all"
            monkeypatch.setattr("engine.ops.families.all_ignored", lambda: False)
        x = engine.tensor(x0, requires_grad=True)
        F[name].fn(x * 2.0).sum().backward()
        got.append(x.grad.numpy())
    assert _same(*got)


def _count_formula_calls(monkeypatch, name):
    rule = _rule(name)
    calls = []
    formula = rule.formula

    def counted(*a):
        calls.append(1)
        return formula(*a)

    # the closure cell holds the formula: swap it for the duration of the test
    cell = rule.__closure__[rule.__code__.co_freevars.index("formula")]
    monkeypatch.setattr(cell, "cell_contents", counted)
    return calls


def test_recorded_backward_uses_the_ops(monkeypatch):
    calls = _count_formula_calls(monkeypatch, "tanh")
    x = engine.tensor([0.3, -0.7], requires_grad=True)
    y = F["tanh"].fn(x).sum()
    (g,) = engine.autograd.grad(y, x, create_graph=True)
    assert g.grad_fn is not None and g.grad_fn.name() == "TanhBackwardBackward0"
    assert not calls
    y = F["tanh"].fn(x).sum()
    y.backward()
    assert calls


def test_forward_ad_uses_the_ops(monkeypatch):
    calls = _count_formula_calls(monkeypatch, "exp")
    with fwAD.dual_level():
        x = fwAD.make_dual(engine.tensor([0.5, 1.5]), engine.tensor([1.0, 2.0]))
        with engine.no_grad():
            t = fwAD.unpack_dual(F["exp"].fn(x)).tangent
    assert np.allclose(t.numpy(), np.exp([0.5, 1.5]) * [1.0, 2.0])
    assert not calls


def test_guards_fall_back_to_the_ops(monkeypatch):
    calls = _count_formula_calls(monkeypatch, "log")
    rule = _rule("log")
    with engine.no_grad():
        # mixed dtypes: the engine promotes as torch does, NumPy would not
        rule(engine.tensor([1.0, 2.0], dtype=engine.float32),
             engine.tensor([3, 4]))
        rule(engine.tensor([1.0, 2.0], dtype=engine.float32),
             engine.tensor([3.0, 4.0], dtype=engine.float64))
        assert not calls
        # large arrays: the ops chunk over threads
        big = engine.ones(_parallel.MIN_ELEMENTS)
        rule(big, big)
        assert not calls
        # a NumPy error state other than the engine's: the ops' own warnings decide
        with np.errstate(divide="warn"):
            rule(engine.tensor([1.0]), engine.tensor([0.0]))
        assert not calls
        rule(engine.tensor([1.0]), engine.tensor([0.0]))
        assert calls == [1]
    # grad mode on (a graph could be recorded): the ops
    rule(engine.tensor([1.0]), engine.tensor([2.0]))
    assert calls == [1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_product_by_a_number_backward_is_the_op(dtype):
    """``mul``'s gradient for a Python number operand on the array (``_times_number``) is the
    op's own result: dtype, shape and bits; 0-d, views and zero strides included."""
    from engine.ops.pointwise import _times_number

    for shape in ((), (0,), (7,), (3, 4)):
        g0 = _values(dtype, shape) * dtype(-1.25)
        for g in (engine.tensor(g0), engine.tensor(g0).T if len(shape) == 2 else None,
                  engine.tensor(np.ones((), dtype=dtype)).expand(5)):
            if g is None:
                continue
            # (an int beyond int64/uint64 is refused by the op, as torch's Scalar: OverflowError)
            for n in (2, 1.01, -0.5, 0, float("nan"), 1e300, -(2**62)):
                with engine.no_grad():
                    got, want = _times_number(g, n), g * n
                assert type(got._data) is np.ndarray
                assert got.dtype is want.dtype and _same(got._data, want._data), (shape, n)
    x = engine.tensor(_values(dtype, (4,)), requires_grad=True)
    (x * 3.5 * 2).sum().backward()
    assert x.grad.dtype is x.dtype and np.all(x.grad.numpy() == dtype(7.0))


def test_product_by_a_number_backward_records_under_create_graph():
    x = engine.tensor([0.5, 2.0], requires_grad=True)
    (g,) = engine.autograd.grad((x * x * 3.0).sum(), x, create_graph=True)
    assert g.grad_fn is not None
    (gg,) = engine.autograd.grad(g.sum(), x)
    assert np.array_equal(gg.numpy(), [6.0, 6.0])
