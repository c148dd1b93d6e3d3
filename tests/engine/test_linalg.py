"""Linear algebra: values against NumPy, node names, dtype rules and torch's error texts."""

import numpy as np
import pytest

import engine as E

rng = np.random.default_rng(5)


def r(*shape):
    return rng.uniform(-2, 2, size=shape)


@pytest.mark.parametrize("fn,ref,args", [
    (lambda a, b: E.bmm(a, b), np.matmul, (r(2, 3, 4), r(2, 4, 5))),
    (lambda a, b: E.mv(a, b), np.dot, (r(3, 4), r(4))),
    (lambda a, b: E.outer(a, b), np.outer, (r(3), r(2))),
    (lambda a, b: E.ger(a, b), np.outer, (r(3), r(2))),
    (lambda a: E.trace(a), np.trace, (r(3, 5),)),
    (lambda a, b: E.tensordot(a, b), np.tensordot, (r(2, 3, 4), r(3, 4, 5))),
    (lambda a, b: E.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1), (r(2, 3), r(3, 2))),
    (lambda a, b: E.tensordot(a, b, ([0, 2], [2, 0])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), (r(2, 3, 4), r(4, 5, 2))),
    (lambda a, b: E.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, (r(2, 3), r(3, 4))),
    (lambda a, b: E.einsum("ij,jk", [a, b]), lambda a, b: a @ b, (r(2, 3), r(3, 4))),
    (lambda a: E.einsum("ii->i", a), np.diagonal, (r(3, 3),)),
    (lambda a: E.einsum("ii", a), np.trace, (r(3, 3),)),
    (lambda a: E.einsum("ji", a), np.transpose, (r(2, 3),)),
    (lambda a, b: E.einsum("...ij,...jk->...ik", a, b), np.matmul, (r(2, 1, 2, 3), r(4, 3, 2))),
    (lambda a, b: E.einsum("b i j, b j k -> b i k", a, b), np.matmul, (r(2, 2, 3), r(2, 3, 1))),
])
def test_values_match_numpy(fn, ref, args):
    got = fn(*[E.tensor(a) for a in args]).numpy()
    np.testing.assert_allclose(got, ref(*args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn,node", [
    (lambda a, m, b3: E.outer(a, a), "MulBackward0"),
    (lambda a, m, b3: E.mv(m, a), "MvBackward0"),
    (lambda a, m, b3: E.bmm(b3, b3), "BmmBackward0"),
    (lambda a, m, b3: E.trace(b3[0]), "TraceBackward0"),
    (lambda a, m, b3: E.tensordot(m, m, ([1], [1])), "ViewBackward0"),
])
def test_node_names_match_torch(fn, node):
    a = E.ones(3, requires_grad=True)
    m = E.ones(2, 3, requires_grad=True)
    b3 = E.ones(2, 3, 3, requires_grad=True)
    assert fn(a, m, b3).grad_fn.name() == node


def test_einsum_gradients_for_repeated_and_unshared_subscripts():
    m = E.tensor(r(3, 3), requires_grad=True)
    E.einsum("ii->", m).backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.eye(3))
    m.grad = None
    (E.einsum("ij->i", m) * E.tensor([1.0, 2.0, 3.0], dtype=E.float64)).sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.repeat([[1.0], [2.0], [3.0]], 3, 1))


def test_einsum_keeps_integer_dtype():
    a = E.tensor([[1, 2], [3, 4]])
    assert E.einsum("ij,jk->ik", a, a).tolist() == [[7, 10], [15, 22]]
    assert E.einsum("ij,jk->ik", a, a).dtype is E.int64


def test_outer_promotes_and_trace_of_ints_is_long():
    assert E.outer(E.zeros(2), E.zeros(3, dtype=E.int64)).dtype is E.float32
    assert E.trace(E.tensor([[1, 2], [3, 4]], dtype=E.int32)).dtype is E.int64


@pytest.mark.parametrize("fn,text", [
    (lambda: E.bmm(E.zeros(2, 3), E.zeros(2, 3)), "batch1 must be a 3D tensor"),
    (lambda: E.bmm(E.zeros(2, 3, 4), E.zeros(2, 3, 4)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 3]."),
    (lambda: E.bmm(E.zeros(2, 3, 4), E.zeros(3, 4, 4)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."),
    (lambda: E.bmm(E.zeros(2, 3, 4), E.zeros(2, 4, 4, dtype=E.float64)),
     "expected scalar type Float but found Double"),
    (lambda: E.mv(E.zeros(2, 3), E.zeros(4)), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: E.mv(E.zeros(3), E.zeros(3)), "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda: E.mv(E.zeros(2, 3), E.zeros(3, dtype=E.float64)),
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda: E.outer(E.zeros(2, 3), E.zeros(3)), "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: E.einsum("ij,jk->ik", E.zeros(2, 3), E.zeros(2, 3)),
     "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously "
     "seen size 3"),
    (lambda: E.einsum("ij,jk->ik", E.zeros(2, 3)),
     "einsum(): fewer operands were provided than specified in the equation"),
    (lambda: E.einsum("ij,jk->ik", E.zeros(2, 3), E.zeros(3, 2, dtype=E.float64)),
     "expected scalar type Float but found Double"),
    (lambda: E.trace(E.zeros(2, 2, 2)), "trace: expected a matrix, but got tensor with dim 3"),
    (lambda: E.tensordot(E.zeros(2, 3, 4), E.zeros(3, 5), 1),
     "contracted dimensions need to match, but first has size 4 in dim -1 and second has size 3 "
     "in dim 0"),
])
def test_errors_have_torch_text(fn, text):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert str(info.value) == text


def test_einsum_sublist_format_is_not_supported():
    with pytest.raises(E.errors.NotSupported):
        E.einsum(E.zeros(2, 2), [0, 1])
