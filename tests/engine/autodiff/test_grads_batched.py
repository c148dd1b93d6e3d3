"""``torch.autograd.grad(..., is_grads_batched=True)`` side by side with torch: values, the
batch dimension, allow_unused/materialize_grads, create_graph, retain_graph, and torch's
errors in torch's order."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
import engine.func  # noqa: F401  (engine.func.vmap is what the batched pass runs through)

torch = pytest.importorskip("torch")


def _both(case):
    got = []
    for lib in (E, torch):
        try:
            got.append(("ok", case(lib)))
        except Exception as e:  # noqa: BLE001  (compared with torch's class and text)
            base = next(c for c in type(e).__mro__
                        if c.__module__ == "builtins" and issubclass(c, Exception))
            got.append((base.__name__, str(e)))
    return got


def _arrays(value):
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return [_arrays(v) for v in value]
    return value.detach().numpy() if hasattr(value, "detach") else value


def _x(lib):
    return lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)


def _cube(L, go, **kw):
    x = _x(L)
    return L.autograd.grad(x ** 3, x, go(L), is_grads_batched=True, **kw)


@pytest.mark.parametrize("go", [
    lambda L: L.eye(2, dtype=L.float64),
    lambda L: L.ones(3, 2, dtype=L.float64),
    lambda L: L.ones(3, 3, dtype=L.float64),     # mismatch (torch prints shape[2:])
    lambda L: L.ones(3, 2, 2, dtype=L.float64),  # mismatch
    lambda L: L.ones(2, dtype=L.float64),        # no batch dimension left
    lambda L: L.ones((), dtype=L.float64),       # 0-d: torch's IndexError
], ids=["eye", "rows", "mismatch", "mismatch3", "unbatched", "zero-d"])
def test_values_and_errors_as_torch(go):
    ours, theirs = _both(lambda L: _arrays(_cube(L, go)))
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        np.testing.assert_array_equal(ours[1][0], theirs[1][0])
    else:
        assert ours[1] == theirs[1]


def _unused(L, **kw):
    x = _x(L)
    z = L.tensor([1.], dtype=L.float64, requires_grad=True)
    return L.autograd.grad(x ** 2, [x, z], L.eye(2, dtype=L.float64), is_grads_batched=True,
                           **kw)


@pytest.mark.parametrize("case", [
    lambda L: _unused(L, allow_unused=True),
    lambda L: _unused(L, materialize_grads=True),
    lambda L: _unused(L),  # not allowed: torch's error
    lambda L: (lambda x: L.autograd.grad([x ** 2, x * 2], [x], [L.eye(2, dtype=L.float64)] * 2,
                                         is_grads_batched=True))(_x(L)),
    lambda L: (lambda x: L.autograd.grad((x ** 2).sum(), x, None, is_grads_batched=True))(_x(L)),
    lambda L: (lambda x: L.autograd.grad((x ** 2).sum(), x, L.ones(3, dtype=L.float64),
                                         is_grads_batched=True))(_x(L)),
    lambda L: (lambda x: L.autograd.grad(x * 2, x, None, is_grads_batched=True))(_x(L)),
    lambda L: (lambda x: L.autograd.grad([x ** 3, x * 2], x, [L.ones(3, 2, dtype=L.float64),
                                                              L.ones(4, 2, dtype=L.float64)],
                                         is_grads_batched=True))(_x(L)),
], ids=["allow-unused", "materialize", "unused-error", "two-outputs", "none-scalar",
        "scalar-output", "none-vector", "batch-sizes"])
def test_more_forms_as_torch(case):
    ours, theirs = _both(lambda L: _arrays(case(L)))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert len(ours[1]) == len(theirs[1])
        for a, b in zip(ours[1], theirs[1]):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a, b)
    else:
        assert ours[1] == theirs[1]


def test_retain_graph_and_create_graph_as_torch():
    def twice(L):
        x = _x(L)
        y = x ** 3
        L.autograd.grad(y, x, L.eye(2, dtype=L.float64), is_grads_batched=True)
        return L.autograd.grad(y, x, L.eye(2, dtype=L.float64), is_grads_batched=True)

    ours, theirs = _both(twice)
    assert ours == theirs and ours[0] == "RuntimeError"

    def second_order(L):
        x = _x(L)
        g, = L.autograd.grad(x ** 3, x, L.eye(2, dtype=L.float64), create_graph=True,
                             is_grads_batched=True)
        assert g.requires_grad
        (g * L.tensor([[1., 2.], [3., 4.]], dtype=L.float64)).sum().backward()
        return [g.detach().numpy(), x.grad.numpy()]

    ours, theirs = _both(second_order)
    np.testing.assert_array_equal(ours[1][0], theirs[1][0])
    np.testing.assert_array_equal(ours[1][1], theirs[1][1])


def test_a_matrix_function_batched_as_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    gos = rng.standard_normal((5, 3, 3))

    def case(L):
        x = L.tensor(a, requires_grad=True)
        y = (x @ x.T).tanh()
        return L.autograd.grad(y, x, L.tensor(gos), is_grads_batched=True)[0].detach().numpy()

    ours, theirs = _both(case)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15)
