"""Regression pins for disagreements the differential suite found in losses, norms, creation
argument checks and samplers (each case: the same call on the engine and on torch; the
results, dtypes, gradients and errors must agree)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
import engine.nn.functional as EF  # noqa: E402

from .backends import builtin_class  # noqa: E402

TF = torch.nn.functional


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the class and text are what is compared
        return "error", builtin_class(e).__name__, str(e)
    return "value", r


def _same(e, t):
    if e[0] != t[0]:
        return False
    if e[0] == "error":
        return e[1:] == t[1:]
    a, b = e[1], t[1]
    if isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(("value", x), ("value", y)) for x, y in zip(a, b))
    if b is None:
        return a is None
    if str(a.dtype) != str(b.dtype) or tuple(a.shape) != tuple(b.shape):
        return False
    if (a.grad_fn is None) != (b.grad_fn is None) or (
            b.grad_fn is not None and a.grad_fn.name() != b.grad_fn.name()):
        return False
    av = np.asarray(engine.to_numpy(a.detach()), dtype=np.float64)
    bv = b.detach().double().numpy()
    return np.array_equal(np.signbit(av), np.signbit(bv)) and np.allclose(
        av, bv, rtol=1e-6, atol=0, equal_nan=True)


def _both(fn):
    e, t = _outcome(lambda: fn(engine, EF)), _outcome(lambda: fn(torch, TF))
    assert _same(e, t), f"engine {e!r}\ntorch  {t!r}"


def _t(lib, values, dtype="float64", rg=False):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=rg)


CREATION = {
    "zeros-no-size": lambda L, F: L.zeros(requires_grad=True),
    "ones-no-size": lambda L, F: L.ones(dtype=L.int64),
    "empty-no-size": lambda L, F: L.empty(),
    "rand-no-args": lambda L, F: L.rand(),
    "rand-one-kw": lambda L, F: L.rand(requires_grad=True),
    "randn-two-kw": lambda L, F: L.randn(dtype=L.float64, requires_grad=True),
    "rand-int": lambda L, F: L.rand(2, dtype=L.int64),
    "randn-int-empty": lambda L, F: L.randn(0, dtype=L.int64),
    "randn-int-empty-grad": lambda L, F: L.randn(0, dtype=L.int64, requires_grad=True),
    "randn_like-bool": lambda L, F: L.randn_like(L.tensor([True])),
    "randint-bool-from": lambda L, F: L.randint(-2, 1, (2,), dtype=L.bool),
    "randint-bool-to": lambda L, F: L.randint(3, (2,), dtype=L.bool),
    "randint-int32-to": lambda L, F: L.randint(0, 2 ** 40, (2,), dtype=L.int32),
    "logspace-int": lambda L, F: L.logspace(2.25, 4.0, 5, dtype=L.int64),
    "logspace-int-base": lambda L, F: L.logspace(0.5, -1.5, 5, base=0.5, dtype=L.int32),
    "logspace-int-one": lambda L, F: L.logspace(2.7, 0, 1, dtype=L.int64),
    "logspace-bool": lambda L, F: L.logspace(0, 1, 2, dtype=L.bool),
    "logspace-bool-one": lambda L, F: L.logspace(2.7, 0, 1, base=0.5, dtype=L.bool),
}


@pytest.mark.parametrize("name", CREATION)
def test_creation_checks(name):
    _both(CREATION[name])  # random calls here either raise or are empty


X = [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]
S = [[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]]

LOSSES = {
    "hinge-int-input": lambda L, F: F.hinge_embedding_loss(
        _t(L, [[0, -1, 2], [1, 0, -2]], "int64"), _t(L, S), margin=0.5, reduction="none"),
    "hinge-int-mean": lambda L, F: F.hinge_embedding_loss(
        _t(L, [[0, -1, 2], [1, 0, -2]], "int32"), _t(L, S), margin=0.5),
    "hinge-bool": lambda L, F: F.hinge_embedding_loss(_t(L, [True, False], "bool"),
                                                      _t(L, [1.0, -1.0])),
    "soft-margin-int": lambda L, F: F.soft_margin_loss(_t(L, [[2, 1], [0, -1]], "int64"),
                                                       _t(L, [[1.0, -1.0], [1.0, 1.0]])),
    "soft-margin-bool": lambda L, F: F.soft_margin_loss(_t(L, [True, False], "bool"),
                                                        _t(L, [1.0, -1.0])),
    "soft-margin-target-grad": lambda L, F: F.soft_margin_loss(
        _t(L, [1.0, -2.0]), _t(L, [1.0, -1.0], rg=True)),
    "soft-margin-overflow": lambda L, F: F.soft_margin_loss(
        _t(L, [1.0, math.inf, -100.0, 800.0], "float16"), _t(L, [1.0, -1.0, 1.0, -1.0]),
        reduction="none"),
    "gaussian-int-var": lambda L, F: F.gaussian_nll_loss(
        _t(L, X), _t(L, S), _t(L, [[1, 2, 1], [1, 1, 2]], "int64")),
    "multi-margin-half": lambda L, F: F.multi_margin_loss(_t(L, X, "float16"),
                                                          _t(L, [0, 2], "int64")),
    "multi-margin-int-target": lambda L, F: F.multi_margin_loss(_t(L, X),
                                                                _t(L, [0, 2], "int32")),
    "multi-margin-weight-dtype": lambda L, F: F.multi_margin_loss(
        _t(L, X), _t(L, [0, 2], "int64"), weight=_t(L, [1.0, 0.5, 2.0], "float32")),
    "multi-margin-inf": lambda L, F: F.multi_margin_loss(
        _t(L, [[math.inf, 1.7, 0.0, -math.inf]]), _t(L, [1], "int64")),
    "multi-margin-nan-weight": lambda L, F: F.multi_margin_loss(
        _t(L, [[0.2, -1.0, -1.7]]), _t(L, [0], "int64"), p=2,
        weight=_t(L, [math.nan, 1.0, 1.0])),
    "prelu-promoting": lambda L, F: F.prelu(_t(L, X), _t(L, [0, 0, 0], "int64")),
    "prelu-0d": lambda L, F: F.prelu(_t(L, 1.0), _t(L, [0.5, 0.5])),
    "bce-target-dtype": lambda L, F: F.binary_cross_entropy(_t(L, [0.5, 0.2]),
                                                            _t(L, [True, False], "bool")),
    "bce-int": lambda L, F: F.binary_cross_entropy(_t(L, [0, 1], "int64"),
                                                   _t(L, [0, 1], "int64")),
    "bce-logits-target-dtype": lambda L, F: F.binary_cross_entropy_with_logits(
        _t(L, [0.5, -1.0]), _t(L, [0.25, 1.0], "float32")),
    "bce-logits-bool-target": lambda L, F: F.binary_cross_entropy_with_logits(
        _t(L, [0.5, -1.0]), _t(L, [True, False], "bool")),
    "bce-logits-int": lambda L, F: F.binary_cross_entropy_with_logits(
        _t(L, [1, 2], "int64"), _t(L, [0.0, 1.0])),
    "group-norm-mixed": lambda L, F: F.group_norm(_t(L, [[1.0, 2.0], [3.0, 5.0]], "float32"), 1,
                                                  _t(L, [1.0, 2.0])),
    "group-norm-bias-dtype": lambda L, F: F.group_norm(_t(L, [[1.0, 2.0], [3.0, 5.0]]), 1,
                                                       _t(L, [1.0, 2.0]), _t(L, [0, 1], "int64")),
    "group-norm-zero-weight": lambda L, F: F.group_norm(
        _t(L, [[1.0, -2.0], [3.0, 5.0]]), 1, _t(L, [0.0, 1.0])),
    "normal-nan-std": lambda L, F: L.normal(_t(L, [0.0, 1.0]), _t(L, [math.nan, 1.0])),
    "normal-dtype": lambda L, F: L.normal(_t(L, [0.0], "float32"), _t(L, [0.0])),
    "normal_-tensor-mean": lambda L, F: _t(L, [0.0, 1.0]).normal_(_t(L, [0.0, 1.0])),
    "normal_-std-keyword": lambda L, F: _t(L, [0.0, 1.0]).normal_(std=_t(L, [0.0, 1.0])),
    "multinomial-0d": lambda L, F: L.multinomial(_t(L, 1, "int32"), 1),
    "multinomial-nan-replacement": lambda L, F: L.multinomial(_t(L, [0.1, math.nan]), 2, True),
    "multinomial-empty": lambda L, F: L.multinomial(_t(L, []), 1, True),
    "random_-half-bound": lambda L, F: _t(L, [0.0], "float16").random_(0, 2 ** 40),
    "exponential_-empty-int": lambda L, F: _t(L, [], "int64").exponential_(),
    "cauchy_-sigma-first": lambda L, F: _t(L, [1], "int64").cauchy_(0.0, -1.0),
}


def test_scatter_add_refuses_an_index_shaped_src_gradient():
    def f(L, F):
        src = _t(L, [0.9, 0.8, -0.3, 1.4], rg=True)
        out = L.scatter_add(_t(L, [0.5, 0.1, -1.9]), 0, _t(L, [1, 1], "int64"), src)
        return L.autograd.grad(out.sum(), src)

    _both(f)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_dtype_rules(name):
    _both(LOSSES[name])


def _second_order(L, F, loss_fn, n_inputs):
    xs = loss_fn(L)
    out = F(*xs)
    w = L.tensor(np.linspace(-1.0, 1.25, out.numel()).reshape(tuple(out.shape)).tolist(),
                 dtype=out.dtype)
    leaves = [x for x in xs[:n_inputs] if x.requires_grad]
    gs = L.autograd.grad((out * w).sum(), leaves, create_graph=True)
    total = sum((g * g).sum() for g in gs)
    return tuple(gs) + tuple(L.autograd.grad(total, leaves, allow_unused=True))


@pytest.mark.parametrize("red", ["mean", "none"])
def test_soft_margin_double_backward(red):
    def inputs(L):
        return (_t(L, [[1.76, 0.54, -0.0092], [-1.07, 0.0, 0.98]], rg=True),
                _t(L, [[1.0, -1.0, 1.0], [1.0, -1.0, -1.0]]))

    _both(lambda L, F: _second_order(
        L, lambda x, y: F.soft_margin_loss(x, y, reduction=red), inputs, 1))


@pytest.mark.parametrize("w_grad,x_grad", [(True, True), (True, False), (False, True)])
def test_prelu_double_backward_signed_zeros(w_grad, x_grad):
    def inputs(L):
        return (_t(L, [[[-3.5, 1.9, 0.0], [0.88, -3.8, -0.38]]], rg=x_grad),
                _t(L, [0.46, -0.0], rg=w_grad))

    _both(lambda L, F: _second_order(L, F.prelu, inputs, 2))


def test_div_gradient_of_a_float32_divisor_keeps_float64_precision():
    def f(L, F):
        a = _t(L, [0.7, -1.3, 2.9], rg=True)
        b = _t(L, [1.2630525, 1.0118145, 0.7441353], "float32", rg=True)
        q = a / b
        (g,) = L.autograd.grad((q * q).sum(), b, create_graph=True)
        return L.autograd.grad(g.sum(), a)

    _both(f)
