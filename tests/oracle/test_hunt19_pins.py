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
    ((2, 3), (4, 1, 1), False), ((), (3, 2), False), ((1, 3), (2, 5, 1), False),
    ((2, 3), (2, 2), True)])
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
