"""Layers beyond issue 13's first list (3-d convolutions and pools, transposed 1-d/3-d
convolutions, adaptive max pools, padding layers, ``Upsample``, ``Fold``/``Unfold``) against
torch 2.13 in float64: reprs, outputs, node names and gradients with torch's parameters."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(41)

CASES = {
    "Conv3d(2, 4, 3)": (2, 2, 5, 6, 5),
    "Conv3d(2, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False)": (1, 2, 3, 6, 5),
    "Conv3d(2, 2, 3, padding=1, padding_mode='replicate', groups=2)": (1, 2, 4, 4, 4),
    "ConvTranspose1d(2, 3, 3, stride=2)": (2, 2, 5),
    "ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2)": (2, 2, 5),
    "ConvTranspose3d(2, 3, 2, stride=2, output_padding=1)": (1, 2, 3, 3, 2),
    "ConvTranspose2d(2, 3, 3, stride=2, dilation=2)": (1, 2, 4, 5),
    "MaxPool3d(2)": (2, 2, 4, 4, 6),
    "MaxPool3d((1, 2, 2), stride=(1, 2, 2), padding=(0, 1, 1))": (1, 2, 3, 5, 5),
    "AvgPool3d(2)": (2, 2, 4, 4, 6),
    "AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False)": (1, 2, 5, 5, 5),
    "AdaptiveAvgPool3d((1, None, 2))": (2, 3, 4, 5, 6),
    "AdaptiveMaxPool1d(3)": (2, 3, 7),
    "AdaptiveMaxPool3d(2)": (1, 2, 4, 5, 6),
    "ZeroPad1d(2)": (2, 3, 4),
    "ZeroPad2d((1, 2, 0, 3))": (2, 3, 4, 5),
    "ZeroPad3d(1)": (1, 2, 3, 3, 3),
    "ConstantPad1d((1, 2), 3.5)": (2, 3, 4),
    "ConstantPad2d(1, -1.0)": (2, 3, 4, 5),
    "ConstantPad3d((1, 0, 0, 1, 2, 0), 2.0)": (1, 2, 3, 3, 3),
    "ReflectionPad1d(2)": (2, 3, 4),
    "ReflectionPad2d((1, 1, 2, 0))": (2, 3, 4, 5),
    "ReflectionPad3d(1)": (1, 2, 3, 3, 3),
    "ReplicationPad1d((3, 1))": (2, 3, 4),
    "ReplicationPad2d(2)": (2, 3, 4, 5),
    "ReplicationPad3d(1)": (1, 2, 3, 3, 3),
    "CircularPad1d(2)": (2, 3, 4),
    "CircularPad2d((1, 0, 2, 1))": (2, 3, 4, 5),
    "CircularPad3d(1)": (1, 2, 3, 3, 3),
    "Upsample(scale_factor=2)": (1, 2, 3, 4),
    "Upsample(size=(5, 7), mode='bilinear')": (1, 2, 3, 4),
    "Upsample(scale_factor=(2, 3), mode='nearest')": (1, 2, 3, 4),
    "Upsample(scale_factor=1.5, mode='bicubic', align_corners=True)": (1, 2, 4, 4),
    "Upsample(scale_factor=2, mode='linear')": (1, 2, 5),
    "UpsamplingNearest2d(scale_factor=2)": (1, 2, 3, 4),
    "UpsamplingBilinear2d(size=4)": (1, 2, 3, 3),
    "Fold((4, 5), 2)": (2, 3 * 4, 12),
    "Fold(4, (2, 3), padding=1, stride=2)": (1, 2 * 6, 6),
    "Unfold(2)": (2, 3, 4, 5),
    "Unfold((2, 3), padding=1, stride=2, dilation=1)": (1, 2, 5, 5),
}


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_torch(case):
    theirs = eval("torch.nn." + case).double()
    ours = eval("nn." + case).double()
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: engine.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = RNG.normal(size=CASES[case])
    xs = [engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)]
    outs = [_first(ours(xs[0])), _first(theirs(xs[1]))]
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert outs[0].grad_fn.name() == outs[1].grad_fn.name()
    w = RNG.normal(size=tuple(outs[1].shape))
    (outs[0] * engine.tensor(w)).sum().backward()
    (outs[1] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


def test_adaptive_max_pool_indices_and_transposed_output_size():
    for lib in (nn, torch.nn):
        out, idx = lib.AdaptiveMaxPool3d((2, 2, 2), return_indices=True)(
            (engine if lib is nn else torch).arange(64.0).reshape(1, 1, 4, 4, 4))
        assert idx.flatten().tolist() == [21, 23, 29, 31, 53, 55, 61, 63]
    sizes = []
    for lib, T in ((nn, engine), (torch.nn, torch)):
        m = lib.ConvTranspose1d(1, 1, 3, stride=2)
        sizes.append(tuple(m(T.ones(1, 1, 4), output_size=[10]).shape))
        with pytest.raises(ValueError) as info:
            m(T.ones(1, 1, 4), output_size=[20])
        sizes.append(str(info.value))
        with pytest.raises(ValueError) as info:
            lib.ConvTranspose2d(1, 1, 3, stride=2)(T.ones(1, 1, 4, 5), output_size=(5,))
        sizes.append(str(info.value))
    assert sizes[:3] == sizes[3:]
