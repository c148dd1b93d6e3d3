"""Pinned cases the differential suite found in torch.linalg (session 4): half-precision and
dtype refusals as torch 2.13 words them, NaN and infinity inputs to decompositions, the
solve gradient's nodes for a vector right-hand side."""

import numpy as np
import pytest

import engine
import engine.linalg  # noqa: F401

torch = pytest.importorskip("torch")


def _run(mod, fn, arrays):
    args = [mod.tensor(a.tolist(), dtype=getattr(mod, str(a.dtype))) for a in arrays]
    try:
        r = fn(mod, *args)
    except Exception as e:  # noqa: BLE001 (the class and text are compared)
        cls = [c for c in type(e).__mro__ if c.__module__ == "builtins"][0]
        return cls.__name__, str(e)
    r = r if isinstance(r, tuple) else (r,)
    return "ok", [repr(x) for x in r]


def _agree(fn, *arrays):
    assert _run(torch, fn, arrays) == _run(engine, fn, arrays)


A = np.array([[2.5, 0.3, -0.5], [0.4, 3.0, 0.2], [-0.1, 0.6, 4.0]])
B = np.array([[1.0, -2.0], [0.5, 0.25], [-1.5, 3.0]])
HALF = [
    lambda m, a: m.linalg.inv(a), lambda m, a: m.inverse(a), lambda m, a: m.linalg.slogdet(a),
    lambda m, a: m.slogdet(a), lambda m, a: m.logdet(a), lambda m, a: m.linalg.pinv(a),
    lambda m, a: m.pinverse(a), lambda m, a: m.linalg.matrix_norm(a, "nuc"),
    lambda m, a: m.linalg.matrix_norm(a, -2), lambda m, a: m.linalg.norm(a, 2),
    lambda m, a: m.linalg.solve(a, a), lambda m, a: m.linalg.lstsq(a, a),
    lambda m, a: m.linalg.solve_triangular(a, a, upper=True), lambda m, a: m.cdist(a, a),
]


@pytest.mark.parametrize("fn", HALF)
def test_half_refused_as_torch(fn):
    _agree(fn, A.astype("float16"))


@pytest.mark.parametrize("ad,bd", [("float64", "int64"), ("float64", "float32"),
                                   ("int64", "int64"), ("float32", "float64")])
def test_mixed_dtypes_as_torch(ad, bd):
    _agree(lambda m, a, b: m.linalg.lstsq(a, b), A.astype(ad), B.astype(bd))
    _agree(lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), A.astype(ad),
           B.astype(bd))
    _agree(lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
           A.astype(ad), B.T.astype(bd).copy()[:, :3])


def test_nonfinite_decompositions_as_torch():
    inf, nan = A.copy(), A.copy()
    inf[0, 0], nan[1, 0] = np.inf, np.nan
    for M in (inf, nan, np.stack([A, nan])):
        _agree(lambda m, a: m.linalg.svdvals(a), M)
        _agree(lambda m, a: m.linalg.pinv(a), M)
        _agree(lambda m, a: m.linalg.matrix_exp(a), M)
        _agree(lambda m, a: m.linalg.slogdet(a), M)
    _agree(lambda m, a, b: m.linalg.lstsq(a, b), nan, B)
    _agree(lambda m, a, b: m.linalg.lstsq(a, b), A, np.where(B > 0, np.nan, B))


def test_solve_vector_gradient_nodes():
    out = []
    for m in (torch, engine):
        a = m.tensor(A.tolist(), dtype=m.float64, requires_grad=True)
        b = m.tensor(B[:, 0].tolist(), dtype=m.float64, requires_grad=True)
        ga, gb = m.autograd.grad(m.linalg.solve(a, b).sum(), (a, b), create_graph=True)
        out.append((type(ga.grad_fn).__name__,
                    type(gb.grad_fn).__name__))
    assert out[0] == out[1]
