"""``nn.MultiLabelMarginLoss``, ``nn.PairwiseDistance``, ``nn.CosineSimilarity`` and
``nn.TripletMarginWithDistanceLoss`` (any distance: the default, a module, a function) against
torch 2.13 in float64: values, node names, gradients, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import nn

pytest.importorskip("engine.ops.distance")
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(13)
A, P, N = (RNG.normal(size=(5, 4)) for _ in range(3))


def both(build):
    """(ours, torch's): ``build(nn, F)`` with each library."""
    return build(nn, engine.nn.functional), build(torch.nn, torch.nn.functional)


def run(module, lib):
    xs = [lib.tensor(v, requires_grad=True) for v in (A, P, N)]
    out = module(*xs)
    grads = lib.autograd.grad(out.sum(), xs)
    return out, grads


CASES = {
    "default": lambda nn, F: nn.TripletMarginWithDistanceLoss(),
    "swap, margin, none": lambda nn, F: nn.TripletMarginWithDistanceLoss(
        margin=0.5, swap=True, reduction="none"),
    "cosine module": lambda nn, F: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.CosineSimilarity(), reduction="sum"),
    "function": lambda nn, F: nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y), swap=True),
    "L1 pairwise": lambda nn, F: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(p=1, keepdim=True)),
}


@pytest.mark.parametrize("name", CASES)
def test_triplet_margin_with_distance_matches_torch(name):
    ours, theirs = both(CASES[name])
    (out, grads), (ref, ref_grads) = run(ours, engine), run(theirs, torch)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    assert out.grad_fn.name() == ref.grad_fn.name()
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-14)
    assert repr(ours) == repr(theirs)


def test_distance_modules_match_torch():
    for build in (lambda nn: nn.PairwiseDistance(), lambda nn: nn.PairwiseDistance(3, 1e-3, True),
                  lambda nn: nn.CosineSimilarity(), lambda nn: nn.CosineSimilarity(0, 1e-3)):
        ours, theirs = build(nn), build(torch.nn)
        out = ours(engine.tensor(A), engine.tensor(P))
        np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(A), torch.tensor(P)).numpy(),
                                   rtol=1e-12)
        assert repr(ours) == repr(theirs)


def test_triplet_margin_with_distance_errors_are_torchs():
    with pytest.raises(ValueError, match="^TripletMarginWithDistanceLoss: expected margin to "
                                         "be greater than 0, got 0 instead$"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D inputs"):
        nn.TripletMarginWithDistanceLoss()(engine.ones(2, 2), engine.ones(2), engine.ones(2, 2))


def test_a_gradcheck_through_a_user_distance():
    xs = [engine.tensor(v, requires_grad=True) for v in (A, P, N)]
    loss = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: (x - y).pow(2).sum(-1), margin=2.0)
    assert engine.autograd.gradcheck(lambda a, p, n: loss(a, p, n), xs)
    assert engine.autograd.gradgradcheck(lambda a, p, n: loss(a, p, n), xs)


TARGETS = [[[3, 0, -1, 1], [1, 1, -1, 0], [-1, 2, 3, 0]],  # up to the first -1; repeats count
           [[0, 1, 2, 3]] * 3, [[2, -1, -1, -1]] * 3]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("target", TARGETS, ids=["ends", "all", "one"])
def test_multilabel_margin_loss_matches_torch(target, reduction):
    x = RNG.normal(size=(3, 4))
    weight = RNG.normal(size=(3,) if reduction == "none" else ())
    results = []
    for lib in (engine, torch):
        xs = lib.tensor(x, requires_grad=True)
        out = lib.nn.MultiLabelMarginLoss(reduction=reduction)(xs, lib.tensor(target))
        (out * lib.tensor(weight)).sum().backward()
        results.append((out.detach().numpy(), out.grad_fn.name(), xs.grad.numpy()))
    (out, name, grad), (ref, ref_name, ref_grad) = results
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    assert name == ref_name == "MultilabelMarginLossBackward0" and out.shape == ref.shape
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12)


def test_multilabel_margin_loss_of_one_sample_and_its_errors():
    x = RNG.normal(size=4)
    ours, ref = (lib.nn.functional.multilabel_margin_loss(
        lib.tensor(x), lib.tensor([3, 0, -1, 1]), reduction="none") for lib in (engine, torch))
    assert ours.shape == () and float(ours) == pytest.approx(float(ref), rel=1e-12)
    for x, y in [(engine.ones(3, 4), engine.tensor([1, 2, 3, 0])),
                 (engine.ones(3, 4), engine.tensor([[4, 0, -1, 1]] * 3)),
                 (engine.ones(3, 4), engine.tensor([[-2, 0, -1, 1]] * 3)),
                 (engine.ones(3, 4), engine.tensor([[1.0, 0, -1, 1]] * 3)),
                 (engine.ones(2, 2, 2), engine.ones(2, 2, 2, dtype=engine.int64))]:
        with pytest.raises(RuntimeError) as ours_err:
            engine.nn.functional.multilabel_margin_loss(x, y)
        with pytest.raises(RuntimeError) as torch_err:
            torch.nn.functional.multilabel_margin_loss(torch.tensor(x.numpy()),
                                                       torch.tensor(y.numpy()))
        assert str(ours_err.value) == str(torch_err.value)
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"
