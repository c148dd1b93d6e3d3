"""torch.autograd.graph.saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks, side
by side with torch 2.13: which saved tensors are packed (shapes, identity with the inputs), when
unpack runs, nesting, the errors, gradients (first and second order) through the hooks."""

# ruff: noqa: B023 (each loop body runs its lambdas before the next iteration)
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.autograd import saved_hooks as EG  # noqa: E402

TG = torch.autograd.graph


def sides():
    return ((engine, EG), (torch, TG))


def tensor(lib, values, requires_grad=True):
    dt = engine.float64 if lib is engine else torch.float64
    return lib.tensor(values, dtype=dt, requires_grad=requires_grad)


X = [0.5, -1.25, 2.0]
W = [[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]]

# programs whose saved tensors torch and the engine agree on
OPS = {
    "mul": lambda m, x, w: (x * x).sum(),
    "exp_sin": lambda m, x, w: x.exp().sin().sum(),
    "matmul": lambda m, x, w: (w @ x).sum(),
    "tanh_sigmoid": lambda m, x, w: (x.tanh() + x.sigmoid()).sum(),
    "pow_div": lambda m, x, w: (x ** 3 / (x * x + 1)).sum(),
    "log_softmax": lambda m, x, w: m.log_softmax(w @ x, 0)[0],
    "linear_relu": lambda m, x, w: m.relu(w @ x).sum(),
}


def trace(lib, graph, body, hooks=True):
    log = []
    x, w = tensor(lib, X), tensor(lib, W)

    def pack(t):
        who = "x" if t is x else "w" if t is w else "other"
        log.append(("pack", tuple(t.shape), who))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape)))
        return t

    with graph.saved_tensors_hooks(pack, unpack):
        y = body(lib, x, w)
    log.append("backward")
    y.backward()
    return log, x.grad.detach().numpy(), w.grad


@pytest.mark.parametrize("name", list(OPS))
def test_packed_and_unpacked_as_torch(name):
    (le, ge, _), (lt, gt, _) = (trace(lib, graph, OPS[name]) for lib, graph in sides())
    assert le == lt
    np.testing.assert_allclose(ge, gt, rtol=1e-12)


def test_only_the_innermost_hooks_apply_and_exit_restores():
    logs = []
    for lib, graph in sides():
        log = []
        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: log.append("outer") or t,
                                       lambda t: log.append("outer-u") or t):
            with graph.saved_tensors_hooks(lambda t: log.append("inner") or t,
                                           lambda t: log.append("inner-u") or t):
                a = x.exp()
            b = x.sin()
        c = x.cos()
        (a + b + c).sum().backward()
        logs.append(log)
    assert logs[0] == logs[1]
    assert sorted(logs[0]) == ["inner", "inner-u", "outer", "outer-u"]


def test_unpack_runs_each_time_backward_reads():
    counts = []
    for lib, graph in sides():
        n = [0]
        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: t, lambda t: n.__setitem__(0, n[0] + 1) or t):
            y = x.exp().sum()
        y.backward(retain_graph=True)
        y.backward()
        counts.append(n[0])
        np.testing.assert_allclose(x.grad.detach().numpy(), 2 * np.exp(X))
    assert counts[0] == counts[1] == 2


def test_packed_object_may_be_anything():
    grads = []
    for lib, graph in sides():
        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: {"kept": t * 2}, lambda p: p["kept"] / 2):
            y = (x * x.exp()).sum()
        y.backward()
        grads.append(x.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_second_order_through_hooks():
    out = []
    for lib, graph in sides():
        x = tensor(lib, X)
        with graph.save_on_cpu():
            y = (x * x * x).sin().sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        out.append((g.detach().numpy(), x.grad.detach().numpy(), g.grad_fn.name()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12)
    assert out[0][2] == out[1][2]


def test_second_order_through_a_dropped_output():
    out = []
    for lib, graph in sides():
        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t + 0):
            y = x.exp().sum() + x.tanh().sum()  # (exp's and tanh's outputs: saved, dropped)
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        out.append((g.detach().numpy(), x.grad.detach().numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12)


def test_custom_function_saved_tensors_are_packed():
    logs = []
    for lib, graph in sides():
        log = []

        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x ** 2

        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: log.append(("pack", t is x)) or t,
                                       lambda t: log.append("unpack") or t):
            y = Cube.apply(x).sum()
        y.backward()
        logs.append(log)
        np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.square(X))
    assert logs[0] == logs[1]


def errors_of(body):
    found = []
    for lib, graph in sides():
        try:
            body(lib, graph)
        except Exception as exc:  # noqa: BLE001 (compared)
            found.append((type(exc).__mro__, str(exc)))
        else:
            found.append(None)
    (e, t) = found
    assert e is not None and t is not None, found
    assert t[0][0].__name__ in [c.__name__ for c in e[0]], (e, t)
    assert e[1] == t[1]


@pytest.mark.parametrize("bad", [1, None, "tensor", (1, 2)])
def test_unpack_must_return_a_tensor(bad):
    def body(lib, graph):
        x = tensor(lib, X)
        with graph.saved_tensors_hooks(lambda t: t, lambda t: bad):
            y = x.exp().sum()
        y.backward()

    errors_of(body)


def test_pack_hook_writing_its_input_fails():
    def body(lib, graph):
        x, z = tensor(lib, X), tensor(lib, X, requires_grad=False)
        with graph.saved_tensors_hooks(lambda t: t.add_(1), lambda t: t):
            x * z

    errors_of(body)


def test_pack_hook_errors_propagate():
    def body(lib, graph):
        x = tensor(lib, X)

        def pack(t):
            raise ValueError("nope")

        with graph.saved_tensors_hooks(pack, lambda t: t):
            x.exp()

    errors_of(body)


def test_disable_saved_tensors_hooks():
    def body(lib, graph):
        with graph.disable_saved_tensors_hooks("hooks are off in here"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    errors_of(body)
    for _lib, graph in sides():  # outside it, hooks open again
        with graph.disable_saved_tensors_hooks("off"):
            pass
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass


def test_no_hooks_no_slow_branch():
    from engine.autograd import grad_mode

    assert grad_mode.SEEN[0] is False or grad_mode._made
    with EG.saved_tensors_hooks(lambda t: t, lambda t: t):
        assert grad_mode.SEEN[0]
        with EG.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass
        assert grad_mode.SEEN[0]
    assert bool(grad_mode.SEEN[0]) == bool(grad_mode._made)


def test_hooks_and_inference_tensors_together():
    with engine.inference_mode():
        a = engine.ones(3)
    x = tensor(engine, X)
    with EG.saved_tensors_hooks(lambda t: t, lambda t: t):
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved"):
            x * a
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved"):
        x * a  # still checked after the block: inference tensors live
    del a


def test_pack_runs_without_grad_mode():
    out = []
    for lib, graph in sides():
        seen = []
        x = tensor(lib, X)

        def pack(t):
            seen.append(lib.is_grad_enabled())
            return t * 1

        with graph.saved_tensors_hooks(pack, lambda t: t):
            y = x.exp().sum()
        y.backward()
        out.append((seen, x.grad.detach().numpy()))
    assert out[0][0] == out[1][0] == [False]
    np.testing.assert_allclose(out[0][1], out[1][1])
