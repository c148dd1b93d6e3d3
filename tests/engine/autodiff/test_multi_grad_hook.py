"""``torch.autograd.graph.register_multi_grad_hook`` side by side with torch: which gradients
the "all" hook waits for (tensors outside the graph, ``inputs=`` pruning, ``autograd.grad``),
its texts for bad calls and leaf inputs of ``autograd.grad``, "any" mode, removal, and where
it runs among tensor hooks."""

from __future__ import annotations

import pytest

import engine as E
from engine.autograd.saved_hooks import register_multi_grad_hook as engine_multi_hook

torch = pytest.importorskip("torch")


def _script(L, R):
    log = []

    def seen(grads):
        log.append([g is not None for g in grads])

    def attempt(f):
        try:
            f()
        except Exception as e:  # noqa: BLE001  (compared with torch's class and text)
            base = next(c for c in type(e).__mro__
                        if c.__module__ == "builtins" and issubclass(c, Exception))
            log.append(f"{base.__name__}: {e}")

    a = L.rand(2, 3, requires_grad=True)
    b = L.rand(2, 3, requires_grad=True)
    c, d = a * b, a * b
    h = R((a, b, c, d), seen)
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    (c.sum() + d.sum()).backward(retain_graph=True)
    attempt(lambda: L.autograd.grad(c.sum(), [b], retain_graph=True))  # b is a leaf input
    h.remove()
    c.sum().backward(retain_graph=True)  # removed: nothing
    h = R((c, d), seen)
    L.autograd.grad(c.sum(), [a], retain_graph=True)
    L.autograd.grad(c.sum() + d.sum(), [a, b], retain_graph=True)
    h.remove()
    h = R((a, c), seen)
    L.autograd.grad(c.sum(), [b], retain_graph=True)  # a is not needed: not waited for
    h.remove()
    attempt(lambda: R((a, L.ones(2)), seen))
    attempt(lambda: R((a,), seen, mode="some"))
    h = R((a, b, L.ones(2)), lambda g: log.append(("any", g[0, 0].item())), mode="any")
    (a.sum() * 2 + b.sum() * 3).backward()
    (a.sum() * 2 + b.sum() * 3).backward()
    h.remove()
    x = L.ones(2, requires_grad=True)
    y = L.ones(2, requires_grad=True)
    x.register_hook(lambda g: log.append("x"))
    R((x, y), lambda gs: log.append(["multi"] + [None if g is None else g.tolist() for g in gs]))
    y.register_hook(lambda g: log.append("y"))
    (x * 2 + y * 3).sum().backward()
    (x * 4).sum().backward()  # y is not in this graph
    return log


def test_the_same_calls_and_arguments_as_torch():
    ours = _script(E, engine_multi_hook)
    theirs = _script(torch, torch.autograd.graph.register_multi_grad_hook)
    assert ours == theirs
