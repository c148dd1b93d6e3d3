"""Pinned cases of what the seed-10 sweep found (session 12, ops; docs/oracle.md "Session 12"),
each run on the engine and on torch 2.13 side by side and compared as tests/oracle's pins are
(values with the signs of zeros and NaN placement, dtypes, shapes, grad_fn names, errors and
their texts)."""

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed, pinned_obs  # noqa: E402


def _log_softmax_grads(T, shape, dim, upstream):
    """The first-order gradient of ``log_softmax`` for an upstream gradient ``upstream`` (a
    -0. tests the sign rule) and the second order where the weight of the gradient is 0."""
    x = T.full(shape, 0.3, dtype=T.float64, requires_grad=True)
    T.nn.functional.log_softmax(x, dim=dim).backward(T.full(shape, upstream, dtype=T.float64))
    x2 = T.full(shape, 1.57, dtype=T.float64, requires_grad=True)
    g, = T.autograd.grad(T.nn.functional.log_softmax(x2, dim=dim).sum(), [x2],
                         create_graph=True)
    (g * 0).sum().backward()
    return [x.grad, g, x2.grad]


CASES = {
    # torch's log_softmax backward kernel takes a 0-d input's element as its last dim: the
    # class sum of a -0. gradient is -0. there (the engine's `sum` gave +0.: a -0. gradient)
    **{f"log_softmax gradient signs, shape {s}, dim {d}, upstream {u}":
       (lambda T, s=s, d=d, u=u: _log_softmax_grads(T, s, d, u))
       for s, d in (((), 0), ((), -1), ((1,), 0), ((1, 1), 0), ((1, 1), 1), ((2, 1), 0))
       for u in (-0.0, 0.0)},
}


@pytest.mark.parametrize("name", list(CASES))
def test_found_by_seed_10_agrees_with_torch(name):
    assert observed(CASES[name], engine, pinned_obs) == observed(CASES[name], torch, pinned_obs)
