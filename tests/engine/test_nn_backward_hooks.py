"""``Module.register_full_backward_hook`` / ``register_full_backward_pre_hook`` against torch
2.13: what the hooks see, in which order, what their results replace, node names and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

LIBS = {"engine": engine, "torch": torch}


def show(grads):
    return None if grads is None else tuple(
        None if g is None else np.round(np.array(g.tolist()), 6).tolist() for g in grads)


def both(scenario):
    """``scenario(lib, log)`` with each library: (ours, torch's) logs and results."""
    out = []
    for lib in (engine, torch):
        lib.manual_seed(0)
        log: list = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = scenario(lib, log)
            except RuntimeError as e:
                result = ("error", str(e))
        log += [("warning", str(w.message)) for w in caught if "backward hook" in str(w.message)]
        out.append((log, result))
    return out


def recorder(log, name, scale=None):
    def hook(module, grad_input, grad_output):
        log.append((name, type(module).__name__, show(grad_input), show(grad_output)))
        if scale is not None:
            return tuple(None if g is None else g * scale for g in grad_input)
        return None

    return hook


def pre_recorder(log, name, scale=None):
    def hook(module, grad_output):
        log.append((name, show(grad_output)))
        if scale is not None:
            return tuple(g * scale for g in grad_output)
        return None

    return hook


def linear(lib):
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]))
        m.bias.copy_(lib.tensor([0.1, -0.2]))
    return m


def test_hooks_see_and_replace_gradients():
    def scenario(lib, log):
        m = linear(lib)
        m.register_full_backward_hook(recorder(log, "h"))
        m.register_full_backward_hook(recorder(log, "first", 10.0), prepend=True)
        m.register_full_backward_pre_hook(pre_recorder(log, "pre", 2.0))
        x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], requires_grad=True)
        y = m(x)
        names = (y.grad_fn.name(), y.grad_fn.next_functions[0][0].name())
        (y * lib.tensor([1.0, -2.0])).sum().backward()
        return names, show((x.grad, m.weight.grad, m.bias.grad))

    ours, theirs = both(scenario)
    assert ours == theirs
    assert ours[1][0] == ("BackwardHookFunctionBackward", "AddmmBackward0")


def test_several_inputs_outputs_and_non_tensor_arguments():
    def scenario(lib, log):
        class Pair(lib.nn.Module):
            def forward(self, x, y, flag=True):
                return x * y, x + 1

        m = Pair()
        m.register_full_backward_hook(recorder(log, "h"))
        m.register_full_backward_pre_hook(pre_recorder(log, "pre"))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0])
        a, b = m(x, y, False)
        (a.sum() * 2 + (b * b).sum()).backward()
        return show((x.grad,))

    ours, theirs = both(scenario)
    assert ours == theirs


def test_no_input_requires_grad():
    def scenario(lib, log):
        m = linear(lib)
        m.register_full_backward_hook(recorder(log, "h"))
        m(lib.ones(1, 3)).sum().backward()
        bad = linear(lib)
        bad.register_full_backward_hook(lambda mod, gi, go: (lib.ones(3),))
        bad(lib.ones(1, 3)).sum().backward()

    ours, theirs = both(scenario)
    assert ours == theirs
    assert ours[1] == ("error", "Backward hook for Modules where no input requires gradient "
                        "should always return None or None for all gradients.")


@pytest.mark.parametrize("which", ["hook", "pre-hook"])
def test_wrong_number_of_gradients(which):
    def scenario(lib, log):
        m = linear(lib)
        if which == "hook":
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        else:
            m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        m(lib.ones(1, 3, requires_grad=True)).sum().backward()

    ours, theirs = both(scenario)
    assert ours == theirs and ours[1][0] == "error"


def test_in_place_module_with_a_hook_fails_as_in_torch():
    def scenario(lib, log):
        m = lib.nn.ReLU(inplace=True)
        m.register_full_backward_hook(recorder(log, "h"))
        m(lib.ones(2, requires_grad=True) * 1)

    ours, theirs = both(scenario)
    assert ours == theirs and "created inside a custom Function" in ours[1][1]


def test_order_through_containers_removal_and_no_grad():
    def scenario(lib, log):
        seq = lib.nn.Sequential(linear(lib), lib.nn.Tanh())
        for i, child in enumerate(seq):
            child.register_full_backward_hook(recorder(log, f"child{i}"))
        seq.register_full_backward_hook(recorder(log, "seq"))
        handle = seq.register_full_backward_pre_hook(pre_recorder(log, "seq-pre", 0.5))
        x = lib.tensor([[1.0, -1.0, 0.5]], requires_grad=True)
        seq(x).sum().backward()
        handle.remove()
        log.append("removed")
        seq(x).sum().backward()
        with lib.no_grad():
            out = seq(x)
        return show((x.grad,)), out.grad_fn is None

    ours, theirs = both(scenario)
    assert ours == theirs
    assert [e[0] for e in ours[0] if isinstance(e, tuple)][:4] == [
        "seq-pre", "child1", "child0", "seq"]


@pytest.mark.parametrize("indirect", [False, True])
def test_in_place_on_an_input_a_custom_function_returned(indirect):
    def scenario(lib, log):
        class Same(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        a = lib.ones(2, requires_grad=True) * 1
        y = Same.apply(a)
        if indirect:
            a.mul_(2)
            y.sum().backward()
        else:
            y.mul_(2)

    ours, theirs = both(scenario)
    assert ours == theirs and "created inside a custom Function" in ours[1][1]
