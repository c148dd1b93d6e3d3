"""Indexing and assignment with PyTorch's rules: views for basic keys, copies for advanced
ones, the in-place semantics of ``t[key] = v`` (CopySlices), error texts, and the index ops.
Expected values were read from torch 2.13."""

import json
import pathlib

import numpy as np
import pytest

import engine as E

ERRORS = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())


def arange(*shape, requires_grad=False):
    n = int(np.prod(shape))
    return E.tensor(np.arange(n, dtype=np.float32).reshape(shape) + 1,
                    requires_grad=requires_grad)


A = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("key,shape,node,is_view", [
    (0, (3, 4), "SelectBackward0", True),
    (slice(1, 2), (1, 3, 4), "SliceBackward0", True),
    (slice(None), (2, 3, 4), "SliceBackward0", True),
    (Ellipsis, (2, 3, 4), "AliasBackward0", True),
    ((slice(None), slice(None)), (2, 3, 4), "AliasBackward0", True),
    (None, (1, 2, 3, 4), "UnsqueezeBackward0", True),
    ((0, 1), (4,), "SelectBackward0", True),
    ((1, None, Ellipsis, None, 2), (1, 3, 1), "SelectBackward0", True),
    ([0, 1], (2, 3, 4), "IndexBackward0", False),
    ([[0, 1]], (2, 3, 4), "IndexBackward0", False),
    ((0, slice(None), [1, 2]), (3, 2), "IndexBackward0", False),
    (([0, 1], slice(None), [1, 2]), (2, 3), "IndexBackward0", False),
    ((slice(None), [0, 1], [1, 2]), (2, 2), "IndexBackward0", False),
    (True, (1, 2, 3, 4), "IndexBackward0", False),
    (False, (0, 2, 3, 4), "IndexBackward0", False),
    (slice(10, 20), (0, 3, 4), "SliceBackward0", True),
])
def test_getitem_shape_node_and_view_like_torch(key, shape, node, is_view):
    y = E.tensor(A, requires_grad=True) * 1
    r = y[key]
    assert tuple(r.shape) == shape
    assert r.grad_fn.name() == node
    assert (r._base is not None) == is_view


def test_zero_dim_int_tensor_indexes_like_an_int():
    y = E.tensor(A, requires_grad=True) * 1
    r = y[E.tensor(1)]
    assert r.grad_fn.name() == "SelectBackward0"
    np.testing.assert_array_equal(r.detach().numpy(), A[1])


@pytest.mark.parametrize("key", [
    (1, slice(0, 3, 2)), (Ellipsis, 1), (slice(None), [2, 0, 2]), ([1, 0], [2, 2], [3, 0]),
    (slice(None), slice(1, None), [0, 3]), (-1, -2, -3), (slice(-5, 2),),
])
def test_getitem_values_match_numpy(key):
    np.testing.assert_array_equal(E.tensor(A)[key].numpy(), A[key])


def test_boolean_masks_tensor_and_list():
    t = E.tensor(A)
    np.testing.assert_array_equal(t[t > 5].numpy(), A[A > 5])
    np.testing.assert_array_equal(t[:, [True, False, True]].numpy(), A[:, [True, False, True]])
    m = E.tensor(A[0] > 3)
    np.testing.assert_array_equal(t[1, m].numpy(), A[1][A[0] > 3])


def test_ints_select_before_advanced_indices_unlike_numpy():
    # torch applies the int first, so the advanced dim stays in place: (3, 2), not (2, 3)
    assert tuple(E.tensor(A)[0, :, [1, 2]].shape) == (3, 2)


@pytest.mark.parametrize("key,kind,text", [
    (5, IndexError, ERRORS["index_out_of_bounds"]["message"].replace("size 3", "size 2")),
    (-3, IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
    ((0, 5), IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    ((None, 0, 5), IndexError, "index 5 is out of bounds for dimension 2 with size 3"),
    ([5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    (([0, 0], [0, 9]), IndexError, "index 9 is out of bounds for dimension 1 with size 3"),
    ((slice(None), 0, [5]), IndexError, "index 5 is out of bounds for dimension 0 with size 4"),
    ((0, 0, 0, 0), IndexError, "too many indices for tensor of dimension 3"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    (1.5, IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                      "Variables are valid indices (got float)"),
    (E.tensor([1.0]), IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    (E.tensor(np.ones((2, 4), dtype=bool)), IndexError,
     "The shape of the mask [2, 4] at index 1 does not match the shape of the indexed tensor "
     "[2, 3, 4] at index 1"),
    ((E.tensor([0, 1]), E.tensor([0, 1, 2])), IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
])
def test_getitem_errors_have_torch_text(key, kind, text):
    with pytest.raises(kind) as info:
        E.tensor(A)[key]
    assert str(info.value) == text


def test_errors_json_index_texts():
    with pytest.raises(IndexError) as info:
        E.zeros(3)[5]
    assert str(info.value) == ERRORS["index_out_of_bounds"]["message"]
    with pytest.raises(IndexError) as info:
        E.zeros(3)[0, 0]
    assert str(info.value) == ERRORS["index_too_many"]["message"]


def test_zero_dim_tensor_index_text():
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor\. Use `tensor\.item"):
        E.tensor(3.0)[0]
    assert tuple(E.tensor(3.0)[None].shape) == (1,)
    assert E.tensor(3.0)[...].grad_fn is None


def test_basic_views_share_storage_and_version():
    t = E.zeros(3, 4)
    v = t[1]
    t[1, 2] = 5.0
    assert v.tolist() == [0.0, 0.0, 5.0, 0.0]
    v2 = t.t()
    t[[0, 1], [0, 0]] = 7.0
    assert v2[0].tolist() == [7.0, 7.0, 0.0]
    assert v.tolist() == [7.0, 0.0, 5.0, 0.0]
    assert t._version == v._version == 2
    v[3] = 9.0  # writing through a view reaches the base
    assert t[1, 3].item() == 9.0


def test_advanced_getitem_copies():
    t = E.zeros(3)
    c = t[[0, 1]]
    c[0] = 4.0
    assert t.tolist() == [0.0, 0.0, 0.0]


def test_getitem_gradient_accumulates_repeated_indices():
    x = arange(6, requires_grad=True)
    x[[1, 1, 2]].sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 1.0, 0.0, 0.0, 0.0]


def test_getitem_double_backward():
    x = E.tensor([1.0, 2.0, 3.0], dtype=E.float64, requires_grad=True)
    y = (x[[0, 0, 2]] ** 3).sum()
    (g,) = E.grad(y, x, create_graph=True)
    assert g.tolist() == [6.0, 0.0, 27.0]
    (h,) = E.grad(g.sum(), x)
    assert h.tolist() == [12.0, 0.0, 18.0]


# --------------------------------------------------------------------------- setitem
@pytest.mark.parametrize("key,text_key", [
    (0, "leaf_setitem"), ([0], "leaf_inplace"), (Ellipsis, "leaf_inplace"),
    ((0, [1]), "leaf_setitem"), (None, "leaf_setitem"), (slice(None), "leaf_inplace"),
    ((slice(None), 0), "leaf_setitem"),
])
def test_setitem_on_leaf_that_requires_grad_raises_torch_text(key, text_key):
    x = E.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        x[key] = 1.0
    assert str(info.value) == ERRORS[text_key]["message"]


def test_setitem_on_leaf_allowed_under_no_grad():
    x = E.zeros(3, requires_grad=True)
    with E.no_grad():
        x[0] = 2.0
    assert x.tolist() == [2.0, 0.0, 0.0] and x.is_leaf


def test_setitem_node_names():
    x = E.zeros(3, 4, requires_grad=True)
    y = x * 1
    y[0] = 1.0
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    y[[0]] = 1.0
    assert y.grad_fn.name() == "IndexPutBackward0"
    y[...] = E.ones(4)
    assert y.grad_fn.name() == "torch::autograd::CopyBackwards"
    y[...] = 2.0
    assert y.grad_fn.name() == "FillBackward3"


def test_setitem_into_plain_tensor_joins_the_graph():
    z = E.zeros(3)
    w = E.ones(1, requires_grad=True)
    z[1] = w[0] * 2
    assert z.grad_fn.name() == "torch::autograd::CopySlices" and not z.is_leaf and z.requires_grad
    z.sum().backward()
    assert w.grad.tolist() == [2.0]


def _run(f, *shapes):
    xs = [arange(*s, requires_grad=True) for s in shapes]
    r = f(*xs)
    w = E.tensor(np.arange(r.numel(), dtype=np.float32).reshape(tuple(r.shape)) + 1)
    (r * w).sum().backward()
    return r.detach().tolist(), [None if x.grad is None else x.grad.tolist() for x in xs]


def _mulslice(x):
    y = x * 1
    y[0:2].mul_(2)
    return y


def _view_after_base_change(x):
    y = x * 1
    v = y[1]
    y.add_(1)
    return v * 3


def _set_advanced(x):
    y = x * 2
    y[[1, 1, 2]] = 0.0
    return y


def _set_advanced_tensor(x, w):
    y = x * 1
    y[[1, 1]] = w
    return y


def _set_into_zeros(x, w):
    y = E.zeros(4, 2)
    y[1:3] = w * x[0]
    return y


def _nested_view_write(x):
    y = x * 1
    v = y[1]
    v[0:2] = v[2:4].exp()
    return y


def _view_of_view_inplace(x):
    y = x * 1
    v = y[1:]
    w = v[:, 1]
    w.mul_(3)
    return y + v.sum()


def _mixed_set(x, w):
    y = x * 1
    y[0, [1, 2]] = w
    return y


@pytest.mark.parametrize("fn,shapes,value,grads", [
    (_mulslice, [(4,)], [2.0, 4.0, 3.0, 4.0], [[2.0, 4.0, 3.0, 4.0]]),
    (_view_after_base_change, [(4,)], 9.0, [[0.0, 3.0, 0.0, 0.0]]),
    (_set_advanced, [(4,)], [2.0, 0.0, 0.0, 8.0], [[2.0, 0.0, 0.0, 8.0]]),
    (_set_advanced_tensor, [(4,), (2,)], [1.0, 2.0, 3.0, 4.0],
     [[1.0, 0.0, 3.0, 4.0], [2.0, 2.0]]),
    (_set_into_zeros, [(3,), (2,)], [[0.0, 0.0], [1.0, 2.0], [1.0, 2.0], [0.0, 0.0]],
     [[28.0, 0.0, 0.0], [8.0, 10.0]]),
    (_nested_view_write, [(2, 4)],
     [[1.0, 2.0, 3.0, 4.0], [1096.6331787109375, 2980.9580078125, 7.0, 8.0]],
     [[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 5490.166015625, 17893.748046875]]]),
    (_view_of_view_inplace, [(3, 3)], [[66.0, 67.0, 68.0], [69.0, 80.0, 71.0],
                                       [72.0, 89.0, 74.0]],
     [[[1.0, 2.0, 3.0], [49.0, 150.0, 51.0], [52.0, 159.0, 54.0]]]),
    (_mixed_set, [(2, 3), (2,)], [[1.0, 1.0, 2.0], [4.0, 5.0, 6.0]],
     [[[1.0, 0.0, 0.0], [4.0, 5.0, 6.0]], [2.0, 3.0]]),
])
def test_inplace_through_views_matches_torch_gradients(fn, shapes, value, grads):
    got_value, got_grads = _run(fn, *shapes)
    np.testing.assert_allclose(got_value, value, rtol=1e-6)
    for g, want in zip(got_grads, grads, strict=True):
        np.testing.assert_allclose(g, want, rtol=1e-5)


def test_copy_slices_double_backward():
    x = E.tensor([1.0, 2.0, 3.0], dtype=E.float64, requires_grad=True)
    y = x * x
    y[0:2].mul_(x[2])  # y = [x0^2 x2, x1^2 x2, x2^2]
    (g,) = E.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.tolist(), [2 * 1 * 3, 2 * 2 * 3, 1 + 4 + 6])
    (h,) = E.grad(g[2], x)  # d/dx of (x0^2 + x1^2 + 2 x2)
    np.testing.assert_allclose(h.tolist(), [2.0, 4.0, 2.0])


def test_setitem_casts_and_broadcasts_value():
    a = E.zeros(3, dtype=E.int64)
    a[0] = 2.7
    a[[1]] = 5
    assert a.tolist() == [2, 5, 0]
    b = E.zeros(3)
    b[0] = E.tensor(2.0, dtype=E.float64)
    assert b.dtype is E.float32
    z = E.zeros(3, 4)
    z[0] = E.ones(1, 1, 4)
    z[[1]] = E.ones(1, 1, 1, 4) * 2
    z[2, 1:3] = E.tensor([5.0, 6.0])
    assert z.tolist() == [[1.0] * 4, [2.0] * 4, [0.0, 5.0, 6.0, 0.0]]
    with pytest.raises(TypeError, match="can't assign a list to a torch.FloatTensor"):
        z[2, 1:3] = [5.0, 6.0]  # torch takes a tensor or a number, never a list


@pytest.mark.parametrize("key,value,text", [
    (1, lambda: E.ones(3),
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 0.  Target sizes: [4].  Tensor sizes: [3]"),
    ([1], lambda: E.ones(3),
     "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape "
     "[1, 4]"),
    ([0], lambda: E.ones(2, 2, 4),
     "shape mismatch: value tensor of shape [2, 2, 4] cannot be broadcast to indexing result of "
     "shape [1, 4]"),
    ([0], lambda: E.ones(1, 4, dtype=E.int64),
     "Index put requires the source and destination dtypes match, got Float for the destination "
     "and Long for the source."),
])
def test_setitem_errors_have_torch_text(key, value, text):
    with pytest.raises(RuntimeError) as info:
        E.zeros(3, 4)[key] = value()
    assert str(info.value) == text


def test_setitem_bumps_version_and_guards_saved_tensors():
    x = E.ones(3, requires_grad=True)
    y = x * 1
    z = y.exp()
    z[0] = 0.0  # exp saved its output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# --------------------------------------------------------------------------- index ops
def test_gather_values_and_grad():
    x = arange(3, 4, requires_grad=True)
    i = E.tensor([[0, 0], [3, 1], [2, 2]])
    out = x.gather(1, i)
    assert out.tolist() == [[1.0, 1.0], [8.0, 6.0], [11.0, 11.0]]
    assert out.grad_fn.name() == "GatherBackward0"
    out.sum().backward()
    assert x.grad.tolist() == [[2.0, 0, 0, 0], [0, 1.0, 0, 1.0], [0, 0, 2.0, 0]]


@pytest.mark.parametrize("index,key", [
    (lambda: E.zeros(2, dtype=E.int64), "gather_index_shape"),
    (lambda: E.zeros(2, 1), "gather_index_dtype"),
    (lambda: E.full((2, 1), 7, dtype=E.int64), "gather_index_out_of_bounds"),
])
def test_gather_errors_match_errors_json(index, key):
    with pytest.raises(RuntimeError) as info:
        E.zeros(2, 3).gather(1, index())
    assert str(info.value) == ERRORS[key]["message"]


def test_gather_index_larger_than_input_text():
    with pytest.raises(RuntimeError) as info:
        E.zeros(2, 3).gather(1, E.zeros(3, 1, dtype=E.int64))
    assert str(info.value) == ("Size does not match at dimension 0 expected index [3, 1] to be "
                               "no larger than self [2, 3] apart from dimension 1")


def test_index_select_and_index_add():
    x = arange(3, 2, requires_grad=True)
    out = x.index_select(0, E.tensor([2, 0, 2]))
    assert out.grad_fn.name() == "IndexSelectBackward0"
    assert out.tolist() == [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]
    z = E.zeros(3).index_add(0, E.tensor([0, 0, 2]), E.ones(3), alpha=2)
    assert z.tolist() == [4.0, 0.0, 2.0]
    with pytest.raises(IndexError, match=r"index_select\(\): Index is supposed to be a vector"):
        x.index_select(1, E.zeros(2, 2, dtype=E.int64))
    with pytest.raises(RuntimeError) as info:
        x.index_select(1, E.tensor([7]))
    assert str(info.value) == "INDICES element is out of DATA bounds, id=7 axis_dim=2"


def test_scatter_add_accumulates():
    z = E.zeros(3).scatter_add(0, E.tensor([0, 0, 2]), E.ones(3))
    assert z.tolist() == [2.0, 0.0, 1.0]
    t = E.zeros(3)
    t.scatter_add_(0, E.tensor([1, 1]), E.ones(2))
    assert t.tolist() == [0.0, 2.0, 0.0]


def test_masked_fill_values_nodes_and_errors():
    m = E.tensor([True, False, True])
    x = arange(3, requires_grad=True)
    out = x.masked_fill(m, 0.5)
    assert out.tolist() == [0.5, 2.0, 0.5] and out.grad_fn.name() == "MaskedFillBackward0"
    v = E.tensor(2.0, requires_grad=True)
    out2 = x.masked_fill(m, v)
    assert out2.grad_fn.name() == "MaskedFillBackward1"
    (out2 * E.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 4.0 and x.grad.tolist() == [0.0, 2.0, 0.0]
    assert E.zeros(3, dtype=E.int64).masked_fill(m, 2.7).tolist() == [2, 0, 2]
    assert tuple(E.zeros(3).masked_fill(E.ones(2, 3, dtype=E.bool_), 1.0).shape) == (2, 3)
    with pytest.raises(RuntimeError) as info:
        E.zeros(3).masked_fill(E.tensor([1, 0, 1]), 1.0)
    assert str(info.value) == ("masked_fill_ only supports boolean masks, but got mask with "
                               "dtype long int")
    with pytest.raises(RuntimeError) as info:
        E.zeros(3).masked_fill(m, E.ones(3))
    assert str(info.value) == ("masked_fill_ only supports a 0-dimensional value tensor, but "
                               "got tensor with 1 dimension(s).")
    with pytest.raises(RuntimeError) as info:
        E.zeros(3).masked_fill_(E.ones(2, 3, dtype=E.bool_), 1.0)
    assert str(info.value) == "output with shape [3] doesn't match the broadcast shape [2, 3]"


def test_masked_fill_inplace_on_leaf_raises_and_works_on_nonleaf():
    x = E.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        x.masked_fill_(E.tensor([True, False, False]), 0.0)
    assert str(info.value) == ERRORS["leaf_inplace"]["message"]
    y = x * 2
    y.masked_fill_(E.tensor([True, False, False]), 0.0)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_index_put_out_of_place_and_accumulate():
    x = E.zeros(4)
    i = (E.tensor([1, 1, 3]),)
    assert x.index_put(i, E.tensor(1.0)).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert x.index_put(i, E.ones(3), accumulate=True).tolist() == [0.0, 2.0, 0.0, 1.0]
    assert x.tolist() == [0.0] * 4
    x.index_put_(i, E.tensor(5.0))
    assert x.tolist() == [0.0, 5.0, 0.0, 5.0]
    y = E.ones(4, requires_grad=True) * 1
    assert y.index_put(i, E.tensor(1.0)).grad_fn.name() == "IndexPutBackward0"


def test_a_range_indexes_as_a_list_does_in_torch():
    # torch reads a range as the list of its ints, in reads and writes (recorded from torch 2.13)
    x = E.zeros(4, 3)
    x[range(2), [0, 1]] = 1.0
    x[range(3)] -= 1
    assert x.tolist() == [[0, -1, -1], [-1, 0, -1], [-1, -1, -1], [0, 0, 0]]
    assert x[range(1, 3)].tolist() == [[-1, 0, -1], [-1, -1, -1]]
    assert x[(range(2),)].shape == (2, 3)
    assert E.arange(5.0)[range(4, 0, -2)].tolist() == [4.0, 2.0]
    assert x[[range(2), [0, 2]]].tolist() == [0.0, -1.0]  # a list holding a range is a tuple
