"""Pinned cases of what the seed-10 sweep found (session 12, ops; docs/oracle.md "Session 12"),
each run on the engine and on torch 2.13 side by side and compared as tests/oracle's pins are
(values with the signs of zeros and NaN placement, dtypes, shapes, grad_fn names, errors and
their texts)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed, pinned_obs  # noqa: E402


def _log_softmax_grads(T, shape, dim, upstream):
    """The first-order gradient of ``log_softmax`` for an upstream gradient ``upstream`` (a
    -0. tests the sign rule) and the second order where the weight of the gradient is 0."""
    x = T.full(shape, 0.3, dtype=T.float64, requires_grad=True)
    T.nn.functional.log_softmax(x, dim=dim).backward(T.full(shape, upstream, dtype=T.float64))
    x2 = T.full(shape, 1.57, dtype=T.float64, requires_grad=True)
    g, = T.autograd.grad(T.nn.functional.log_softmax(x2, dim=dim).sum(), [x2],
                         create_graph=True)
    (g * 0).sum().backward()
    return [x.grad, g, x2.grad]


def _renorm_grads(T, dtype):
    x = T.tensor([[-2.0, -3.0, -4.0], [1.0, -1.0, -4.0], [3.0, 0.0, 1.0]],
                 dtype=getattr(T, dtype), requires_grad=True)
    w = T.tensor([[0.25, -1.0, 0.5], [1.5, 2.0, -0.75], [-2.0, 0.5, 1.0]], dtype=x.dtype)
    g, = T.autograd.grad((T.renorm(x, 2, 0, 1.0) * w).sum(), [x], create_graph=True)
    (g * w.flip(0)).sum().backward()
    return [g, x.grad]


CASES = {
    # lerp_'s meta function checks `end`'s and `weight`'s dtypes before the overlap check
    "lerp_ of an expanded int32 target, float end": lambda T: T.tensor([-1], dtype=T.int32)
    .expand(12).view(3, 4).lerp_(T.tensor([0.0, 2.0, 2.0, 0.0]), 0.8),
    "lerp_ of an expanded int8 target, float end": lambda T: T.tensor([[1]], dtype=T.int8)
    .expand(3, 1).lerp_(T.tensor([0.7, 0.5, -0.3, 0.2]), T.zeros(3, 4)),
    "lerp_ of an expanded float target, float64 weight": lambda T: T.zeros(3).expand(2, 3)
    .lerp_(T.ones(3), T.ones(3, dtype=T.float64)),
    "lerp_ of an expanded float target": lambda T: T.zeros(3).expand(2, 3).lerp_(T.ones(3), 0.5),
    # renorm's backward runs in torch's CPU accumulate type (float64 for float32): in float32
    # its cancellation left ~1e-6 relative errors (50 ulps) where torch's are ~1e-8
    **{f"renorm gradients, {d}": (lambda T, d=d: _renorm_grads(T, d))
       for d in ("float32", "float64", "float16")},
    # torch's log_softmax backward kernel takes a 0-d input's element as its last dim: the
    # class sum of a -0. gradient is -0. there (the engine's `sum` gave +0.: a -0. gradient)
    **{f"log_softmax gradient signs, shape {s}, dim {d}, upstream {u}":
       (lambda T, s=s, d=d, u=u: _log_softmax_grads(T, s, d, u))
       for s, d in (((), 0), ((), -1), ((1,), 0), ((1, 1), 0), ((1, 1), 1), ((2, 1), 0))
       for u in (-0.0, 0.0)},
}


@pytest.mark.parametrize("name", list(CASES))
def test_found_by_seed_10_agrees_with_torch(name):
    assert observed(CASES[name], engine, pinned_obs) == observed(CASES[name], torch, pinned_obs)


# --------------------------------------------------------------------------- session 13
_V = [[0.48, 0.44, -0.35], [0.44, 0.12, -0.34], [0.22, -0.16, -0.07], [-0.4, 0.09, 0.27]]
_SINGULAR = [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
             [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]]]


def _solve_ex(T, left, check):
    A = T.tensor(_SINGULAR, dtype=T.float64)
    B = T.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 0.0, 1.0]], dtype=T.float64)
    return list(T.linalg.solve_ex(A, B, left=left, check_errors=check))


def _householder_grads(T, tau):
    V = T.tensor(_V, dtype=T.float64, requires_grad=True)
    t = T.tensor(tau, dtype=T.float64, requires_grad=True)
    Q = T.linalg.householder_product(V, t)
    w = T.linspace(-1.0, 1.0, 12, dtype=T.float64).reshape(4, 3)
    gV, gt = T.autograd.grad((Q * w).sum(), [V, t], create_graph=True)
    ((gV * w).sum() + (gt * gt).sum()).backward()
    return [Q, gV, gt, V.grad, t.grad]


NEW_LINALG = {
    # a singular matrix: getrf's info and getrs's inf/NaN instead of an error, or the error
    # worded for solve_ex
    **{f"solve_ex of a singular batch, left={left}, check_errors={check}":
       (lambda T, left=left, check=check: _solve_ex(T, left, check))
       for left in (True, False) for check in (False, True)},
    "solve_ex's argument types": lambda T: T.linalg.solve_ex(T.eye(2), T.ones(2, 1),
                                                             check_errors=1),
    # orgqr applies no reflector whose tau is 0 (dlarf): zeros keep their signs
    "householder_product with zero taus": lambda T: T.linalg.householder_product(
        T.tensor(_V, dtype=T.float64), T.zeros(2, dtype=T.float64)),
    **{f"householder_product gradients, tau {tau}": (lambda T, tau=tau: _householder_grads(T, tau))
       for tau in ([0.7, 1.2], [0.5, 0.0, 1.5])},
    "orgqr as a method": lambda T: T.tensor(_V).orgqr(T.tensor([0.3, 0.9, 1.1])),
    "householder_product, tau longer than the columns": lambda T: T.linalg.householder_product(
        T.zeros(4, 3), T.zeros(4)),
    "householder_product of int64": lambda T: T.linalg.householder_product(
        T.zeros(4, 3, dtype=T.int64), T.zeros(2, dtype=T.int64)),
    "householder_product, mixed dtypes": lambda T: T.linalg.householder_product(
        T.zeros(4, 3), T.zeros(2, dtype=T.float64)),
}


@pytest.mark.parametrize("name", list(NEW_LINALG))
def test_new_linalg_agrees_with_torch(name):
    case = NEW_LINALG[name]
    assert observed(case, engine, pinned_obs) == observed(case, torch, pinned_obs)


def _batch_norm_int(T, layout, dtype="int32", **kw):
    x = T.ones(2, 3, 2, 2, 2, dtype=getattr(T, dtype))
    x = {"sliced": x[..., 0], "contiguous": x[..., 0].contiguous(),
         "permuted": x[..., 0].permute(0, 1, 3, 2)}[layout]
    return T.nn.functional.batch_norm(x, None, None, training=True, **kw)


# found by the seed-11 sweep (session 13)
SEED_11 = {
    # linspace converts (and range-checks) only the ends its kernel reads: none for 0 steps,
    # start alone for 1
    **{f"linspace({a}, {b}, {n}, dtype={d})": (
        lambda T, a=a, b=b, n=n, d=d: T.linspace(a, b, n, dtype=getattr(T, d)))
       for a, b, n in ((3, -1.5, 0), (3, -1.5, 1), (300, 1, 0), (float("nan"), 1, 0),
                       (float("nan"), 1, 1), (1, float("inf"), 1), (0.5, 1, 1), (-0.9, 1, 1))
       for d in ("uint8", "int8", "int32", "bool")},
    # nextafter_: TensorIterator's broadcast shape before the kernel's dtype
    "nextafter_ of a bool column, int32 row": lambda T: T.tensor([[True, True]]).mT
    .nextafter_(T.tensor([0, -1, 1], dtype=T.int32)),
    "nextafter_ of int32, int32 (the kernel's text)": lambda T: T.ones(2, 1, dtype=T.int32)
    .nextafter_(T.tensor([0], dtype=T.int32)),
    # batch_norm of a strided integer input with nothing else given: at::mean refuses first
    **{f"batch_norm of {layout} {d}": (lambda T, layout=layout, d=d: _batch_norm_int(T, layout, d))
       for layout in ("sliced", "contiguous", "permuted") for d in ("int32", "uint8", "bool")},
    "batch_norm of a sliced int32 with a bias": lambda T: _batch_norm_int(
        T, "sliced", bias=T.ones(3)),
    # F.batch_norm's one-value-per-channel check comes before ATen's dtype checks
    "batch_norm of one int32 value per channel": lambda T: T.nn.functional.batch_norm(
        T.ones(1, 3, dtype=T.int32), None, None, training=True),
}


@pytest.mark.parametrize("name", list(SEED_11))
def test_found_by_seed_11_agrees_with_torch(name):
    case = SEED_11[name]
    assert observed(case, engine, pinned_obs) == observed(case, torch, pinned_obs)


# Session 14: the seed-11 leftovers and what seed 12 found
def _inplace_shape_first(T, op, self_dtype, other_dtype):
    return getattr(T.ones(3, 1, dtype=getattr(T, self_dtype)), op)(
        T.tensor([1, 1, 2, 1], dtype=getattr(T, other_dtype)))


def _batch_norm_edge(T, shape, dtype, training, stats, affine):
    """F.batch_norm of an empty, 1-D or 0-d input: ATen's empty path (a clone scaled by
    weight[0], shifted by bias[0]; running stats untouched), the checks' order otherwise."""
    x = T.ones(shape, dtype=getattr(T, dtype))
    if x.is_floating_point():
        x.requires_grad_()
    c = shape[1] if len(shape) > 1 else 0
    rm, rv = (T.zeros(stats), T.ones(stats)) if stats is not None else (None, None)
    kw = {} if affine is None else dict(weight=T.full((affine,), 2.0, requires_grad=True),
                                        bias=T.ones(affine, requires_grad=True))
    out = T.nn.functional.batch_norm(x, rm, rv, training=training, **kw)
    seen = [out, rm, rv, c]
    if out.requires_grad:
        out.sum().backward()
        seen += [x.grad] + [kw[k].grad for k in kw]
    return seen


def _solve_ex_singular_grads(T, A, B, left, dtype="float64"):
    """solve_ex's gradients through a singular A: torch's getrs on the singular LU (inf/NaN),
    where the engine's linalg.solve(A^T, g) raised."""
    A = T.tensor(A, dtype=getattr(T, dtype), requires_grad=True)
    B = T.tensor(B, dtype=A.dtype, requires_grad=True)
    X, info = T.linalg.solve_ex(A, B, left=left)
    w = T.arange(X.numel(), dtype=A.dtype).reshape(X.shape) - 1.5
    (X * w).sum().backward()
    return [X, info, A.grad, B.grad]


_S2 = [[1.0, 2.0], [2.0, 4.0]]
_S3 = [[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
       [[2.0, 1.0, 0.5], [1.0, 3.0, 1.0], [0.5, 1.0, 4.0]]]


def _nll_strided_grad(T, shape, perm, dtype, create_graph):
    x = T.arange(float(np.prod(shape)), dtype=getattr(T, dtype)).reshape(shape).requires_grad_()
    v = x.permute(*perm)
    t = T.zeros((v.shape[0],) + tuple(v.shape[2:]), dtype=T.int64)
    out = T.nn.functional.nll_loss(v, t)
    g, = T.autograd.grad(out, [x], create_graph=create_graph)
    return [out, g]


SESSION_14 = {
    # histogram with a bins tensor: its dtype, dims and count are checked before the kernel's
    # dtype (an int32 input with float64 bins: the dtype text, not "histogram_cpu")
    **{f"histogram of {d} by {b} bins {shape}": (
        lambda T, d=d, b=b, shape=shape: T.histogram(
            T.tensor([0, 1, 2], dtype=getattr(T, d)),
            T.arange(float(np.prod(shape)), dtype=getattr(T, b)).reshape(shape)))
       for d in ("int32", "bool", "float16") for b in ("float64", "float32", "int32")
       for shape in ((3,), (1, 2), (1,))},
    # nll_loss of a non-contiguous 4-d input: torch's nll_loss2d backward refuses its gradient
    # layout ("grad_input must be contiguous"); 3-d and 5-d inputs are made contiguous first
    **{f"nll_loss gradient of {shape} permuted {perm}, {d}, create_graph={cg}": (
        lambda T, shape=shape, perm=perm, d=d, cg=cg: _nll_strided_grad(T, shape, perm, d, cg))
       for shape, perm in (((2, 2, 2, 3), (0, 3, 1, 2)), ((2, 3, 2, 2), (0, 1, 3, 2)),
                           ((2, 3, 1, 1), (0, 1, 3, 2)), ((2, 3, 2, 2), (0, 1, 2, 3)),
                           ((2, 4, 3), (0, 2, 1)), ((2, 3, 2, 1, 2), (0, 1, 4, 3, 2)))
       for d in ("float32", "float16") for cg in (False, True)},
    # logspace with an integer dtype: the ends converted to it (uint8 wraps -2 to 254: 0.5 **
    # 254 is 0, the engine gave 4), halves from each end, x86's double -> int conversion
    **{f"logspace{c} {d}": (lambda T, c=c, d=d: T.logspace(*c[:3], base=c[3],
                                                            dtype=getattr(T, d)))
       for c in ((-2, -2, 5, 0.5), (-1, 1, 3, 2.0), (-200, 1, 3, 2.0), (3, -1, 4, 2.0),
                 (-3, -3, 2, 0.1), (1, 2, 3, float("nan")), (0, 1, 3, 1e10), (0, 10, 5, 3.0))
       for d in ("uint8", "int8", "int16", "int32", "int64")},
    **{f"logspace{c} {d} (refused)": (lambda T, c=c, d=d: T.logspace(
        *c[:3], base=c[3], dtype=getattr(T, d)))
       for c, d in (((-2.5, 1, 3, 2.0), "uint8"), ((1, -300, 3, 2.0), "int8"),
                    ((250, 0, 3, 1.01), "int8"))},
    **{f"solve_ex gradients of a singular A, {n}, left={left}, {d}": (
        lambda T, a=a, b=b, left=left, d=d: _solve_ex_singular_grads(T, a, b, left, d))
       for n, a, b in (("2x2 by 2x3", _S2, [[1.0, 0.5, -1.0], [2.0, 0.0, 1.0]]),
                       ("2x2 by a vector", _S2, [1.0, -2.0]),
                       ("zeros", [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]),
                       ("a batch with one singular", _S3, [[1.0, 2.0, 3.0]] * 3))
       for left in (True, False) for d in ("float64", "float32")
       if not (n == "2x2 by a vector" and not left)
       # (float32: the regular member's gradient is a last bit off torch's, as linalg.solve's)
       and not (n == "a batch with one singular" and d == "float32")},

    # batch_norm of an empty input (the engine's training updated the running stats to NaN),
    # of a 1-D input (no channel dim) and of a 0-d one
    **{f"batch_norm of {d} {s}, training={tr}, stats {st}, affine {af}": (
        lambda T, s=s, d=d, tr=tr, st=st, af=af: _batch_norm_edge(T, s, d, tr, st, af))
       for s, st, af in (((0,), None, None), ((0,), 5, 5), ((0,), 0, 0), ((0, 3), 3, 3),
                         ((0, 3), 5, None), ((2, 0), None, 0), ((2, 3, 0), 3, 3),
                         ((3,), None, None), ((3,), 0, 0), ((3,), 3, None), ((1,), None, None),
                         ((), None, None), ((), 0, None), ((), 1, None))
       for d in ("float32", "int32") for tr in (True, False)},

    # an in-place op whose kernel refuses self's dtype: TensorIterator's shape error first
    "hypot_ of a bool column, int32 row": lambda T: T.tensor([[True, True, True]]).mT
    .hypot_(T.tensor([1, 1, 2, 1], dtype=T.int32)),
    **{f"{op} of a {s} column by a {o} row": (
        lambda T, op=op, s=s, o=o: _inplace_shape_first(T, op, s, o))
       for op, s, o in (("hypot_", "int32", "int32"), ("gcd_", "float32", "float32"),
                        ("lcm_", "float32", "int32"), ("bitwise_left_shift_", "float32", "int32"),
                        ("nextafter_", "int64", "float32"))},
    "hypot_ of int32 by a broadcastable int32 (the kernel's text)": lambda T: T.ones(
        2, 3, dtype=T.int32).hypot_(T.tensor([1], dtype=T.int32)),
}


@pytest.mark.parametrize("name", list(SESSION_14))
def test_session_14_agrees_with_torch(name):
    case = SESSION_14[name]
    assert observed(case, engine, pinned_obs) == observed(case, torch, pinned_obs)
