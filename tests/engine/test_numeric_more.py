"""engine/ops/numeric_more.py against torch 2.13 beyond what the differential suite draws:
Tensor.unfold (a method only: its gradchecks, strides and views are here), histogram (not
differentiable: no samples), the trapezoid family's argument forms and edge cases, frexp and
nextafter at the edges, renorm's checks, and a program through the language."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

Y = [1.0, 2.0, 3.0, 4.0, 5.0]
XS = [0.0, 1.0, 3.0, 4.0, 7.0]


def test_nextafter_as_torch():
    compare(lambda m, F, leaf: m.nextafter(leaf([1.0, 2.0, 3.0, 0.0]),
                                           leaf([2.0, 1.0, 3.0, -0.0])))
    compare(lambda m, F, leaf: m.nextafter(m.tensor([1.0], dtype=m.float16), m.tensor([2.0])))
    compare(lambda m, F, leaf: m.nextafter(m.tensor([1, 2]), m.tensor([2, 3])))
    compare(lambda m, F, leaf: m.nextafter(m.tensor([True]), m.tensor([False])))
    compare(lambda m, F, leaf: m.nextafter(m.tensor([1.0]), 2.0))
    compare(lambda m, F, leaf: leaf([1.0, 2.0]).mul(1).nextafter_(m.tensor([0.0, 5.0])))
    compare(lambda m, F, leaf: m.tensor([1.0, 2.0]).nextafter_(3.0))


def test_frexp_as_torch():
    special = [0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-30, -3.0, 5.0]
    compare(lambda m, F, leaf: tuple(m.frexp(m.tensor(special))))
    compare(lambda m, F, leaf: tuple(m.frexp(m.tensor([65504.0, 6e-8, 1e-5],
                                                      dtype=m.float16))))
    compare(lambda m, F, leaf: tuple(m.frexp(m.tensor([1e-310, 1e308], dtype=m.float64))))
    compare(lambda m, F, leaf: m.frexp(m.tensor([1, 2])))
    # exp2 of an int32 exponent is float32 in torch's gradient: inf below its range, 0 above
    compare(lambda m, F, leaf: m.frexp(leaf([1e-310, 3.0, 1e300])).mantissa)
    assert repr(engine.frexp(engine.tensor([3.0]))) == repr(torch.frexp(torch.tensor([3.0])))


FORMS = [
    ((Y,), {}), ((Y,), {"dx": 2.0}), ((Y,), {"dx": 2}), ((Y, XS), {}), ((Y,), {"x": XS}),
    (([1, 2, 3],), {}), (([1, 2, 3],), {"dx": 2}), (([1, 2, 3],), {"x": [1, 2, 4]}),
    ((1.0,), {}), (([],), {}), (([1.0],), {}), ((Y,), {"x": [1.0, 2.0]}), ((Y,), {"x": 1.0}),
    ((Y, 2.0), {}), ((Y,), {"dim": 1}), ((Y,), {"dx": None}), ((Y,), {"dx": True}),
    ((Y,), {"dx": "T0"}), ((Y,), {"dx": "T1"}), ((Y,), {"x": "bool"}),
]


def _form(m, leaf, args, kwargs):
    def conv(v, grad):
        if isinstance(v, list) or isinstance(v, float) and grad:
            floating = any(isinstance(e, float) for e in v) if isinstance(v, list) else True
            return leaf(v) if grad and floating and v != [] else m.tensor(v)
        if v == "T0":
            return m.tensor(2.0)
        if v == "T1":
            return m.tensor([2.0])
        if v == "bool":
            return m.ones(5, dtype=m.bool)
        return v

    return (tuple(conv(a, i == 0) for i, a in enumerate(args)),
            {k: conv(v, False) for k, v in kwargs.items()})


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("form", range(len(FORMS)))
def test_trapezoid_forms_as_torch(name, form):
    args, kwargs = FORMS[form]

    def case(m, F, leaf):
        a, k = _form(m, leaf, args, kwargs)
        return getattr(m, name)(*a, **k)

    compare(case, rtol=1e-12)


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid_shapes_and_dtypes_as_torch(name):
    def f(*a, **k):
        compare(lambda m, F, leaf: getattr(m, name)(*[v(m) for v in a], **{
            key: v(m) if callable(v) else v for key, v in k.items()}), rtol=1e-6)

    f(lambda m: m.ones(2, 3, dtype=m.float16), x=lambda m: m.tensor([1.0, 2.0, 4.0]))
    f(lambda m: m.ones(2, 3, dtype=m.float16), dx=2)
    f(lambda m: m.ones(2, 3), x=lambda m: m.ones(3, 2))
    f(lambda m: m.arange(6.0).reshape(2, 3), x=lambda m: m.arange(3.0).reshape(1, 3) ** 2)
    f(lambda m: m.arange(6.0).reshape(2, 3), x=lambda m: m.arange(2.0).reshape(2, 1) ** 2,
      dim=0)
    f(lambda m: m.ones(2, 3, dtype=m.bool))
    f(lambda m: m.ones(0, 3), dim=0)
    f(lambda m: m.ones(0, 3, dtype=m.int64), dim=0)
    f(lambda m: m.arange(24.0).reshape(2, 3, 4), x=lambda m: m.arange(12.0).reshape(3, 4) ** 2,
      dim=1)
    f(lambda m: m.tensor([1, 2, 3]), x=lambda m: m.tensor([1.0, 2.0, 4.0], dtype=m.float64))


A = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("call", [
    lambda m, x: m.renorm(x, 2, 0, 5), lambda m, x: x.renorm(1, 1, 10.0),
    lambda m, x: m.renorm(x, 2, 0, maxnorm=5), lambda m, x: m.renorm(x, float("inf"), 0, 1),
    lambda m, x: m.renorm(x, 2.5, 1, 3), lambda m, x: m.renorm(x, -1, 0, 1),
    lambda m, x: m.renorm(x, 0, 0, 1), lambda m, x: m.renorm(x, 2, 0, -1.5),
    lambda m, x: m.renorm(x, 2, 2, 1), lambda m, x: m.renorm(x[0], 2, 0, 1),
    lambda m, x: m.renorm(x.sum(), 2, 0, 1), lambda m, x: m.renorm(x.long(), 2, 0, 1),
    lambda m, x: m.renorm(x[:0], 2, 0, 1),
    lambda m, x: (x * 1).renorm_(2, 0, 5), lambda m, x: x.detach().clone().renorm_(2, 0, 5),
])
def test_renorm_as_torch(call):
    compare(lambda m, F, leaf: call(m, leaf(A.tolist())), rtol=1e-12)


def test_renorm_half_as_torch():
    # (float16: an element of the gradient that cancels to ~1e-5 keeps float16's absolute error)
    compare(lambda m, F, leaf: m.renorm(leaf(A.tolist()).half(), 2, 0, 1), rtol=1e-3,
            atol=1e-6)


# ---- Tensor.unfold (the view method)
def _both(fn):
    ours = fn(engine, engine.tensor)
    theirs = fn(torch, torch.tensor)
    return ours, theirs


@pytest.mark.parametrize("shape,args", [
    ((10,), (0, 3, 2)), ((3, 4), (1, 2, 1)), ((3, 4), (0, 3, 3)), ((3, 4), (-1, 4, 3)),
    ((3, 4), (1, 0, 1)), ((2, 3, 5), (2, 2, 2)), ((2, 3, 5), (1, 1, 1)), ((), (0, 1, 1)),
    ((), (0, 0, 1)), ((3, 4), (1, 5, 1)), ((3, 4), (1, 2, 0)), ((3, 4), (1, -1, 1)),
    ((3, 4), (2, 2, 1)), ((), (0, 2, 1)), ((3, 4), (1, 2.0, 1)),
])
def test_unfold_values_strides_and_errors_as_torch(shape, args):
    def case(m, F, leaf):
        x = leaf(np.arange(float(np.prod(shape))).reshape(shape).tolist())
        return x.unfold(*args)

    compare(case)
    try:
        ours, theirs = _both(lambda m, t: m.arange(float(np.prod(shape))).reshape(shape)
                             .unfold(*args))
    except (RuntimeError, IndexError, TypeError):
        return
    assert ours.stride() == theirs.stride()
    assert ours.unfold is not None


def test_unfold_of_a_transposed_view_and_keywords_as_torch():
    ours, theirs = _both(lambda m, t: m.arange(12.0).reshape(3, 4).t().unfold(0, 2, 1))
    assert ours.stride() == theirs.stride()
    assert np.array_equal(engine.to_numpy(ours), theirs.numpy())
    compare(lambda m, F, leaf: leaf(list(range(10))).float().unfold(
        dimension=0, size=3, step=2))


def test_unfold_is_a_view_written_through_as_torch():
    def case(m, F, leaf):
        x = leaf([float(i) for i in range(10)])
        y = x * 2
        w = y.unfold(0, 3, 3)
        w.mul_(2)
        return y, w

    compare(case)
    # (writing in place into overlapping windows is undefined in torch: its result follows
    # its loop order; not compared)


@pytest.mark.parametrize("shape,args", [((7,), (0, 3, 2)), ((3, 5), (1, 2, 1)),
                                        ((4, 3), (0, 2, 3)), ((), (0, 1, 1)),
                                        ((2, 3, 4), (1, 3, 1))])
def test_unfold_gradcheck_first_and_second_order(shape, args):
    rng = np.random.default_rng(3)
    x = engine.tensor(rng.normal(size=shape), dtype=engine.float64, requires_grad=True)
    assert gradcheck(lambda t: t.unfold(*args), (x,))
    assert gradgradcheck(lambda t: t.unfold(*args), (x,))
    # non-contiguous input
    if len(shape) >= 2:
        xt = engine.tensor(rng.normal(size=shape[::-1]), dtype=engine.float64,
                           requires_grad=True)
        rev = tuple(range(len(shape)))[::-1]
        assert gradcheck(lambda t: t.permute(rev).unfold(*args), (xt,))


def test_unfold_node_names_as_torch():
    def case(m, F, leaf):
        x = leaf([float(i) for i in range(7)])
        u = x.unfold(0, 3, 2)
        g = m.autograd.grad((u * u).sum(), x, create_graph=True)[0]
        return u, g

    compare(case)


def test_f_unfold_is_still_the_im2col_op():
    assert engine.ops.lookup("unfold").signature.startswith("unfold(input, kernel_size")


# ---- histogram
X = [1.0, 2.0, 1.0, 2.5, 4.0, -1.0]


@pytest.mark.parametrize("call", [
    lambda m: m.histogram(m.tensor(X)), lambda m: m.histogram(m.tensor(X), 4),
    lambda m: m.histogram(m.tensor(X), bins=4, range=(0.0, 3.0)),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0, 1.0, 2.0, 5.0])),
    lambda m: m.histogram(m.tensor(X), 3, weight=m.tensor([1.0, 2, 3, 4, 5, 6]),
                          density=True),
    lambda m: m.histogram(m.tensor(X), 3, density=True), lambda m: m.tensor(X).histogram(3),
    lambda m: m.histogram(m.tensor([1, 2]), 3),
    lambda m: m.histogram(m.tensor(X, dtype=m.float64), 3),
    lambda m: m.histogram(m.tensor(X, dtype=m.float16), 3),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0, 1.0, 2.0, 5.0], dtype=m.float64)),
    lambda m: m.histogram(m.tensor(X), 3, weight=m.ones(6, dtype=m.float64)),
    lambda m: m.histogram(m.tensor(X), 3, weight=m.ones(5)),
    lambda m: m.histogram(m.tensor(X), 0), lambda m: m.histogram(m.tensor(X), -1),
    lambda m: m.histogram(m.tensor(X), 3, range=(3.0, 1.0)),
    lambda m: m.histogram(m.tensor([]), 3), lambda m: m.histogram(m.tensor([2.0, 2.0]), 3),
    lambda m: m.histogram(m.tensor([float("nan"), 1.0]), 3),
    lambda m: m.histogram(m.tensor([float("inf"), 1.0]), 3),
    lambda m: m.histogram(m.tensor([float("inf"), 1.0]), 3, range=(0.0, 2.0)),
    lambda m: m.histogram(m.tensor([[1.0, 2.0], [3.0, 4.0]]), 3),
    lambda m: m.histogram(m.tensor(X), m.tensor([[0.0, 1.0], [2.0, 5.0]])),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0, 2.0, 1.0, 5.0])),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0])),
    lambda m: m.histogram(m.tensor(X), 3, range=(0, 3)),
    lambda m: m.histogram(m.tensor(X), m.tensor([0.0, 1.0, 2.0, 5.0]), range=(0.0, 1.0)),
    lambda m: m.histogram(m.tensor(X), 3, range=(float("nan"), 1.0)),
    lambda m: m.histogram(m.tensor(X), 3.5), lambda m: m.histogram(m.tensor(X), m.tensor([1, 2])),
    lambda m: m.histogram(m.tensor([0.1, 0.2, 0.3, 0.7]), 10, range=(0.0, 1.0)),
])
def test_histogram_as_torch(call):
    compare(lambda m, F, leaf: tuple(call(m)), rtol=0.0, atol=0.0)


def test_histogram_bins_and_edges_on_random_data_as_torch():
    rng = np.random.default_rng(11)
    for dtype, n in (("float32", 1000), ("float64", 500), ("float32", 7)):
        data = (rng.normal(size=n) * rng.uniform(0.1, 100)).astype(dtype)
        for bins in (1, 3, 10, 100, 257):
            ours = engine.histogram(engine.tensor(data), bins)
            theirs = torch.histogram(torch.tensor(data), bins)
            assert np.array_equal(engine.to_numpy(ours.bin_edges), theirs.bin_edges.numpy())
            assert np.array_equal(engine.to_numpy(ours.hist), theirs.hist.numpy())


def test_histogram_records_torch_not_implemented_node():
    def case(m, F, leaf):
        h, e = m.histogram(leaf([1.0, 2.0, 3.0], dtype=m.float32), 3)
        return h, e, h.requires_grad

    compare(case, grads=False)
    h, _ = engine.histogram(engine.tensor([1.0, 2.0], requires_grad=True), 3)
    with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
        h.sum().backward()


PROGRAM = """
import torch
y = torch.tensor([1.0, 2.0, 4.0, 3.0], dtype=torch.float64, requires_grad=True)
x = torch.tensor([0.0, 0.5, 2.0, 3.0], dtype=torch.float64)
area = torch.trapezoid(y, x) + torch.trapz(y, dx=0.5) + torch.cumulative_trapezoid(y).sum()
w = y.unfold(0, 2, 1)
area = area + (w * w).sum() + torch.renorm(w, 2, 0, 1.5).sum()
m, e = torch.frexp(y)
area = area + m.sum() + torch.nextafter(y, x).sum()
area.backward()
print(round(area.item(), 10), [round(g, 10) for g in y.grad.tolist()], e.tolist())
h = torch.histogram(y.detach(), 3)
print(h.hist.tolist(), [round(v, 6) for v in h.bin_edges.tolist()], w.stride())
"""


def test_a_program_reaches_them_through_the_language():
    from tests.app.lang.test_library_end_to_end import ours, torch_prints

    assert ours(PROGRAM) == torch_prints(PROGRAM)
