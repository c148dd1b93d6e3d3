"""Pinned against torch 2.13 (session 6, the last unargued entries of tests/oracle/known.py):
``matrix_exp`` as torch evaluates it (Bader-Blanes-Casas Taylor polynomials; a half input
reads the double coefficient tables as half values, as torch does), and oneDNN's convolution
arithmetic with infinite/NaN weights (backward-data's products with the gradient's border;
the transposed convolution's input gradient skipping the padding)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402


def _same(ours, theirs, rtol):
    a = np.asarray(ours.tolist(), dtype=np.float64)
    b = np.asarray(theirs.detach().tolist(), dtype=np.float64)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"NaN at\n{a}\nvs torch's\n{b}"
    assert np.array_equal(np.isposinf(a), np.isposinf(b)) and \
        np.array_equal(np.isneginf(a), np.isneginf(b)), f"inf at\n{a}\nvs torch's\n{b}"
    fin = np.isfinite(a)
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=0)


_RNG = np.random.default_rng(6)
MATRICES = {
    "zero": np.zeros((2, 2)),
    "tiny-nilpotent": np.array([[0.0, 1e-4], [0.0, 0.0]]),  # T4
    "t8": np.eye(2) * 0.01,
    "t12": np.array([[0.0, 0.1], [0.2, 0.05]]),
    "t18": np.eye(3) * 0.5,
    "scaled": np.array([[2.0, 0.5], [0.0, 1.0]]),
    "large": np.array([[60000.0, 0.0], [0.0, 1.0]]),
    "one-by-one": np.array([[0.5]]),
    "empty": np.zeros((0, 0)),
    "batch": np.stack([np.eye(2) * 1e-4, np.eye(2) * 0.5, np.zeros((2, 2))]),
    "batch-of-one": np.eye(2)[None] * 1e-4,
    "non-finite": np.array([[np.inf, 0.0], [0.0, 0.1]]),
    "random": _RNG.standard_normal((4, 4)) * 0.3,
    "random-batch": _RNG.standard_normal((3, 3, 3)) * 2.0,
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(MATRICES))
def test_matrix_exp_values(name, dtype):
    a = MATRICES[name].astype(dtype)
    rtol = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}[dtype]
    _same(engine.matrix_exp(engine.tensor(a)), torch.matrix_exp(torch.tensor(a)), rtol)
    _same(engine.linalg.matrix_exp(engine.tensor(a)), torch.linalg.matrix_exp(torch.tensor(a)),
          rtol)


@pytest.mark.parametrize("values", [[[0.0, -1.0], [0.0, 0.0]], [[0.1, 0.2], [-0.3, 0.05]]])
@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_matrix_exp_gradient_through_the_block_exponential(values, dtype):
    """torch's backward is the exponential of [[A^T, g], [0, A^T]] in the input's dtype."""
    out = []
    for m in (engine, torch):
        x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
        y = m.matrix_exp(x.transpose(0, 1))
        w = m.tensor([[0.25, -0.5], [0.75, 1.0]], dtype=getattr(m, dtype))
        (g,) = m.autograd.grad(y, x, w, create_graph=True)
        (g * w).sum().backward()
        out.append((g, x.grad))
    for ours, theirs in zip(*out, strict=True):
        _same(ours, theirs, 3e-2 if dtype == "float16" else 1e-12)


def _grads(m, dtype, x, w, args, transposed):
    xt = m.tensor(x, dtype=getattr(m, dtype), requires_grad=True)
    y = m.convolution(xt, m.tensor(w, dtype=getattr(m, dtype)), None, *args[:3], transposed,
                      args[3], args[4])
    y.backward(m.ones(tuple(y.shape), dtype=getattr(m, dtype)) * 0.5)
    return xt.grad


# (dtype, batch, channels in, weight shape, spatial, stride, padding, dilation, groups, tap)
CONV = {
    "1d-odd-width": ("float16", 1, 1, (1, 1, 2), (7,), (2,), (0,), (1,), 1, (0, 0, 0)),
    "1d-even-width": ("float16", 1, 1, (1, 1, 2), (8,), (2,), (0,), (1,), 1, (0, 0, 0)),
    "1d-left-border": ("float16", 1, 1, (1, 1, 3), (7,), (2,), (0,), (1,), 1, (0, 0, 2)),
    "1d-stride3": ("float16", 1, 1, (1, 1, 4), (4,), (3,), (1,), (1,), 1, (0, 0, 1)),
    "1d-dilated": ("float16", 1, 1, (1, 1, 2), (9,), (2,), (0,), (2,), 1, (0, 0, 0)),
    "2d-width-only": ("float16", 1, 1, (1, 1, 2, 2), (5, 5), (2, 2), (0, 0), (1, 1), 1,
                      (0, 0, 0, 0)),
    "2d-other-dim-dilated": ("float16", 1, 1, (1, 1, 1, 3), (6, 4), (1, 3), (0, 0), (2, 1), 1,
                             (0, 0, 0, 0)),
    "float-batched": ("float32", 2, 1, (1, 1, 2), (7,), (2,), (0,), (1,), 1, (0, 0, 0)),
    "float-single-native": ("float32", 1, 1, (1, 1, 2), (7,), (2,), (0,), (1,), 1, (0, 0, 0)),
    "float-grouped": ("float32", 1, 2, (4, 1, 2), (7,), (2,), (0,), (1,), 2, (0, 0, 0)),
    "half-grouped": ("float16", 1, 2, (4, 1, 2), (7,), (2,), (0,), (1,), 2, (0, 0, 0)),
    "oracle-program": ("float16", 1, 2, (3, 2, 2, 2), (4, 3), (1, 2), (1, 0), (1, 1), 1,
                       (1, 0, 1, 1)),
}


@pytest.mark.parametrize("bad", [np.inf, np.nan])
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_input_grad_with_a_non_finite_weight(name, bad):
    dtype, n, c, wshape, spatial, stride, padding, dilation, groups, tap = CONV[name]
    x = _RNG.standard_normal((n, c) + spatial)
    w = _RNG.standard_normal(wshape)
    w[tap] = bad
    args = (list(stride), list(padding), list(dilation), [0] * len(spatial), groups)
    _same(_grads(engine, dtype, x, w, args, False), _grads(torch, dtype, x, w, args, False),
          2e-2)


# transposed: (dtype, channels in, weight shape, spatial, stride, padding, dilation, groups)
CONV_T = {
    "half": ("float16", 1, (1, 1, 3), (4,), (2,), (1,), (1,), 1),
    "float-batched": ("float32", 1, (1, 1, 3), (4,), (2,), (1,), (1,), 1),
    "float-depthwise": ("float32", 2, (2, 1, 3), (4,), (3,), (1,), (1,), 2),
    "float-grouped": ("float32", 2, (2, 2, 3), (4,), (3,), (1,), (1,), 2),
    "half-2d": ("float16", 1, (1, 1, 2, 3), (3, 4), (2, 2), (1, 1), (1, 2), 1),
}


@pytest.mark.parametrize("name", sorted(CONV_T))
def test_conv_transpose_input_grad_with_a_non_finite_weight(name):
    dtype, c, wshape, spatial, stride, padding, dilation, groups = CONV_T[name]
    x = _RNG.standard_normal((2, c) + spatial)
    w = _RNG.standard_normal(wshape)
    w.flat[0] = np.inf
    args = (list(stride), list(padding), list(dilation), [0] * len(spatial), groups)
    _same(_grads(engine, dtype, x, w, args, True), _grads(torch, dtype, x, w, args, True),
          2e-2)


def test_conv_forward_infinite_weight_meets_infinite_input():
    """oneDNN skips the padding; an infinite weight times an infinite input is still inf (the
    engine's padding-skipping product once multiplied a zeroed weight by it: NaN)."""
    inf, nan = np.inf, np.nan
    x = [[[[0.46, 0.0, 0.0, nan], [1.13, -inf, -inf, -0.0], [-inf, -0.0, -inf, 0.0],
           [-0.0, 0.0, 0.81, 0.0], [1.32, nan, -0.81, -0.0]],
          [[-1.83, -inf, 0.59, -inf], [inf, -inf, -0.0, 1.76], [0.65, nan, 0.66, -0.47],
           [-1.43, nan, -0.0, -0.0], [-0.11, 0.0, nan, inf]]]]
    w = [[[[inf, 0.26], [1.17, inf]]], [[[inf, -0.0], [1.12, inf]]],
         [[[0.0, 0.49], [-1.82, 0.0]]], [[[-1.35, 1.03], [-inf, -1.36]]]]
    out = [m.conv2d(m.tensor(x, dtype=m.float16), m.tensor(w, dtype=m.float16), stride=(2, 1),
                    padding=(1, 0), dilation=(1, 2), groups=2) for m in (engine, torch)]
    _same(*out, 2e-3)


# transposed, an infinite input: (dtype, batch, channels in, weight shape, spatial, stride,
# padding, dilation, output padding, groups)
CONV_T_WEIGHT = {
    "half-grouped": ("float16", 1, 4, (4, 1, 2, 2), (3, 2), (2, 2), (1, 1), (1, 1), (1, 1), 2),
    "float-batched": ("float32", 2, 1, (1, 1, 3), (4,), (2,), (1,), (1,), (0,), 1),
    "float-dilated-last-axis": ("float32", 2, 1, (1, 1, 2, 2), (4, 2), (1, 2), (1, 0),
                                (1, 2), (0, 0), 1),
    "float-dilated-strided-native": ("float32", 2, 1, (1, 1, 3, 3), (2, 2), (2, 2), (1, 1),
                                     (2, 2), (0, 0), 1),
}


@pytest.mark.parametrize("name", sorted(CONV_T_WEIGHT))
def test_conv_transpose_weight_grad_with_a_non_finite_input(name):
    dtype, n, c, wshape, spatial, stride, padding, dilation, opad, groups = CONV_T_WEIGHT[name]
    x = _RNG.standard_normal((n, c) + spatial)
    x.flat[1] = np.inf
    w = _RNG.standard_normal(wshape)
    out = []
    for m in (engine, torch):
        wt = m.tensor(w, dtype=getattr(m, dtype), requires_grad=True)
        y = m.convolution(m.tensor(x, dtype=getattr(m, dtype)), wt, None, list(stride),
                          list(padding), list(dilation), True, list(opad), groups)
        y.backward(m.ones(tuple(y.shape), dtype=getattr(m, dtype)) * 0.5)
        out.append(wt.grad)
    _same(*out, 2e-2)


# forward, one infinite weight: (dtype, batch, channels in, weight shape, spatial, stride,
# padding, dilation, groups): does the padding take part (0 * inf = NaN) as in torch?
CONV_FWD = {
    "float-batched-skips": ("float32", 2, 2, (1, 2, 3), (4,), (1,), (1,), (1,), 1),
    "float-padding-past-kernel": ("float32", 2, 2, (1, 2, 1), (6,), (1,), (1,), (1,), 1),
    "float-grouped": ("float32", 1, 2, (4, 1, 1, 2), (4, 4), (1, 1), (0, 2), (2, 1), 2),
    "float-depthwise": ("float32", 1, 2, (2, 1, 3), (6,), (1,), (2,), (1,), 2),
    "half-padding-past-kernel": ("float16", 1, 2, (1, 2, 1), (6,), (1,), (1,), (1,), 1),
}


@pytest.mark.parametrize("name", sorted(CONV_FWD))
def test_conv_forward_padding_with_a_non_finite_weight(name):
    dtype, n, c, wshape, spatial, stride, padding, dilation, groups = CONV_FWD[name]
    x = _RNG.standard_normal((n, c) + spatial)
    w = _RNG.standard_normal(wshape)
    w.flat[0] = np.inf
    out = [m.convolution(m.tensor(x, dtype=getattr(m, dtype)),
                         m.tensor(w, dtype=getattr(m, dtype)), None, list(stride), list(padding),
                         list(dilation), False, [0] * len(spatial), groups)
           for m in (engine, torch)]
    _same(*out, 2e-3)
