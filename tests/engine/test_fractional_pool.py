"""``F.fractional_max_pool2d/3d``, their ``*_with_indices`` and ``nn.FractionalMaxPool2d/3d``
(engine/ops/fractional_pool.py) against torch 2.13 side by side, with the same
``_random_samples``: values, indices, dtypes, node names, gradients, errors and their texts
(torch's F is a boolean dispatch: its argument errors name ``_fractional_max_pool2d`` or
``fractional_max_pool2d_with_indices`` by ``return_indices``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

from .torch_compare import compare  # noqa: E402

RNG = np.random.default_rng(5)


def _input(nd: int, batched: bool, nan: bool) -> list:
    shape = ((2, 3) if batched else (3,)) + ((7, 6) if nd == 2 else (6, 5, 7))
    x = RNG.standard_normal(shape)
    if nan:  # (a window holding NaN: its maximum is the last NaN, as torch's kernel)
        x[..., 0] = np.nan
        x[..., 1, 2] = np.nan
    return x.tolist()


def _dt(m, name: str):
    return getattr(m, name)


CONFIGS = list(itertools.product((2, 3), ("float32", "float64"), (1, 2, 3), (1, 2, 3),
                                 (True, False)))


@pytest.mark.parametrize("nd,dt,k,o,batched", CONFIGS)
def test_values_indices_gradients(nd, dt, k, o, batched):
    x = _input(nd, batched, nan=(k == 2 and o == 2))
    s = RNG.random((2, 3, nd)).tolist()

    def case(m, F, leaf):
        xi = leaf(x, dtype=_dt(m, dt))
        si = m.tensor(s, dtype=_dt(m, dt))
        f = getattr(F, f"fractional_max_pool{nd}d")
        return f(xi, k, output_size=o, return_indices=True, _random_samples=si)

    compare(case, atol=0.0)


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("form", ["plain", "with_indices", "ratio", "tuple", "module",
                                  "module_indices", "module_ratio"])
def test_forms(nd, form):
    x = _input(nd, True, nan=False)
    s = RNG.random((2, 3, nd)).tolist()

    def case(m, F, leaf):
        xi = leaf(x)
        si = m.tensor(s, dtype=m.float64)
        f = getattr(F, f"fractional_max_pool{nd}d")
        if form == "plain":
            return f(xi, 2, 3, _random_samples=si)
        if form == "with_indices":
            return getattr(F, f"fractional_max_pool{nd}d_with_indices")(
                xi, 2, output_size=3, _random_samples=si)
        if form == "ratio":
            return f(xi, (2,) * nd, output_ratio=(0.5,) * nd, _random_samples=si)
        if form == "tuple":
            return f(xi, [2, 1, 2][:nd], output_size=[3, 4, 2][:nd], _random_samples=si,
                     return_indices=True)
        cls = getattr(m.nn, f"FractionalMaxPool{nd}d")
        if form == "module":
            return cls(2, output_size=3, _random_samples=si)(xi)
        if form == "module_indices":
            return cls(3, output_size=(2,) * nd, return_indices=True, _random_samples=si)(xi)
        return cls(2, output_ratio=0.5, _random_samples=si)(xi)

    compare(case, atol=0.0)


def _x(m, *shape, dt="float32"):
    return m.ones(*shape, dtype=_dt(m, dt))


ERRORS = {
    "no size or ratio": lambda m, F: F.fractional_max_pool2d(_x(m, 1, 1, 5, 5), 2),
    "no size or ratio 3d": lambda m, F: F.fractional_max_pool3d(_x(m, 1, 1, 5, 5, 5), 2),
    "2d ratio not a sequence": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_ratio=0.5),
    "2d ratio of three": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_ratio=(0.5, 0.5, 0.5)),
    "3d ratio scalar": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 6, 6, 6), 2, output_ratio=0.5, _random_samples=m.full((1, 1, 3), 0.5)),
    "2d pool too large": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 3, output_size=4),
    "2d pool just fits": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=4),
    "3d pool equal size": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, output_size=4),
    "2d wrong rank": lambda m, F: F.fractional_max_pool2d(_x(m, 5, 5), 2, output_size=2),
    "3d wrong rank": lambda m, F: F.fractional_max_pool3d(_x(m, 5, 5, 5), 2, output_size=2),
    "2d empty plane": lambda m, F: F.fractional_max_pool2d(_x(m, 1, 0, 5, 5), 2,
                                                           output_size=2),
    "2d empty batch": lambda m, F: F.fractional_max_pool2d(_x(m, 0, 1, 5, 5), 2,
                                                           output_size=2),
    "3d empty batch": lambda m, F: F.fractional_max_pool3d(
        _x(m, 0, 1, 5, 5, 5), 2, output_size=2, return_indices=True,
        _random_samples=m.full((1, 1, 3), 0.5)),
    "samples dtype": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2,
        _random_samples=m.full((1, 1, 2), 0.5, dtype=m.float64)),
    "samples rank": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, _random_samples=m.full((1, 2), 0.5)),
    "samples width": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, _random_samples=m.full((1, 1, 3), 0.5)),
    "kernel of three": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), (2, 2, 2), output_size=2),
    "input not a tensor": lambda m, F: F.fractional_max_pool2d(
        [[1.0]], 2, output_size=2),
    "unexpected keyword": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, foo=1),
    "unexpected keyword, indices": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, return_indices=True, foo=1),
    "unexpected keyword 3d": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, output_size=2, foo=1),
    "unexpected keyword 3d, indices": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, 2, None, True, foo=1),
    "out": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, out=_x(m, 1, 1, 2, 2)),
    "too many positional": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, 2, None, 1, None, 7),
    "too many positional, false flag": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, 2, None, 0, None, 7),
    "missing kernel": lambda m, F: F.fractional_max_pool2d(_x(m, 1, 1, 5, 5)),
    "with_indices keyword": lambda m, F: F.fractional_max_pool3d_with_indices(
        _x(m, 1, 1, 5, 5, 5), 2, output_size=2, foo=1),
    "input not a tensor, ratio": lambda m, F: F.fractional_max_pool2d(
        [[1.0]], 2, output_ratio=(0.5, 0.5)),
    "input not a tensor, samples": lambda m, F: F.fractional_max_pool3d(
        [[1.0]], 2, output_size=2, _random_samples=m.full((1, 1, 3), 0.5)),
    "samples not a tensor": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=2, _random_samples=0.5),
    "samples batch": lambda m, F: F.fractional_max_pool2d(
        _x(m, 2, 1, 5, 5), 2, output_size=2, _random_samples=m.full((1, 1, 3), 0.5)),
    "samples channels": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 2, 5, 5, 5), 2, output_size=2, _random_samples=m.full((1, 1, 3), 0.5)),
    "samples channels, unbatched": lambda m, F: F.fractional_max_pool2d(
        _x(m, 2, 5, 5), 2, output_size=2, _random_samples=m.full((3, 1, 2), 0.5)),
    "more samples than batches": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 5, 5), 2, output_size=2, _random_samples=m.rand(3, 1, 2),
        return_indices=True),
    "samples rank, input rank": lambda m, F: F.fractional_max_pool2d(
        _x(m, 5, 5), 2, output_size=2, _random_samples=m.full((1, 2), 0.5)),
    "samples dtype, pool too large": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 4, output_size=4,
        _random_samples=m.full((1, 1, 2), 0.5, dtype=m.float64)),
    "samples dtype, negative output": lambda m, F: F.fractional_max_pool2d(
        _x(m, 2, 1, 5, 5), 2, output_size=-1,
        _random_samples=m.full((1, 1, 2), 0.5, dtype=m.float64)),
    "3d negative output": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, output_size=-1),
    "3d wrong rank, samples": lambda m, F: F.fractional_max_pool3d(
        _x(m, 5, 5, 5), 2, output_size=2, _random_samples=m.full((1, 1, 3), 0.5)),
    "3d empty plane": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 0, 5, 5, 5), 2, output_size=2, _random_samples=m.full((1, 0, 3), 0.5)),
    "zero output": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_size=0, return_indices=True),
    "3d zero output": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, output_size=0, return_indices=True),
    "ratio to zero": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_ratio=(0.1, 0.1)),
    "ratio of one": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), 2, output_ratio=(0.5,)),
    "3d ratio of two": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 2, output_ratio=[0.5, 0.5]),
    "negative kernel": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5), -1, output_size=3, return_indices=True,
        _random_samples=m.full((1, 1, 2), 0.5)),
    "3d zero kernel": lambda m, F: F.fractional_max_pool3d(
        _x(m, 1, 1, 5, 5, 5), 0, output_size=3, return_indices=True,
        _random_samples=m.full((1, 1, 3), 0.3)),
    "float16": lambda m, F: F.fractional_max_pool2d(
        m.arange(25.0).to(m.float16).reshape(1, 1, 5, 5), 2, output_size=3,
        return_indices=True, _random_samples=m.full((1, 1, 2), 0.35, dtype=m.float16)),
    "int input": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5, dt="int32"), 2, output_size=2),
    "int input and samples": lambda m, F: F.fractional_max_pool2d(
        _x(m, 1, 1, 5, 5, dt="int32"), 2, output_size=2,
        _random_samples=_x(m, 1, 1, 2, dt="int32")),
    "module no size": lambda m, F: m.nn.FractionalMaxPool2d(2),
    "module both": lambda m, F: m.nn.FractionalMaxPool3d(2, output_size=2, output_ratio=0.5),
    "module ratio range": lambda m, F: m.nn.FractionalMaxPool2d(2, output_ratio=1.5),
    "module ratio zero": lambda m, F: m.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0, 0.5)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    compare(lambda m, F, leaf: ERRORS[name](m, F))


def test_empty_window_and_second_order():
    """A zero kernel: ``-inf`` at each window's start (torch's kernel reads nothing); and the
    gradient of the gradient (``FractionalMaxPool2DBackwardBackward0``) against torch."""
    s = RNG.random((1, 2, 2)).tolist()
    x = RNG.standard_normal((1, 2, 6, 6)).tolist()

    def case(m, F, leaf):
        xi = leaf(x)
        out = F.fractional_max_pool2d(xi, 2, output_size=3,
                                      _random_samples=m.tensor(s, dtype=m.float64))
        g = (engine.grad if m is engine else torch.autograd.grad)(
            (out * out).sum(), xi, create_graph=True)[0]
        return g

    compare(case, atol=0.0)


def _generators_agree() -> bool:
    engine.manual_seed(3)
    torch.manual_seed(3)
    return bool(np.array_equal(engine.to_numpy(engine.rand(5, dtype=engine.float64)),
                               torch.rand(5, dtype=torch.float64).numpy()))


@pytest.mark.parametrize("nd", [2, 3])
def test_seeded_windows_match_torch(nd):
    """Without ``_random_samples`` the samples are ``rand(N, C, nd)`` in the input's dtype from
    the session's generator: the same windows as torch's once the engine's generator draws
    torch's numbers."""
    if not _generators_agree():
        pytest.skip("the engine's generator does not draw torch's mt19937 numbers yet "
                    "(engineer rng's work): seeded windows cannot match")
    x = RNG.standard_normal((2, 3) + (9,) * nd).tolist()
    for dt in ("float32", "float64"):
        def case(m, F, leaf, dt=dt):
            m.manual_seed(11)
            xi = leaf(x, dtype=_dt(m, dt))
            return getattr(F, f"fractional_max_pool{nd}d")(xi, 2, output_ratio=(0.5,) * nd,
                                                           return_indices=True)

        compare(case, atol=0.0)


def test_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
             "x = torch.arange(72.0).reshape(2, 1, 6, 6).requires_grad_()\n"
             "s = torch.full((2, 1, 2), 0.4)\n"
             "y, i = F.fractional_max_pool2d(x, 2, output_size=3, return_indices=True, "
             "_random_samples=s)\n"
             "y.sum().backward()\nprint(y, i, x.grad.sum(), y.grad_fn.name())\n"
             "m = nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=torch.full("
             "(1, 2, 3), 0.7))\nprint(m(torch.arange(128.0).reshape(2, 4, 4, 4)))\n"
             "print(F.fractional_max_pool2d_with_indices(x, 3, (2, 2), None, False, s)[1])\n"
             "for flag in (False, True):\n    try:\n"
             "        F.fractional_max_pool2d(x, 2, output_size=3, return_indices=flag, foo=1)\n"
             "    except TypeError as e:\n        print('E', e)\n"
             "try:\n    F.fractional_max_pool2d(x, 5, output_size=3, _random_samples=s)\n"
             "except RuntimeError as e:\n    print('E', e)\n"]
    assert run_ours(cells) == run_torch(cells)
