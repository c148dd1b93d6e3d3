"""Channel-wise and alpha dropout, pixel/channel shuffles (functional and modules) against
torch 2.13: shapes, node chains, masks' structure and scaling, warnings, errors, reprs; the
shuffles' values and gradients exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(53)


def chain(t) -> list[str]:
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(fn.name())
        fn = next((f for f, _ in fn.next_functions if f is not None and
                   f.name() not in ("AccumulateGrad", "torch::autograd::AccumulateGrad")), None)
    return names


def both(call):
    out = []
    for lib in (engine, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = call(lib)
            except RuntimeError as e:
                result = ("error", str(e))
        out.append((result, [str(w.message) for w in caught]))
    return out


DROPOUTS = {
    "dropout1d": (2, 5, 7), "dropout1d unbatched": (5, 7), "dropout2d": (2, 5, 3, 3),
    "dropout2d 3-d": (2, 5, 4), "dropout3d": (2, 5, 2, 2, 2), "dropout3d unbatched": (5, 2, 2, 2),
    "feature_alpha_dropout": (2, 5, 3, 3), "alpha_dropout": (4, 6),
}


@pytest.mark.parametrize("case", sorted(DROPOUTS))
def test_dropout_structure_matches_torch(case):
    name = case.split()[0]
    shape = DROPOUTS[case]
    x = RNG.uniform(1.0, 2.0, size=shape)

    def call(lib):
        t = lib.tensor(x, requires_grad=True)
        kwargs = {"training": True} if "alpha" in name else {}
        y = getattr(lib.nn.functional, name)(t, 0.4, **kwargs)
        y.sum().backward()
        ratio = (y / t).detach().numpy() if "alpha" not in name else None
        return chain(y), tuple(y.shape), ratio, t.grad.numpy()

    (ours, w_ours), (theirs, w_theirs) = both(call)
    assert w_ours == w_theirs
    assert ours[:2] == theirs[:2]
    if ours[2] is not None:
        scale = 1 / 0.6
        for ratio, grad in ((ours[2], ours[3]), (theirs[2], theirs[3])):
            assert np.all(np.isclose(ratio, 0) | np.isclose(ratio, scale))
            if name != "dropout2d" or len(shape) == 4:
                # one decision per channel: constant over the spatial dims
                flat = ratio.reshape(ratio.shape[:-1 if len(shape) == 2 else 2] + (-1,))
                assert np.allclose(flat, flat[..., :1])
            np.testing.assert_allclose(grad, ratio)


def test_alpha_dropout_keeps_selu_statistics_and_values():
    x = engine.randn(200_000, dtype=engine.float64)
    y = engine.nn.functional.alpha_dropout(x, 0.3, training=True)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.std()) - 1) < 0.02
    dropped = -1.7580993408473766 * (1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7))
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    b = 1.7580993408473766 * a * 0.3
    values = y.numpy()
    kept = np.isclose(values, x.numpy() * a + b)
    assert np.allclose(values[~kept], dropped + b) and 0.65 < kept.mean() < 0.75


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5)),
    lambda lib: tuple(lib.nn.functional.dropout2d(lib.ones(2, 3)).shape),
    lambda lib: tuple(lib.nn.functional.dropout3d(lib.ones(2, 3, 4)).shape),
    lambda lib: lib.nn.functional.dropout2d(lib.ones(2, 3, 4, 4), 1.5),
    lambda lib: chain(lib.nn.functional.dropout2d(lib.ones(2, 3, 4, 4, requires_grad=True),
                                                  1.0)),
    lambda lib: lib.nn.functional.alpha_dropout(lib.ones(2, 3), 0.5).requires_grad,
    lambda lib: lib.nn.functional.dropout2d(lib.ones(2, 3, 4, 4), training=False).sum().item(),
])
def test_dropout_edges_and_errors(call):
    def guarded(lib):
        try:
            return call(lib)
        except ValueError as e:
            return ("ValueError", str(e))

    (ours, w_ours), (theirs, w_theirs) = both(guarded)
    assert ours == theirs and w_ours == w_theirs


SHUFFLES = {
    "pixel_shuffle": lambda F, x: F.pixel_shuffle(x, 2),
    "pixel_unshuffle": lambda F, x: F.pixel_unshuffle(x, 2),
    "channel_shuffle": lambda F, x: F.channel_shuffle(x, 4),
}


@pytest.mark.parametrize("name", sorted(SHUFFLES))
def test_shuffles_match_torch(name):
    x = RNG.normal(size=(2, 8, 4, 6))
    w = RNG.normal(size=x.shape if name == "channel_shuffle" else
                   ((2, 2, 8, 12) if name == "pixel_shuffle" else (2, 32, 2, 3)))
    res = []
    for lib in (engine, torch):
        t = lib.tensor(x, requires_grad=True)
        y = SHUFFLES[name](lib.nn.functional, t)
        weight = lib.tensor(w, requires_grad=True)
        (g,) = lib.autograd.grad((y * weight).sum(), [t], create_graph=True)
        res.append((y.detach().numpy(), g.detach().numpy(), y.grad_fn.name(),
                    g.grad_fn.name()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][2:] == res[1][2:]


@pytest.mark.parametrize("call", [
    lambda F, T: F.pixel_shuffle(T.ones(2, 2), 2),
    lambda F, T: F.pixel_shuffle(T.ones(1, 3, 2, 2), 2),
    lambda F, T: F.pixel_shuffle(T.ones(1, 4, 2, 2), 0),
    lambda F, T: F.pixel_unshuffle(T.ones(1, 3, 3, 4), 2),
    lambda F, T: F.pixel_unshuffle(T.ones(1, 3, 4, 3), 2),
    lambda F, T: F.pixel_unshuffle(T.ones(1, 3, 4, 4), -1),
    lambda F, T: F.channel_shuffle(T.ones(2, 8, 2), 3),
    lambda F, T: F.channel_shuffle(T.ones(2, 8, 2), 0),
    lambda F, T: F.channel_shuffle(T.ones(4, 4), 2),
])
def test_shuffle_errors_are_torchs(call):
    (ours, _), (theirs, _) = both(lambda lib: call(lib.nn.functional, lib))
    assert ours == theirs and ours[0] == "error"


def test_module_reprs():
    for case in ("Dropout1d()", "Dropout2d(0.2)", "Dropout3d(0.1, True)", "AlphaDropout()",
                 "FeatureAlphaDropout(0.2)", "PixelShuffle(3)", "PixelUnshuffle(2)",
                 "ChannelShuffle(2)"):
        assert repr(eval("nn." + case)) == repr(eval("torch.nn." + case))
    m = nn.Dropout2d(0.5)
    x = engine.ones(2, 3, 2, 2)
    assert engine.equal(m.eval()(x), x)


@pytest.mark.parametrize("case", ["plain", "weight", "eps", "float32"])
def test_rms_norm_matches_torch(case):
    x = RNG.normal(size=(2, 3, 4))
    w = RNG.normal(size=(3, 4))
    res = []
    for lib in (engine, torch):
        dt = lib.float32 if case == "float32" else lib.float64
        t = lib.tensor(x, dtype=dt, requires_grad=True)
        weight = lib.tensor(w, dtype=dt, requires_grad=True) if case == "weight" else None
        shape = (3, 4) if case == "weight" else (4,)
        eps = 1e-3 if case == "eps" else None
        y = lib.nn.functional.rms_norm(t, shape, weight, eps)
        y.pow(3).sum().backward()
        res.append((y.detach().numpy(), t.grad.numpy(), chain(y)))
    tol = 1e-6 if case == "float32" else 1e-12
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=tol, atol=tol)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=tol * 10, atol=tol * 10)
    assert res[0][2] == res[1][2]


def test_rms_norm_module_and_errors():
    for case in ("RMSNorm(4)", "RMSNorm([3, 4], eps=1e-5, elementwise_affine=False)"):
        ours, theirs = eval("nn." + case), eval("torch.nn." + case)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    for shape, weight in (((5,), None), ((2, 5), None), ((4,), (3,))):
        (ours, _), (theirs, _) = both(lambda lib, shape=shape, weight=weight: (
            lib.nn.functional.rms_norm(lib.ones(2, 3, 4), shape,
                                       None if weight is None else lib.ones(*weight))))
        assert ours == theirs and ours[0] == "error"
