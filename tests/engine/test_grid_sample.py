"""engine/ops/grid_sample.py against torch 2.13 side by side: F.grid_sample's values, first
and second derivatives (node names, None-vs-tensor gradients) over every mode, padding and
align_corners in 2-D and 3-D, special grid values (the 2-D kernel's and the 3-D kernel's
rules differ), error texts; F.affine_grid's values bit for bit in float32/float64, its
gradient's node chain, warnings and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
import engine.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional

MODES = [(m, p, a, d) for m in ("bilinear", "nearest", "bicubic")
         for p in ("zeros", "border", "reflection") for a in (False, True) for d in (2, 3)
         if not (m == "bicubic" and d == 3)]


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else engine.to_numpy(t.detach())


def _run(lib, x, g, w, r1, r2, which, **kw):
    is_t = lib is torch
    leaf = (lambda a: torch.tensor(a, requires_grad=True)) if is_t else \
        (lambda a: engine.tensor(a, requires_grad=True))
    const = torch.tensor if is_t else engine.tensor
    fn = F.grid_sample if is_t else EF.grid_sample
    grad = torch.autograd.grad if is_t else engine.grad
    X, G, W = leaf(x), leaf(g), leaf(w)
    out = fn(X, G, **kw)
    gx, gg = grad((out * W).sum(), (X, G), create_graph=True)
    z = 0
    if "x" in which:
        z = z + (gx * const(r1)).sum()
    if "g" in which:
        z = z + (gg * const(r2)).sum()
    second = grad(z, (X, G, W), allow_unused=True)
    names = (out.grad_fn.name(), gx.grad_fn.name(), gg.grad_fn.name())
    return names, [_np(out), _np(gx), _np(gg)], [None if s is None else _np(s) for s in second]


@pytest.mark.parametrize("mode,padding,align,d", MODES)
def test_values_and_two_orders_of_gradients_as_torch(mode, padding, align, d):
    rng = np.random.default_rng(hash((mode, padding, align, d)) % 2**32)
    shape = (2, 2, 3, 4) if d == 2 else (1, 2, 3, 4, 3)
    gshape = (2, 3, 2, 2) if d == 2 else (1, 2, 3, 2, 3)
    x, g = rng.standard_normal(shape), rng.uniform(-1.3, 1.3, gshape)
    w = rng.standard_normal(shape[:2] + gshape[1:-1])
    r1, r2 = rng.standard_normal(shape), rng.standard_normal(gshape)
    kw = {"mode": mode, "padding_mode": padding, "align_corners": align}
    for which in ("x", "g", "xg"):
        tn, tv, ts = _run(torch, x, g, w, r1, r2, which, **kw)
        en, ev, es = _run(engine, x, g, w, r1, r2, which, **kw)
        assert tn == en
        for a, b in zip(tv + ts, ev + es):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_float32_values():
    # (float16: torch's Half kernel rounds differently, up to ~2e-2 apart: open, ops' note)
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((2, 3, 5, 6)), rng.uniform(-1.2, 1.2, (2, 4, 3, 2))
    for tdt, edt, tol in ((torch.float32, engine.float32, 1e-6),):
        for mode in ("bilinear", "nearest", "bicubic"):
            want = F.grid_sample(torch.tensor(x, dtype=tdt), torch.tensor(g, dtype=tdt),
                                 mode=mode, align_corners=False)
            got = EF.grid_sample(engine.tensor(x, dtype=edt), engine.tensor(g, dtype=edt),
                                 mode=mode, align_corners=False)
            assert str(got.dtype) == str(want.dtype)
            np.testing.assert_allclose(_np(got).astype(float), _np(want).astype(float),
                                       rtol=tol, atol=tol)


@pytest.mark.parametrize("d", (2, 3))
def test_special_grid_values_as_torch(d):
    vals = [float("inf"), -float("inf"), float("nan"), 1e30, -1e30, 3e9, 0.3]
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4) if d == 2 else \
        np.arange(1.0, 25.0).reshape(1, 1, 2, 3, 4)
    for mode in ("bilinear", "nearest") + (("bicubic",) if d == 2 else ()):
        for padding in ("zeros", "border", "reflection"):
            for align in (False, True):
                for v in vals:
                    g = np.full((1, 1, 1, d) if d == 2 else (1, 1, 1, 1, 3), 0.25)
                    g[..., 0] = v
                    kw = {"mode": mode, "padding_mode": padding, "align_corners": align}
                    want = _np(F.grid_sample(torch.tensor(x), torch.tensor(g), **kw))
                    got = _np(EF.grid_sample(engine.tensor(x), engine.tensor(g), **kw))
                    np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=str((kw, v)))


def _error(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__mro__, str(e)
    return None, None


@pytest.mark.parametrize("case", range(12))
def test_errors_as_torch(case):
    def make(lib, shape, dtype="float32"):
        if lib is torch:
            return torch.ones(shape, dtype=getattr(torch, dtype))
        return engine.ones(*shape, dtype=getattr(engine, dtype))

    calls = [
        lambda L, f: f(make(L, (1, 1, 3, 4), "int64"), make(L, (1, 2, 2, 2))),
        lambda L, f: f(make(L, (1, 1, 3, 4), "float64"), make(L, (1, 2, 2, 2))),
        lambda L, f: f(make(L, (2, 1, 3, 4)), make(L, (1, 2, 2, 2))),
        lambda L, f: f(make(L, (1, 1, 3, 4)), make(L, (1, 2, 2, 3))),
        lambda L, f: f(make(L, (1, 1, 3, 4)), make(L, (1, 2, 2, 2, 2))),
        lambda L, f: f(make(L, (1, 3, 4)), make(L, (1, 2, 1))),
        lambda L, f: f(make(L, (1, 1, 2, 2, 2)), make(L, (1, 2, 2, 2, 3)), mode="bicubic"),
        lambda L, f: f(make(L, (1, 2, 0, 4)), make(L, (1, 2, 2, 2))),
        lambda L, f: f(make(L, (1, 1, 3, 4)), make(L, (1, 2, 2, 2)), mode="linear"),
        lambda L, f: f(make(L, (1, 1, 3, 4)), make(L, (1, 2, 2, 2)), padding_mode="zero"),
        lambda L, f: f(make(L, (1, 1, 2, 3, 4), "int64"), make(L, (1, 2, 2, 2, 3))),
        lambda L, f: f(make(L, (1, 1, 3, 4)), make(L, (1, 2, 2, 2), "int64")),
    ]
    want = _error(lambda: calls[case](torch, F.grid_sample))
    got = _error(lambda: calls[case](engine, EF.grid_sample))
    assert want[0] is not None and got[1] == want[1]
    assert want[0][0].__name__ in [c.__name__ for c in got[0]]


def test_third_order_refuses():
    x = engine.randn(1, 1, 3, 3, requires_grad=True)
    g = (engine.rand(1, 2, 2, 2) * 2 - 1).requires_grad_()
    out = EF.grid_sample(x, g, align_corners=False)
    gg, = engine.grad(out.pow(2).sum(), g, create_graph=True)
    h, = engine.grad(gg.sum(), g, create_graph=True)
    with pytest.raises(NotImplementedError):
        engine.grad(h.sum(), g)


AFFINE = [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 3, 1), (2, 2, 3, 4, 5), (1, 1, 1, 1, 2),
          (2, 1, 9, 11), (2, 1, 5, 6, 7)]


@pytest.mark.parametrize("size", AFFINE)
@pytest.mark.parametrize("align", (False, True))
def test_affine_grid_bitwise_as_torch(size, align):
    rng = np.random.default_rng(len(size) * 10 + size[-1])
    k = len(size) - 2
    th = rng.standard_normal((size[0], k, k + 1))
    for tdt, edt in ((torch.float64, engine.float64), (torch.float32, engine.float32)):
        T = torch.tensor(th, dtype=tdt, requires_grad=True)
        E = engine.tensor(th, dtype=edt, requires_grad=True)
        with warnings.catch_warnings(record=True) as w1:
            warnings.simplefilter("always")
            want = F.affine_grid(T, size, align_corners=align)
        with warnings.catch_warnings(record=True) as w2:
            warnings.simplefilter("always")
            got = EF.affine_grid(E, size, align_corners=align)
        assert [str(m.message) for m in w1] == [str(m.message) for m in w2]
        assert np.array_equal(_np(got), _np(want))
        assert got.grad_fn.name() == want.grad_fn.name() == "AffineGridGeneratorBackward0"
        r = rng.standard_normal(tuple(want.shape))
        R = torch.tensor(r, dtype=tdt, requires_grad=True)
        RE = engine.tensor(r, dtype=edt, requires_grad=True)
        gt, = torch.autograd.grad((want * R).sum(), T, create_graph=True)
        ge, = engine.grad((got * RE).sum(), E, create_graph=True)
        np.testing.assert_allclose(_np(ge), _np(gt), rtol=1e-5 if tdt == torch.float32 else
                                   1e-12, atol=1e-5 if tdt == torch.float32 else 1e-12)
        assert [ge.grad_fn.name(), ge.grad_fn.next_functions[0][0].name()] == \
            [gt.grad_fn.name(), gt.grad_fn.next_functions[0][0].name()]


def test_affine_grid_errors_and_warning_as_torch():
    cases = [
        lambda L, f: f(L.zeros(1, 2, 3, dtype=L.int64), (1, 1, 2, 2), align_corners=False),
        lambda L, f: f(L.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=False),
        lambda L, f: f(L.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False),
        lambda L, f: f(L.zeros(1, 2, 3), (1, 1, 2), align_corners=False),
        lambda L, f: f(L.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False),
        lambda L, f: f(L.zeros(2, 2, 3), (1, 1, 2, 2), align_corners=False),
        lambda L, f: f(L.zeros(1, 2, 3, dtype=L.float16), (1, 1, 1, 2), align_corners=False),
    ]
    for call in cases:
        want = _error(lambda c=call: c(torch, F.affine_grid))
        got = _error(lambda c=call: c(engine, EF.affine_grid))
        assert want[0] is not None and got[1] == want[1]
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        EF.affine_grid(engine.zeros(1, 2, 3), (1, 1, 2, 2))


SPATIAL_TRANSFORMER = """
import torch
import torch.nn.functional as F
theta = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]]], requires_grad=True)
x = torch.arange(24.0).reshape(1, 2, 3, 4)
grid = F.affine_grid(theta, x.size(), align_corners=False)
y = F.grid_sample(x, grid, align_corners=False, padding_mode='border')
y.sum().backward()
print(y.grad_fn.name(), grid.grad_fn.name(), [round(v, 5) for v in theta.grad.flatten().tolist()])
"""


def test_a_program_reaches_them_through_the_language():
    from tests.app.lang.test_library_end_to_end import ours, torch_prints
    assert ours(SPATIAL_TRANSFORMER) == torch_prints(SPATIAL_TRANSFORMER)
