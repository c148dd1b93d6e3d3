"""Pinned cases of issue 10's leftovers (session 18, faith): zero signs, in-place ops on views
and overlaps, elu_'s float32 bits, BatchNorm's sums. Each is a small program run on the engine
and on torch 2.13 side by side; compared: dtype, shape, requires_grad, grad_fn name and values
(signs of zeros and NaN placement; others to 7 significant digits), or the error's builtin class
and text. Each case failed on the engine before its fix."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed, pinned_obs  # noqa: E402


def _same(program):
    assert observed(program, engine, pinned_obs) == observed(program, torch, pinned_obs)


def _affine(T, theta, size, dtype, align):
    th = T.tensor(theta, dtype=getattr(T, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = T.nn.functional.affine_grid(th, list(size), align_corners=align)
    out.backward(T.ones_like(out) * -0.0)
    return [out, th.grad]


_NEG_ROW_2D = [[[-0.5, -1.0, 2.0], [-0.0, -0.0, -0.0]]]
_NEG_ROW_3D = [[[0.5, 0.0, 0.5, 1.0], [-0.0, -1.0, 2.0, 2.0], [0.0, -1.0, -0.5, -0.0]]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", [
    (_NEG_ROW_2D, (1, 1, 2, 2), False), (_NEG_ROW_2D, (1, 1, 3, 2), True),
    (_NEG_ROW_2D, (1, 1, 12, 9), False),  # (BLAS's size: fused on Intel)
    (_NEG_ROW_3D, (1, 1, 1, 1, 2), False), (_NEG_ROW_3D, (1, 1, 7, 6, 5), True)])
def test_affine_grid_sums_start_from_plus_zero(case, dtype):
    """affine_grid's bmm (the naive kernel and BLAS alike) sums from +0.: a row of -0.
    products is +0. (the engine started from the first product: -0.)."""
    theta, size, align = case
    _same(lambda T: _affine(T, theta, size, dtype, align))
