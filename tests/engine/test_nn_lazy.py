"""Lazy layers against torch 2.13: reprs before and after the first call, the class they
become, shapes read from the first input, the same parameter objects, state_dict keys, and
(with torch's values loaded) outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(43)

CASES = {
    "LazyLinear(3)": (4, 5),
    "LazyLinear(2, bias=False)": (2, 3, 5),
    "LazyConv1d(4, 3, padding=1)": (2, 3, 7),
    "LazyConv2d(6, kernel_size=5, padding=2)": (2, 3, 8, 8),
    "LazyConv2d(4, 3, groups=2, bias=False)": (1, 4, 5, 5),
    "LazyConv2d(2, 3)": (3, 6, 6),
    "LazyConv3d(2, 2)": (1, 2, 3, 3, 3),
    "LazyConvTranspose1d(3, 3, stride=2)": (2, 2, 4),
    "LazyConvTranspose2d(4, 3)": (1, 2, 4, 4),
    "LazyConvTranspose3d(2, 2, stride=2)": (1, 2, 2, 2, 2),
    "LazyBatchNorm1d()": (4, 3),
    "LazyBatchNorm2d(momentum=None)": (2, 3, 4, 4),
    "LazyBatchNorm2d(affine=False)": (2, 3, 4, 4),
    "LazyBatchNorm3d(track_running_stats=False)": (2, 3, 2, 2, 2),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lazy_layer_matches_torch(case):
    theirs, ours = eval("torch.nn." + case), eval("nn." + case)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    before = dict(ours.named_parameters())
    x = RNG.normal(size=CASES[case]).astype(np.float32)
    ours(engine.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == case[4:case.index("(")]
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert all(ours.get_parameter(k) is p for k, p in before.items())
    assert not ours._forward_pre_hooks
    ours.load_state_dict({k: engine.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    xs = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs = ours(xs[0]), theirs(xs[1])
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert outs[0].grad_fn.name() == outs[1].grad_fn.name()
    outs[0].pow(2).sum().backward()
    outs[1].pow(2).sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-4, atol=1e-5)


def test_default_initialisation_bounds_and_an_optimizer_made_before_the_first_call():
    m = nn.LazyLinear(4)
    opt = engine.optim.SGD(m.parameters(), lr=0.1)
    m(engine.ones(2, 50)).sum().backward()
    bound = 1 / 50 ** 0.5
    assert m.weight.shape == (4, 50) and float(m.weight.abs().max()) <= bound
    assert float(m.weight.std()) > bound / 3  # drawn, not left empty
    before = m.weight.detach().clone()
    opt.step()
    assert not engine.equal(before, m.weight.detach())


def lenet(lib):
    return lib.Sequential(
        lib.LazyConv2d(6, kernel_size=5, padding=2), lib.Sigmoid(),
        lib.AvgPool2d(kernel_size=2, stride=2), lib.LazyConv2d(16, kernel_size=5), lib.Sigmoid(),
        lib.AvgPool2d(kernel_size=2, stride=2), lib.Flatten(), lib.LazyLinear(120), lib.Sigmoid(),
        lib.LazyLinear(84), lib.Sigmoid(), lib.LazyLinear(10))


def test_lazy_lenet_in_a_sequential():
    nets = lenet(nn), lenet(torch.nn)
    assert repr(nets[0]) == repr(nets[1])
    nets[0](engine.ones(1, 1, 28, 28))
    nets[1](torch.ones(1, 1, 28, 28))
    assert repr(nets[0]) == repr(nets[1])


@pytest.mark.skipif(not hasattr(engine.Tensor, "__deepcopy__"),
                    reason="Tensor.__deepcopy__ (engine/tensor.py, issue 10) not here yet")
def test_deepcopy_before_and_after_the_first_call():
    import copy

    for lib, T in ((nn, engine), (torch.nn, torch)):
        m = lib.LazyLinear(3)
        twin = copy.deepcopy(m)
        twin(T.ones(2, 5))
        assert type(twin).__name__ == "Linear" and type(m).__name__ == "LazyLinear"
        assert tuple(twin.weight.shape) == (3, 5)
        m(T.ones(1, 7))
        again = copy.deepcopy(m)
        assert type(again).__name__ == "Linear" and tuple(again.weight.shape) == (3, 7)
