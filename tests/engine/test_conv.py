"""Convolutions, im2col, pooling and interpolation side by side with torch 2.13 (skipped without
it): values, dtypes, shapes, gradients (first and second order), grad_fn names along the whole
chain, indices, and error types and texts. Each case is written once against a namespace ``F``
that is ``torch.nn.functional`` for torch and ``engine`` for us."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(5)


def arr(*shape):
    return rng.standard_normal(shape)


# (id, fn(F, *tensors), input arrays): every float input requires grad.
CASES = [
    ("conv2d", lambda F, x, w, b: F.conv2d(x, w, b), [arr(2, 3, 7, 6), arr(4, 3, 3, 2), arr(4)]),
    ("conv2d-full", lambda F, x, w: F.conv2d(x, w, None, (2, 1), (1, 2), (2, 1), 2),
     [arr(2, 4, 7, 6), arr(6, 2, 3, 2)]),
    ("conv2d-same-even", lambda F, x, w: F.conv2d(x, w, padding="same"),
     [arr(2, 3, 5, 6), arr(4, 3, 2, 3)]),
    ("conv2d-same-dilated", lambda F, x, w: F.conv2d(x, w, padding="same", dilation=2),
     [arr(1, 2, 6, 6), arr(2, 2, 3, 3)]),
    ("conv2d-valid", lambda F, x, w: F.conv2d(x, w, padding="valid"),
     [arr(1, 2, 4, 4), arr(2, 2, 2, 2)]),
    ("conv2d-unbatched", lambda F, x, w: F.conv2d(x, w, stride=2),
     [arr(3, 5, 5), arr(2, 3, 3, 3)]),
    ("conv2d-depthwise", lambda F, x, w: F.conv2d(x, w, groups=4, padding=1),
     [arr(2, 4, 5, 5), arr(8, 1, 3, 3)]),
    ("conv1d", lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=[1]),
     [arr(2, 3, 9), arr(4, 3, 3), arr(4)]),
    ("conv1d-same", lambda F, x, w: F.conv1d(x, w, padding="same"), [arr(2, 3, 9), arr(4, 3, 4)]),
    ("conv1d-unbatched", lambda F, x, w: F.conv1d(x, w), [arr(3, 9), arr(4, 3, 2)]),
    ("conv3d", lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
     [arr(1, 2, 4, 5, 4), arr(3, 2, 2, 3, 2), arr(3)]),
    ("conv_transpose2d", lambda F, x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
     [arr(2, 4, 3, 4), arr(4, 3, 3, 2), arr(3)]),
    ("conv_transpose2d-full",
     lambda F, x, w: F.conv_transpose2d(x, w, None, (2, 3), (0, 1), (1, 0), 2, (1, 2)),
     [arr(2, 4, 3, 4), arr(4, 3, 3, 2)]),
    ("conv_transpose2d-unbatched", lambda F, x, w: F.conv_transpose2d(x, w),
     [arr(3, 3, 3), arr(3, 2, 2, 2)]),
    ("conv_transpose1d", lambda F, x, w: F.conv_transpose1d(x, w, None, 3, 2, 1, 1, 2),
     [arr(2, 4, 5), arr(4, 3, 3)]),
    ("conv_transpose3d", lambda F, x, w: F.conv_transpose3d(x, w, stride=2),
     [arr(1, 2, 2, 3, 2), arr(2, 3, 2, 2, 2)]),
    ("unfold", lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [arr(2, 3, 6, 7)]),
    ("unfold-unbatched", lambda F, x: F.unfold(x, 2), [arr(3, 4, 4)]),
    ("fold", lambda F, x: F.fold(x, (5, 6), (2, 2), padding=1, stride=2), [arr(2, 8, 12)]),
    ("fold-unbatched", lambda F, x: F.fold(x, (4, 5), 2), [arr(8, 12)]),
    ("max_pool2d", lambda F, x: F.max_pool2d(x, 2), [arr(2, 3, 6, 7)]),
    ("max_pool2d-full",
     lambda F, x: F.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True),
     [arr(2, 3, 7, 8)]),
    ("max_pool2d-unbatched", lambda F, x: F.max_pool2d(x, 3, 2, 1), [arr(3, 7, 8)]),
    ("max_pool1d", lambda F, x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), [arr(2, 3, 8)]),
    ("max_pool1d-unbatched", lambda F, x: F.max_pool1d(x, 2, dilation=2), [arr(3, 8)]),
    ("max_pool3d", lambda F, x: F.max_pool3d(x, 2, 1, 1), [arr(1, 2, 3, 4, 3)]),
    ("avg_pool2d", lambda F, x: F.avg_pool2d(x, 3, 2, 1), [arr(2, 3, 7, 8)]),
    ("avg_pool2d-ceil-nopad",
     lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     [arr(2, 3, 8, 7)]),
    ("avg_pool2d-ceil", lambda F, x: F.avg_pool2d(x, (3, 2), 2, (1, 1), ceil_mode=True),
     [arr(2, 3, 8, 7)]),
    ("avg_pool2d-divisor", lambda F, x: F.avg_pool2d(x, 2, 1, divisor_override=3),
     [arr(3, 5, 4)]),
    ("avg_pool1d", lambda F, x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True), [arr(2, 3, 8)]),
    ("avg_pool3d", lambda F, x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False),
     [arr(1, 2, 3, 4, 3)]),
    ("adaptive_avg_pool2d", lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), [arr(2, 3, 7, 5)]),
    ("adaptive_avg_pool2d-1", lambda F, x: F.adaptive_avg_pool2d(x, 1), [arr(2, 3, 7, 5)]),
    ("adaptive_avg_pool2d-none", lambda F, x: F.adaptive_avg_pool2d(x, (None, 2)),
     [arr(3, 7, 5)]),
    ("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 4), [arr(2, 3, 7)]),
    ("adaptive_avg_pool1d-1", lambda F, x: F.adaptive_avg_pool1d(x, 1), [arr(2, 3, 7)]),
    ("adaptive_avg_pool3d", lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
     [arr(1, 2, 3, 5, 4)]),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (3, 4)), [arr(2, 3, 7, 5)]),
    ("adaptive_max_pool1d", lambda F, x: F.adaptive_max_pool1d(x, 4), [arr(2, 3, 7)]),
    ("adaptive_max_pool3d", lambda F, x: F.adaptive_max_pool3d(x, (2, 3, 2)),
     [arr(1, 2, 3, 5, 4)]),
    ("interpolate-nearest", lambda F, x: F.interpolate(x, scale_factor=2.5), [arr(2, 3, 5)]),
    ("interpolate-nearest-2d", lambda F, x: F.interpolate(x, size=(7, 3)), [arr(2, 3, 5, 4)]),
    ("interpolate-nearest-3d", lambda F, x: F.interpolate(x, scale_factor=(1.5, 0.7, 2)),
     [arr(1, 2, 3, 4, 3)]),
    ("interpolate-nearest-exact",
     lambda F, x: F.interpolate(x, size=(7, 3), mode="nearest-exact"), [arr(2, 3, 5, 4)]),
    ("interpolate-linear", lambda F, x: F.interpolate(x, scale_factor=1.7, mode="linear"),
     [arr(2, 3, 5)]),
    ("interpolate-linear-corners",
     lambda F, x: F.interpolate(x, size=9, mode="linear", align_corners=True), [arr(2, 3, 5)]),
    ("interpolate-bilinear",
     lambda F, x: F.interpolate(x, scale_factor=(2.3, 0.6), mode="bilinear"),
     [arr(2, 3, 5, 4)]),
    ("interpolate-bilinear-corners",
     lambda F, x: F.interpolate(x, size=(1, 3), mode="bilinear", align_corners=True),
     [arr(2, 3, 5, 4)]),
    ("interpolate-bilinear-recompute",
     lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bilinear",
                                recompute_scale_factor=True), [arr(2, 3, 5, 4)]),
    ("interpolate-bicubic", lambda F, x: F.interpolate(x, size=(7, 3), mode="bicubic"),
     [arr(2, 3, 5, 4)]),
    ("interpolate-bicubic-corners",
     lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=True),
     [arr(2, 3, 5, 4)]),
    ("interpolate-trilinear",
     lambda F, x: F.interpolate(x, scale_factor=(1.5, 0.7, 2), mode="trilinear"),
     [arr(1, 2, 3, 4, 3)]),
    ("interpolate-area", lambda F, x: F.interpolate(x, size=(3, 3), mode="area"),
     [arr(2, 3, 5, 4)]),
    ("interpolate-area-1d", lambda F, x: F.interpolate(x, scale_factor=0.6, mode="area"),
     [arr(2, 3, 5)]),
]


def chain(t) -> list[str]:
    """Node names from ``t`` down the first edges (what a user sees walking ``grad_fn``)."""
    names, fn = [], t.grad_fn
    while fn is not None and not fn.name().endswith("AccumulateGrad"):
        names.append(fn.name())
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return names


def run(lib: str, fn, arrays, dtype, *, second=True):
    """Forward, first-order gradients (create_graph) and the gradient of their weighted sum."""
    if lib == "torch":
        make = lambda a, rg: torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=rg)  # noqa: E731
        grad, ns = torch.autograd.grad, TF
    else:
        make = lambda a, rg: engine.tensor(a, dtype=getattr(engine, dtype), requires_grad=rg)  # noqa: E731
        grad, ns = engine.grad, engine
    xs = [make(a, True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(ns, *xs)
    w = make(np.random.default_rng(1).standard_normal(tuple(out.shape)), False)
    gs = grad((out * w).sum(), xs, create_graph=True, allow_unused=True)
    res = {"out": out, "chain": chain(out), "grads": gs,
           "grad_chains": [None if g is None else chain(g) for g in gs]}
    if second and any(g is not None and g.requires_grad for g in gs):
        vs = [make(np.random.default_rng(2).standard_normal(a.shape), False) for a in arrays]
        total = sum((g * v).sum() for g, v in zip(gs, vs) if g is not None)
        res["second"] = grad(total, xs, allow_unused=True)
    return res


def as_np(t):
    if t is None:
        return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else engine.to_numpy(t)


def close(ours, theirs, tol):
    a, b = as_np(ours), as_np(theirs)
    assert (a is None) == (b is None)
    if a is not None:
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case, dtype, tol):
    _, fn, arrays = case
    ours, theirs = run("engine", fn, arrays, dtype), run("torch", fn, arrays, dtype)
    assert str(ours["out"].dtype) == str(theirs["out"].dtype)
    close(ours["out"], theirs["out"], tol)
    assert ours["chain"] == theirs["chain"]
    for a, b in zip(ours["grads"], theirs["grads"], strict=True):
        close(a, b, tol)
    assert ours["grad_chains"] == theirs["grad_chains"]
    assert ("second" in ours) == ("second" in theirs)
    for a, b in zip(ours.get("second", ()), theirs.get("second", ()), strict=True):
        close(a, b, tol)


INDEXED = [
    ("max_pool2d", lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
     (2, 3, 7, 8)),
    ("max_pool2d-dilated", lambda F, x: F.max_pool2d(x, 2, 1, 1, 2, return_indices=True),
     (3, 6, 5)),
    ("max_pool1d", lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 3, 8)),
    ("max_pool3d", lambda F, x: F.max_pool3d(x, 2, 1, 1, return_indices=True), (1, 2, 3, 4, 3)),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (3, 4), True), (2, 3, 7, 8)),
    ("adaptive_max_pool1d", lambda F, x: F.adaptive_max_pool1d(x, 3, True), (3, 8)),
    ("adaptive_max_pool3d", lambda F, x: F.adaptive_max_pool3d(x, (3, 2, 3), True),
     (1, 2, 5, 7, 4)),
]


@pytest.mark.parametrize("case", INDEXED, ids=[c[0] for c in INDEXED])
def test_max_pool_indices_match_torch(case):
    _, fn, shape = case
    a = rng.standard_normal(shape)
    a[..., 1] = a[..., 0]  # ties: the first maximum wins in both
    ov, oi = fn(engine, engine.tensor(a))
    tv, ti = fn(TF, torch.tensor(a))
    assert oi.dtype is engine.int64 and oi.shape == tuple(ti.shape)
    np.testing.assert_array_equal(as_np(oi), ti.numpy())
    np.testing.assert_array_equal(as_np(ov), tv.numpy())


INTEGER = [
    ("conv2d", lambda F, x, w: F.conv2d(x, w, stride=2, padding=1)),
    ("conv_transpose2d", lambda F, x, w: F.conv_transpose2d(x, w.transpose(0, 1), stride=2)),
    ("max_pool2d", lambda F, x, w: F.max_pool2d(x, 2, padding=1)),
    ("avg_pool2d", lambda F, x, w: F.avg_pool2d(x, 3, 2, 1)),
    ("avg_pool2d-nopad", lambda F, x, w: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    ("unfold", lambda F, x, w: F.unfold(x, 2)),
    ("max_pool3d", lambda F, x, w: F.max_pool3d(x[None], 2, 1)),
    ("avg_pool3d", lambda F, x, w: F.avg_pool3d(x[None], 2, 1)),
    ("conv3d", lambda F, x, w: F.conv3d(x[None], w[:2, :1, None], groups=2)),
    ("conv1d", lambda F, x, w: F.conv1d(x[:, :, 0], w[:, :, 0], padding="same")),
    ("conv_transpose1d", lambda F, x, w: F.conv_transpose1d(x[:, :, 0], w[:3, :, 0])),
]


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("case", INTEGER, ids=[c[0] for c in INTEGER])
def test_integer_inputs_match_torch(case, dtype):
    _, fn = case
    x = rng.integers(-9, 9, size=(2, 3, 5, 5))
    w = rng.integers(-3, 3, size=(4, 3, 3, 3))
    try:
        theirs = fn(TF, torch.tensor(x, dtype=getattr(torch, dtype)),
                    torch.tensor(w, dtype=getattr(torch, dtype)))
    except NotImplementedError as e:  # torch has no kernel for this dtype: nor do we
        with pytest.raises(NotImplementedError) as ours:
            fn(engine, engine.tensor(x, dtype=getattr(engine, dtype)),
               engine.tensor(w, dtype=getattr(engine, dtype)))
        assert str(ours.value) == str(e)
        return
    ours = fn(engine, engine.tensor(x, dtype=getattr(engine, dtype)),
              engine.tensor(w, dtype=getattr(engine, dtype)))
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(as_np(ours), theirs.numpy())


HALF = [
    ("conv2d", lambda F, x: F.conv2d(x, x[:2, :, :3, :3], padding=1)),
    ("max_pool2d", lambda F, x: F.max_pool2d(x, 2)),
    ("avg_pool2d", lambda F, x: F.avg_pool2d(x, 2)),
    ("adaptive_avg_pool2d", lambda F, x: F.adaptive_avg_pool2d(x, 3)),
    ("interpolate", lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear")),
]


@pytest.mark.parametrize("case", HALF, ids=[c[0] for c in HALF])
def test_float16_matches_torch(case):
    _, fn = case
    x = rng.standard_normal((2, 3, 5, 5))
    ours = fn(engine, engine.tensor(x, dtype=engine.float16))
    theirs = fn(TF, torch.tensor(x, dtype=torch.float16))
    assert str(ours.dtype) == "torch.float16" == str(theirs.dtype)
    np.testing.assert_allclose(as_np(ours).astype(float), theirs.numpy().astype(float),
                               rtol=2e-2, atol=2e-2)


def _x(*shape, dtype="float32", rg=False):
    return lambda lib: (torch if lib == "torch" else engine).zeros(
        *shape, dtype=getattr(torch if lib == "torch" else engine, dtype), requires_grad=rg)


X4 = _x(2, 3, 8, 8)
W4 = _x(4, 3, 3, 3)
X3 = _x(2, 3, 9)

# (id, fn(F, T)) where T(maker) builds a tensor for the library at hand
ERRORS = [
    ("conv2d-input-dims", lambda F, T: F.conv2d(T(_x(3, 8)), T(W4))),
    ("conv2d-input-dims5", lambda F, T: F.conv2d(T(_x(1, 2, 3, 8, 8)), T(W4))),
    ("conv2d-weight-dims", lambda F, T: F.conv2d(T(X4), T(_x(4, 3, 3)))),
    ("conv1d-weight-dims", lambda F, T: F.conv1d(T(X3), T(W4))),
    ("conv-channels", lambda F, T: F.conv2d(T(_x(2, 5, 8, 8)), T(W4))),
    ("conv-channels-unbatched", lambda F, T: F.conv2d(T(_x(5, 8, 8)), T(W4))),
    ("conv-groups-divisible", lambda F, T: F.conv2d(T(_x(2, 6, 8, 8)), T(_x(3, 3, 3, 3)),
                                                    groups=2)),
    ("conv-groups-channels", lambda F, T: F.conv2d(T(_x(2, 5, 8, 8)), T(W4), groups=2)),
    ("conv-groups-zero", lambda F, T: F.conv2d(T(X4), T(W4), groups=0)),
    ("conv-kernel-too-big", lambda F, T: F.conv2d(T(_x(2, 3, 2, 2)), T(W4))),
    ("conv-same-strided", lambda F, T: F.conv2d(T(X4), T(W4), padding="same", stride=2)),
    ("conv-padding-string", lambda F, T: F.conv2d(T(X4), T(W4), padding="foo")),
    ("conv-stride-zero", lambda F, T: F.conv2d(T(X4), T(W4), stride=0)),
    ("conv-padding-negative", lambda F, T: F.conv2d(T(X4), T(W4), padding=-1)),
    ("conv-dilation-zero", lambda F, T: F.conv2d(T(X4), T(W4), dilation=0)),
    ("conv-stride-length", lambda F, T: F.conv2d(T(X4), T(W4), stride=(1, 1, 1))),
    ("conv-padding-length", lambda F, T: F.conv2d(T(X4), T(W4), padding=(1, 1, 1))),
    ("conv-dtype-double-float", lambda F, T: F.conv2d(T(_x(2, 3, 8, 8, dtype="float64")),
                                                      T(W4))),
    ("conv-dtype-float-double", lambda F, T: F.conv2d(T(X4), T(_x(4, 3, 3, 3,
                                                                  dtype="float64")))),
    ("conv-dtype-long-float", lambda F, T: F.conv2d(T(_x(2, 3, 8, 8, dtype="int64")), T(W4))),
    ("conv-bias-dtype", lambda F, T: F.conv2d(T(X4), T(W4), T(_x(4, dtype="float64")))),
    ("conv-bias-size", lambda F, T: F.conv2d(T(X4), T(W4), T(_x(3)))),
    ("conv-bias-dims", lambda F, T: F.conv2d(T(X4), T(W4), T(_x(4, 1)))),
    ("conv-bool", lambda F, T: F.conv2d(T(_x(2, 3, 8, 8, dtype="bool")),
                                        T(_x(4, 3, 3, 3, dtype="bool")))),
    ("convT-output-padding", lambda F, T: F.conv_transpose2d(T(X4), T(_x(3, 4, 3, 3)),
                                                             output_padding=2)),
    ("convT-output-padding-1d", lambda F, T: F.conv_transpose1d(T(X3), T(_x(3, 4, 3)),
                                                                output_padding=1)),
    ("convT-same", lambda F, T: F.conv_transpose2d(T(X4), T(_x(3, 4, 3, 3)), padding="same")),
    ("convT-channels", lambda F, T: F.conv_transpose2d(T(X4), T(_x(4, 4, 3, 3)))),
    ("convT-too-small", lambda F, T: F.conv_transpose2d(T(_x(1, 3, 1, 1)), T(_x(3, 4, 1, 1)),
                                                        padding=1)),
    ("convT-bias-size", lambda F, T: F.conv_transpose2d(T(X4), T(_x(3, 4, 3, 3)), T(_x(3)))),
    ("conv3d-input-dims", lambda F, T: F.conv3d(T(X3), T(_x(4, 3, 3, 3, 3)))),
    ("unfold-input-dims", lambda F, T: F.unfold(T(_x(3, 8)), 2)),
    ("unfold-too-small", lambda F, T: F.unfold(T(_x(1, 2, 3, 3)), 4)),
    ("unfold-kernel-zero", lambda F, T: F.unfold(T(X4), 0)),
    ("unfold-stride-zero", lambda F, T: F.unfold(T(X4), 2, stride=0)),
    ("unfold-padding-negative", lambda F, T: F.unfold(T(X4), 2, padding=-1)),
    ("unfold-kernel-length", lambda F, T: F.unfold(T(X4), (2, 2, 2))),
    ("fold-input-dims", lambda F, T: F.fold(T(X4), (4, 4), 2)),
    ("fold-divisible", lambda F, T: F.fold(T(_x(1, 7, 9)), (4, 4), 2)),
    ("fold-blocks", lambda F, T: F.fold(T(_x(1, 8, 8)), (4, 4), 2)),
    ("max_pool2d-dims", lambda F, T: F.max_pool2d(T(_x(8, 8)), 2)),
    ("max_pool2d-pad", lambda F, T: F.max_pool2d(T(X4), (3, 4), padding=(1, 3))),
    ("max_pool2d-pad-dilated", lambda F, T: F.max_pool2d(T(X4), (3, 4), padding=(2, 1),
                                                         dilation=(1, 2))),
    ("max_pool2d-kernel-zero", lambda F, T: F.max_pool2d(T(X4), (0, 2), stride=1)),
    ("max_pool2d-stride-zero", lambda F, T: F.max_pool2d(T(X4), 2, stride=(1, 0))),
    ("max_pool2d-stride-negative", lambda F, T: F.max_pool2d(T(X4), 2, stride=(1, -1))),
    ("max_pool2d-dilation-zero", lambda F, T: F.max_pool2d(T(X4), 2, dilation=(1, 0))),
    ("max_pool2d-too-small", lambda F, T: F.max_pool2d(T(_x(1, 1, 2, 5)), (3, 2))),
    ("max_pool2d-padding-negative", lambda F, T: F.max_pool2d(T(X4), 2, padding=(0, -1))),
    ("max_pool2d-empty-channels", lambda F, T: F.max_pool2d(T(_x(2, 0, 4, 4)), 2)),
    ("max_pool2d-kernel-length", lambda F, T: F.max_pool2d(T(X4), (2, 2, 2))),
    ("max_pool2d-stride-length", lambda F, T: F.max_pool2d(T(X4), 2, stride=(1, 1, 1))),
    ("max_pool2d-padding-length", lambda F, T: F.max_pool2d(T(X4), 2, padding=(1, 1, 1))),
    ("max_pool2d-dilation-length", lambda F, T: F.max_pool2d(T(X4), 2, dilation=(1, 1, 1))),
    ("max_pool2d-bool", lambda F, T: F.max_pool2d(T(_x(2, 3, 4, 4, dtype="bool")), 2)),
    ("max_pool2d-kernel-float", lambda F, T: F.max_pool2d(T(X4), 2.0)),
    ("max_pool1d-dims", lambda F, T: F.max_pool1d(T(_x(4)), 2)),
    ("max_pool1d-dims4", lambda F, T: F.max_pool1d(T(X4), 2)),
    ("max_pool1d-kernel-zero", lambda F, T: F.max_pool1d(T(X3), 0, stride=1)),
    ("max_pool1d-stride-zero", lambda F, T: F.max_pool1d(T(X3), 2, stride=0)),
    ("max_pool1d-padding", lambda F, T: F.max_pool1d(T(X3), 2, padding=-1)),
    ("max_pool1d-padding-big", lambda F, T: F.max_pool1d(T(X3), 3, padding=2)),
    ("max_pool1d-dilation", lambda F, T: F.max_pool1d(T(X3), 2, dilation=0)),
    ("max_pool1d-too-small", lambda F, T: F.max_pool1d(T(X3), 10)),
    ("max_pool1d-kernel-length", lambda F, T: F.max_pool1d(T(X3), (2, 2))),
    ("max_pool1d-stride-length", lambda F, T: F.max_pool1d(T(X3), 2, stride=(1, 1))),
    ("max_pool1d-long", lambda F, T: F.max_pool1d(T(_x(2, 3, 4, dtype="int64")), 2)),
    ("max_pool3d-padding", lambda F, T: F.max_pool3d(T(_x(1, 2, 5, 6, 7)), 2, padding=2)),
    ("max_pool3d-too-small", lambda F, T: F.max_pool3d(T(_x(1, 2, 5, 6, 7)), 6)),
    ("max_pool3d-kernel-zero", lambda F, T: F.max_pool3d(T(_x(1, 2, 5, 6, 7)), (0, 1, 1),
                                                         stride=1)),
    ("max_pool3d-kernel-length", lambda F, T: F.max_pool3d(T(_x(1, 2, 5, 6, 7)), (2, 2))),
    ("avg_pool2d-dims", lambda F, T: F.avg_pool2d(T(_x(8, 8)), 2)),
    ("avg_pool2d-dims5", lambda F, T: F.avg_pool2d(T(_x(2, 3, 4, 4, 4)), 2)),
    ("avg_pool2d-pad", lambda F, T: F.avg_pool2d(T(X4), (3, 4), padding=(1, 3))),
    ("avg_pool2d-kernel-zero", lambda F, T: F.avg_pool2d(T(X4), (0, 2), stride=1)),
    ("avg_pool2d-stride-zero", lambda F, T: F.avg_pool2d(T(X4), 2, stride=(1, 0))),
    ("avg_pool2d-too-small", lambda F, T: F.avg_pool2d(T(_x(1, 1, 2, 5)), (3, 2))),
    ("avg_pool2d-divisor-zero", lambda F, T: F.avg_pool2d(T(X4), 2, divisor_override=0)),
    ("avg_pool2d-kernel-length", lambda F, T: F.avg_pool2d(T(X4), (2, 2, 2))),
    ("avg_pool2d-stride-length", lambda F, T: F.avg_pool2d(T(X4), 2, stride=(1, 1, 1))),
    ("avg_pool2d-kernel-str", lambda F, T: F.avg_pool2d(T(X4), "a")),
    ("avg_pool1d-dims", lambda F, T: F.avg_pool1d(T(_x(4)), 2)),
    ("avg_pool1d-kernel-zero", lambda F, T: F.avg_pool1d(T(X3), 0, stride=1)),
    ("avg_pool1d-too-small", lambda F, T: F.avg_pool1d(T(X3), 10)),
    ("avg_pool1d-kernel-length", lambda F, T: F.avg_pool1d(T(X3), (2, 2))),
    ("avg_pool1d-stride-length", lambda F, T: F.avg_pool1d(T(X3), 2, stride=(1, 1))),
    ("avg_pool3d-padding", lambda F, T: F.avg_pool3d(T(_x(1, 2, 5, 6, 7)), 2, padding=2)),
    ("avg_pool3d-too-small", lambda F, T: F.avg_pool3d(T(_x(1, 2, 5, 6, 7)), 6)),
    ("avg_pool3d-kernel-length", lambda F, T: F.avg_pool3d(T(_x(1, 2, 5, 6, 7)), (2, 2))),
    ("adaptive_avg_pool2d-dims", lambda F, T: F.adaptive_avg_pool2d(T(_x(8, 8)), 2)),
    ("adaptive_avg_pool2d-negative", lambda F, T: F.adaptive_avg_pool2d(T(X4), -1)),
    ("adaptive_avg_pool2d-length", lambda F, T: F.adaptive_avg_pool2d(T(X4), (2, 2, 2))),
    ("adaptive_avg_pool2d-long", lambda F, T: F.adaptive_avg_pool2d(
        T(_x(2, 3, 4, 4, dtype="int64")), 2)),
    ("adaptive_avg_pool2d-empty", lambda F, T: F.adaptive_avg_pool2d(T(_x(2, 3, 0, 4)), 2)),
    ("adaptive_avg_pool3d-dims", lambda F, T: F.adaptive_avg_pool3d(T(_x(4, 5, 6)), 2)),
    ("adaptive_avg_pool3d-negative", lambda F, T: F.adaptive_avg_pool3d(T(_x(1, 2, 4, 5, 6)),
                                                                        -1)),
    ("adaptive_max_pool2d-dims", lambda F, T: F.adaptive_max_pool2d(T(_x(8, 8)), 2)),
    ("adaptive_max_pool2d-length", lambda F, T: F.adaptive_max_pool2d(T(X4), (2, 2, 2))),
    ("adaptive_max_pool2d-long", lambda F, T: F.adaptive_max_pool2d(
        T(_x(2, 3, 4, 4, dtype="int64")), 2)),
    ("adaptive_max_pool2d-negative", lambda F, T: F.adaptive_max_pool2d(T(X4), -1)),
    ("adaptive_max_pool3d-dims", lambda F, T: F.adaptive_max_pool3d(T(_x(4, 5, 6)), 2)),
    ("adaptive_avg_pool1d-dims", lambda F, T: F.adaptive_avg_pool1d(T(X4), 2)),
    ("adaptive_avg_pool1d-length", lambda F, T: F.adaptive_avg_pool1d(T(X3), (2, 2))),
    ("adaptive_max_pool1d-dims", lambda F, T: F.adaptive_max_pool1d(T(_x(4)), 2)),
    ("interpolate-both", lambda F, T: F.interpolate(T(X4), size=3, scale_factor=2)),
    ("interpolate-neither", lambda F, T: F.interpolate(T(X4))),
    ("interpolate-size-length", lambda F, T: F.interpolate(T(X4), size=(3, 3, 3))),
    ("interpolate-size-float", lambda F, T: F.interpolate(T(X4), size=(3.0, 3))),
    ("interpolate-scale-length", lambda F, T: F.interpolate(T(X4), scale_factor=(2, 2, 2))),
    ("interpolate-align-nearest", lambda F, T: F.interpolate(T(X4), scale_factor=2,
                                                             align_corners=True)),
    ("interpolate-recompute-size", lambda F, T: F.interpolate(T(X4), size=3,
                                                              recompute_scale_factor=True)),
    ("interpolate-linear-4d", lambda F, T: F.interpolate(T(X4), scale_factor=2, mode="linear")),
    ("interpolate-bilinear-3d", lambda F, T: F.interpolate(T(X3), scale_factor=2,
                                                           mode="bilinear")),
    ("interpolate-bicubic-5d", lambda F, T: F.interpolate(T(_x(1, 1, 2, 2, 2)), scale_factor=2,
                                                          mode="bicubic")),
    ("interpolate-mode", lambda F, T: F.interpolate(T(X4), scale_factor=2, mode="foo")),
    ("interpolate-2d-input", lambda F, T: F.interpolate(T(_x(3, 4)), scale_factor=2)),
    ("interpolate-zero-size", lambda F, T: F.interpolate(T(X4), size=(0, 3))),
    ("interpolate-small-scale", lambda F, T: F.interpolate(T(X4), scale_factor=0.1)),
    ("interpolate-empty-input", lambda F, T: F.interpolate(T(_x(1, 3, 0, 4)), scale_factor=2)),
    ("interpolate-long-nearest", lambda F, T: F.interpolate(T(_x(1, 2, 3, 3, dtype="int64")),
                                                            scale_factor=2)),
    ("interpolate-long-linear", lambda F, T: F.interpolate(T(_x(1, 2, 3, dtype="int64")),
                                                           scale_factor=2, mode="linear")),
    ("interpolate-long-area", lambda F, T: F.interpolate(T(_x(1, 2, 3, 3, dtype="int64")),
                                                         size=2, mode="area")),
    ("interpolate-antialias-nearest", lambda F, T: F.interpolate(T(X4), scale_factor=0.5,
                                                                 antialias=True)),
]


def _outcome(lib: str, fn):
    ns = TF if lib == "torch" else engine
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(ns, lambda maker: maker(lib))
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


def test_conv_same_even_kernel_pads_like_torch():
    """An even kernel with padding='same' pads the input once (ConstantPadNd) before the
    convolution; an odd one pads inside it."""
    x = engine.zeros(1, 1, 4, 4, requires_grad=True)
    even = engine.conv2d(x, engine.ones(1, 1, 2, 2), padding="same")
    odd = engine.conv2d(x, engine.ones(1, 1, 3, 3), padding="same")
    assert chain(even) == ["ConvolutionBackward0", "ConstantPadNdBackward0"]
    assert chain(odd) == ["ConvolutionBackward0"]
    assert even.shape == odd.shape == (1, 1, 4, 4)


def test_non_finite_values_stay_local():
    """Resampling gathers (no dense matrices): an inf touches only the outputs that read it."""
    a = np.zeros((1, 1, 4, 4))
    a[0, 0, 0, 0] = np.inf
    for mode in ("nearest", "bilinear", "area"):
        kw = {} if mode != "bilinear" else {"align_corners": False}
        ours = as_np(engine.interpolate(engine.tensor(a), size=(8, 8) if mode != "area" else 2,
                                        mode=mode, **kw))
        theirs = TF.interpolate(torch.tensor(a), size=(8, 8) if mode != "area" else 2,
                                mode=mode, **kw).numpy()
        np.testing.assert_array_equal(ours, theirs)
