"""Which gradients a leaf takes as its ``.grad`` without a copy, against torch 2.13: one a hook
was given (and may keep) is copied, so a later in-place accumulation into ``.grad`` does not
change what the hook kept; F.linear's weight gradient (a view ``t(t(mm))`` of an array only it
holds) is taken without a copy."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import engine
from engine.autograd import engine as autograd_engine

torch = pytest.importorskip("torch")


def _leaf_hook(lib, w, kept):
    w.register_hook(kept.append)
    return (w * 2).sum()


def _post_hook(lib, w, kept):
    out = (w * 2).sum()
    out.grad_fn.next_functions[0][0].register_hook(lambda gi, go: kept.append(gi[0]))
    return out


def _post_hook_returns(lib, w, kept):
    out = (w * 2).sum()

    def hook(gi, go):
        kept.append(gi[0] * 1)
        return (kept[-1],) + tuple(gi[1:])

    out.grad_fn.next_functions[0][0].register_hook(hook)
    return out


def _tensor_hook_on_a_passthrough(lib, w, kept):
    y = w + 1
    y.register_hook(kept.append)
    return (y * 3).sum()


def _pre_hook_on_a_passthrough(lib, w, kept):
    y = w + 1
    out = (y * 3).sum()
    y.grad_fn.register_prehook(lambda go: kept.append(go[0]))
    return out


def _linear_t_post_hook(lib, w, kept):
    y = lib.nn.functional.linear(lib.ones(4, 2), w, lib.zeros(3, requires_grad=True)).sum()
    y.grad_fn.next_functions[0][0].next_functions[2][0].register_hook(
        lambda gi, go: kept.append(gi[0]))
    return y


def _linear_without_hooks(lib, w, kept):
    return lib.nn.functional.linear(lib.ones(4, 2) * 3, w, lib.zeros(3)).sum()


@pytest.mark.parametrize("scenario", [_leaf_hook, _post_hook, _post_hook_returns,
                                      _tensor_hook_on_a_passthrough, _pre_hook_on_a_passthrough,
                                      _linear_t_post_hook, _linear_without_hooks])
def test_what_a_hook_kept_is_not_the_grad(scenario):
    """Two backwards into one leaf (the second adds into ``.grad`` in place): the gradient a
    hook kept from the first is unchanged, and ``.grad`` is as torch's."""
    seen = []
    for lib in (engine, torch):
        w = lib.ones(3, 2, requires_grad=True)
        kept: list = []
        scenario(lib, w, kept).backward()
        before = [k.clone() for k in kept]
        scenario(lib, w, []).backward()
        seen.append(([bool(lib.equal(k, b)) for k, b in zip(kept, before)],
                     np.array(w.grad.tolist()), w.grad.stride(), w.grad.is_contiguous()))
    (ours, grad, stride, contiguous), (theirs, t_grad, t_stride, t_contiguous) = seen
    assert ours == theirs
    np.testing.assert_array_equal(grad, t_grad)
    assert (stride, contiguous) == (t_stride, t_contiguous)


def test_a_linear_weight_gradient_is_not_copied():
    """F.linear's weight gradient reaches the leaf as a view of the product's result (torch's
    ``t(t(mm))``); nothing else holds that result, so the leaf keeps it: the backward's peak
    is one weight-sized array, not two."""
    weight = engine.zeros(500, 400, requires_grad=True)
    x = engine.ones(2, 400)
    out = engine.nn.functional.linear(x, weight).sum()
    size = 500 * 400 * 4
    tracemalloc.start()
    try:
        out.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size <= peak < 1.5 * size
    np.testing.assert_array_equal(weight.grad.numpy(), np.full((500, 400), 2, np.float32))
    assert weight.grad._base is None and weight.grad.is_contiguous()


def test_a_view_of_a_held_array_is_copied():
    """A gradient that is a view of a tensor someone holds (here the caller's own gradient,
    through ``t().t()``) is copied: changing that tensor later leaves ``.grad`` alone."""
    w = engine.zeros(2, 3, requires_grad=True)
    given = engine.ones(2, 3)
    w.t().t().backward(given)
    given.add_(1)
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((2, 3), np.float32))


def test_the_sole_base_rule_only_takes_an_unshared_same_layout_base():
    base = np.arange(6.0).reshape(2, 3)
    root = engine.tensor(base)  # (a copy: the tensor holds its own array)
    g = root.t().t()
    data = g._data
    assert data.base is root._data
    taken = autograd_engine._sole_base(g, data, root)
    assert taken is not root._data  # ``root`` is held here too: copied
    np.testing.assert_array_equal(taken, root._data)


def _function_returning(kind):
    """A custom Function whose backward returns a tensor it also keeps: saved for backward, a
    ctx attribute, or one the program holds."""
    def build(lib):
        class Keep(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                g = lib.tensor([1.0, 2.0, 3.0]) * 1
                if kind == "saved":
                    ctx.save_for_backward(g)
                else:
                    ctx.g = g
                return x * 2

            @staticmethod
            def backward(ctx, go):
                g = ctx.saved_tensors[0] if kind == "saved" else ctx.g
                held.append(g)
                return g

        held: list = []
        return Keep, held
    return build


@pytest.mark.parametrize("kind", ["saved", "attribute"])
@pytest.mark.parametrize("retain", [False, True])
def test_what_a_custom_function_returned_and_kept_is_not_the_grad(kind, retain):
    """torch copies a custom Function's returned gradient that something else holds (its use
    count): a second backward adding into ``.grad`` leaves the kept tensor as it was."""
    seen = []
    for lib in (engine, torch):
        keep, held = _function_returning(kind)(lib)
        w = lib.ones(3, requires_grad=True)
        y = keep.apply(w)
        y.backward(lib.ones(3), retain_graph=retain)
        (y if retain else keep.apply(w)).backward(lib.ones(3))
        seen.append((held[0].tolist(), w.grad.tolist()))
    assert seen[0] == seen[1]
    assert seen[0][0] == [1.0, 2.0, 3.0]
