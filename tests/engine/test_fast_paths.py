"""Fast paths of hot ops give exactly the bits of the general form they stand in for."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.ops import nn as nn_ops

F = engine.ops.OPS


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_keep_bits_is_where_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 9)).astype(dtype)
    a[0, :6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1.5]
    keep = rng.random((7, 9)) < 0.5
    keep[0, :6] = [False, False, True, True, False, True]
    u = np.dtype(f"u{a.dtype.itemsize}")
    for k, x in ((keep, a), (keep[:1], a), (keep, a[:1]), (keep[:, ::2], a[:, ::2]),
                 (keep.T, a.T)):
        want = np.where(k, x, dtype(0))
        got = nn_ops._keep_bits(k, x)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.view(u), want.view(u))


def test_relu_backward_gives_plus_zero_where_cut():
    x = engine.tensor([-1.0, 0.0, -0.0, 2.0, float("nan")], requires_grad=True)
    F["relu"].fn(x).backward(engine.tensor([-3.0, -4.0, float("nan"), -5.0, 7.0]))
    g = x.grad.numpy()
    assert np.array_equal(np.signbit(g[:3]), [False, False, False]) and g[3] == -5.0
    assert g[4] == 7.0  # relu(nan) = nan is not <= 0: the gradient passes, as torch


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fast_path_is_the_general_form(reduction):
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((12, 5)).astype(np.float32)
    t = engine.tensor(rng.integers(0, 4, 12))  # class 4 never a target
    out = []
    for ignore in (-100, 4):  # -100: the fast path; 4 (a class, absent): the general one
        x = engine.tensor(x0, requires_grad=True)
        loss = F["cross_entropy"].fn(x, t, reduction=reduction, ignore_index=ignore)
        loss.sum().backward()
        out.append((loss.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*out):
        assert np.array_equal(a, b)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F["cross_entropy"].fn(engine.tensor(x0), engine.tensor([5] + [0] * 11))


@pytest.mark.parametrize("dtype", [np.float16, np.float64])  # (float32: torch's fused kernel,
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])  # pinned against torch itself)
def test_log_softmax_backward_on_arrays_is_the_ops_bit_for_bit(dtype, reduction, monkeypatch):
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((9, 4)).astype(dtype)
    x0[0] = [np.inf, 0.0, 1.0, -np.inf]
    t = engine.tensor([0, 1, 2, 3, 1, -100, 2, 0, 3])  # one ignored row: its gradient is -0./+0.
    w = engine.tensor(np.array([0.5, 2.0, 1.0, 0.0], dtype))
    g_out = engine.tensor(rng.standard_normal(9).astype(dtype)) if reduction == "none" else None
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    for weight in (None, w):
        for x3 in (False, True):  # (batch, classes, d): classes are not the last dim
            xs = x0.reshape(9, 4, 1).repeat(2, axis=2) if x3 else x0
            tt = engine.tensor(np.stack([t.numpy()] * 2, 1)) if x3 else t
            grads = []
            for fast in (True, False):
                if not fast:
                    monkeypatch.setattr(nn_ops, "_log_softmax_grad_arrays", lambda *a: None)
                x = engine.tensor(xs, requires_grad=True)
                loss = F["cross_entropy"].fn(x, tt, weight=weight, reduction=reduction)
                gout = None if g_out is None else (
                    engine.tensor(np.stack([g_out.numpy()] * 2, 1)) if x3 else g_out)
                loss.backward(gout)
                grads.append(x.grad.numpy())
                monkeypatch.undo()
            assert np.array_equal(grads[0].view(u), grads[1].view(u)), (weight, x3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sum_to_on_arrays_is_the_ops_bit_for_bit(dtype):
    from engine.autograd.engine import sum_to

    rng = np.random.default_rng(3)
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    cases = [((64, 256), (256,)), ((5, 3, 4), (3, 1)), ((5, 3, 4), (1, 4)), ((2, 3, 4), (1, 1, 1)),
             ((7, 1, 4), (1, 4)), ((3, 4), (3, 1)), ((6, 5), (1, 5))]
    for gshape, shape in cases:
        g = engine.tensor((rng.standard_normal(gshape) * 100).astype(dtype))
        g.requires_grad_()  # the ops' path records (grad mode on), the arrays' path does not
        want = sum_to(g, shape)
        with engine.no_grad():
            got = sum_to(g, shape)
        assert want.requires_grad and not got.requires_grad
        assert got.shape == want.shape == shape and got.dtype == want.dtype
        assert np.array_equal(got.numpy().view(u), want.detach().numpy().view(u)), gshape


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_linear_gradients_on_arrays_are_the_ops_bit_for_bit(dtype):
    rng = np.random.default_rng(4)
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    x0, w0, b0 = (rng.standard_normal(s).astype(dtype) for s in ((33, 7), (5, 7), (5,)))
    g0 = (rng.standard_normal((33, 5)) * 10).astype(dtype)
    grads = []
    for create_graph in (False, True):  # True: the rules run as recorded ops
        x, w, b = (engine.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        F["linear"].fn(x, w, b).backward(engine.tensor(g0), create_graph=create_graph)
        grads.append([t.grad.detach().numpy() for t in (x, w, b)])
    for a, b in zip(*grads):
        assert a.dtype == b.dtype and np.array_equal(a.view(u), b.view(u))


# --------------------------------------------------------------------------- borrowed gradients
N_BORROW = 1 << 17  # above engine.autograd.engine._BORROW_MIN


def _no_borrowing(monkeypatch):
    from engine.autograd import engine as autograd_engine

    monkeypatch.setattr(autograd_engine, "_BORROW_MIN", 1 << 62)


def _big(seed: int, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(N_BORROW).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_borrowed_product_gradients_are_the_products_bit_for_bit(dtype, monkeypatch):
    a0, b0 = _big(0, dtype), _big(1, dtype)
    a0[:4] = [np.nan, -0.0, np.inf, -np.inf]

    def run():
        a = engine.tensor(a0, requires_grad=True)
        b = engine.tensor(b0, requires_grad=True)
        (a.sin() * a + a * b).sum().backward()
        return a.grad._data.copy(), b.grad._data.copy()

    got = run()
    _no_borrowing(monkeypatch)
    want = run()
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g.view(u), w.view(u))


def test_borrowed_gradients_never_share_memory_with_what_the_user_holds():
    a = engine.tensor(_big(2), requires_grad=True)
    w = engine.tensor(_big(3), requires_grad=True)
    (a * w).sum().backward()  # each .grad is the other operand's values, in its own memory
    assert not np.shares_memory(a.grad._data, w._data)
    assert a.grad._data.flags.writeable and np.array_equal(a.grad._data, w._data)

    (ga, gw) = engine.autograd.grad((a * w).sum(), [a, w])
    assert ga._data.flags.writeable and not np.shares_memory(ga._data, w._data)
    before = w._data.copy()
    with engine.no_grad():
        w.add_(1.0)
    assert np.array_equal(ga._data, before)
    ga.add_(1.0)  # what grad() returns is the caller's to change

    # through a view of the borrowed gradient (reshape's backward) into grad()
    x = engine.tensor(_big(4).reshape(-1, 2), requires_grad=True)
    (gx,) = engine.autograd.grad((x.reshape(-1) * w).sum(), [x])
    assert gx._data.flags.writeable and not np.shares_memory(gx._data, w._data)


def test_hooks_and_functions_see_gradients_of_their_own():
    w = engine.tensor(_big(5), requires_grad=True)
    x = engine.tensor(_big(6), requires_grad=True)
    seen = []
    h = x * 1.0
    h.register_hook(lambda g: seen.append(g) or g.mul_(2))  # a hook that changes its grad
    (h * w).sum().backward()
    assert not np.shares_memory(seen[0]._data, w._data)
    assert np.array_equal(x.grad._data, 2 * w._data)

    post, leaf = [], []
    y = x * w
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: post.append(grad_inputs))
    hx = x.register_hook(lambda g: leaf.append(g))
    x.grad = None
    y.sum().backward()
    hx.remove()
    for g in (*post[0], leaf[0]):
        assert g._data.flags.writeable
        assert not np.shares_memory(g._data, w._data) and not np.shares_memory(g._data, x._data)

    class Twice(engine.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1.0

        @staticmethod
        def backward(ctx, g):
            return g.mul_(2)  # in place on its incoming gradient, as torch allows

    x.grad = None
    w0 = w._data.copy()
    (Twice.apply(x) * w).sum().backward()
    assert np.array_equal(w._data, w0) and np.array_equal(x.grad._data, 2 * w0)


def test_in_place_accumulation_never_changes_a_borrowed_gradient():
    # a's gradient is b.grad's values; b's .grad is then updated in place
    b = engine.tensor(_big(7), requires_grad=True)
    b.grad = engine.tensor(_big(8))
    c = engine.tensor(_big(9))
    a = engine.tensor(_big(10), requires_grad=True)
    bg0 = b.grad._data.copy()
    # (the order matters: a's borrowed gradient is still pending when b's .grad grows)
    (((a * 2).sum() + (b * c).sum()) + (a * b.grad).sum()).backward()
    assert np.array_equal(a.grad._data, bg0 + 2)
    assert np.array_equal(b.grad._data, bg0 + c._data)


def test_create_graph_records_the_product():
    a = engine.tensor(_big(11, np.float64), requires_grad=True)
    w = engine.tensor(_big(12, np.float64), requires_grad=True)
    (ga,) = engine.autograd.grad((a * w).sum(), [a], create_graph=True)
    assert ga.grad_fn is not None and ga.grad_fn.name() == "MulBackward0"


def test_one_dimensional_operands_skip_the_iterator_order_check(monkeypatch):
    # one dimension (or none) is always laid out row-major: the check is skipped, the
    # result's layout is the same as before
    from engine.ops import families

    def refused(a):
        raise AssertionError("iterates_unsorted ran for a 1-D operand")

    monkeypatch.setattr(families, "iterates_unsorted", refused)
    x = engine.tensor([0.3], requires_grad=True)
    for y in (x * 2, 2 * x, x + x[:1], 1 - x, x / 3.0):
        assert y.shape == (1,) and y.is_contiguous()
    z = engine.tensor(3.0) * 2
    assert z.shape == ()
    monkeypatch.undo()
    # two dimensions with a size-1 one: still checked (torch's order for its strides)
    w = engine.tensor(np.ones((3, 1), np.float32)).t().t() * 2
    assert w.shape == (3, 1) and w.stride() == (1, 1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (1, 1), (1, 1, 1), (3,), (2, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_one_element_norm_is_the_reduction_bit_for_bit(dtype, shape, keepdim):
    # x.norm() of one element skips the reduction (its only element is its sum): the same
    # bits, NaN payloads, infinities, subnormals and zeros included
    from engine.ops import reduction

    rng = np.random.default_rng(3)
    acc = np.float32 if dtype is np.float16 else dtype
    values = [0.0, -0.0, 0.3, -2.5, np.inf, -np.inf, np.nan, -np.nan, 1e-30, 3e-39, 1e30,
              *rng.standard_normal(20) * 1e3]
    u = np.dtype(f"u{np.dtype(acc).itemsize}")
    for v in values:
        a = np.full(shape, v, dtype=dtype).astype(acc)
        if np.isnan(v):  # a NaN with another payload
            a.view(u)[...] |= 5
        dims = tuple(range(a.ndim))
        with np.errstate(all="ignore"):
            want = np.asarray(np.sqrt(np.add.reduce(a * a, axis=dims, keepdims=keepdim)))
            got = np.asarray(reduction._sqrt_sum_squares(a, dims, keepdim))
        assert got.shape == want.shape and got.dtype == want.dtype
        assert np.array_equal(got.view(u), want.view(u))


def test_backward_root_gradients_are_fresh_arrays():
    # y.backward() seeds a new array each time: a hook that changes its gradient in place
    # changes nothing for the next backward
    x = engine.tensor([1.5], requires_grad=True)
    y = (x * 2).sum()
    y.register_hook(lambda g: g.mul_(10))
    y.backward()
    z = (x * 2).sum()
    z.backward()
    assert x.grad.tolist() == [22.0]
