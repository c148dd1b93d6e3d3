"""Shape ops: values against NumPy, node names, views sharing storage, dtype promotion, error
texts (from torch 2.13), and gradchecks for the list-taking ``cat`` and ``stack``."""

import json
import pathlib

import numpy as np
import pytest

import engine as E

ERRORS = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())
rng = np.random.default_rng(3)
A = np.arange(24.0).reshape(2, 3, 4)


def t(a=A, **kw):
    return E.tensor(a, **kw)


@pytest.mark.parametrize("fn,expected", [
    (lambda x: x.repeat(2, 1, 1), np.tile(A, (2, 1, 1))),
    (lambda x: x.repeat(2, 1, 1, 2), np.tile(A, (2, 1, 1, 2))),
    (lambda x: E.cat([x, x], 1), np.concatenate([A, A], 1)),
    (lambda x: E.concat([x, x], -1), np.concatenate([A, A], -1)),
    (lambda x: E.concatenate((x, x)), np.concatenate([A, A])),
    (lambda x: E.stack([x, x], 1), np.stack([A, A], 1)),
    (lambda x: E.stack([x, x], -1), np.stack([A, A], -1)),
    (lambda x: x.flip(0, 2), A[::-1, :, ::-1]),
    (lambda x: E.flip(x, dims=[1]), A[:, ::-1]),
    (lambda x: x.roll(1), np.roll(A, 1)),
    (lambda x: x.roll((1, -1), (0, 2)), np.roll(A, (1, -1), (0, 2))),
    (lambda x: x.narrow(2, -3, 2), A[:, :, 1:3]),
    (lambda x: x.select(1, -1), A[:, -1]),
    (lambda x: x.movedim(0, -1), np.moveaxis(A, 0, -1)),
    (lambda x: E.moveaxis(x, (0, 1), (2, 0)), np.moveaxis(A, (0, 1), (2, 0))),
    (lambda x: x.diagonal(), np.diagonal(A)),
    (lambda x: x.diagonal(1, 1, 2), np.diagonal(A, 1, 1, 2)),
    (lambda x: x.diagonal(-1, -1, 1), np.diagonal(A, -1, 2, 1)),
    (lambda x: x.tril(), np.tril(A)),
    (lambda x: x.triu(-1), np.triu(A, -1)),
    (lambda x: x.unflatten(2, (2, -1)), A.reshape(2, 3, 2, 2)),
    (lambda x: x.broadcast_to((3, 2, 3, 4)), np.broadcast_to(A, (3, 2, 3, 4))),
    (lambda x: x.view_as(E.zeros(6, 4)), A.reshape(6, 4)),
    (lambda x: x.reshape_as(E.zeros(4, 6)), A.reshape(4, 6)),
])
def test_forward_matches_numpy(fn, expected):
    np.testing.assert_array_equal(fn(t()).numpy(), expected)


def test_split_chunk_unbind_pieces():
    x = t()
    assert [p.shape[1] for p in x.split(2, 1)] == [2, 1]
    assert [p.shape[2] for p in E.split(x, [1, 3], 2)] == [1, 3]
    assert [tuple(p.shape) for p in E.chunk(E.zeros(5), 3)] == [(2,), (2,), (1,)]
    assert [tuple(p.shape) for p in E.chunk(E.zeros(6), 4)] == [(2,), (2,), (2,)]
    assert [tuple(p.shape) for p in E.chunk(E.zeros(0), 3)] == [(0,), (0,), (0,)]
    assert [tuple(p.shape) for p in E.split(E.zeros(0), 2)] == [(0,)]
    pieces = x.unbind(2)
    assert len(pieces) == 4
    np.testing.assert_array_equal(pieces[3].numpy(), A[:, :, 3])
    assert [r.tolist() for r in E.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


@pytest.mark.parametrize("fn,node", [
    (lambda y: y.split(1)[0], "SplitBackward0"), (lambda y: y.chunk(2, 1)[1], "SplitBackward0"),
    (lambda y: y.split([1, 2], 1)[0], "SplitWithSizesBackward0"),
    (lambda y: y.unbind(1)[2], "UnbindBackward0"), (lambda y: y.movedim(0, 2), "PermuteBackward0"),
    (lambda y: y.flip(0), "FlipBackward0"), (lambda y: y.roll(1, 0), "RollBackward0"),
    (lambda y: y.repeat(2, 1, 1), "RepeatBackward0"), (lambda y: E.cat([y, y]), "CatBackward0"),
    (lambda y: E.stack([y, y]), "StackBackward0"), (lambda y: y.tril(), "TrilBackward0"),
    (lambda y: y.triu(), "TriuBackward0"), (lambda y: y.diagonal(), "DiagonalBackward0"),
    (lambda y: E.broadcast_to(y, (2, 2, 3, 4)), "ExpandBackward0"),
    (lambda y: y.unflatten(2, (2, 2)), "ViewBackward0"), (lambda y: y.view_as(y), "ViewBackward0"),
    (lambda y: y.reshape_as(y), "ViewBackward0"), (lambda y: y.narrow(1, 0, 2), "SliceBackward0"),
    (lambda y: y.select(1, 0), "SelectBackward0"),
    (lambda y: E.broadcast_tensors(y, E.zeros(3, 1))[0], "MulBackward0"),  # (y itself)
    (lambda y: E.broadcast_tensors(y, E.zeros(5, 1, 1, 1))[0], "ExpandBackward0"),
])
def test_node_names_match_torch(fn, node):
    y = t(requires_grad=True) * 1
    assert fn(y).grad_fn.name() == node


@pytest.mark.parametrize("fn", [
    lambda y: y.split(1)[0], lambda y: y.unbind(1)[2], lambda y: y.movedim(0, 2),
    lambda y: y.diagonal(0, 1, 2), lambda y: y.narrow(1, 0, 2), lambda y: y.select(1, 0),
    lambda y: y.unflatten(2, (2, 2)), lambda y: y.chunk(3, 2)[1],
])
def test_views_share_storage_with_base(fn):
    y = t(A.copy()) * 1
    v = fn(y)
    assert v._base is y
    v.fill_(-1.0)
    assert (y.numpy() == -1).sum() == v.numel()
    assert y._version == v._version == 1


@pytest.mark.parametrize("fn, text", [
    (lambda y: y.split(2, 1)[1], "Output 1 of Split is a view"),
    (lambda y: y.unbind(0)[1], "Output 1 of Unbind is a view"),
    (lambda y: y.chunk(2, 1)[0].T, "Output 0 of Permute is a view"),
])
def test_inplace_on_one_of_several_views_refuses_as_torch(fn, text):
    y = t(requires_grad=True) * 1
    with pytest.raises(RuntimeError, match=text + " and is being modified inplace. This view "
                       "is the output of a function that returns multiple views."):
        fn(y).mul_(3)


@pytest.mark.parametrize("fn", [
    lambda y: y.diagonal(), lambda y: y.movedim(2, 0), lambda y: y.narrow(2, 1, 2),
    lambda y: y.T, lambda y: y.view(-1), lambda y: y[1:, ::2].unsqueeze(0),
])
def test_inplace_on_view_flows_gradient_through_copy_slices(fn):
    x = t(requires_grad=True)
    y = x * 1
    v = fn(y)
    v.mul_(3)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    y.sum().backward()
    expected = np.ones_like(A)
    probe = np.zeros_like(A)
    with E.no_grad():
        marker = E.tensor(probe)
        fn(marker).fill_(1.0)
    expected[marker.numpy() == 1] = 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_cat_promotes_and_skips_legacy_empty():
    x = E.zeros(2, 3)
    assert E.cat([x, x.long(), x.double()]).dtype is E.float64
    assert E.cat([x.long(), x.int()]).dtype is E.int64
    assert tuple(E.cat([E.zeros(0), x]).shape) == (2, 3)
    assert E.stack([x, x.double()]).dtype is E.float64


def _numeric_grad(f, arrays, eps=1e-6):
    out = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for j in range(a.size):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            g.reshape(-1)[j] = (f(plus) - f(minus)) / (2 * eps)
        out.append(g)
    return out


@pytest.mark.parametrize("op,shapes,dim", [
    ("cat", [(2, 3), (1, 3), (4, 3)], 0), ("cat", [(2, 3), (2, 1)], -1),
    ("cat", [(2, 0), (2, 2)], 1), ("cat", [(0,), (2, 2)], 0),
    ("stack", [(2, 3), (2, 3)], 0), ("stack", [(3,), (3,), (3,)], 1), ("stack", [(), ()], 0),
])
def test_list_ops_gradcheck_first_and_second_order(op, shapes, dim):
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    w = None

    def build(arrs, grad=True):
        ts = [E.tensor(a, requires_grad=grad) for a in arrs]
        return ts, getattr(E, op)(ts, dim)

    ts, out = build(arrays)
    w = E.tensor(rng.standard_normal(tuple(out.shape)))

    def value(arrs):
        with E.no_grad():
            return float((build(arrs, False)[1] * w * build(arrs, False)[1]).sum())

    loss = (out * w * out).sum()
    grads = E.grad(loss, ts, create_graph=True)
    for g, n in zip(grads, _numeric_grad(value, arrays), strict=True):
        np.testing.assert_allclose(g.detach().numpy(), n, atol=1e-5, rtol=1e-3)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    s = sum(((g * E.tensor(v)).sum() for g, v in zip(grads, vs, strict=True)), E.tensor(0.0,
            dtype=E.float64))
    second = E.grad(s, ts, allow_unused=True)

    def first_dot_v(arrs):
        ts2, o = build(arrs)
        gs = E.grad((o * w * o).sum(), ts2)
        return sum(float((g.numpy() * v).sum()) for g, v in zip(gs, vs, strict=True))

    for g, n in zip(second, _numeric_grad(first_dot_v, arrays), strict=True):
        np.testing.assert_allclose(g.numpy(), n, atol=1e-4, rtol=1e-2)


@pytest.mark.parametrize("fn,kind,text", [
    (lambda: E.cat([E.zeros(2, 3), E.zeros(3)]), RuntimeError,
     ERRORS["cat_different_dims"]["message"]),
    (lambda: E.cat([E.zeros(2, 3), E.zeros(2, 4)]), RuntimeError,
     ERRORS["cat_size_mismatch"]["message"]),
    (lambda: E.cat([]), ValueError, ERRORS["cat_empty_list"]["message"]),
    (lambda: E.stack([E.zeros(3), E.zeros(4)]), RuntimeError,
     ERRORS["stack_different_shapes"]["message"]),
    (lambda: E.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda: E.cat([E.tensor(1.0), E.tensor(2.0)]), RuntimeError,
     "zero-dimensional tensor (at position 0) cannot be concatenated"),
    (lambda: E.cat([E.zeros(2, 3)] * 2, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: E.zeros(2, 3).repeat(2), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
     "tensor"),
    (lambda: E.zeros(2, 3).repeat(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -3: [4, -3]"),
    (lambda: E.select(E.zeros(2, 3), 1, 5), IndexError,
     "select(): index 5 out of range for tensor of size [2, 3] at dimension 1"),
    (lambda: E.zeros(2, 3).narrow(1, 4, 1), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got 4)"),
    (lambda: E.zeros(2, 3).narrow(1, 1, 3), RuntimeError,
     "start (1) + length (3) exceeds dimension size (3)."),
    (lambda: E.zeros(2, 3).narrow(1, 1, -1), RuntimeError,
     "narrow(): length must be non-negative."),
    (lambda: E.split(E.zeros(2, 3), [1, 1], 1), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at "
     "dimension 1), but got split_sizes=[1, 1]"),
    (lambda: E.split(E.zeros(2, 3), 0, 1), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
    (lambda: E.split(E.zeros(2, 3), -1, 1), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    (lambda: E.chunk(E.zeros(2, 3), 0), RuntimeError,
     "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda: E.unbind(E.tensor(1.0)), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: E.zeros(2, 3).flip(0, 0), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda: E.zeros(2, 3).roll((1, 2), (0,)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda: E.zeros(2, 3).roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda: E.movedim(E.zeros(2, 3, 4), (0, 0), (2, 1)), RuntimeError,
     "movedim: repeated dim in `source` ([0, 0])"),
    (lambda: E.movedim(E.zeros(2, 3, 4), (0, 1), (2,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
     "number of dims as destination ([2] dims)"),
    (lambda: E.zeros(2, 3).diagonal(0, 1, 1), RuntimeError,
     "diagonal dimensions cannot be identical 1, 1"),
    (lambda: E.tril(E.zeros(3)), RuntimeError,
     "tril: input tensor must have at least 2 dimensions"),
    (lambda: E.broadcast_shapes((2, 3), (4,)), RuntimeError,
     "Attempting to broadcast a dimension of length 4 at -1! Mismatching argument at index 1 "
     "had (4,); but expected shape should be broadcastable to [2, 3]"),
    (lambda: E.broadcast_tensors(E.zeros(2, 3), E.zeros(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension "
     "1"),
    (lambda: E.broadcast_to(E.zeros(3), (2, 4)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]"),
    (lambda: E.zeros(2, 3).unflatten(1, (2, 2)), RuntimeError,
     "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3) in the input "
     "tensor"),
])
def test_errors_have_torch_text(fn, kind, text):
    with pytest.raises(kind) as info:
        fn()
    assert str(info.value) == text


def test_broadcast_helpers():
    assert E.broadcast_shapes((2, 1), (3,)) == E.Size([2, 3])
    assert E.broadcast_shapes(5, (1, 1)) == E.Size([1, 5])
    a, b = E.broadcast_tensors(E.zeros(3, 1), E.ones(4))
    assert tuple(a.shape) == tuple(b.shape) == (3, 4) and b._base is not None


def test_growth_ops_check_the_element_limit():
    with E.use_limits(max_elements=10):
        for fn in (lambda: E.zeros(3).repeat(4), lambda: E.cat([E.zeros(6), E.zeros(6)]),
                   lambda: E.stack([E.zeros(6), E.zeros(6)])):
            with pytest.raises(E.errors.TensorTooLarge):
                fn()


def test_tril_triu_inplace_and_gradients():
    x = E.ones(3, 3, requires_grad=True)
    y = x * 2
    y.triu_(1)
    y.sum().backward()
    assert x.grad.numpy().tolist() == np.triu(np.full((3, 3), 2.0), 1).tolist()


def test_repeat_gradient_sums_tiles():
    x = E.tensor([1.0, 2.0], requires_grad=True)
    (x.repeat(3, 2) * E.arange(12.0).reshape(3, 4)).sum().backward()
    assert x.grad.tolist() == [0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11]
