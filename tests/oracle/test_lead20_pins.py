"""Pins for what the lead found running programs from outside the corpus in session 20, each
compared with torch 2.13 in the same process."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.autograd import functional as ours_functional  # noqa: E402


def _shape_of(result):
    """The containers and shapes of a Jacobian: list and tuple told apart, as a program sees."""
    if isinstance(result, (list, tuple)):
        return (type(result).__name__, [_shape_of(r) for r in result])
    return tuple(result.shape)


def _cases():
    return [
        (lambda x, y: 2 * x.exp() + 3 * y, 2),
        (lambda x, y: (x * y, x + y), 2),
        (lambda x: (x.sin(), x.cos()), 1),
        (lambda x: x.exp(), 1),
        (lambda x: (x.sin(), x.cos()), (1,)),
        (lambda x: x.exp(), (1,)),
    ]


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("case", range(6))
def test_jacobian_containers_are_torchs(strategy, case):
    """``jacobian(strategy="forward-mode")`` answers a list where inputs are a tuple and the
    output a tensor (a list of lists for a tuple of outputs), as torch's does; reverse mode
    answers tuples (session 20: the engine gave tuples in both modes)."""
    answers = []
    for lib, jacobian in ((torch, torch.autograd.functional.jacobian),
                          (engine, ours_functional.jacobian)):
        f, arity = _cases()[case]
        x = lib.tensor([0.25, 0.5, 0.75], dtype=lib.float64)
        y = lib.tensor([1.5, -2.0, 0.5], dtype=lib.float64)
        if isinstance(arity, tuple):
            inputs = (x,)
        else:
            inputs = (x, y) if arity == 2 else x
        answers.append(_shape_of(jacobian(f, inputs, vectorize=True, strategy=strategy)))
    assert answers[1] == answers[0]


def test_forward_mode_jacobian_keeps_the_graph_of_inputs_that_require_grad():
    """torch's forward-mode Jacobian does not detach: with inputs that require grad its answer
    has a graph (``ReshapeAliasBackward0`` at the root, so hessian's forward-over-reverse
    answers print a grad_fn), and gradients flow through it (session 20: the engine detached)."""
    seen = []
    for lib, functional in ((torch, torch.autograd.functional), (engine, ours_functional)):
        x = lib.tensor([0.25, 0.5, 0.75], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, -2.0, 0.5], dtype=lib.float64)
        jac = functional.jacobian(lambda a, b: a.sin() * b.exp(), (x, y), vectorize=True,
                                  strategy="forward-mode")
        (jac[0] * jac[1]).sum().backward()
        hess = functional.hessian(lambda a: (a ** 3).sum(), y, vectorize=True,
                                  outer_jacobian_strategy="forward-mode")
        seen.append((type(jac[0].grad_fn).__name__, x.grad.tolist(), repr(hess),
                     hess.requires_grad))
    assert seen[1] == seen[0]
