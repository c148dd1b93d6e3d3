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
