"""Pinned regressions of the linear-algebra ops, engine and torch 2.13 side by side (argument
checks and error texts, dtype rules, nodes recorded under ``create_graph``, signs of zero,
non-finite inputs), and the oracle's gauge rules (tests/oracle/gauge.py)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed  # noqa: E402
from .gauge import canonical  # noqa: E402


def _observe(x):
    if isinstance(x, (list, tuple)):
        return [_observe(i) for i in x]
    if x is None or isinstance(x, (int, float, str, bool)):
        return x
    fn = x.grad_fn
    dtype = str(x.dtype).split(".")[-1]
    vals = np.asarray(x.detach().tolist(), dtype=np.float64)
    digits = 10 if dtype == "float64" else 5
    text = [f"{v:.{digits}g}" for v in vals.reshape(-1)]  # nan compares equal as text
    signs = (np.signbit(vals) & ~np.isnan(vals)).tolist()  # (the sign of a NaN is not shown)
    return (text, signs, dtype, tuple(x.shape), x.requires_grad,
            None if fn is None else fn.name())


def _run(program, T):
    return observed(program, T, _observe)


def _same(program):
    got, want = _run(program, engine), _run(program, torch)
    assert got == want


def _m(T, dtype="float64", shape=(3, 3)):
    vals = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) % 4 + np.eye(*shape[-2:])
    return T.tensor(vals.tolist(), dtype=getattr(T, dtype))


CHECKS = {
    "slogdet-half": lambda T: T.linalg.slogdet(_m(T, "float16")),
    "torch.slogdet-half": lambda T: T.slogdet(_m(T, "float16")),
    "logdet-half": lambda T: T.logdet(_m(T, "float16")),
    "logdet-int": lambda T: T.logdet(_m(T, "int64")),
    "inv-half": lambda T: T.linalg.inv(_m(T, "float16")),
    "inverse-half": lambda T: T.inverse(_m(T, "float16")),
    "pinv-half": lambda T: T.linalg.pinv(_m(T, "float16", (3, 2))),
    "pinverse-half": lambda T: T.pinverse(_m(T, "float16")),
    "solve-half": lambda T: T.linalg.solve(_m(T, "float16"), _m(T, "float16")),
    "matrix_rank-half": lambda T: T.linalg.matrix_rank(_m(T, "float16")),
    "matrix_rank-half-rtol": lambda T: T.linalg.matrix_rank(_m(T, "float16"), rtol=1e-3),
    "matrix_rank-int-rtol": lambda T: T.linalg.matrix_rank(_m(T, "int64"), rtol=1e-3),
    "matrix_rank-int-rtol-hermitian": lambda T: T.linalg.matrix_rank(
        _m(T, "int64"), rtol=1e-3, hermitian=True),
    "matrix_rank-empty-half-rtol": lambda T: T.linalg.matrix_rank(
        T.zeros(0, 3, dtype=T.float16), rtol=1e-3),
    "matrix_rank-empty-hermitian": lambda T: T.linalg.matrix_rank(
        T.zeros(0, 3, dtype=T.float64), hermitian=True),
    "solve_triangular-int": lambda T: T.linalg.solve_triangular(
        _m(T, "int64"), _m(T), upper=True),
    "solve_triangular-half": lambda T: T.linalg.solve_triangular(
        _m(T, "float16"), _m(T), upper=True),
    "solve_triangular-f32-f64": lambda T: T.linalg.solve_triangular(
        _m(T, "float32"), _m(T, "float64"), upper=True),
    "solve_triangular-f64-int": lambda T: T.linalg.solve_triangular(
        _m(T), _m(T, "int64"), upper=False, left=False),
    "lstsq-int": lambda T: T.linalg.lstsq(_m(T, "int64"), _m(T, "int64")),
    "lstsq-half": lambda T: T.linalg.lstsq(_m(T, "float16"), _m(T, "float16")),
    "lstsq-int-f64": lambda T: T.linalg.lstsq(_m(T, "int64"), _m(T)),
    "lstsq-f64-half": lambda T: T.linalg.lstsq(_m(T), _m(T, "float16")),
    "eigh-empty-int": lambda T: T.linalg.eigh(T.zeros(0, 0, dtype=T.int64)),
    "eigvalsh-empty-half": lambda T: T.linalg.eigvalsh(T.zeros(2, 0, 0, dtype=T.float16)),
    "svd-empty-half": lambda T: T.linalg.svd(T.zeros(0, 2, dtype=T.float16)),
    "svdvals-nan-batched": lambda T: T.linalg.svdvals(
        T.tensor([[[1.0, 2.0], [3.0, 4.0]], [[float("nan"), 1.0], [2.0, 3.0]]])),
    "svdvals-zero-sign": lambda T: T.linalg.svdvals(
        T.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], dtype=T.float64)),
    "matrix_exp-inf": lambda T: T.linalg.matrix_exp(
        T.tensor([[1.0, float("inf")], [0.0, 1.0]])),
    "matrix_exp-nan-batched": lambda T: T.matrix_exp(
        T.tensor([[[1.0, 0.5], [0.0, 1.0]], [[float("nan"), 0.0], [0.0, 1.0]]],
                 dtype=T.float64))[1],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_checks_and_texts_as_torch(name):
    _same(CHECKS[name])


def _solve_triangular_grads(T):
    A = T.tensor([[2.0, 1.0], [0.0, 3.0]], requires_grad=True)
    B = T.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=T.float64, requires_grad=True)
    X = T.linalg.solve_triangular(A, B, upper=True)
    X.sum().backward()
    return [X, A.grad, B.grad]


def _solve_vector_create_graph(T):
    A = T.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], dtype=T.float64,
                 requires_grad=True)
    for b in ([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]):
        B = T.tensor(b, dtype=T.float64, requires_grad=True)
        AA = A.expand(2, 3, 3) if B.dim() == 2 else A
        X = T.linalg.solve(AA, B)
        gA, gB = T.autograd.grad((X * T.arange(X.numel(), dtype=T.float64)
                                  .reshape(X.shape)).sum(), (A, B), create_graph=True)
    return [gA, gB]


def _batched_matmul_node(T):
    a = T.ones(2, 3, 3, requires_grad=True)
    return [a @ T.ones(2, 3, 3), a.mT @ T.ones(1, 3, 2)]


_DETS = ([[0.0, 1.0, -1.0], [0.0, 0.0, -1.0], [3.0, 2.0, 1.0]],
         [[2.0, 2.0, 4.0], [5.0, -1.0, 0.0], [4.0, 5.0, 0.0]],
         [[-2.0, 1.0], [1.0, 2.0]])


def _slogdet_zero_signs(T):
    """The gradient's zeros (a zero weight, logdet's masked NaN branch): torch solves with an
    LU of A^T for a row-major A, of A itself for a transposed or strided one."""
    out = []
    for vals in _DETS:
        for layout in ("plain", "transposed", "strided"):
            base = T.tensor(vals, dtype=T.float64, requires_grad=True)
            A = base
            if layout == "transposed":
                base = T.tensor(vals, dtype=T.float64).T.contiguous().requires_grad_()
                A = base.T
            elif layout == "strided":
                base = T.stack([T.tensor(vals, dtype=T.float64)] * 2, -1).requires_grad_()
                A = base[..., 0]
            for w in (0.0, -0.5):
                g, = T.autograd.grad(T.linalg.slogdet(A)[1] * w, base)
                out.append(g)
            g, = T.autograd.grad(T.logdet(A), base)
            out.append(g)
    return out


_DET_FOUND = [[2.3149142265319824, 0.9762297868728638, 1.2178646326065063],  # ORACLE_SCALE=3
              [-0.6247652173042297, 2.44726824760437, 1.1972179412841797],
              [0.38519272208213806, 2.994744300842285, -0.0373830571770668]]


def _det_zero_signs(T):
    """A zero incoming gradient: every entry of det's gradient is a zero signed by LAPACK's
    arithmetic (getrf, then getrs on ``diag_embed(g * det)``: 'N' with an LU of A^T for a
    row-major A, 'T' with an LU of A otherwise). (_DETS[0], with its structural zeros, is
    left out: MKL's order there is not the one emulated.)"""
    out = []
    for vals in _DETS[1:] + (_DET_FOUND,):
        for dtype in (T.float32, T.float64):
            for layout in ("plain", "transposed"):
                base = T.tensor(vals, dtype=dtype)
                if layout == "transposed":
                    base = base.T.contiguous()
                base.requires_grad_()
                A = base.T if layout == "transposed" else base
                for w in (0.0, -0.5):
                    g, = T.autograd.grad(T.linalg.det(A) * w, base)
                    out.append(g)
    return out


@pytest.mark.parametrize("program", [_solve_triangular_grads, _solve_vector_create_graph,
                                     _batched_matmul_node, _slogdet_zero_signs,
                                     _det_zero_signs])
def test_linalg_mechanics_as_torch(program):
    _same(program)


def test_lstsq_on_non_finite_inputs_answers_without_numpy_text():
    """torch's answer there is MKL's (NaN, or an INTERNAL ASSERT): the engine's is NaN for the
    batch element that holds the NaN/inf, the others are solved, and no NumPy text leaks."""
    inf = float("inf")
    A = engine.tensor([[[1.0, 2.0], [3.0, inf], [1.0, 1.0]],
                       [[1.0, 2.0], [3.0, 4.0], [1.0, 1.0]]], dtype=engine.float64)
    B = engine.tensor([[[1.0], [2.0], [3.0]], [[1.0], [2.0], [3.0]]], dtype=engine.float64)
    for driver in (None, "gelsd", "gels", "gelss"):
        out = engine.linalg.lstsq(A, B, driver=driver)
        sol = engine.to_numpy(out.solution)
        assert np.isnan(sol[0]).all() and np.isfinite(sol[1]).all()
        want = torch.linalg.lstsq(torch.tensor(engine.to_numpy(A)[1]),
                                  torch.tensor(engine.to_numpy(B)[1]), driver=driver)
        np.testing.assert_allclose(sol[1], want.solution.numpy(), rtol=1e-10)


# ----------------------------------------------------------------- the oracle's gauge rules
def test_canonical_basis_ignores_signs_rotations_and_the_complement():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    S = np.array([3.0, 2.0, 2.0])            # a repeated singular value
    Vh = np.linalg.qr(rng.standard_normal((3, 3)))[0].T
    c, s = np.cos(0.7), np.sin(0.7)
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    flip = np.diag([-1.0, 1.0, -1.0])
    U2 = q.copy()
    U2[:, :3] = q[:, :3] @ flip @ rot         # signs, and a rotation inside the repeated pair
    Vh2 = rot.T @ flip @ Vh
    U2[:, 3] *= -1                            # the complement column: any basis of it
    A1 = (q[:, :3] * S) @ Vh
    np.testing.assert_allclose((U2[:, :3] * S) @ Vh2, A1, atol=1e-12)
    one = canonical("svd", [q, S, Vh], "float64")
    two = canonical("svd", [U2, S, Vh2], "float64")
    for x, y in zip(one, two, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-9)
    L = np.array([1.0, 1.0, 4.0])            # eigh: a repeated eigenvalue
    V = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    V2 = V @ np.diag([1.0, -1.0, -1.0])
    V2[:, :2] = V2[:, :2] @ np.array([[c, -s], [s, c]])
    np.testing.assert_allclose(canonical("eigh", [L, V], "float64")[1],
                               canonical("eigh", [L, V2], "float64")[1], atol=1e-9)
