"""Pinned cases the differential suite found in conv/pool (session 4): torch's dtype checks as
its CPU backends word them, oneDNN skipping padding, adaptive max pooling's NaN rule."""

import numpy as np
import pytest

import engine
import engine.nn.functional as EF
from engine.autograd import saved_hooks

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(fn, *arrays):
    out = []
    for mod, F in ((torch, TF), (engine, EF)):
        args = [mod.tensor(a.tolist(), dtype=getattr(mod, str(a.dtype))) if
                isinstance(a, np.ndarray) else a for a in arrays]
        try:
            out.append(("ok", np.asarray(mod.to_numpy(r) if mod is engine else r.numpy())
                        if (r := fn(mod, F, *args)) is not None else None))
        except Exception as e:  # noqa: BLE001 (the class and text are compared)
            out.append((type(e).__mro__[[c.__module__ for c in type(e).__mro__].index(
                "builtins")].__name__, str(e)))
    return out


CASES = [  # input, weight, bias dtypes; batch; transposed
    ("float64", "float32", "float32", 1, False), ("float32", "float64", None, 1, False),
    ("float32", "float64", None, 2, False), ("float16", "float64", None, 1, False),
    ("float16", "float16", "float32", 1, True), ("float64", "float64", "float32", 1, True),
    ("int64", "int64", "float64", 1, True), ("int32", "float32", None, 1, True),
    ("float16", "bool", None, 1, False),
]


@pytest.mark.parametrize("xd,wd,bd,n,tr", CASES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_dtype_checks_as_torch(xd, wd, bd, n, tr, nd):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 2) + (4,) * nd).astype(xd)
    w = rng.standard_normal((2, 2) + (2,) * nd).astype(wd)
    b = None if bd is None else rng.standard_normal(2).astype(bd)
    name = f"conv{'_transpose' if tr else ''}{nd}d"
    t, e = _both(lambda m, F, x, w, b: getattr(F, name)(x, w, b), x, w, b)
    assert t[0] == e[0] and (t[0] == "ok" or t[1] == e[1])
    t, e = _both(lambda m, F, x, w, b: m.convolution(x, w, b, [1] * nd, [0] * nd, [1] * nd,
                                                     tr, [0] * nd, 1), x, w, b)
    assert t[0] == e[0] and (t[0] == "ok" or t[1] == e[1])


def test_convolution_wants_lists():
    x, w = np.ones((1, 2, 4, 4)), np.ones((2, 2, 2, 2))
    t, e = _both(lambda m, F, x, w: m.convolution(x, w, None, 2, 1, 1, True, 1, 2), x, w)
    assert t == e and t[1].endswith("must be tuple of ints, not int")


@pytest.mark.parametrize("dt,n", [("float16", 1), ("float32", 2), ("float64", 2)])
def test_padding_meets_infinite_weight_as_torch(dt, n):
    """oneDNN (half, batched float) skips the padding: no 0 * inf; the slow path multiplies."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 2, 3, 3)).astype(dt)
    w = rng.standard_normal((2, 2, 2, 2)).astype(dt)
    w[0, 0, 0, 0], w[1, 1, 1, 1] = np.inf, np.nan
    t, e = _both(lambda m, F, x, w: F.conv2d(x, w, padding=1, stride=2), x, w)
    np.testing.assert_array_equal(t[1], e[1])


def test_adaptive_max_pool_takes_the_last_nan():
    x = np.array([[[np.nan, -0.0, np.nan, -0.0, -0.0, np.inf, -np.inf]]])
    t, e = _both(lambda m, F, x: F.adaptive_max_pool1d(x, 3, return_indices=True)[1], x)
    np.testing.assert_array_equal(t[1], e[1])


def test_avg_pool3d_refuses_half():
    x = np.ones((1, 2, 3, 3, 3), dtype="float16")
    t, e = _both(lambda m, F, x: F.avg_pool3d(x, 2), x)
    assert t == e and t[0] == "NotImplementedError"


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("nd,groups,stride,padding,dilation", [
    (2, 1, 1, 2, 1), (2, 2, 2, 1, 1), (2, 1, 1, 1, 2), (1, 1, 2, 1, 1), (3, 1, 1, 1, 1),
    (2, 3, 1, 0, 1)])
def test_input_gradient_as_torch(n, nd, groups, stride, padding, dilation):
    """The input gradient (one product over the whole batch, then col2im's adds with the batch
    innermost) as torch's: values, and torch's contiguous strides (with padding it was the
    padded sum's cropped view: strides (128, 64, 8, 1) for a (1, 2, 6, 6) input)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, 6) + (7,) * nd)
    w = rng.standard_normal((2 * groups, 6 // groups) + (3,) * nd)
    out = []
    for mod in (torch, engine):
        xt, wt = mod.tensor(x, requires_grad=True), mod.tensor(w)
        y = getattr(mod.nn.functional, f"conv{nd}d")(xt, wt, None, stride, padding, dilation,
                                                      groups)
        gi, = mod.autograd.grad((y * y).sum(), xt)
        out.append((tuple(gi.stride()), gi.detach().numpy() if mod is torch else
                    engine.to_numpy(gi)))
    assert out[0][0] == out[1][0]
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bound,made", [(None, 1), (4 * 27 * 81 - 1, 2)])
def test_weight_gradient_takes_the_forward_columns(monkeypatch, bound, made):
    """A convolution whose weight requires grad keeps its im2col columns for the weight
    gradient: the backward makes no second copy (LeNet's step made four, two of them again).
    Columns over ``KEEP_COLUMNS`` elements are not kept (here 4 x 27 x 81)."""
    from engine.ops import conv

    if bound is not None:
        monkeypatch.setattr(conv, "KEEP_COLUMNS", bound)
    calls = []
    columns = conv._columns
    monkeypatch.setattr(conv, "_columns", lambda *a: calls.append(1) or columns(*a))
    rng = np.random.default_rng(3)
    x = engine.tensor(rng.standard_normal((4, 3, 9, 9)).astype("float32"), requires_grad=True)
    w = engine.tensor(rng.standard_normal((5, 3, 3, 3)).astype("float32"), requires_grad=True)
    EF.conv2d(x, w, padding=1).sum().backward()
    assert len(calls) == made and w.grad is not None and x.grad is not None


@pytest.mark.parametrize("change", ["data", "hook"])
def test_weight_gradient_reads_the_input_as_it_is_at_backward(change):
    """Kept columns are used only while the saved input still holds the values they came from:
    torch's kernel reads the input at backward time, so a change its version counter does not
    see (in place through ``.data``; a saved-tensor hook unpacking other values) shows in the
    weight's gradient."""
    rng = np.random.default_rng(4)
    xa = rng.standard_normal((2, 3, 6, 6))
    wa = rng.standard_normal((4, 3, 3, 3))
    grads = []
    for mod in (torch, engine):
        x, w = mod.tensor(xa), mod.tensor(wa, requires_grad=True)
        if change == "data":
            y = mod.nn.functional.conv2d(x, w, padding=1)
            x.data.mul_(2.0)
        else:
            hooks = torch.autograd.graph if mod is torch else saved_hooks  # (the language's
            with hooks.saved_tensors_hooks(lambda t: t, lambda t: t * 3):  # torch.autograd.graph)
                y = mod.nn.functional.conv2d(x, w, padding=1)
        (y * y).sum().backward()
        grads.append(w.grad.numpy() if mod is torch else engine.to_numpy(w.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-12)
