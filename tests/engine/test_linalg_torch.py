"""``torch.linalg`` (and torch's older spellings) side by side with torch 2.13, skipped without
it: values, dtypes, gradients of first and second order, grad_fn names, error types and texts.
Each case is written once against a namespace ``T`` (``torch`` or ``engine``); ``T.linalg`` is
``torch.linalg`` or ``engine.linalg``. Eigenvectors and singular vectors are defined up to sign
(and LAPACK builds differ), so cases that use them are sign-invariant functions of them."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

rng = np.random.default_rng(17)


def arr(*shape):
    return rng.standard_normal(shape)


def spd(T, X):
    """A symmetric positive-definite matrix built from ``X`` (gradients flow through it)."""
    n = X.shape[-1]
    return X @ X.mT + n * T.eye(n, dtype=X.dtype)


def sym(T, X):
    return X + X.mT


CASES = [
    ("det", lambda T, A: T.linalg.det(A), [arr(3, 3)]),
    ("det-batched", lambda T, A: T.linalg.det(A), [arr(2, 4, 4)]),
    ("torch.det", lambda T, A: T.det(A), [arr(3, 3)]),
    ("det-singular", lambda T, A: T.linalg.det(A * T.tensor([1.0, 1.0, 0.0],
                                                             dtype=A.dtype)), [arr(3, 3)]),
    ("slogdet", lambda T, A: T.linalg.slogdet(A).logabsdet, [arr(3, 3)]),
    ("slogdet-sign", lambda T, A: T.linalg.slogdet(A)[0] * T.linalg.slogdet(A)[1],
     [arr(2, 3, 3)]),
    ("logdet", lambda T, X: T.logdet(spd(T, X)), [arr(3, 3)]),
    ("inv", lambda T, A: T.linalg.inv(A), [arr(3, 3)]),
    ("inv-batched", lambda T, A: T.linalg.inv(A), [arr(2, 3, 3)]),
    ("inverse", lambda T, A: T.inverse(A), [arr(3, 3)]),
    ("solve", lambda T, A, B: T.linalg.solve(A, B), [arr(3, 3), arr(3, 2)]),
    ("solve-vector", lambda T, A, b: T.linalg.solve(A, b), [arr(3, 3), arr(3)]),
    ("solve-batched-vector", lambda T, A, b: T.linalg.solve(A, b), [arr(2, 3, 3), arr(2, 3)]),
    ("solve-broadcast", lambda T, A, B: T.linalg.solve(A, B), [arr(3, 3), arr(2, 3, 2)]),
    ("solve-right", lambda T, A, B: T.linalg.solve(A, B, left=False), [arr(3, 3), arr(2, 3)]),
    ("solve_triangular", lambda T, A, B: T.linalg.solve_triangular(A, B, upper=True),
     [arr(3, 3) + 3 * np.eye(3), arr(3, 2)]),
    ("solve_triangular-right-unit",
     lambda T, A, B: T.linalg.solve_triangular(A, B, upper=False, left=False,
                                               unitriangular=True), [arr(3, 3), arr(2, 3)]),
    ("cholesky", lambda T, X: T.linalg.cholesky(spd(T, X)), [arr(3, 3)]),
    ("cholesky-upper", lambda T, X: T.linalg.cholesky(spd(T, X), upper=True), [arr(2, 3, 3)]),
    ("cholesky-raw", lambda T, A: T.linalg.cholesky(A), [arr(3, 3) / 4 + 3 * np.eye(3)]),
    ("torch.cholesky", lambda T, X: T.cholesky(spd(T, X)), [arr(3, 3)]),
    ("qr-Q", lambda T, A: T.linalg.qr(A).Q, [arr(4, 3)]),
    ("qr-R", lambda T, A: T.linalg.qr(A)[1], [arr(4, 3)]),
    ("qr-both", lambda T, A: T.linalg.qr(A)[0].sum() * T.linalg.qr(A)[1], [arr(3, 3)]),
    ("qr-wide", lambda T, A: T.linalg.qr(A)[0] @ T.linalg.qr(A)[1][:, :2], [arr(2, 4)]),
    ("qr-complete-wide", lambda T, A: T.linalg.qr(A, mode="complete").R, [arr(2, 3)]),
    ("torch.qr", lambda T, A: T.qr(A)[1], [arr(2, 3, 3)]),
    ("eigh-values", lambda T, X: T.linalg.eigh(sym(T, X)).eigenvalues, [arr(4, 4)]),
    ("eigh-vectors", lambda T, X: T.linalg.eigh(sym(T, X))[1] ** 2, [arr(4, 4)]),
    ("eigh-upper", lambda T, X: T.linalg.eigh(sym(T, X), UPLO="U")[1].abs(), [arr(2, 3, 3)]),
    ("eigh-raw", lambda T, A: T.linalg.eigh(A)[0], [arr(3, 3)]),
    ("eigvalsh", lambda T, X: T.linalg.eigvalsh(sym(T, X)), [arr(4, 4)]),
    ("svd-S", lambda T, A: T.linalg.svd(A)[1], [arr(4, 3)]),
    ("svd-vectors", lambda T, A: T.linalg.svd(A, full_matrices=False).U ** 2, [arr(4, 3)]),
    ("svd-Vh", lambda T, A: T.linalg.svd(A, full_matrices=False)[2].abs(), [arr(3, 5)]),
    ("svd-full", lambda T, A: T.linalg.svd(A)[0][:, :2].abs(), [arr(4, 2)]),
    ("svd-product", lambda T, A: (lambda r: r[0] * r[1].unsqueeze(-2) @ r[2])(
        T.linalg.svd(A, False)),
     [arr(2, 3, 4)]),
    ("svdvals", lambda T, A: T.linalg.svdvals(A), [arr(3, 5)]),
    ("torch.svd", lambda T, A: T.svd(A)[2].abs(), [arr(4, 3)]),
    ("pinv", lambda T, A: T.linalg.pinv(A), [arr(4, 3)]),
    ("pinv-wide", lambda T, A: T.linalg.pinv(A), [arr(2, 4)]),
    ("pinv-hermitian", lambda T, X: T.linalg.pinv(spd(T, X), hermitian=True), [arr(3, 3)]),
    ("pinverse", lambda T, A: T.pinverse(A), [arr(3, 4)]),
    ("lstsq", lambda T, A, B: T.linalg.lstsq(A, B).solution, [arr(5, 3), arr(5, 2)]),
    ("lstsq-vector", lambda T, A, b: T.linalg.lstsq(A, b).solution, [arr(5, 3), arr(5)]),
    ("lstsq-gelsd", lambda T, A, B: T.linalg.lstsq(A, B, driver="gelsd").residuals,
     [arr(5, 3), arr(5, 2)]),
    ("lstsq-wide", lambda T, A, B: T.linalg.lstsq(A, B).solution, [arr(2, 4), arr(2, 1)]),
    ("matrix_exp", lambda T, A: T.linalg.matrix_exp(A), [arr(3, 3)]),
    ("matrix_exp-big", lambda T, A: T.linalg.matrix_exp(3 * A), [arr(2, 3, 3)]),
    ("torch.matrix_exp", lambda T, A: T.matrix_exp(A / 10), [arr(2, 2)]),
    ("vector_norm", lambda T, x: T.linalg.vector_norm(x), [arr(3, 4)]),
    ("vector_norm-ord", lambda T, x: T.linalg.vector_norm(x, 3, dim=1, keepdim=True),
     [arr(3, 4)]),
    ("vector_norm-inf", lambda T, x: T.linalg.vector_norm(x, math.inf, dim=(0, 1)),
     [arr(2, 3, 4)]),
    ("vector_norm-1", lambda T, x: T.linalg.vector_norm(x, 1, dim=-1), [arr(3, 4)]),
    ("vector_norm-half", lambda T, x: T.linalg.vector_norm(x, 0.5), [arr(5)]),
    ("matrix_norm", lambda T, A: T.linalg.matrix_norm(A), [arr(3, 4)]),
    ("matrix_norm-nuc", lambda T, A: T.linalg.matrix_norm(A, "nuc", keepdim=True),
     [arr(2, 3, 4)]),
    ("matrix_norm-2", lambda T, A: T.linalg.matrix_norm(A, 2), [arr(3, 4)]),
    ("matrix_norm--2", lambda T, A: T.linalg.matrix_norm(A, -2, dim=(0, 2)), [arr(3, 2, 4)]),
    ("matrix_norm-1", lambda T, A: T.linalg.matrix_norm(A, 1), [arr(2, 3, 4)]),
    ("matrix_norm-inf", lambda T, A: T.linalg.matrix_norm(A, math.inf, keepdim=True),
     [arr(3, 4)]),
    ("matrix_norm--inf", lambda T, A: T.linalg.matrix_norm(A, -math.inf, dim=(1, 0)),
     [arr(3, 4)]),
    ("norm", lambda T, A: T.linalg.norm(A), [arr(2, 3, 4)]),
    ("norm-vector-ord", lambda T, x: T.linalg.norm(x, 3), [arr(5)]),
    ("norm-matrix-ord", lambda T, A: T.linalg.norm(A, 2), [arr(3, 4)]),
    ("norm-dim", lambda T, A: T.linalg.norm(A, dim=1), [arr(3, 4)]),
    ("norm-dims-fro", lambda T, A: T.linalg.norm(A, "fro", dim=(0, 2)), [arr(3, 2, 4)]),
    ("norm-nuc", lambda T, A: T.linalg.norm(A, "nuc"), [arr(3, 4)]),
    ("cross", lambda T, a, b: T.linalg.cross(a, b), [arr(4, 3), arr(4, 3)]),
    ("cross-broadcast-dim", lambda T, a, b: T.linalg.cross(a, b, dim=0), [arr(3, 1), arr(3, 4)]),
    ("multi_dot", lambda T, a, b, c: T.linalg.multi_dot([a, b, c]),
     [arr(4, 3), arr(3, 5), arr(5, 2)]),
    ("multi_dot-vectors", lambda T, a, b, c, d: T.linalg.multi_dot([a, b, c, d]),
     [arr(3), arr(3, 4), arr(4, 2), arr(2)]),
    ("multi_dot-two", lambda T, a, b: T.linalg.multi_dot((a, b)), [arr(2, 3), arr(3)]),
]


# how much of the chain is the op's own: cases that build their input, or end in a batched
# matmul (whose own node names are another issue's), compare only that much
DEPTH = {"logdet": 2, "cholesky": 2, "cholesky-upper": 2, "torch.cholesky": 2,
         "eigh-values": 2, "eigh-vectors": 2, "eigh-upper": 2, "eigvalsh": 2,
         "pinv-hermitian": 2, "svd-product": 0}


def chain(t) -> list[str]:
    names, fn = [], t.grad_fn
    while fn is not None and not fn.name().endswith("AccumulateGrad"):
        names.append(fn.name())
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return names


def run(lib: str, fn, arrays, dtype):
    T = torch if lib == "torch" else engine
    dt = getattr(T, dtype)
    grad = torch.autograd.grad if lib == "torch" else engine.grad
    xs = [T.tensor(a, dtype=dt, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(T, *xs)
    w = T.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)), dtype=dt)
    gs = grad((out * w).sum(), xs, create_graph=True, allow_unused=True)
    res = {"out": out, "chain": chain(out), "grads": gs}
    if any(g is not None and g.requires_grad for g in gs):
        vs = [T.tensor(np.random.default_rng(2).standard_normal(a.shape), dtype=dt)
              for a in arrays]
        total = sum((g * v).sum() for g, v in zip(gs, vs) if g is not None)
        res["second"] = grad(total, xs, allow_unused=True)
    return res


def as_np(t):
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        return np.zeros(t.shape) if t._is_zerotensor() else t.detach().numpy()
    return engine.to_numpy(t)


def close(ours, theirs, tol):
    a, b = as_np(ours), as_np(theirs)
    assert (a is None) == (b is None)
    if a is not None:
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-8), ("float32", 1e-3)])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case, dtype, tol):
    name, fn, arrays = case
    ours, theirs = run("engine", fn, arrays, dtype), run("torch", fn, arrays, dtype)
    assert str(ours["out"].dtype) == str(theirs["out"].dtype)
    close(ours["out"], theirs["out"], tol)
    # inputs built inside a case (spd, sym) end in nodes of other ops: compare the op's own
    depth = DEPTH.get(name)
    assert ours["chain"][:depth] == theirs["chain"][:depth]
    for a, b in zip(ours["grads"], theirs["grads"], strict=True):
        close(a, b, tol)
    assert ("second" in ours) == ("second" in theirs)
    for a, b in zip(ours.get("second", ()), theirs.get("second", ()), strict=True):
        close(a, b, tol * 10)


def test_decompositions_reconstruct_and_match_up_to_sign():
    """The factors themselves: torch and the engine may pick opposite signs for a singular or
    eigen vector (different LAPACK builds); otherwise they agree."""
    a = arr(2, 4, 3)
    U, S, Vh = engine.linalg.svd(engine.tensor(a), full_matrices=False)
    tU, tS, tVh = torch.linalg.svd(torch.tensor(a), full_matrices=False)
    np.testing.assert_allclose(as_np(S), tS.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.abs(as_np(U)), np.abs(tU.numpy()), atol=1e-10)
    np.testing.assert_allclose(np.abs(as_np(Vh)), np.abs(tVh.numpy()), atol=1e-10)
    np.testing.assert_allclose(as_np((U * S.unsqueeze(-2)) @ Vh), a, atol=1e-12)
    s = a[0] @ a[0].T
    L, V = engine.linalg.eigh(engine.tensor(s))
    tL, tV = torch.linalg.eigh(torch.tensor(s))
    np.testing.assert_allclose(as_np(L), tL.numpy(), atol=1e-12)
    np.testing.assert_allclose(np.abs(as_np(V)), np.abs(tV.numpy()), atol=1e-10)
    Q, R = engine.linalg.qr(engine.tensor(a))
    tQ, tR = torch.linalg.qr(torch.tensor(a))
    np.testing.assert_allclose(as_np(Q), tQ.numpy(), atol=1e-12)
    np.testing.assert_allclose(as_np(R), tR.numpy(), atol=1e-12)


def test_lstsq_outputs_follow_the_driver():
    a, b = arr(5, 3), arr(5, 2)
    for driver in (None, "gels", "gelsy", "gelsd", "gelss"):
        ours = engine.linalg.lstsq(engine.tensor(a), engine.tensor(b), driver=driver)
        theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        for o, t in zip(ours, theirs, strict=True):
            assert tuple(o.shape) == tuple(t.shape) and str(o.dtype) == str(t.dtype)
            np.testing.assert_allclose(as_np(o), t.numpy(), atol=1e-10)


@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank_matches_torch(hermitian):
    base = arr(3, 4, 2)
    a = base @ np.swapaxes(base, -1, -2)  # rank 2 of 4, symmetric
    for kw in ({}, {"atol": 1.0}, {"rtol": 0.5}):
        ours = engine.linalg.matrix_rank(engine.tensor(a), hermitian=hermitian, **kw)
        theirs = torch.linalg.matrix_rank(torch.tensor(a), hermitian=hermitian, **kw)
        assert ours.dtype is engine.int64
        np.testing.assert_array_equal(as_np(ours), theirs.numpy())


def test_namespaces():
    """``linalg.X`` ops are function-only; the old ``torch.X`` spellings are where torch has
    them (functions and methods); ``engine.linalg`` lists exactly the table's linalg ops."""
    ops = engine.ops.OPS
    for name in engine.linalg.__all__:
        if name == "LinAlgError":
            continue
        assert ops[f"linalg.{name}"].kind == "function"
        assert hasattr(torch.linalg, name)
        assert not hasattr(engine.Tensor, f"linalg.{name}")
    for name in ("det", "logdet", "slogdet", "inverse", "pinverse", "matrix_exp", "cholesky",
                 "svd", "qr"):
        assert hasattr(torch, name) and hasattr(torch.Tensor, name)
        assert ops[name].kind == "both" and hasattr(engine.Tensor, name)
    assert engine.linalg.norm is not engine.ops.OPS["norm"].fn
    assert issubclass(engine.linalg.LinAlgError, RuntimeError)


def _m(*shape, dtype="float32", data=None):
    def make(lib):
        T = torch if lib == "torch" else engine
        if data is not None:
            return T.tensor(data, dtype=getattr(T, dtype))
        return T.zeros(*shape, dtype=getattr(T, dtype))
    return make


SING = _m(data=[[1.0, 2.0], [2.0, 4.0]])
SING_B = _m(data=[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])
NOT_PD = _m(data=[[1.0, 2.0], [2.0, 1.0]])

ERRORS = [
    ("inv-singular", lambda L, M: L.linalg.inv(M(SING))),
    ("inv-singular-batch", lambda L, M: L.linalg.inv(M(SING_B))),
    ("inv-zeros", lambda L, M: L.linalg.inv(M(_m(3, 3)))),
    ("inv-nonsquare", lambda L, M: L.linalg.inv(M(_m(2, 3)))),
    ("inv-vector", lambda L, M: L.linalg.inv(M(_m(3)))),
    ("inv-long", lambda L, M: L.linalg.inv(M(_m(2, 2, dtype="int64")))),
    ("inverse-singular", lambda L, M: L.inverse(M(SING))),
    ("det-nonsquare", lambda L, M: L.linalg.det(M(_m(2, 3)))),
    ("det-vector", lambda L, M: L.linalg.det(M(_m(3)))),
    ("det-long", lambda L, M: L.linalg.det(M(_m(2, 2, dtype="int64")))),
    ("det-half", lambda L, M: L.linalg.det(M(_m(2, 2, dtype="float16")))),
    ("slogdet-nonsquare", lambda L, M: L.linalg.slogdet(M(_m(2, 3)))),
    ("solve-singular", lambda L, M: L.linalg.solve(M(SING), M(_m(2, 1)))),
    ("solve-singular-batch", lambda L, M: L.linalg.solve(M(SING_B), M(_m(2, 2, 1)))),
    ("solve-shapes", lambda L, M: L.linalg.solve(M(_m(2, 2)), M(_m(3, 1)))),
    ("solve-dtypes", lambda L, M: L.linalg.solve(M(_m(2, 2)), M(_m(2, 1, dtype="float64")))),
    ("solve-nonsquare", lambda L, M: L.linalg.solve(M(_m(2, 3)), M(_m(2, 1)))),
    ("solve-0d", lambda L, M: L.linalg.solve(M(_m(2, 2)), M(_m(data=1.0)))),
    ("cholesky-not-pd", lambda L, M: L.linalg.cholesky(M(NOT_PD))),
    ("cholesky-not-pd-batch", lambda L, M: L.linalg.cholesky(
        M(_m(data=[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])))),
    ("cholesky-nan", lambda L, M: L.linalg.cholesky(M(_m(data=[[math.nan, 0.0], [0.0, 1.0]])))),
    ("cholesky-nonsquare", lambda L, M: L.linalg.cholesky(M(_m(2, 3)))),
    ("torch.cholesky-not-pd", lambda L, M: L.cholesky(M(NOT_PD))),
    ("qr-mode", lambda L, M: L.linalg.qr(M(_m(3, 2)), mode="foo")),
    ("qr-vector", lambda L, M: L.linalg.qr(M(_m(3)))),
    ("eigh-nonsquare", lambda L, M: L.linalg.eigh(M(_m(2, 3)))),
    ("eigh-uplo", lambda L, M: L.linalg.eigh(M(_m(2, 2)), UPLO="X")),
    ("eigvalsh-nonsquare", lambda L, M: L.linalg.eigvalsh(M(_m(2, 3)))),
    ("svd-vector", lambda L, M: L.linalg.svd(M(_m(3)))),
    ("svd-nan", lambda L, M: L.linalg.svd(M(_m(data=[[math.nan, 0.0], [0.0, 1.0]])))),
    ("svdvals-long", lambda L, M: L.linalg.svdvals(M(_m(2, 2, dtype="int64")))),
    ("pinv-vector", lambda L, M: L.linalg.pinv(M(_m(3)))),
    ("lstsq-shapes", lambda L, M: L.linalg.lstsq(M(_m(3, 2)), M(_m(4, 1)))),
    ("lstsq-driver", lambda L, M: L.linalg.lstsq(M(_m(3, 2)), M(_m(3, 1)), driver="foo")),
    ("matrix_exp-nonsquare", lambda L, M: L.linalg.matrix_exp(M(_m(2, 3)))),
    ("matrix_exp-long", lambda L, M: L.linalg.matrix_exp(M(_m(2, 2, dtype="int64")))),
    ("matrix_rank-long", lambda L, M: L.linalg.matrix_rank(M(_m(2, 2, dtype="int64")))),
    ("vector_norm-long", lambda L, M: L.linalg.vector_norm(M(_m(2, dtype="int64")))),
    ("vector_norm-string", lambda L, M: L.linalg.vector_norm(M(_m(2)), "fro")),
    ("vector_norm-repeated-dim", lambda L, M: L.linalg.vector_norm(M(_m(2, 2)), dim=(0, 0))),
    ("matrix_norm-vector", lambda L, M: L.linalg.matrix_norm(M(_m(2)))),
    ("matrix_norm-order", lambda L, M: L.linalg.matrix_norm(M(_m(2, 2)), 3)),
    ("matrix_norm-order-string", lambda L, M: L.linalg.matrix_norm(M(_m(2, 2)), "foo")),
    ("matrix_norm-same-dims", lambda L, M: L.linalg.matrix_norm(M(_m(2, 2)), dim=(0, 0))),
    ("matrix_norm-one-dim", lambda L, M: L.linalg.matrix_norm(M(_m(2, 2)), dim=(0,))),
    ("matrix_norm-dim-range", lambda L, M: L.linalg.matrix_norm(M(_m(2, 2)), dim=(0, 2))),
    ("norm-3d-ord", lambda L, M: L.linalg.norm(M(_m(2, 2, 2)), 2)),
    ("norm-fro-vector", lambda L, M: L.linalg.norm(M(_m(2)), "fro")),
    ("norm-three-dims", lambda L, M: L.linalg.norm(M(_m(2, 2, 2)), dim=(0, 1, 2))),
    ("norm-nuc-one-dim", lambda L, M: L.linalg.norm(M(_m(2, 2)), "nuc", dim=(1,))),
    ("cross-length", lambda L, M: L.linalg.cross(M(_m(2)), M(_m(2)))),
    ("cross-ndim", lambda L, M: L.linalg.cross(M(_m(3)), M(_m(2, 3)))),
    ("cross-dtype", lambda L, M: L.linalg.cross(M(_m(3, dtype="int64")), M(_m(3)))),
    ("cross-broadcast", lambda L, M: L.linalg.cross(M(_m(2, 3)), M(_m(3, 3)))),
    ("multi_dot-one", lambda L, M: L.linalg.multi_dot([M(_m(2, 2))])),
    ("multi_dot-none", lambda L, M: L.linalg.multi_dot([])),
    ("multi_dot-shapes", lambda L, M: L.linalg.multi_dot([M(_m(2, 3)), M(_m(2, 2))])),
    ("multi_dot-dtypes", lambda L, M: L.linalg.multi_dot([M(_m(2, 3)),
                                                          M(_m(3, 2, dtype="float64"))])),
    ("multi_dot-first-3d", lambda L, M: L.linalg.multi_dot([M(_m(2, 2, 2)), M(_m(2, 2))])),
    ("multi_dot-middle-3d", lambda L, M: L.linalg.multi_dot([M(_m(2, 2)), M(_m(2, 2, 2)),
                                                             M(_m(2, 2))])),
    ("multi_dot-last-3d", lambda L, M: L.linalg.multi_dot([M(_m(2, 2)), M(_m(2, 2, 2))])),
]


def _outcome(lib: str, fn):
    L = torch if lib == "torch" else engine
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(L, lambda maker: maker(lib))
    except Exception as e:  # noqa: BLE001 (the type is what is compared)
        return e
    return None


def _kind(e) -> str:
    for base in (NotImplementedError, IndexError, TypeError, ValueError, RuntimeError):
        if isinstance(e, base):
            return base.__name__
    return type(e).__name__


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, fn = case
    theirs, ours = _outcome("torch", fn), _outcome("engine", fn)
    assert theirs is not None, "torch accepted this call: the case is wrong"
    assert ours is not None, f"torch raised {theirs!r}; the engine accepted the call"
    assert _kind(ours) == _kind(theirs)
    assert str(ours) == str(theirs).split("\n")[0] or str(ours) == str(theirs)
    if "LinAlgError" in type(theirs).__name__:
        assert isinstance(ours, engine.linalg.LinAlgError)


GRAD_ERRORS = [
    ("qr-r-mode", lambda T, A: T.linalg.qr(A, mode="r").R),
    ("qr-complete-tall", lambda T, A: T.linalg.qr(A, mode="complete").R),
]


@pytest.mark.parametrize("case", GRAD_ERRORS, ids=[c[0] for c in GRAD_ERRORS])
def test_backward_errors_match_torch(case):
    _, fn = case
    a = arr(4, 3)
    messages = []
    for T in (torch, engine):
        x = T.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            fn(T, x).sum().backward()
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_det_gradient_at_a_singular_matrix_is_torchs():
    """First order: 0 (det * A^-T with det = 0); under create_graph: the adjugate (SVD)."""
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, 2.0]])
    for create_graph in (False, True):
        got = []
        for T, grad in ((torch, torch.autograd.grad), (engine, engine.grad)):
            x = T.tensor(a, requires_grad=True)
            (g,) = grad(T.linalg.det(x), x, create_graph=create_graph)
            got.append(as_np(g))
        np.testing.assert_allclose(got[1], got[0], atol=1e-10)
