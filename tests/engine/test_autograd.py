"""The autograd engine's semantics: accumulation, retain_graph, hooks, grad(), higher order,
modes, in-place checks and PyTorch's error texts (verbatim from goldens/errors.json)."""

from __future__ import annotations

import json
import pathlib
import threading

import numpy as np
import pytest

import engine
from engine import errors

GOLDEN = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())


def expect_error(key: str):
    want = GOLDEN[key]
    exc_type = {"RuntimeError": RuntimeError, "IndexError": IndexError,
                "ValueError": ValueError, "TypeError": TypeError}[want["type"]]
    return pytest.raises(exc_type, match="^" + _re(want["message"]) + "$")


def _re(text: str) -> str:
    import re

    return re.escape(text)


def leaf(values, **kw):
    return engine.tensor(values, requires_grad=True, **kw)


def test_backward_twice_fails_with_pytorch_text():
    x = engine.arange(4.0, requires_grad=True)
    y = 2 * engine.dot(x, x)
    y.backward()
    with expect_error("backward_twice"):
        y.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_graph_without_saved_tensors_can_backward_twice():
    x = leaf([1.0, 2.0])
    y = x.sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_nonscalar_backward_needs_gradient():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    with expect_error("nonscalar_backward"):
        (x * 2).backward()
    (x * 2).backward(gradient=engine.tensor([1.0, 0.0, 1.0, 0.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 0, 2, 0])


def test_backward_of_constant_fails():
    with expect_error("no_grad_fn_backward"):
        engine.ones(3).sum().backward()


def test_gradient_shape_mismatch_text():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    with expect_error("grad_shape_mismatch"):
        (x * 2).backward(gradient=engine.ones(3))


def test_passed_gradient_is_not_aliased_by_grad():
    x = leaf([1.0, 2.0])
    g = engine.tensor([1.0, 1.0])
    (x + 0).backward(gradient=g)
    x.grad.zero_()
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0])


def test_shared_gradient_is_not_aliased_between_leaves():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.item() == 1.0


def test_grad_accumulates_in_place():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert g is x.grad
    np.testing.assert_allclose(g.numpy(), [6.0, 6.0])


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * 3
    y.retain_grad()
    z.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])
    w = x * 5
    (w * 1).sum().backward()
    with pytest.warns(UserWarning):
        assert w.grad is None


def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [20.0, 20.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])


def test_hook_handle_removes():
    x = leaf([1.0])
    h = x.register_hook(lambda g: g * 0)
    h.remove()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_autograd_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0, 3.0])
    (gx,) = engine.grad((x ** 2).sum(), [x])
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0, 6.0])
    assert x.grad is None


def test_grad_of_non_leaf_input():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = (y * y).sum()
    (gy,) = engine.grad(z, y)
    np.testing.assert_allclose(gy.numpy(), [6.0, 12.0])


def test_grad_unused_and_not_requiring_texts():
    x, z = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    with expect_error("grad_unused"):
        engine.grad(y, [x, z], retain_graph=True)
    gx, gz = engine.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None and gx.item() == 2.0
    with expect_error("grad_not_requires"):
        engine.grad(y, [engine.ones(1)])


def test_second_and_third_derivatives():
    x = leaf(2.0)
    y = x ** 3
    (g1,) = engine.grad(y, x, create_graph=True)
    (g2,) = engine.grad(g1, x, create_graph=True)
    (g3,) = engine.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)


def test_second_derivative_of_sin_is_minus_sin():
    x = engine.linspace(-3, 3, 7, requires_grad=True)
    (g,) = engine.grad(x.sin().sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin(x.detach().numpy()), rtol=1e-6)


def test_backward_inputs_limits_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_no_grad_and_enable_grad():
    x = leaf([1.0])
    with engine.no_grad():
        y = x * 2
        with engine.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    with engine.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert engine.is_grad_enabled()


def test_modes_are_per_thread():
    seen = {}
    barrier = threading.Barrier(2)

    def worker(name, grad):
        with engine.set_grad_enabled(grad):
            barrier.wait()
            seen[name] = engine.is_grad_enabled()

    threads = [threading.Thread(target=worker, args=("a", False)),
               threading.Thread(target=worker, args=("b", True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": False, "b": True}


def test_detach_cuts_the_graph_and_shares_storage():
    x = leaf([1.0, 2.0])
    y = x * x
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None
    z = u * x
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), u.numpy())


def test_inplace_on_leaf_requiring_grad_fails():
    x = leaf([1.0, 1.0, 1.0])
    with expect_error("leaf_inplace"):
        x.add_(1)
    with engine.no_grad():
        x.add_(1)
    np.testing.assert_allclose(x.detach().numpy(), [2.0, 2.0, 2.0])


def test_modified_saved_tensor_fails_in_backward():
    a = engine.ones(3, requires_grad=True)
    b = a * 2
    b2 = b + 0
    c = b2 * b2
    b2.add_(1)
    # PyTorch names the node "Add" here since b2 came from an addition
    with expect_error("inplace_modified_saved"):
        c.sum().backward()


def test_modified_saved_leaf_text():
    a = engine.ones(3, requires_grad=True)
    c = a * a
    with engine.no_grad():
        a.add_(1)
    with expect_error("inplace_modified_saved_leaf_version"):
        c.sum().backward()


def test_inplace_on_non_leaf_has_correct_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.mul_(x)  # y = 2x^2, d/dx = 4x (mul_ keeps the old self for x's gradient)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_inplace_with_itself_as_operand_fails_in_backward_as_in_torch():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.mul_(y)  # the operand y was saved, then overwritten: torch 2.13 raises in backward
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[2\]\], which is output 0 of "
                                           r"Mul, is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_long_chain_backprops_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_requires_grad_only_for_floats():
    with expect_error("int_requires_grad"):
        engine.tensor([1, 2], requires_grad=True)
    with expect_error("int_requires_grad_method"):
        engine.arange(3).requires_grad_()


def test_numpy_item_bool_texts():
    with expect_error("numpy_requires_grad"):
        leaf([1.0]).numpy()
    with expect_error("item_multi"):
        engine.ones(4).item()
    with expect_error("bool_ambiguous"):
        bool(engine.ones(2))


def test_nonleaf_requires_grad_false_text():
    y = leaf([1.0]) * 2
    with expect_error("nonleaf_requires_grad_false"):
        y.requires_grad_(False)


@pytest.mark.parametrize("a,b,want", [
    (("float32", 1), 2, "float32"), (("int64", 1), 2.5, "float32"),
    (("int32", 1), 2, "int32"), (("float16", 1), 2.0, "float16"),
    (("bool", 1), 1, "int64"), (("bool", 1), True, "bool"),
    (("int32", 1), ("int64", 0), "int32"), (("int32", 1), ("float64", 0), "float64"),
    (("float16", 1), ("float64", 0), "float16"), (("int32", 1), ("int64", 1), "int64"),
    (("float16", 1), ("float32", 1), "float32"), (("int64", 1), ("float16", 1), "float16"),
    (("int64", 0), 2.5, "float32"), (("float64", 0), ("float32", 0), "float64"),
])
def test_type_promotion(a, b, want):
    def make(spec):
        if not isinstance(spec, tuple):
            return spec
        dtype, ndim = spec
        return engine.ones([2] * ndim, dtype=dtype)

    assert (make(a) * make(b)).dtype.name == want


def test_true_division_of_ints_is_float32():
    assert (engine.tensor([1, 2]) / 2).dtype is engine.float32


def test_generator_reproducible():
    g = engine.Generator().manual_seed(7)
    a = engine.randn(3, generator=g)
    g.manual_seed(7)
    b = engine.randn(3, generator=g)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with engine.use_generator(engine.Generator().manual_seed(7)):
        c = engine.randn(3)
    np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_element_limit_raised_before_allocation():
    with engine.use_limits(max_elements=1000):
        with pytest.raises(errors.TensorTooLarge):
            engine.zeros(100, 100)
        engine.zeros(10, 10)


def test_graph_node_names_and_next_functions():
    x = leaf([1.0, 2.0])
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward0"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    assert mul.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"


def test_normal_negative_std_texts():
    with expect_error("normal_std_negative"):
        engine.normal(engine.zeros(2), engine.tensor([-1.0, 1.0]))
    with expect_error("normal_scalar_std_negative"):
        engine.normal(0.0, -1.0, (2,))


def test_product_with_a_scalar_frees_its_saved_scalar():
    # PyTorch saves the scalar of ``a * 2`` as a wrapped tensor: a second backward fails
    a = leaf([0.5])
    d = a * 2 * 2
    d.backward()
    with expect_error("backward_twice"):
        d.backward()


def test_nodes_report_their_output_shapes():
    x = leaf([[1.0, 2.0, 3.0]])
    y = x.sum(dim=1)
    assert y.grad_fn.output_shapes == ((1,),)
    mx = x.max(dim=1)
    assert mx.values.grad_fn.output_shapes[0] == (1,)
    acc = y.grad_fn.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.output_shapes == ()
