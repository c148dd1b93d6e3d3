"""Custom autograd Functions, grad modes, node hooks and anomaly detection, as PyTorch has
them (the texts were checked against torch 2.13; the numbers are recomputed here)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
import engine.autograd.forward_ad as fwAD
from engine.autograd import Function, apply_function, gradcheck, gradgradcheck, once_differentiable


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class MulConstant(Function):  # the setup_context style
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.constant = inputs[1]

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


def test_custom_function_node_carries_the_class_name_and_gradient():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    assert repr(y) == "tensor([2.7183, 7.3891], grad_fn=<ExpBackward>)"
    assert y.grad_fn.name() == "ExpBackward" and type(y.grad_fn).__name__ == "ExpBackward"
    assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_setup_context_style_and_ctx_attributes():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = MulConstant.apply(x, 3.0)
    assert repr(y) == "tensor([3., 6.], grad_fn=<MulConstantBackward>)"
    assert y.grad_fn.constant == 3.0
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_forward_runs_without_grad_and_needs_input_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["grad"] = engine.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    a = engine.ones(2, requires_grad=True)
    Probe.apply(a, engine.ones(2), 2.0)
    assert seen == {"grad": False, "needs": (True, False, False)}


def test_gradient_count_and_shape_errors_use_torch_texts():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class Bad2(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^function BadBackward returned an incorrect number "
                                           r"of gradients \(expected 2, got 1\)$"):
        Bad.apply(x, x).sum().backward()
    with pytest.raises(RuntimeError, match=r"^Function Bad2Backward returned an invalid gradient "
                                           r"at index 0 - got \[1\] but expected shape "
                                           r"compatible with \[2\]$"):
        Bad2.apply(x).sum().backward()


def test_mark_non_differentiable_and_materialized_zero_grads():
    got = {}

    class MaxWithIndex(Function):
        @staticmethod
        def forward(ctx, a):
            v, i = a.max(0)
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            ctx.n = a.shape[0]
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            got["gi"] = gi
            (i,) = ctx.saved_tensors
            return (engine.arange(ctx.n) == i).to(engine.float32) * gv

    x = engine.tensor([1.0, 3.0, 2.0], requires_grad=True)
    v, i = MaxWithIndex.apply(x)
    assert repr(v) == "tensor(3., grad_fn=<MaxWithIndexBackward>)" and repr(i) == "tensor(1)"
    v.backward()
    assert repr(got["gi"]) == "tensor(0)"
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_returning_an_input_gives_a_view_with_the_node():
    class Id(Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    o = Id.apply(x)
    assert o is not x and o._base is x and repr(o) == "tensor([1., 2.], grad_fn=<IdBackward>)"


def test_double_backward_through_a_custom_function_and_once_differentiable():
    class Cube(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a ** 2 * g

    class CubeOnce(Cube):
        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a ** 2 * g

    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,)) and gradgradcheck(Cube.apply, (x,))
    (gx,) = engine.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (ggx,) = engine.autograd.grad(gx.sum(), x)
    assert ggx.tolist() == [6.0, 12.0]
    g = engine.ones(2, dtype=engine.float64, requires_grad=True)
    (gx,) = engine.autograd.grad(CubeOnce.apply(x), x, g, create_graph=True)
    # torch's once_differentiable: one Error node over leaves made of the gradients
    assert gx.grad_fn.name() == "torch::autograd::Error" and type(gx.grad_fn).__name__ == "Error"
    (acc, nr), = gx.grad_fn.next_functions
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is not x
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        gx.sum().backward()


def test_apply_function_is_the_plain_callable_core():
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return 2 * a * g

    x = engine.tensor([3.0], requires_grad=True)
    y = apply_function("Square", forward, backward, (x,))
    assert y.grad_fn.name() == "SquareBackward"
    y.backward()
    assert x.grad.tolist() == [6.0]


def test_legacy_instantiation_is_refused():
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        Exp()


def test_no_graph_without_grad():
    x = engine.tensor([1.0], requires_grad=True)
    with engine.no_grad():
        assert Exp.apply(x).grad_fn is None
    assert not Exp.apply(engine.ones(1)).requires_grad


# --------------------------------------------------------------------------- grad modes
def test_set_grad_enabled_as_function_context_and_decorator():
    @engine.set_grad_enabled(False)
    def inner():
        return engine.is_grad_enabled()

    assert engine.is_grad_enabled() and inner() is False and engine.is_grad_enabled()
    engine.set_grad_enabled(False)
    assert not engine.is_grad_enabled()
    engine.set_grad_enabled(True)
    with engine.set_grad_enabled(False):
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()


def test_inference_mode():
    a = engine.ones(2, requires_grad=True)
    with engine.inference_mode():
        assert engine.is_inference_mode_enabled() and not engine.is_grad_enabled()
        b = a * 2
    assert not b.requires_grad and not engine.is_inference_mode_enabled()

    @engine.inference_mode()
    def f():
        return engine.is_grad_enabled()

    assert f() is False and engine.is_grad_enabled()


# --------------------------------------------------------------------------- hooks, anomaly
def test_node_hooks_and_prehooks():
    calls = []
    w = engine.ones(2, requires_grad=True)
    y = w * 3
    y.grad_fn.register_prehook(lambda go: calls.append(("pre", [t.tolist() for t in go])))
    h = y.grad_fn.register_hook(
        lambda gi, go: calls.append(("post", [None if t is None else t.tolist() for t in gi])))
    acc = y.grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: calls.append(("acc", gi, go[0].tolist())))
    y.sum().backward()
    assert calls == [("pre", [[1.0, 1.0]]), ("post", [[3.0, 3.0], None]),
                     ("acc", (), [3.0, 3.0])]
    h.remove()
    y2 = w * 2
    y2.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
    w.grad = None
    y2.sum().backward()
    assert w.grad.tolist() == [20.0, 20.0]
    assert y2.grad_fn.metadata == {}


def test_detect_anomaly_names_the_forward_op():
    x = engine.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with engine.autograd.detect_anomaly():
            assert engine.autograd.is_anomaly_enabled()
            y = engine.sqrt(x)
            with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan "
                                                   r"values in its 0th output\.$"):
                (y * engine.tensor([0.0, 1.0])).sum().backward()
    assert not engine.autograd.is_anomaly_enabled()
    texts = [str(w.message) for w in caught]
    assert texts[0].startswith("Anomaly Detection has been enabled.")
    assert any(t.startswith("Error detected in SqrtBackward0. Traceback of forward call") and
               "y = engine.sqrt(x)" in t for t in texts)


def test_set_detect_anomaly_function_and_context():
    with engine.autograd.set_detect_anomaly(True, check_nan=False):
        assert engine.autograd.is_anomaly_enabled()
        assert not engine.autograd.is_anomaly_check_nan_enabled()
    assert not engine.autograd.is_anomaly_enabled()


def test_retain_grad_and_next_functions():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward()
    assert y.grad.tolist() == [4.0, 8.0]
    names = [f.name() for f, _ in z.grad_fn.next_functions]
    assert names == ["MulBackward0"]


def test_set_materialize_grads_false_passes_none_for_unused_outputs_and_tangents():
    seen = []

    class Two(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_forward(x)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append((ga, gb))
            return ga * 2 + (0 if gb is None else gb * 3), None

        @staticmethod
        def jvp(ctx, tx, tm):
            return tx * 2, tx * 3

    class Mul(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, materialize):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_forward(x, y)
            return x * y

        @staticmethod
        def jvp(ctx, tx, ty, tm):
            seen.append((tx, ty, tm))
            x, y = ctx.saved_tensors  # in jvp: what save_for_forward kept (as in torch)
            return tx * y + (0 if ty is None else ty * x)

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    for materialize in (True, False):
        a, _ = Two.apply(x, materialize)
        a.sum().backward()
        ga, gb = seen.pop()
        assert ga.tolist() == [1.0, 1.0]
        assert (gb is None) if not materialize else gb.tolist() == [0.0, 0.0]
        assert x.grad.tolist() == [2.0, 2.0]
        x.grad = None
        with fwAD.dual_level():
            d = fwAD.make_dual(engine.tensor([1.0, 2.0]), engine.ones(2))
            out = Mul.apply(d, engine.tensor([3.0, 4.0]), materialize)
            assert fwAD.unpack_dual(out).tangent.tolist() == [3.0, 4.0]
        tx, ty, tm = seen.pop()
        assert tm is None and tx.tolist() == [1.0, 1.0]
        assert (ty is None) if not materialize else ty.tolist() == [0.0, 0.0]


class SaveDouble(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x * 2)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (double,) = ctx.saved_tensors
        return grad_output * double


@pytest.mark.parametrize("fn", [Exp, SaveDouble], ids=["saves its output", "saves a temporary"])
def test_a_custom_functions_graph_dropped_without_backward_goes_at_once(fn):
    """No reference cycle through a custom Function's node (its gradient rule, or what
    ``save_for_backward`` was given): its saved tensors go with its output, as torch frees
    them, not at the next cyclic collection (a loop of forwards without backward kept every
    step's saved tensors until then). After ``apply``, ``ctx.to_save`` is None, as torch's."""
    import gc
    import weakref

    x = engine.randn(1000, requires_grad=True)
    enabled = gc.isenabled()
    gc.disable()
    try:
        y = fn.apply(x)
        assert y.grad_fn.to_save is None
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None
    finally:
        if enabled:
            gc.enable()
    y = fn.apply(x)  # and backward still reads ctx and its saved tensors
    y.sum().backward()
    expected = x.detach().exp() if fn is Exp else x.detach() * 2
    np.testing.assert_array_equal(x.grad.numpy(), expected.numpy())
