"""Pinned cases of issue 10's silent disagreements (session 19, faith): each is a small
program run on the engine and on torch 2.13 side by side, and each failed on the engine
before its fix."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402


def _layout(t) -> tuple:
    return tuple(t.shape), t.stride(), t.is_contiguous()


_VIEWS = {
    "t": lambda x: x.t(),
    "mT": lambda x: x.mT,
    "transpose": lambda x: x.transpose(0, -1),
}


@pytest.mark.parametrize("shape, view", [
    (shape, view) for shape in [(6, 1), (1, 6), (3, 1, 2, 1), (1, 3, 1)] for view in _VIEWS
    if view != "t" or len(shape) == 2])
def test_grad_of_a_view_keeps_the_views_strides_on_size_one_dims(shape, view):
    """A leaf's gradient arriving as a view (a transpose of a fresh result) that obeys the
    layout contract on the dims of size > 1 is kept by torch as it is, size-1 dims' strides
    included: a (6, 1) leaf's gradient through ``.t()`` has strides (1, 6). The engine copied
    it row-major ((1, 1))."""
    def run(T):
        x = T.ones(*shape, requires_grad=True)
        (_VIEWS[view](x) * 2).sum().backward()
        return _layout(x.grad)

    assert run(engine) == run(torch)


_ROWS = [[-1.2631809711456299, 0.6310789585113525, 0.6332066655158997, -0.6306842565536499],
         [-0.5812622904777527, 1.4063923358917236, -0.7692443132400513, -0.806410551071167],
         [1.3327943086624146, 1.11992347240448, -0.6871433854103088, 0.9348134398460388]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.5, 1.5, 0.3, 1.2])
@pytest.mark.parametrize("weights", [[0.0, 1.0, -1.0], [0.25, 0.0, 1.0]])
def test_norm_second_order_zero_signs_follow_torchs_node_order(p, weights, dtype):
    """``torch.norm(x, p, dim)``'s gradient under create_graph builds ``sgn(x) * |x|^(p-1)``
    with the right operand first (C++), so sgn's zero gradient reaches ``x`` before abs's
    and leaves its -0. as it is: a row whose first-order gradient is zero has a second-order
    gradient of -0. where ``x < 0`` (the engine gave +0.)."""
    def run(T):
        x = T.tensor(_ROWS, dtype=getattr(T, dtype), requires_grad=True)
        y = T.norm(x, p, -1)
        g, = T.autograd.grad((y * T.tensor(weights, dtype=x.dtype)).sum(), x,
                             create_graph=True)
        v = T.tensor([[1.0, -1.0, 0.5, 0.25], [0.0, 1.0, 1.0, -1.0], [0.0] * 4],
                     dtype=x.dtype)
        (g * v).sum().backward()
        return x.grad.detach().numpy(force=True) if T is torch else x.grad.numpy()

    ours, theirs = run(engine), run(torch)
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def _norm_input(seed: int, shape, dtype: str, layout: str):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    a[rng.random(shape) < 0.1] = 0

    def make(T):
        x = T.tensor(a, dtype=getattr(T, dtype))
        return x.mT.contiguous().mT if layout == "t" else x
    return make


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, 1.5, -1.0])
@pytest.mark.parametrize("shape, dim, layout", [
    ((257,), None, "c"), ((5, 67), -1, "c"), ((67, 5), 0, "c"), ((6, 7, 9), (0, 2), "c"),
    ((37, 11), None, "t"), ((40000,), None, "c"), ((3, 1, 4), 1, "c")])
def test_vector_norm_bits_are_torchs_kernels(p, dtype, shape, dim, layout):
    """float32/float64 norms, bit for bit: torch sums each output's terms one after the
    other in its iterator's order (``pow`` the C library's) or, for the 2-norm over
    contiguous values, 4 float64 / 8 float32 lanes with a fused tail; over size-1 dims it
    is |x| itself. The engine's pairwise NumPy sums and SIMD powers differed in the last
    bit for about half of such cases (float64 2-norms: 46 of 192)."""
    make = _norm_input(sum(shape), shape, dtype, layout)

    def run(T):
        return T.linalg.vector_norm(make(T), p, dim).numpy().tobytes()

    assert run(engine) == run(torch)


@pytest.mark.parametrize("src, dtype", [("float32", "float64"), ("float16", "float32")])
def test_vector_norm_with_dtype_casts_first(src, dtype):
    """``dtype=`` casts the input first: a float32 input's float64 2-norm takes the float64
    last-dim kernel (the engine summed it one term after the other)."""
    make = _norm_input(3, (6, 3, 5), src, "c")

    def run(T):
        return T.norm(make(T), 2, None, dtype=getattr(T, dtype)).numpy().tobytes()

    assert run(engine) == run(torch)


@pytest.mark.parametrize("target", [1.0, -1.0])
@pytest.mark.parametrize("create_graph", [False, True])
def test_cosine_embedding_loss_epsilon_is_a_float(target, create_graph):
    """torch's EPSILON in cosine_embedding_loss is a C++ float (9.99999996e-13): at a zero
    input the gradient ``x2 / sqrt(EPSILON * x2^2)`` is -1000000.001996881, not the
    engine's -999999.9999989795 (2e-9 apart, float64)."""
    def run(T):
        x1 = T.tensor([[0.0, 0.0], [0.5, -1.0]], dtype=T.float64, requires_grad=True)
        x2 = T.tensor([[0.7, -0.2], [0.3, 0.25]], dtype=T.float64, requires_grad=True)
        loss = T.nn.functional.cosine_embedding_loss(
            x1, x2, T.tensor([target, 1.0], dtype=T.float64), margin=-0.2)
        return [g.detach().numpy().tobytes()
                for g in T.autograd.grad(loss, (x1, x2), create_graph=create_graph)]

    assert run(engine) == run(torch)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_bessel_i_values_and_second_order_grads_are_torchs_cephes(name, dtype):
    """torch's i0/i0e/i1/i1e are Cephes' Chebyshev expansions with fused Clenshaw steps, in
    the input's dtype (float32's I1 tables shortened): the engine's float64 power series was
    an ulp or so away, which its gradient formulas' cancellations grew to 3e-12 (float64)
    and 0.36 (float32, i1's second order) relative."""
    rng = np.random.default_rng(19)
    a = np.concatenate([rng.uniform(-9, 9, 12), rng.uniform(-40, 40, 6), [0.0, -0.0, 8.0]])
    w, v = rng.standard_normal(a.size), rng.standard_normal(a.size)

    def run(T):
        dt = getattr(T, dtype)
        x = T.tensor(a, dtype=dt, requires_grad=True)
        y = getattr(T.special, name)(x) if T is torch else getattr(T, f"special.{name}")(x)
        g, = T.autograd.grad((y * T.tensor(w, dtype=dt)).sum(), x, create_graph=True)
        g2, = T.autograd.grad((g * T.tensor(v, dtype=dt)).sum(), x)
        return [t.detach().numpy().tobytes() for t in (y, g, g2)]

    assert run(engine) == run(torch)


@pytest.mark.parametrize("shape, dim", [((20, 100), -1), ((100, 37), 0), ((6, 30, 40), 1),
                                        ((7, 5), -1), ((18, 1), 0)])
def test_float32_log_softmax_backward_is_torchs_kernel(shape, dim):
    """float32 log_softmax's backward: ``g - exp(y) * sum`` fused, exp SLEEF's (the C
    library's past the last whole vector of an inner dim), the sum the kernel's own (lanes
    over the last dim, rows in turn from +0. elsewhere): about 4 % of gradients were an ulp
    off (float64-rounded exp, two roundings)."""
    rng = np.random.default_rng(sum(shape))
    a = rng.uniform(-12, 12, shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    g[..., :1] = -0.0

    def run(T):
        x = T.tensor(a, requires_grad=True)
        T.log_softmax(x, dim).backward(T.tensor(g))
        return x.grad.numpy().tobytes()

    assert run(engine) == run(torch)
