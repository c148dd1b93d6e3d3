"""Pinned cases of session 19's hunt (issue 10): found by probes of what the generator reaches
little (nn layers in double backward, their parameters' gradient nodes). Each is a small program
run on the engine and on torch 2.13 side by side; compared: dtype, shape, requires_grad,
grad_fn name and values (signs of zeros and NaN placement; others to 7 significant digits),
or the error's builtin class and text. Each case failed on the engine before its fix."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed, pinned_obs  # noqa: E402


def _same(program):
    assert observed(program, engine, pinned_obs) == observed(program, torch, pinned_obs)


def _leaf(T, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return T.tensor(rng.normal(size=shape), dtype=getattr(T, dtype), requires_grad=True)


# ---------------------------------------------------------------------- repeat's gradient
def _repeat(T, shape, reps, dtype, transposed):
    x = _leaf(T, shape, dtype)
    y = (x.t() if transposed else x).repeat(*reps)
    w = T.tensor(np.random.default_rng(1).normal(size=tuple(y.shape)), dtype=x.dtype)
    g, = T.autograd.grad((y * y * w).sum(), [x], create_graph=True)
    (g * g).sum().backward()
    return [y, g, x.grad]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, reps, transposed", [
    ((3,), (2,), False), ((3,), (1,), False), ((3,), (2, 2), False), ((3,), (2, 1, 2), False),
    ((2, 3), (1, 1), False), ((2, 3), (2, 1, 3), False), ((2, 3), (0, 2), False),
    ((2, 3), (4, 1, 1), False), ((), (3, 2), False), ((1, 3), (2, 5, 1), False)])
def test_repeat_backward_is_torchs_composition(shape, reps, transposed, dtype):
    """torch's repeat_backward: new leading dims summed away one ``sum(0)`` at a time, the
    repeated dims split off by a reshape and summed in one call, nothing for a count of 1
    (the gradient's node under create_graph is SumBackward1 or the incoming one, never a
    trailing ViewBackward0), zeros without a node for a zero count."""
    _same(lambda T: _repeat(T, shape, reps, dtype, transposed))


def _instance_norm(T, dtype):
    T.manual_seed(0)
    m = T.nn.InstanceNorm1d(3, affine=True)
    if dtype == "float64":
        m = m.double()
    y = m(_leaf(T, (2, 3, 4), dtype))
    return list(T.autograd.grad((y * y).sum(), [m.weight, m.bias], create_graph=True))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_parameter_gradients_end_in_repeats_sum(dtype):
    """InstanceNorm's weight and bias are repeated over the batch: their gradients' node
    under create_graph is repeat_backward's SumBackward1."""
    _same(lambda T: _instance_norm(T, dtype))


# ---------------------------------------------------------------------- linear's bias node
def _linear(T, dtype, x_shape, module):
    x = _leaf(T, x_shape, dtype)
    w, b = _leaf(T, (2, 3), dtype, 1), _leaf(T, (2,), dtype, 2)
    if module:
        lin = T.nn.Linear(3, 2).to(getattr(T, dtype))
        w, b = lin.weight, lin.bias
        y = lin(x)
    else:
        y = T.nn.functional.linear(x, w, b)
    gs = T.autograd.grad((y * y).sum(), [x, w, b], create_graph=True)
    sum((g * g).sum() for g in gs).backward()
    return [*gs, x.grad, w.grad, b.grad]


@pytest.mark.parametrize("dtype", ["float64"])  # (float32: BLAS's last bits aside)
@pytest.mark.parametrize("x_shape, module", [((4, 3), False), ((3,), False), ((4, 3), True)])
def test_linear_bias_gradient_is_sum_to_of_addmm(x_shape, module, dtype):
    """linear's bias gradient is the autograd engine's sum_to of AddmmBackward0's broadcast
    self gradient: ``sum(0, keepdim=True)`` then a view (ViewBackward0, not SumBackward1)."""
    _same(lambda T: _linear(T, dtype, x_shape, module))


# ---------------------------------------------------------------------- embedding's gradient
def _embedding(T, dtype, idx, padding_idx, freq, order, upstream=None):
    w = _leaf(T, (5, 3), dtype)
    y = T.nn.functional.embedding(T.tensor(idx), w, padding_idx=padding_idx,
                                  scale_grad_by_freq=freq)
    if upstream is not None:
        y.backward(T.tensor(upstream, dtype=w.dtype))
        return [y, w.grad]
    c = T.tensor(np.random.default_rng(1).normal(size=tuple(y.shape)), dtype=w.dtype)
    g, = T.autograd.grad((y * y * c).sum(), [w], create_graph=True)
    if order == 3:
        g2, = T.autograd.grad((g * g * g).sum(), [w], create_graph=True)
        (g2 * g2).sum().backward()
        return [y, g, g2, w.grad]
    (g * g).sum().backward()
    return [y, g, w.grad]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("idx, padding_idx, freq, order", [
    ([0, 1, 1, 4, 1], None, True, 2), ([[0, 1, 1], [4, 1, 0]], None, True, 2),
    ([[0, 1, 1], [4, 1, 0]], 1, True, 2), ([[0, 1, 1], [4, 1, 0]], 0, True, 2),
    ([0, 1, 1, 4, 1], None, True, 3), ([[0, 1, 1], [4, 1, 0]], 1, True, 3)])
def test_embedding_double_backward_does_not_scale_by_frequency(idx, padding_idx, freq, order,
                                                               dtype):
    """torch's embedding_dense_double_backward gathers the rows and zeroes the padding_idx
    ones, without scale_grad_by_freq's division (the engine divided again: a row looked up
    three times had a third of torch's second-order gradient); the first-order gradient adds
    each row with ``add_(row, alpha=1/count)``, one fused multiply-add (float32's last bit)."""
    _same(lambda T: _embedding(T, dtype, idx, padding_idx, freq, order))


@pytest.mark.parametrize("freq", [False, True])
def test_embedding_gradient_skips_padding_positions(freq):
    """torch's CPU embedding backward skips the padding_idx positions: an inf or NaN upstream
    gradient there leaves the padding row's gradient 0 (the engine multiplied it by 0: NaN)."""
    up = [[1.0, 2.0, 3.0], [np.inf, np.nan, -np.inf], [3.0, 4.0, 5.0], [0.5, -0.0, 1.0]]
    _same(lambda T: _embedding(T, "float32", [0, 1, 1, 2], 1, freq, 1, up))


# ---------------------------------------------------------------------- glibc's log of a 0-d
def _bce(T, x, y):
    x = T.tensor(x, dtype=T.float64, requires_grad=True)
    out = T.nn.functional.binary_cross_entropy(x.clone(), T.tensor(y, dtype=T.float64))
    out.backward()
    return [out, x.grad]


def _xlogy(T, x, y):
    x = T.tensor(x, dtype=T.float64, requires_grad=True)
    y = T.tensor(y, dtype=T.float64, requires_grad=True)
    a = T.xlogy(x, y)
    a.backward()
    return [a, x.grad, y.grad]


@pytest.mark.parametrize("program, x, y", [
    (_bce, -0.0, 0.0), (_bce, 1.0, 1.0), (_bce, 0.0, 1.0),
    (_xlogy, 1.0, 0.0), (_xlogy, 1.0, -1.0), (_xlogy, 0.0, -2.0)])
def test_float64_log_of_a_0d_tensor_at_a_pole(program, x, y):
    """The glibc log/log1p that float64 binary_cross_entropy and xlogy take, for a 0-d tensor
    holding 0 or a negative number: -inf or NaN as torch (the engine raised AttributeError:
    NumPy's frompyfunc returns a bare float for a 0-d array). Found by seed 1920."""
    _same(lambda T: program(T, x, y))


# ---------------------------------------------------------------------- reductions' dtypes
_R = np.random.default_rng(0)
_VALS = {"float64": _R.normal(size=(3, 17)) * 3, "float32": _R.normal(size=(3, 17)) * 3,
         "float16": _R.normal(size=(3, 17)) * 3, "uint8": _R.integers(0, 255, size=(3, 17))}


def _reduce(T, op, src, dt):
    x = T.tensor(_VALS[src]).to(getattr(T, src))
    d = getattr(T, dt)
    return {"sum": lambda: [x.sum(dtype=d), x.sum(1, dtype=d)],
            "nansum": lambda: [x.nansum(dtype=d), x.nansum(1, dtype=d)],
            "mean": lambda: [x.mean(dtype=d), x.mean(1, dtype=d)],
            "nanmean": lambda: [x.nanmean(dtype=d), x.nanmean(1, dtype=d)],
            "prod": lambda: [x.prod(dtype=d), x.prod(1, dtype=d)],
            "cumsum": lambda: [x.cumsum(1, dtype=d), x.cumsum(0, dtype=d)],
            "cumprod": lambda: [x[:, :6].cumprod(1, dtype=d)]}[op]()


@pytest.mark.parametrize("op, src, dt", [
    ("sum", "float64", "float16"), ("sum", "float32", "float16"),
    ("nansum", "float64", "float16"), ("nansum", "float64", "float32"),
    ("nansum", "float32", "float32"), ("nanmean", "float32", "float32"),
    ("nanmean", "float64", "int64"), ("nanmean", "float32", "bool"),
    ("prod", "float64", "float16"), ("prod", "float16", "float16"),
    ("cumsum", "float64", "float16"), ("cumsum", "float64", "float32"),
    ("cumsum", "float32", "float16"), ("cumprod", "float64", "float32"),
    ("cumprod", "float16", "float32")])
def test_reduction_reads_its_input_in_the_result_dtype(op, src, dt):
    """torch's CPU reductions and scans with ``dtype=`` read the input converted to it first
    (a float64 sum into float16 rounds every element to half), then accumulate: sums in the
    cascade (nansum too, skipping NaN; it used NumPy's pairwise sum), scans in double for
    float32 and float for half, ``prod`` in the dtype; a half ``mean`` is a float32 sum. And
    ``nanmean``'s ``dtype=`` must be floating (torch's text; the engine answered)."""
    _same(lambda T: _reduce(T, op, src, dt))


def _prod(T, dt, shape, layout, dim, seed):
    vals = 1 + np.random.default_rng(seed).normal(size=shape) * 0.1
    x = T.tensor(vals, dtype=getattr(T, dt), requires_grad=True)
    y = x.t() if layout == 1 else x[..., ::2] if layout == 2 else x
    p = y.prod() if dim is None else y.prod(dim)
    p.sum().backward()
    return [p, x.grad]


@pytest.mark.parametrize("dt, shape, layout, dim", [
    *((dt, *case) for dt in ("float16", "float32") for case in (
        ((3, 70), 0, 1), ((3, 300), 0, -1), ((40, 9), 0, None), ((9, 40), 1, None),
        ((30, 40), 1, 0))),
    ("float16", (3, 301), 2, 1), ("float16", (70, 3), 0, 0)])
def test_prod_rounds_in_atens_vectorized_order(dt, shape, layout, dim):
    """``prod`` along a unit-stride dim (or of a whole dense tensor, in memory order) is
    ATen's ``vectorized_reduction``: 4 accumulators of 32 bytes over blocks of 4 vectors,
    combined ``(a0 * a1) * (a2 * a3)``, lanes in order, then the rest; along other dims one
    element after another; each product rounded in the dtype (half: the engine multiplied in
    float32)."""
    _same(lambda T: _prod(T, dt, shape, layout, dim, 3))


# ---------------------------------------------------------------------- double to half
_NEAR = (1 + np.random.default_rng(1).normal(size=100000) * 0.1)


def _half_casts(T):
    v = T.tensor(_NEAR)
    z = T.zeros(100000, dtype=T.float16)
    z[:] = v
    w = T.ones(100000, dtype=T.float16)
    w.mul_(v)
    return [T.tensor(_NEAR, dtype=T.float16), T.tensor(_NEAR.tolist(), dtype=T.float16),
            v.to(T.float16), v.half(), T.zeros(100000, dtype=T.float16).copy_(v), z, w,
            T.tensor((_NEAR * 1e5).astype(np.int64)).half()]


def test_double_to_half_goes_through_float():
    """C++ makes a ``c10::Half`` from a ``float``: a double (or an integer) reaches half
    through float32, two roundings; NumPy's direct cast differed in 7 of these 100,000 values
    near 1 (``tensor(..., dtype=float16)``, ``.to``/``.half()``, ``copy_``, ``t[:] = v``, an
    in-place op computed in double)."""
    _same(_half_casts)


# ---------------------------------------------------------------------- forward AD levels
def _integers_in_a_dual_level(T):
    fa = __import__(T.__name__ + ".autograd.forward_ad", fromlist=["dual_level"])
    with fa.dual_level():
        a, b = T.tensor([1, 2, 5]), T.tensor([1, 1, 2])
        x = fa.make_dual(T.tensor([1.0, 2.0, 3.0]), T.tensor([1.0, 0.5, 0.0]))
        return [a - b, a * 2, a // b, a.neg(), a.cumsum(0) - b, (x > 1).long() - 1,
                fa.unpack_dual(x * 2)[1]]


def test_integer_ops_inside_a_forward_ad_level():
    """An integer op while a forward-AD level is open, nothing carrying a tangent: torch
    computes it; the engine raised "Autograd not support dtype: Long" (its binary and unary
    families record whenever a level is open)."""
    _same(_integers_in_a_dual_level)


def _jac_cumprod(T):
    func = __import__(T.__name__ + ".func", fromlist=["jacrev"])
    x = T.tensor([[0.3, -1.2, 0.7, 2.0], [-0.4, 0.0, 1.5, -0.9], [1.1, 0.25, -2.2, 0.6]],
                 dtype=T.float64)
    return [func.jacrev(lambda a: a.cumprod(1))(x) + 0.0,
            func.jacfwd(lambda a: a.cumprod(1))(x) + 0.0]


def test_jacobian_of_cumprod_through_a_zero():
    """jacrev of cumprod over a row holding a zero: cumprod's zero-aware backward counts the
    zeros with integer ops inside the transform's forward-AD level (engine: "Autograd not
    support dtype: Long"). (+ 0.0: the signs of zeros are another matter.)"""
    _same(_jac_cumprod)


# ---------------------------------------------------------------------- as_strided views
def _as_strided_inplace(T, view, op, dtype):
    leaf = _leaf(T, (2, 3), dtype, 256)
    base = leaf * 1.5
    v = view(base)
    op(v)
    loss = (base * base).sum() + (v * 0.5).sum()
    g, = T.autograd.grad(loss, [leaf], create_graph=True)
    (g * g).sum().backward()
    return [base, v, g, leaf.grad]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("view, op", [
    (lambda b: b.as_strided((2,), (1,)), lambda v: v.mul_(2.5)),
    (lambda b: b.as_strided((2,), (2,), 1), lambda v: v.mul_(2.5)),
    (lambda b: b.as_strided((2,), (1,)), lambda v: v.add_(1.0)),
    (lambda b: b.as_strided((2,), (1,)), lambda v: v.sin_()),
    (lambda b: b.diagonal().as_strided((2,), (1,)), lambda v: v.exp_()),
    (lambda b: b.diagonal().as_strided((2,), (1,))[1:], lambda v: v.abs_().sqrt_())])
def test_second_order_through_an_inplace_op_on_an_as_strided_view(view, op, dtype):
    """Silent: the second-order gradient through an in-place op on an ``as_strided`` view
    (of a non-leaf, or of a view of it) lost the view's elements (zeros, or half of the true
    value). torch's CopySlices replays ``as_strided`` on a tensor of the base's geometry, and
    records it under create_graph; the engine replayed it without recording (no_grad), on the
    intermediate view (whose own gradient covers only its elements), and on the gradient's
    own storage (an expanded gradient's is one element)."""
    _same(lambda T: _as_strided_inplace(T, view, op, dtype))
