"""Reductions, scans and max/min: result dtypes, dim/keepdim handling, forward values against
NumPy, node names, gradients at ties, zeros and other kinks (values read from PyTorch 2.13),
the ``(values, indices)`` named tuples, and PyTorch's error texts verbatim."""

from __future__ import annotations

import json
import math
import pathlib
import re

import numpy as np
import pytest

import engine
from engine import errors

GOLDEN = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())
INF, NAN = math.inf, math.nan
X = np.array([[1.5, -2.0, 0.5, 3.0], [2.0, 2.0, -1.0, 0.25], [-3.0, 1.0, 1.0, 2.0]])


def leaf(values, dtype=engine.float64):
    return engine.tensor(values, dtype=dtype, requires_grad=True)


def grad_of(fn, values, weights=None):
    x = leaf(values)
    y = fn(x)
    if isinstance(y, tuple):
        y = y[0]
    (y.sum() if weights is None else (y * engine.tensor(weights)).sum()).backward()
    return x.grad.numpy()


def run(expr: str, **names):
    """Evaluate one parametrized expression over the named tensors."""
    return eval(expr, {"engine": engine}, names)  # noqa: S307 (test-defined text)


def raises(exc, text: str):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


# --------------------------------------------------------------------------- forward values
@pytest.mark.parametrize("expr,reference", [
    ("x.prod()", lambda a: a.prod()),
    ("x.prod(1)", lambda a: a.prod(1)),
    ("x.prod(-2, keepdim=True)", lambda a: a.prod(0, keepdims=True)),
    ("x.cumsum(1)", lambda a: a.cumsum(1)),
    ("x.cumsum(-2)", lambda a: a.cumsum(0)),
    ("x.cumprod(1)", lambda a: a.cumprod(1)),
    ("x.var()", lambda a: a.var(ddof=1)),
    ("x.var(1, keepdim=True)", lambda a: a.var(1, ddof=1, keepdims=True)),
    ("x.var((0, 1), correction=0)", lambda a: a.var()),
    ("x.var(0, False)", lambda a: a.var(0)),
    ("x.var(False)", lambda a: a.var()),
    ("x.var(unbiased=False)", lambda a: a.var()),
    ("x.std(-1)", lambda a: a.std(-1, ddof=1)),
    ("x.std(correction=2)", lambda a: a.std(ddof=2)),
    ("x.norm()", lambda a: np.sqrt((a * a).sum())),
    ("x.norm(1, dim=1)", lambda a: np.abs(a).sum(1)),
    ("x.norm(3, 0, True)", lambda a: (np.abs(a) ** 3).sum(0, keepdims=True) ** (1 / 3)),
    ("x.norm(float('inf'))", lambda a: np.abs(a).max()),
    ("x.norm(float('-inf'), 1)", lambda a: np.abs(a).min(1)),
    ("x.norm(0)", lambda a: (a != 0).sum()),
    ("x.norm('fro', (0, 1))", lambda a: np.sqrt((a * a).sum())),
    ("x.logsumexp(1)", lambda a: np.log(np.exp(a).sum(1))),
    ("x.logsumexp((0, 1), keepdim=True)", lambda a: np.log(np.exp(a).sum(keepdims=True))),
    ("x.amax()", lambda a: a.max()),
    ("x.amin((0, -1), keepdim=True)", lambda a: a.min((0, 1), keepdims=True)),
    ("x.amax(1)", lambda a: a.max(1)),
    ("x.max()", lambda a: a.max()),
    ("x.min(0).values", lambda a: a.min(0)),
    ("x.max(1, True).values", lambda a: a.max(1, keepdims=True)),
    ("x.argmax()", lambda a: a.argmax()),
    ("x.argmin(1)", lambda a: a.argmin(1)),
    ("x.argmax(-1, keepdim=True)", lambda a: a.argmax(1)[:, None]),
    ("x.all()", lambda a: a.all()),
    ("(x > 0).any(1)", lambda a: (a > 0).any(1)),
    ("(x > 0).all(dim=(0, 1), keepdim=True)", lambda a: (a > 0).all(keepdims=True)),
])
def test_forward_matches_numpy(expr, reference):
    got = run(expr, x=engine.tensor(X))
    want = np.asarray(reference(X))
    assert got.shape == want.shape
    np.testing.assert_allclose(engine.to_numpy(got), want, rtol=1e-12)


def test_logsumexp_does_not_overflow_and_handles_infinities():
    x = engine.tensor([[1000.0, 1000.0], [-INF, -INF], [INF, 1.0]])
    np.testing.assert_allclose(x.logsumexp(1).numpy(), [1000 + math.log(2), -INF, INF])
    assert engine.zeros(2, 0).logsumexp(1).tolist() == [-INF, -INF]


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("expr,dtype,want", [
    ("x.prod()", engine.int32, engine.int64),
    ("x.prod(0)", engine.bool_, engine.int64),
    ("x.prod(dtype=engine.float64)", engine.int64, engine.float64),
    ("x.prod(0, dtype=engine.int32)", engine.int64, engine.int32),
    ("x.cumsum(0)", engine.int32, engine.int64),
    ("x.cumsum(0)", engine.bool_, engine.int64),
    ("x.cumsum(0, dtype=engine.float64)", engine.int64, engine.float64),
    ("x.cumprod(0)", engine.bool_, engine.int64),
    ("x.cumprod(0)", engine.float16, engine.float16),
    ("x.sum()", engine.int32, engine.int64),
    ("x.sum()", engine.float16, engine.float16),
    ("x.mean()", engine.float16, engine.float16),
    ("x.logsumexp(0)", engine.int32, engine.float32),
    ("x.norm(dtype=engine.float64)", engine.float32, engine.float64),
    ("x.var()", engine.float16, engine.float16),
    ("x.amax()", engine.int32, engine.int32),
    ("x.amax()", engine.bool_, engine.bool_),
    ("x.max()", engine.int64, engine.int64),
    ("x.max(0).values", engine.bool_, engine.bool_),
    ("x.max(0).indices", engine.float32, engine.int64),
    ("x.argmax()", engine.int32, engine.int64),
    ("x.all()", engine.float32, engine.bool_),
    ("x.any(0)", engine.int64, engine.bool_),
])
def test_result_dtype(expr, dtype, want):
    assert run(expr, x=engine.tensor([1, 2, 3]).to(dtype)).dtype is want


def test_integer_products_and_sums_accumulate_exactly():
    assert engine.tensor([1, 2, 3, 4], dtype=engine.int32).prod().item() == 24
    assert engine.tensor([True, True, False]).cumsum(0).tolist() == [1, 2, 2]
    assert engine.tensor([2**40, 2**20]).prod(dtype=engine.int64).item() == 2**60


# --------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("expr,shape", [
    ("x.prod(1)", (2,)), ("x.prod(-1, keepdim=True)", (2, 1)), ("x.prod()", ()),
    ("x.var((0, 1))", ()), ("x.var(0, keepdim=True)", (1, 3)), ("x.std(-2)", (3,)),
    ("x.norm(keepdim=True)", (1, 1)), ("x.norm(2, (0, -1), True)", (1, 1)),
    ("x.norm(1, -1)", (2,)), ("x.logsumexp(-1, True)", (2, 1)), ("x.amax((0, 1))", ()),
    ("x.amin(-1, keepdim=True)", (2, 1)), ("x.amax(())", ()), ("x.argmax()", ()),
    ("x.argmax(keepdim=True)", (1, 1)), ("x.argmin(0, True)", (1, 3)), ("x.cumsum(-1)", (2, 3)),
    ("x.all(1)", (2,)), ("x.any(keepdim=True)", (1, 1)), ("x.max(1).indices", (2,)),
    ("x.max(-1, keepdim=True).values", (2, 1)),
])
def test_result_shape(expr, shape):
    x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert tuple(run(expr, x=x).shape) == shape


@pytest.mark.parametrize("expr,value", [
    ("s.max(0).values", 3.0), ("s.max(-1).indices", 0), ("s.argmax(0, keepdim=True)", 0),
    ("s.amax(0)", 3.0), ("s.cumsum(0)", 3.0), ("s.cumprod(-1)", 3.0), ("s.prod(0)", 3.0),
    ("s.logsumexp(0)", 3.0), ("s.norm()", 3.0), ("s.var(correction=0)", 0.0),
])
def test_zero_dim_inputs_reduce_to_zero_dim(expr, value):
    out = run(expr, s=engine.tensor(3.0))
    assert out.shape == () and out.item() == value


@pytest.mark.parametrize("expr,want", [
    ("e.prod(0)", [1.0, 1.0, 1.0]), ("e.sum(0)", [0.0, 0.0, 0.0]), ("e.norm(dim=0)", [0.0] * 3),
    ("e.logsumexp(0)", [-INF] * 3), ("e.all()", True), ("e.any(0)", [False] * 3),
    ("e.amax(1)", []), ("e.max(1).values", []), ("e.argmin(1)", []), ("e.cumsum(0)", []),
])
def test_empty_inputs(expr, want):
    assert run(expr, e=engine.zeros(0, 3)).tolist() == want


def test_mean_of_nothing_is_nan_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(engine.zeros(0).mean().item())
        assert all(math.isnan(v) for v in engine.zeros(2, 0).mean(1).tolist())


# --------------------------------------------------------------------------- node names
@pytest.mark.parametrize("expr,name", [
    ("x.sum()", "SumBackward0"), ("x.sum(0)", "SumBackward1"),
    ("x.mean()", "MeanBackward0"), ("x.mean(0)", "MeanBackward1"),
    ("x.prod()", "ProdBackward0"), ("x.prod(1)", "ProdBackward1"),
    ("x.var()", "VarBackward0"), ("x.var(1)", "VarBackward0"), ("x.std(0)", "StdBackward0"),
    ("x.norm()", "LinalgVectorNormBackward0"), ("x.norm(1, 1)", "LinalgVectorNormBackward0"),
    ("x.norm(float('inf'))", "LinalgVectorNormBackward0"),
    ("x.logsumexp(1)", "LogsumexpBackward0"), ("x.amax()", "AmaxBackward0"),
    ("x.amin(1)", "AminBackward0"), ("x.max()", "MaxBackward1"),
    ("x.max(1).values", "MaxBackward0"), ("x.min()", "MinBackward1"),
    ("x.min(0).values", "MinBackward0"), ("x.cumsum(1)", "CumsumBackward0"),
    ("x.cumprod(0)", "CumprodBackward0"), ("engine.max(x, x * 2)", "MaximumBackward0"),
    ("engine.min(x, other=x * 2)", "MinimumBackward0"),
])
def test_node_names(expr, name):
    assert run(expr, x=leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).grad_fn.name() == name


def test_indices_do_not_require_grad():
    out = leaf([[1.0, 2.0], [4.0, 3.0]]).max(1)
    assert out.values.requires_grad and not out.indices.requires_grad
    assert out.indices.grad_fn is None


# --------------------------------------------------------------------------- gradients at kinks
@pytest.mark.parametrize("fn,values,want", [
    # full max/min spread evenly over ties; a nan max sends the gradient to the nan
    (lambda x: x.max(), [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    (lambda x: x.min(), [1.0, 1.0, 3.0, 2.0], [0.5, 0.5, 0.0, 0.0]),
    (lambda x: x.max(), [1.0, NAN, 3.0], [0.0, 1.0, 0.0]),
    # amax/amin spread over ties per slice; nan gives nan everywhere
    (lambda x: x.amax(1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],
     [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]),
    (lambda x: x.amax(), [1.0, NAN, 3.0], [NAN, NAN, NAN]),
    # max/min with dim: all of it to the selected (first) index
    (lambda x: x.max(1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], [[0, 1, 0], [1, 0, 0]]),
    (lambda x: x.min(0), [1.0, NAN, 3.0], [0.0, 1.0, 0.0]),
    # norms at zero and at ties
    (lambda x: x.norm(), [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    (lambda x: x.norm(3), [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    (lambda x: x.norm(1), [0.0, 1.0, -2.0], [0.0, 1.0, -1.0]),
    (lambda x: x.norm(INF), [1.0, -3.0, 3.0], [0.0, -0.5, 0.5]),
    (lambda x: x.norm(-INF), [1.0, -1.0, 3.0], [0.5, -0.5, 0.0]),
    (lambda x: x.norm(INF), [0.0, 0.0], [0.0, 0.0]),
    (lambda x: x.norm(0.5), [0.0, 1.0, 2.0], [0.0, 2.414213562373095, 1.7071067811865472]),
    (lambda x: x.norm(-1), [0.0, 1.0, 2.0], [0.0, 0.0, 0.0]),
    (lambda x: x.norm(-1), [1.0, 1.0, 2.0], [0.16, 0.16, 0.04]),
    # std of a constant: 0, not nan; of one element: nan
    (lambda x: x.std(), [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]),
    (lambda x: x.std(correction=0), [2.0, 2.0], [0.0, 0.0]),
    # products with zeros stay exact
    (lambda x: x.prod(), [2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),
    (lambda x: x.prod(), [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
    (lambda x: x.prod(1), [[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], [[0.0, 6.0, 0.0], [8.0, 4.0, 2.0]]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 4.0], [1.0, 32.0, 0.0, 0.0]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 8.0, 0.0, 0.0, 0.0]),
    # logsumexp at infinities
    (lambda x: x.logsumexp(0), [-INF, -INF], [NAN, NAN]),
    (lambda x: x.logsumexp(0), [INF, 1.0], [NAN, 0.0]),
    (lambda x: x.cumsum(0), [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),
])
def test_gradient_matches_pytorch_at_kinks(fn, values, want):
    np.testing.assert_allclose(grad_of(fn, values), np.asarray(want, dtype=float), rtol=1e-12)


def test_zero_norm_gives_no_gradient_as_pytorch():
    # a count of nonzeros: torch 2.13 leaves x.grad None (not zeros)
    x = leaf([0.0, 1.0, 2.0])
    x.norm(0).backward()
    assert x.grad is None


@pytest.mark.parametrize("fn,values,weights,grad,hess_v", [
    # PyTorch 2.13: second derivatives through products with zeros (v = 0.3 * (1..n) - 1)
    (lambda x: x.prod(), [2.0, 0.0, 3.0], None, [0.0, 6.0, 0.0], [-1.2, -2.3, -0.8]),
    (lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 4.0], None, [1.0, 32.0, 0.0, 0.0],
     [-6.4, -11.0, -4.0, -2.4]),
])
def test_second_order_through_zeros(fn, values, weights, grad, hess_v):
    x = leaf(values)
    y = fn(x)
    w = engine.ones_like(y) if weights is None else engine.tensor(weights)
    g, = engine.grad((y * w).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), grad)
    v = engine.tensor(0.3 * np.arange(1, len(values) + 1) - 1)
    h, = engine.grad((g * v).sum(), [x])
    np.testing.assert_allclose(h.numpy(), hess_v, atol=1e-6)


def test_var_of_one_element_is_nan_with_pytorchs_warning():
    x = leaf([1.0])
    with pytest.warns(UserWarning, match=re.escape(
            "var(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).")):
        y = x.var()
    assert math.isnan(y.item())
    y.backward()
    assert math.isnan(x.grad.item())
    with pytest.warns(UserWarning, match=r"^std\(\): degrees of freedom"):
        engine.tensor([1.0]).std(0)


def test_create_graph_gives_variance_hessian():
    x = leaf([1.0, 2.0, 4.0])
    g, = engine.grad(x.var(), [x], create_graph=True)
    h, = engine.grad(g[0], [x])
    np.testing.assert_allclose(h.numpy(), [2 / 3, -1 / 3, -1 / 3])


# --------------------------------------------------------------------------- named tuples
def test_max_with_dim_returns_a_named_tuple_printed_like_pytorch():
    out = leaf([[1.0, -2.0, 2.0], [0.0, 3.0, -3.0]], dtype=engine.float32).max(1)
    assert repr(out) == ("torch.return_types.max(\nvalues=tensor([2., 3.], "
                         "grad_fn=<MaxBackward0>),\nindices=tensor([2, 1]))")
    assert str(out) == repr(out)
    values, indices = out
    assert isinstance(out, tuple) and len(out) == 2 and out[0] is out.values is values
    assert indices.tolist() == [2, 1]
    low = engine.tensor([[1.0], [0.0]]).min(1, keepdim=True)
    assert repr(low) == ("torch.return_types.min(\nvalues=tensor([[1.],\n        [0.]]),\n"
                         "indices=tensor([[0],\n        [0]]))")


def test_max_of_empty_slices_prints_empty_tensors():
    assert repr(engine.zeros(0, 3).max(1)) == (
        "torch.return_types.max(\nvalues=tensor([]),\nindices=tensor([], dtype=torch.int64))")


def test_max_with_other_is_elementwise_maximum():
    a, b = engine.tensor([1.0, 5.0, 2.0]), engine.tensor([3.0, 2.0, 2.0])
    assert engine.max(a, b).tolist() == [3.0, 5.0, 2.0]
    assert a.min(b).tolist() == [1.0, 2.0, 2.0]
    assert engine.max(a, other=b).tolist() == [3.0, 5.0, 2.0]
    with pytest.raises(TypeError):
        engine.max(a, 0.5)
    with pytest.raises(TypeError):
        a.max((0,))


NAN_TIES = [2.0, 1.0, 2.0, 1.0, NAN, 0.0]


@pytest.mark.parametrize("expr,values,indices,grad", [
    # PyTorch 2.13: ties keep their order, nan sorts as the largest; weights 1..n
    ("x.sort()", [0.0, 1.0, 1.0, 2.0, 2.0, NAN], [5, 1, 3, 0, 2, 4],
     [4.0, 2.0, 5.0, 3.0, 6.0, 1.0]),
    ("x.sort(descending=True)", [NAN, 2.0, 2.0, 1.0, 1.0, 0.0], [4, 0, 2, 1, 3, 5],
     [2.0, 4.0, 3.0, 5.0, 1.0, 6.0]),
    # topk's ties: the order of torch's selection (nth_element, then sort), not stable
    ("x.topk(3)", [NAN, 2.0, 2.0], [4, 2, 0], [3.0, 0.0, 2.0, 0.0, 1.0, 0.0]),
    ("engine.topk(x, 2, largest=False)", [0.0, 1.0], [5, 3], [0.0, 0.0, 0.0, 2.0, 0.0, 1.0]),
    ("x.topk(0)", [], [], [0.0] * 6),
])
def test_sort_and_topk_match_pytorch(expr, values, indices, grad):
    x = leaf(NAN_TIES)
    out = run(expr, x=x)
    np.testing.assert_array_equal(out.values.detach().numpy(), values)
    assert out.indices.tolist() == indices and out.indices.dtype is engine.int64
    assert out.values.grad_fn.name() == ("SortBackward0" if "sort" in expr else "TopkBackward0")
    (out.values * engine.arange(1.0, len(values) + 1, dtype=engine.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_sort_and_topk_named_tuples_and_errors():
    x = engine.tensor([[1.0, -2.0, 2.0], [0.0, 3.0, -3.0]])
    assert repr(x.topk(2, dim=1, largest=False)) == (
        "torch.return_types.topk(\nvalues=tensor([[-2.,  1.],\n        [-3.,  0.]]),\n"
        "indices=tensor([[1, 0],\n        [2, 0]]))")
    values, indices = engine.sort(x, 0, descending=True)
    assert values.tolist() == [[1.0, 3.0, 2.0], [0.0, -2.0, -3.0]]
    assert indices.tolist() == [[0, 1, 0], [1, 0, 1]]
    with raises(RuntimeError, "selected index k out of range"):
        x.topk(4)


# --------------------------------------------------------------------------- in place
def test_cumsum_and_cumprod_in_place_keep_dtype_and_record_their_node():
    i = engine.tensor([1, 2, 3], dtype=engine.int32)
    assert i.cumsum_(0) is i and i.tolist() == [1, 3, 6] and i.dtype is engine.int32
    x = leaf([1.0, 2.0, 3.0]).clone()
    x.cumprod_(0)
    assert x.tolist() == [1.0, 2.0, 6.0] and x.grad_fn.name() == "CumprodBackward0"
    with raises(RuntimeError, errors.LEAF_INPLACE):
        leaf([1.0]).cumsum_(0)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("expr,exc,text", [
    ("e.max()", RuntimeError, "max(): Expected reduction dim to be specified for input.numel() "
     "== 0. Specify the reduction dim with the 'dim' argument."),
    ("e.amin()", RuntimeError, "amin(): Expected reduction dim to be specified for "
     "input.numel() == 0. Specify the reduction dim with the 'dim' argument."),
    ("e.argmax()", IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    ("e.amax(0)", IndexError, "amax(): Expected reduction dim 0 to have non-zero size."),
    ("e.min(0)", IndexError, "min(): Expected reduction dim 0 to have non-zero size."),
    ("e.argmin(0)", IndexError, "argmin(): Expected reduction dim 0 to have non-zero size."),
    ("x.amax((0, 0))", RuntimeError, "dim 0 appears multiple times in the list of dims"),
    ("i.var()", RuntimeError, "std and var only support floating point and complex dtypes"),
    ("i.std()", RuntimeError, "std and var only support floating point and complex dtypes"),
    ("i.norm()", RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("(i > 1).argmax()", RuntimeError, "argmax(): does not support bool input"),
    ("x.norm('abc')", RuntimeError, "linalg.matrix_norm: Order abc not supported."),
    ("e.norm(float('inf'))", RuntimeError, "linalg.vector_norm cannot compute the inf norm on "
     "an empty tensor because the operation does not have an identity"),
    ("e.norm(float('-inf'), 0)", RuntimeError, "linalg.vector_norm cannot compute the -inf "
     "norm on the dimension 0because this dimension is empty and the operation does not have "
     "an identity"),
    ("engine.tensor(1.0).max(1)", IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
])
def test_error_texts_match_pytorch(expr, exc, text):
    x, e, i = engine.tensor([[1.0, 2.0], [3.0, 4.0]]), engine.zeros(0, 3), engine.tensor([1, 2])
    with raises(exc, text):
        run(expr, x=x, e=e, i=i)


@pytest.mark.parametrize("expr", ["x.cumsum(2)", "x.max(2)", "x.logsumexp(2)", "x.all(2)",
                                  "x.var(2)", "x.prod(2)", "x.argmax(2)", "x.norm(dim=2)"])
def test_dim_out_of_range_golden(expr):
    with raises(IndexError, GOLDEN["dim_out_of_range"]["message"]):
        run(expr, x=engine.tensor([1.0, 2.0]))


def test_mean_of_ints_golden():
    with raises(RuntimeError, GOLDEN["mean_int"]["message"]):
        engine.tensor([1, 2]).mean()


def test_unsupported_arguments_say_so():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    # (x.norm("nuc") is supported since session 15, as torch: the nuclear norm of a matrix)
    assert abs(x.norm("nuc").item() - 5.8309518948453) < 1e-5
    with pytest.raises(TypeError):
        x.var(0, True, correction=1)
    with pytest.raises(TypeError):
        x.prod((0, 1))
