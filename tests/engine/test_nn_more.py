"""torch.nn pieces that were missing (issue 10/11, session 11), each against torch 2.13 side by
side: ``F.pdist`` / ``torch.pdist`` (values, gradients, node chains, the refused second
derivative and forward mode, errors)."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.nn.functional as EF

torch = pytest.importorskip("torch")
from .torch_compare import compare, graph_names  # noqa: E402

RNG = np.random.default_rng(11)
PS = [0, 0.5, 1, 1.5, 2, 3, float("inf")]


# --------------------------------------------------------------------------- pdist
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pdist_matches_torch(p, dtype):
    x = RNG.standard_normal((5, 3)).tolist()

    def case(m, F, leaf):
        return F.pdist(leaf(x, getattr(m, dtype)), p)

    compare(case, rtol=1e-10)


@pytest.mark.parametrize("p", PS)
def test_pdist_zero_distance_pairs_and_equal_columns_give_zero_gradient(p):
    # rows 0 and 1 coincide (that pair's gradient is 0 for every p); rows 0 and 2 share a column
    x = [[1.0, 2.0], [1.0, 2.0], [1.0, 5.0], [3.0, 4.0]]

    def case(m, F, leaf):
        return F.pdist(leaf(x), p)

    compare(case, rtol=1e-12)


@pytest.mark.parametrize("p", PS)
def test_pdist_infinities_and_nans_as_torch(p):
    inf, nan = float("inf"), float("nan")
    x = [[inf, 1.0], [inf, 2.0], [nan, 0.0], [-inf, 3.0], [0.5, 0.25]]

    def case(m, F, leaf):
        return F.pdist(leaf(x), p)

    compare(case)


@pytest.mark.parametrize("shape", [(1, 3), (3, 0), (2, 0), (1, 0)])
def test_pdist_degenerate_shapes(shape):
    x = np.ones(shape).tolist() if shape[1] else np.zeros(shape)

    def case(m, F, leaf):
        t = leaf(x) if shape[1] else m.zeros(shape, dtype=m.float64, requires_grad=True)
        return F.pdist(t)

    compare(case)


def test_pdist_non_contiguous_input_is_cloned_first():
    x = RNG.standard_normal((3, 5)).tolist()

    def case(m, F, leaf):
        return F.pdist(leaf(x).t(), 1.5), F.pdist(leaf(x)[::2], 2)

    compare(case, rtol=1e-12)


def test_pdist_gradient_node_refuses_double_backward():
    x = RNG.standard_normal((4, 3))

    def chain(m, t):
        y = m.pdist(t)
        (g,) = (engine.grad if m is engine else torch.autograd.grad)(
            y.sum(), t, create_graph=True)
        return g

    a = chain(engine, engine.tensor(x, requires_grad=True))
    b = chain(torch, torch.tensor(x, requires_grad=True))
    assert graph_names(a) == graph_names(b)
    assert a.grad_fn.name() == "PdistBackwardBackward0"
    with pytest.raises(NotImplementedError) as e:
        a.sum().backward()
    with pytest.raises(NotImplementedError) as f:
        b.sum().backward()
    assert str(e.value) == str(f.value) == \
        "the derivative for '_pdist_backward' is not implemented."


def test_pdist_forward_mode_is_refused_with_torchs_text():
    x = RNG.standard_normal((3, 2))
    import torch.autograd.forward_ad as tfw

    import engine.autograd.forward_ad as efw

    texts = []
    for m, fw in ((engine, efw), (torch, tfw)):
        with fw.dual_level():
            d = fw.make_dual(m.tensor(x), m.ones(3, 2, dtype=m.float64))
            with pytest.raises(NotImplementedError) as e:
                m.pdist(d)
            texts.append(str(e.value))
    assert texts[0] == texts[1]


@pytest.mark.parametrize("call", [
    lambda m, F, x: F.pdist(x[0]),
    lambda m, F, x: F.pdist(x.unsqueeze(0)),
    lambda m, F, x: F.pdist(x.long()),
    lambda m, F, x: F.pdist(x[0].long(), -1),
    lambda m, F, x: F.pdist(x.long(), -1),
    lambda m, F, x: F.pdist(x, -1),
    lambda m, F, x: F.pdist(x, float("nan")),
    lambda m, F, x: F.pdist(x.half()),
    lambda m, F, x: F.pdist(x.half(), -1),
    lambda m, F, x: F.pdist(x.bool()),
    lambda m, F, x: F.pdist(x, "a"),
    lambda m, F, x: F.pdist([1.0, 2.0]),
    lambda m, F, x: F.pdist(x, 2, 3),
    lambda m, F, x: F.pdist(x[:1].half()),
    lambda m, F, x: F.pdist(x[:, :0].half()),
    lambda m, F, x: F.pdist(x, m.tensor(3.0)),
    lambda m, F, x: F.pdist(x, True),
])
def test_pdist_errors_match_torch(call):
    x = RNG.standard_normal((3, 2)).tolist()

    def case(m, F, leaf):
        return call(m, F, leaf(x))

    compare(case)


def test_pdist_half_backward_refused_as_torch():
    def case(m, F, leaf):
        return F.pdist(leaf([[1.0, 2.0]], m.float16))

    compare(case)


def test_pdist_is_torch_pdist_and_gradchecks():
    assert EF.pdist is engine.pdist
    x = engine.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    for p in (1.0, 1.5, 2.0, 3.0, float("inf")):
        assert engine.autograd.gradcheck(lambda t, p=p: EF.pdist(t, p), (x,))


# --------------------------------------------------------------------------- adaptive softmax
def _asm_pair(*args, **kwargs):
    """The same AdaptiveLogSoftmaxWithLoss in both libraries (torch's initial weights)."""
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).double()
    ours = engine.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).double()
    ours.load_state_dict({k: engine.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("args,kwargs", [
    ((8, 10, [3, 6]), {"div_value": 2.0, "head_bias": True}),
    ((6, 5, (2,)), {}),
    ((16, 30, [4, 10, 20]), {"div_value": 3.0})])
def test_adaptive_log_softmax_repr_state_dict_and_attributes(args, kwargs):
    ours, theirs = _asm_pair(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias",
                 "shortlist_size", "n_clusters", "head_size"):
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize("target", [[0, 4, 9, 2, 7], [1, 1, 2, 0, 2], [9, 8, 7, 6, 9],
                                    [5, 3, 4, 3, 5], [7]])
def test_adaptive_log_softmax_forward_values_nodes_and_gradients(target):
    ours, theirs = _asm_pair(8, 10, [3, 6], div_value=2.0, head_bias=True)
    x = RNG.standard_normal((len(target), 8))
    xe, xt = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = ours(xe, engine.tensor(target)), theirs(xt, torch.tensor(target))
    assert type(a).__name__ == type(b).__name__ == "_ASMoutput"
    assert a._fields == b._fields == ("output", "loss")
    assert repr(a) == repr(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(engine.to_numpy(u), v.detach().numpy(), rtol=1e-12)
        assert graph_names(u) == graph_names(v)
    a.loss.backward()
    b.loss.backward()
    np.testing.assert_allclose(engine.to_numpy(xe.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-15)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters(),
                                  strict=True):
        assert n1 == n2
        assert (p1.grad is None) == (p2.grad is None), n1
        if p1.grad is not None:
            np.testing.assert_allclose(engine.to_numpy(p1.grad), p2.grad.numpy(), rtol=1e-10,
                                       atol=1e-15)


def test_adaptive_log_softmax_unbatched_input():
    ours, theirs = _asm_pair(6, 5, [2])
    x = RNG.standard_normal(6)
    for target in (0, 4):
        a = ours(engine.tensor(x, requires_grad=True), engine.tensor(target))
        b = theirs(torch.tensor(x, requires_grad=True), torch.tensor(target))
        assert repr(a) == repr(b)
        assert graph_names(a.output) == graph_names(b.output)


def test_adaptive_log_softmax_log_prob_and_predict_branches():
    ours, theirs = _asm_pair(8, 10, [3, 6], div_value=2.0, head_bias=True)
    x = np.random.default_rng(1).standard_normal((6, 8))  # (the third bias: 1 row outside)
    a = ours.log_prob(engine.tensor(x, requires_grad=True))
    b = theirs.log_prob(torch.tensor(x, requires_grad=True))
    np.testing.assert_allclose(engine.to_numpy(a), b.detach().numpy(), rtol=1e-12)
    assert graph_names(a) == graph_names(b)
    # predict: every head argmax in the shortlist, none, and some (the head's bias decides)
    for bias in ([5, 5, 5, -5, -5], [-5, -5, -5, 5, 5], [0, 0, 0, 0.4, 0.4]):
        with torch.no_grad():
            theirs.head.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        ours.head.bias = engine.nn.Parameter(engine.tensor(bias, dtype=engine.float64))
        a, b = ours.predict(engine.tensor(x)), theirs.predict(torch.tensor(x))
        assert a.dtype == engine.int64
        np.testing.assert_array_equal(engine.to_numpy(a), b.numpy())
    assert 0 < int((b >= 3).sum()) < 6  # the mixed branch was taken


def test_adaptive_log_softmax_gradchecks_first_and_second_order():
    ours, _ = _asm_pair(6, 7, [2, 4], div_value=2.0, head_bias=True)
    x = engine.tensor(RNG.standard_normal((4, 6)), requires_grad=True)
    target = engine.tensor([0, 3, 6, 5])

    def f(t):
        out = ours(t, target)
        return out.output, out.loss

    assert engine.autograd.gradcheck(f, (x,))
    assert engine.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("args", [(8, 10, []), (8, 10, [6, 3]), (8, 10, [0, 3]),
                                  (8, 10, [3, 10]), (8, 10, [3, 3]), (8, 10, [2.5])])
def test_adaptive_log_softmax_bad_cutoffs(args):
    with pytest.raises(ValueError) as a:
        engine.nn.AdaptiveLogSoftmaxWithLoss(*args)
    with pytest.raises(ValueError) as b:
        torch.nn.AdaptiveLogSoftmaxWithLoss(*args)
    assert str(a.value) == str(b.value)


@pytest.mark.parametrize("x_shape,target", [((3, 8), [0, 1]), ((3, 8, 1), [0, 1, 2]),
                                            ((3, 8), 1), ((8,), [[1]]), ((3, 8), [0, 10, 2]),
                                            ((3, 8), [0, -1, 2])])
def test_adaptive_log_softmax_input_errors(x_shape, target):
    ours, theirs = _asm_pair(8, 10, [3, 6])
    x = RNG.standard_normal(x_shape)
    with pytest.raises(RuntimeError) as a:
        ours(engine.tensor(x), engine.tensor(target))
    with pytest.raises(RuntimeError) as b:
        theirs(torch.tensor(x), torch.tensor(target))
    assert str(a.value) == str(b.value)


# --------------------------------------------------------------------------- layouts
def test_layout_names_and_tensor_layout():
    x = engine.ones(2, 3)
    assert x.layout is engine.strided and x.t().layout is engine.strided
    for name in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
                 "sparse_bsc", "_mkldnn", "jagged"):
        assert repr(getattr(engine, name)) == repr(getattr(torch, name)) == f"torch.{name}"
        assert str(getattr(engine, name)) == str(getattr(torch, name))
        assert isinstance(getattr(engine, name), engine.layout)
    assert engine.strided != engine.sparse_coo and engine.strided == engine.strided
    with pytest.raises(TypeError) as a:
        engine.layout()
    with pytest.raises(TypeError) as b:
        torch.layout()
    assert str(a.value) == str(b.value)


FACTORY_CALLS = [
    lambda m, **kw: m.zeros(2, 3, **kw), lambda m, **kw: m.ones((2,), **kw),
    lambda m, **kw: m.empty(2, **kw).shape, lambda m, **kw: m.full((2,), 1.5, **kw),
    lambda m, **kw: m.arange(3, **kw), lambda m, **kw: m.linspace(0, 1, 3, **kw),
    lambda m, **kw: m.logspace(0, 1, 3, **kw), lambda m, **kw: m.eye(2, **kw),
    lambda m, **kw: m.zeros_like(m.ones(2), **kw), lambda m, **kw: m.ones_like(m.ones(2), **kw),
    lambda m, **kw: m.full_like(m.ones(2), 3, **kw),
    lambda m, **kw: m.empty_like(m.ones(2), **kw).shape,
    lambda m, **kw: m.rand(2, **kw).shape, lambda m, **kw: m.randn(2, **kw).shape,
    lambda m, **kw: m.rand_like(m.ones(2), **kw).shape,
    lambda m, **kw: m.randn_like(m.ones(2), **kw).shape,
    lambda m, **kw: m.randint(3, (2,), **kw).shape, lambda m, **kw: m.randperm(3, **kw).shape,
    lambda m, **kw: m.normal(0.0, 1.0, (2,), **kw).shape,
    lambda m, **kw: m.tril_indices(3, 3, **kw), lambda m, **kw: m.triu_indices(3, 3, **kw),
    lambda m, **kw: m.ones(2).new_zeros(2, **kw), lambda m, **kw: m.ones(2).new_ones(2, **kw),
    lambda m, **kw: m.ones(2).new_empty(2, **kw).shape,
    lambda m, **kw: m.ones(2).new_full((2,), 4.0, **kw),
]


@pytest.mark.parametrize("k", range(len(FACTORY_CALLS)))
@pytest.mark.parametrize("kw", [{"layout": "strided"}, {"layout": None, "pin_memory": False},
                                {"pin_memory": True}, {"pin_memory": 1},
                                {"layout": "strided", "pin_memory": None}, {"layout": 3}])
def test_factories_take_layout_and_pin_memory_as_torch(k, kw):
    call = FACTORY_CALLS[k]

    def side(m):
        args = {key: (m.strided if v == "strided" else v) for key, v in kw.items()}
        try:
            value = call(m, **args)
        except Exception as e:  # noqa: BLE001 (compared between the libraries)
            base = next(c for c in type(e).__mro__
                        if c in (TypeError, RuntimeError, ValueError, NotImplementedError))
            return base, str(e)
        if isinstance(value, (engine.Tensor, torch.Tensor)):
            return (str(value.dtype).replace("torch.", ""), tuple(value.shape),
                    value.tolist())
        return tuple(value)

    ours, theirs = side(engine), side(torch)  # (random factories: their shapes compared)
    if isinstance(theirs[0], type) and "invalid combination" in theirs[1]:
        # a factory with several overloads: torch lists them all for a wrongly typed keyword;
        # the engine names the keyword (same exception class)
        assert ours[0] is theirs[0] and "argument" in ours[1]
        return
    assert ours == theirs


@pytest.mark.parametrize("layout", ["sparse_coo", "sparse_csr", "_mkldnn"])
def test_non_strided_layouts_are_refused(layout):
    with pytest.raises(engine.errors.NotSupported, match="layout=torch." + layout):
        engine.zeros(2, 2, layout=getattr(engine, layout))


def test_tensor_takes_pin_memory_but_not_layout():
    assert engine.tensor([1.0], pin_memory=False).tolist() == [1.0]
    for kw in ({"pin_memory": True}, {"layout": engine.strided}):
        with pytest.raises(Exception) as a:
            engine.tensor([1.0], **kw)
        with pytest.raises(Exception) as b:
            torch.tensor([1.0], **{k: (torch.strided if v is engine.strided else v)
                                   for k, v in kw.items()})
        assert str(a.value) == str(b.value)


def test_nn_parallel_names_data_parallel():
    import engine.nn.parallel

    assert engine.nn.parallel.DataParallel is engine.nn.DataParallel
    assert engine.nn.parallel.__all__ == ["DataParallel"]


# --------------------------------------------------------------------------- the language
def test_the_new_pieces_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
             "torch.manual_seed(0)\n"
             "asm = nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0)\nprint(asm)\n"
             "print(list(asm.state_dict().keys()))\n"
             "x = torch.linspace(-1, 1, 12).reshape(3, 4).requires_grad_()\n"
             "res = asm(x, torch.tensor([0, 3, 5]))\nout, loss = res\n"
             "print(res.output.shape, res.loss.grad_fn.name(), type(res).__name__)\n"
             "loss.backward()\nprint(x.grad.shape)\n"
             "print(asm.log_prob(x).shape, asm.predict(x).dtype)\n"
             "d = F.pdist(x, 1.5)\nprint(d.grad_fn.name(), torch.pdist(x).shape)\n",
             "print(x.layout, torch.strided, x.layout == torch.strided)\n"
             "print(type(x.layout), isinstance(x.layout, torch.layout))\n"
             "print(torch.zeros(2, layout=torch.strided, pin_memory=False))\n"
             "print(x.new_ones(2, layout=torch.strided), torch.ones_like(x, layout=None).layout)\n"
             "try:\n    torch.zeros(2, pin_memory=True)\nexcept RuntimeError as e:\n"
             "    print('E', e)\n"
             "from torch.nn.parallel import DataParallel\n"
             "print(DataParallel is nn.DataParallel)\n"
             "import torch.nn.parallel\nprint(torch.nn.parallel.DataParallel(nn.Linear(2, 1)))\n"]
    assert run_ours(cells) == run_torch(cells)


# --------------------------------------------------------------------------- lazy instance norm
LAZY_IN_SHAPES = {1: (2, 3, 5), 2: (2, 3, 4, 5), 3: (1, 3, 2, 3, 4)}


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"track_running_stats": False},
                                {"bias": False}, {"affine": False, "track_running_stats": False},
                                {"eps": 1e-3, "momentum": None}])
def test_lazy_instance_norm_matches_torch(n, kw):
    import warnings

    ours = getattr(engine.nn, f"LazyInstanceNorm{n}d")(**kw)
    theirs = getattr(torch.nn, f"LazyInstanceNorm{n}d")(**kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = RNG.standard_normal(LAZY_IN_SHAPES[n])
    xa, xb = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    caught = []
    for m, t in ((ours, xa), (theirs, xb)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = m.double()(t)  # (a cast before the first call keeps the buffers lazy)
        caught.append(([str(i.message) for i in w], y))
    assert caught[0][0] == caught[1][0]
    ya, yb = caught[0][1], caught[1][1]
    assert type(ours).__name__ == type(theirs).__name__ == f"InstanceNorm{n}d"
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(engine.to_numpy(ya), yb.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert graph_names(ya) == graph_names(yb)
    sa, sb = ours.state_dict(), theirs.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_allclose(engine.to_numpy(sa[k]), sb[k].numpy(), rtol=1e-10)


def test_lazy_instance_norm_unbatched_and_rank_errors():
    # unbatched: torch sizes the layer by dim 1 (the length), then refuses the channel count
    for args in ((3, 5), (2, 3, 4, 5)):
        x = RNG.standard_normal(args)
        with pytest.raises(ValueError) as a:
            engine.nn.LazyInstanceNorm1d()(engine.tensor(x))
        with pytest.raises(ValueError) as b:
            torch.nn.LazyInstanceNorm1d()(torch.tensor(x))
        assert str(a.value) == str(b.value)


def test_lazy_batch_norm_cast_before_first_call():
    ours, theirs = engine.nn.LazyBatchNorm1d().double(), torch.nn.LazyBatchNorm1d().double()
    x = RNG.standard_normal((4, 3))
    a, b = ours(engine.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(engine.to_numpy(a), b.detach().numpy(), rtol=1e-12)
    assert ours.running_mean.dtype == engine.float64


# --------------------------------------------------------------------------- CrossMapLRN2d
@pytest.mark.parametrize("size,channels", [(3, 6), (5, 3), (4, 7), (2, 1), (6, 2)])
def test_cross_map_lrn2d_matches_torch(size, channels):
    ours = engine.nn.CrossMapLRN2d(size, 1e-1, 0.75, 2)
    theirs = torch.nn.CrossMapLRN2d(size, 1e-1, 0.75, 2)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = RNG.standard_normal((2, channels, 3, 2)).tolist()

    def case(m, F, leaf):
        return (ours if m is engine else theirs)(leaf(x))

    compare(case, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m, nn, x: nn.CrossMapLRN2d(3)(x[0]),
    lambda m, nn, x: nn.CrossMapLRN2d(3)(x.long()),
])
def test_cross_map_lrn2d_errors_and_dtypes(call):
    x = RNG.standard_normal((1, 4, 2, 2)).tolist()

    def case(m, F, leaf):
        return call(m, m.nn, leaf(x))

    compare(case)


def test_cross_map_lrn2d_float32():
    x = RNG.standard_normal((2, 4, 2, 2)).tolist()

    def case(m, F, leaf):  # (float32 powers may differ from torch's in the last bit)
        return m.nn.CrossMapLRN2d(3, 1e-1)(leaf(x, m.float32))

    compare(case)


def test_cross_map_lrn2d_backward_errors_as_torch():
    x = RNG.standard_normal((1, 4, 2, 2))
    texts = []
    for m in (engine, torch):
        t = m.tensor(x, requires_grad=True)
        with pytest.raises(RuntimeError) as e:  # size 1: torch's narrow of its padded buffer
            m.nn.CrossMapLRN2d(1)(t).sum().backward()
        texts.append(str(e.value))
        y = m.nn.CrossMapLRN2d(3)(t)
        with pytest.raises(RuntimeError) as e:  # a second derivative: its out= writes refuse
            (engine.grad if m is engine else torch.autograd.grad)(y.sum(), t, create_graph=True)
        texts.append(str(e.value))
    assert texts[:2] == texts[2:]
