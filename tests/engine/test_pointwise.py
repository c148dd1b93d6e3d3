"""Elementwise ops: dtypes, values, kinks and error texts, each pinned to what PyTorch 2.13 gives
(the values below were read from real torch)."""

from __future__ import annotations

import json
import math
import pathlib
import re

import numpy as np
import pytest

import engine
from engine import errors, ops

GOLDEN = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())
inf, nan = math.inf, math.nan


def expect_golden(key: str):
    want = GOLDEN[key]
    exc = {"RuntimeError": RuntimeError, "TypeError": TypeError}[want["type"]]
    return pytest.raises(exc, match="^" + re.escape(want["message"]) + "$")


def raises(exc, text: str):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


def T(values, **kw):
    return engine.tensor(values, **kw)


def leaf(values, **kw):
    return engine.tensor(values, requires_grad=True, **kw)


def grads(out, *inputs):
    return [None if g is None else g.tolist()
            for g in engine.grad(out.sum(), inputs, allow_unused=True)]


def same(a, b, rtol: float = 0.0) -> bool:
    """Equal lists (within ``rtol``), NaN equal to NaN and the sign of zero compared."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        close = (a == b) | (np.abs(a - b) <= rtol * np.abs(b))
    return a.shape == b.shape and bool(np.all(close & (np.signbit(a) == np.signbit(b)) |
                                              np.isnan(a) & np.isnan(b)))


I = T([1, -2, 0])
B = T([True, False, True])

# --------------------------------------------------------------------------- dtypes
FLOATING = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal",
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf"]


@pytest.mark.parametrize("name", FLOATING)
@pytest.mark.parametrize("x", [I, B], ids=["int64", "bool"])
def test_floating_ops_compute_ints_and_bools_in_float32(name, x):
    assert getattr(ops, name)(x).dtype is engine.float32


@pytest.mark.parametrize("name", FLOATING)
def test_floating_ops_keep_float64_and_float16(name):
    assert getattr(ops, name)(T([0.5], dtype=engine.float64)).dtype is engine.float64
    assert getattr(ops, name)(T([0.5], dtype=engine.float16)).dtype is engine.float16


@pytest.mark.parametrize("name", ["abs", "neg", "sign", "floor", "ceil", "round", "trunc",
                                  "square", "positive", "nan_to_num", "bitwise_not"])
@pytest.mark.parametrize("dt", [engine.int64, engine.int32])
def test_integer_preserving_ops_keep_int_dtypes(name, dt):
    x = T([3, -2, 0], dtype=dt)
    assert getattr(ops, name)(x).dtype is dt


def test_bool_inputs():
    assert ops.sign(B).tolist() == [True, False, True]
    assert ops.square(B).dtype is engine.int64
    assert ops.nan_to_num(B).dtype is engine.bool
    assert ops.clamp(T([True, False]), 0, 0).dtype is engine.int64
    assert (~B).tolist() == [False, True, False]


@pytest.mark.parametrize("name,kernel", [("abs", "abs_cpu"), ("floor", "floor_vml_cpu"),
                                         ("ceil", "ceil_vml_cpu"), ("round", "round_vml_cpu"),
                                         ("trunc", "trunc_vml_cpu"), ("frac", "frac_cpu")])
def test_ops_without_a_bool_kernel_fail_like_pytorch(name, kernel):
    with raises(NotImplementedError, f"\"{kernel}\" not implemented for 'Bool'"):
        getattr(ops, name)(B)


def test_neg_and_positive_of_bool_fail_with_pytorch_text():
    with expect_golden("neg_bool"):
        _ = -B
    with expect_golden("neg_bool"):
        ops.neg(B)
    with raises(RuntimeError, "The `+` operator, on a bool tensor is not supported."):
        _ = +B


def test_positive_returns_the_input_itself():
    x = T([1.0, 2.0])
    assert ops.positive(x) is x and +x is x


def test_frac_and_round_decimals_need_floats():
    with raises(NotImplementedError, "\"frac_cpu\" not implemented for 'Long'"):
        ops.frac(I)
    with raises(NotImplementedError, "\"round_cpu\" not implemented for 'Long'"):
        ops.round(I, decimals=1)


@pytest.mark.parametrize("args,dtype", [
    ((T([1, 2]), 2.5), engine.float32), ((T([1, 2]), T(2.5, dtype=engine.float64)),
                                         engine.float64),
    ((T([1, 2], dtype=engine.int32), T([1, 2])), engine.int64),
    ((T([1.0, 2.0]), T([1.0], dtype=engine.float64)), engine.float64),
    ((B, 2), engine.int64), ((B, B), engine.bool)])
def test_remainder_and_maximum_promote(args, dtype):
    if all(isinstance(a, engine.Tensor) for a in args) and args[1].dtype is not engine.bool:
        assert ops.maximum(*args).dtype is dtype
    if args[0].dtype is not engine.bool:
        assert ops.remainder(*args).dtype is dtype


def test_atan2_lifts_ints_to_float32():
    assert ops.atan2(I, T([2, 2, -2])).dtype is engine.float32
    assert ops.atan2(B, B).dtype is engine.float32


@pytest.mark.parametrize("args,dtype,values", [
    ((B, T([1, 2, 3]), 0.5), engine.float32, [1.0, 0.5, 3.0]),
    ((B, T([1, 2, 3]), 0), engine.int64, [1, 0, 3]),
    ((B, 1, 2), engine.int64, [1, 2, 1]),
    ((B, 1.0, 2), engine.float32, [1.0, 2.0, 1.0]),
    ((B, T([1, 2, 3]), T(1.5)), engine.float32, [1.0, 1.5, 3.0]),
    ((B, T([1.0, 2, 3], dtype=engine.float64), T([0.0, 0, 0])), engine.float64,
     [1.0, 0.0, 3.0]),
    ((B, True, False), engine.bool, [True, False, True])])
def test_where_promotes_its_branches_like_pytorch(args, dtype, values):
    out = ops.where(*args)
    assert out.dtype is dtype and out.tolist() == values


@pytest.mark.parametrize("args,dtype,values", [
    ((T([-3, 0, 5]), 0.5), engine.float32, [0.5, 0.5, 5.0]),
    ((T([-3, 0, 5]), 0, 2), engine.int64, [0, 0, 2]),
    ((T([-3, 0, 5]), T([0.5, 1, 1])), engine.float32, [0.5, 1.0, 5.0])])
def test_clamp_promotes_over_its_bounds(args, dtype, values):
    out = ops.clamp(*args)
    assert out.dtype is dtype and out.tolist() == values


def test_comparisons_promote_before_comparing():
    assert (T([1, 2]) < T([1.5, 1.5])).tolist() == [True, False]
    assert (T([1, 2]) == 2.0).tolist() == [False, True]
    assert (T([2, 3]) > 2.5).tolist() == [False, True]
    assert (T([0.1]) == 0.1).tolist() == [True]  # the scalar is compared in float32
    assert (T([True, False]) == T([1, 0])).tolist() == [True, True]


# --------------------------------------------------------------------------- values
def test_unary_values_match_numpy():
    x = np.array([-0.9, -0.3, 0.0, 0.4, 0.8])
    p = np.array([0.1, 0.5, 1.0, 2.0, 30.0])
    t, tp = T(x, dtype=engine.float64), T(p, dtype=engine.float64)
    checks = [(ops.expm1(t), np.expm1(x)), (ops.log1p(t), np.log1p(x)),
              (ops.log2(tp), np.log2(p)), (ops.log10(tp), np.log10(p)),
              (ops.sqrt(tp), np.sqrt(p)), (ops.rsqrt(tp), 1 / np.sqrt(p)),
              (ops.square(t), x * x), (ops.reciprocal(tp), 1 / p), (ops.tan(t), np.tan(x)),
              (ops.asin(t), np.arcsin(x)), (ops.acos(t), np.arccos(x)),
              (ops.atan(t), np.arctan(x)), (ops.sinh(t), np.sinh(x)), (ops.cosh(t), np.cosh(x)),
              (ops.frac(t * 3), x * 3 - np.trunc(x * 3))]
    for got, want in checks:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-15, atol=1e-15)


def test_erf_is_accurate_to_double_precision():
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, 2.5, -2.5, inf, -inf]])
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ops.erf(T(x)).numpy(), want, rtol=3e-15, atol=0)
    assert math.isnan(ops.erf(T([nan])).item())


def test_sign_of_nan_and_negative_zero_is_zero():
    assert same(ops.sign(T([nan, -0.0, 0.0, -2.0, 3.0])).tolist(), [0.0, 0.0, 0.0, -1.0, 1.0])


def test_rounding_ops():
    x = T([-1.5, -0.5, 0.5, 1.5, 2.5, 2.7])
    assert same(ops.round(x).tolist(), [-2.0, -0.0, 0.0, 2.0, 2.0, 3.0])
    assert ops.floor(x).tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0, 2.0]
    assert ops.ceil(x).tolist() == [-1.0, -0.0, 1.0, 2.0, 3.0, 3.0]
    assert ops.trunc(x).tolist() == ops.fix(x).tolist() == [-1.0, -0.0, 0.0, 1.0, 2.0, 2.0]
    assert ops.floor(I).tolist() == [1, -2, 0]


def test_round_with_decimals_matches_pytorch():
    got = ops.round(T([0.5, 1.5, 2.5, -0.5, 1.25, 1.35]), decimals=1)
    np.testing.assert_allclose(got.numpy(), np.float32([0.5, 1.5, 2.5, -0.5, 1.2, 1.4]))
    assert ops.round(T([15.0, 25.0, 35.0]), decimals=-1).tolist() == [20.0, 20.0, 40.0]


def test_remainder_takes_the_divisors_sign_and_fmod_the_dividends():
    x = T([5.5, -7.25, 1e-30, -1e-30, 3.0, -3.0, inf, 1.0], dtype=engine.float64)
    y = T([2.0, 2.0, 1.0, 1.0, -1.5, 1.5, 2.0, inf], dtype=engine.float64)
    assert same(ops.remainder(x, y).tolist(), [1.5, 0.75, 1e-30, 1.0, 0.0, -0.0, nan, 1.0])
    assert same((x % y).tolist(), [1.5, 0.75, 1e-30, 1.0, 0.0, -0.0, nan, 1.0])
    assert same(ops.fmod(x, y).tolist(), [1.5, -1.25, 1e-30, -1e-30, 0.0, -0.0, nan, 1.0])
    i, j = T([5, -7, 3]), T([2, 2, -2])
    assert ops.remainder(i, j).tolist() == [1, 1, -1]
    assert ops.fmod(i, j).tolist() == [1, -1, 1]
    assert (i // j).tolist() == [2, -4, -2]
    assert ops.div(i, j, rounding_mode="trunc").tolist() == [2, -3, -1]
    assert (2.0 % T([1.5, 3.0, -1.0])).tolist() == [0.5, 2.0, 0.0]
    assert same(ops.remainder(T([1.0, -1.0]), 0.0).tolist(), [nan, nan])


@pytest.mark.parametrize("call", [
    lambda: ops.remainder(T([1]), 0), lambda: T([5, 1]) % T([2, 0]),
    lambda: ops.fmod(T([1]), T([0])), lambda: T([-2]) // T([0]),
    lambda: ops.div(T([5]), T([0]), rounding_mode="trunc"),
    lambda: ops.div(T([5]), 0, rounding_mode="floor")])
def test_integer_division_by_zero_fails_like_pytorch(call):
    with expect_golden("int_div_zero"):
        call()
    assert GOLDEN["int_remainder_zero"] == GOLDEN["int_div_zero"]


def test_float_division_by_zero_is_silent_inf():
    assert (T(2.0) // T(0.0)).item() == inf
    assert (T([5]) / 0).tolist() == [inf]


@pytest.mark.parametrize("kernel,call", [
    ("remainder_cpu", lambda: B % B), ("fmod_cpu", lambda: ops.fmod(B, B)),
    ("div_floor_cpu", lambda: B // B),
    ("div_trunc_cpu", lambda: ops.div(B, B, rounding_mode="trunc"))])
def test_division_of_bools_fails_like_pytorch(kernel, call):
    with raises(NotImplementedError, f"\"{kernel}\" not implemented for 'Bool'"):
        call()


def test_integer_powers():
    base, exponent = T([0, 2, 1, -1, -2]), T([-1, -1, -2, -3, -2])
    assert (base ** exponent).tolist() == [0, 0, 1, -1, 0]
    assert (2 ** T([-1])).tolist() == [0]
    with raises(RuntimeError, "Integers to negative integer powers are not allowed."):
        T([2]) ** -1


def test_maximum_minimum_propagate_nan():
    a, b = T([nan, 1.0, 2.0]), T([1.0, nan, 1.0])
    assert same(ops.maximum(a, b).tolist(), [nan, nan, 2.0])
    assert same(ops.minimum(a, b).tolist(), [nan, nan, 1.0])


def test_nan_to_num_defaults_and_arguments():
    x = T([nan, inf, -inf, 1.0], dtype=engine.float16)
    assert ops.nan_to_num(x).tolist() == [0.0, 65504.0, -65504.0, 1.0]
    y = T([nan, inf, -inf, 1.0])
    assert ops.nan_to_num(y, nan=1, posinf=2, neginf=-2).tolist() == [1.0, 2.0, -2.0, 1.0]
    assert ops.nan_to_num(y).tolist()[1] == float(np.finfo(np.float32).max)


def test_isnan_isinf_isfinite():
    x = T([nan, inf, -inf, 1.0])
    assert ops.isnan(x).tolist() == [True, False, False, False]
    assert ops.isinf(x).tolist() == [False, True, True, False]
    assert ops.isfinite(x).tolist() == [False, False, False, True]
    assert ops.isnan(I).tolist() == [False] * 3 and ops.isfinite(I).tolist() == [True] * 3
    assert ops.isinf(B).dtype is engine.bool


def test_logical_ops_use_truthiness_and_answer_bool():
    a, b = T([0.0, 2.0, nan, -1.0]), T([0, 0, 3, 1])
    assert ops.logical_and(a, b).tolist() == [False, False, True, True]
    assert ops.logical_or(a, b).tolist() == [False, True, True, True]
    assert ops.logical_xor(a, b).tolist() == [False, True, False, False]
    assert ops.logical_not(a).tolist() == [True, False, False, False]
    x = T([0.0, 2.0])
    x.logical_not_()
    assert x.dtype is engine.float32 and x.tolist() == [1.0, 0.0]


def test_bitwise_ops_and_operators():
    i, j = T([5, -7, 3]), T([2, 2, -2])
    assert (i & j).tolist() == [0, 0, 2] and ops.bitwise_and(i, 2).tolist() == [0, 0, 2]
    assert (i | j).tolist() == [7, -5, -1] and (i ^ j).tolist() == [7, -5, -3]
    assert (~i).tolist() == [-6, 6, -4]
    assert (B & T([False, False, True])).tolist() == [False, False, True]
    assert (B | False).tolist() == [True, False, True]
    assert (B ^ B).dtype is engine.bool
    assert (i & B).tolist() == [1, 0, 1]
    k = T([1, 2])
    k |= 4
    assert k.tolist() == [5, 6]


@pytest.mark.parametrize("name,call", [
    ("bitwise_and", lambda: T([1.0]) & T([1])), ("bitwise_or", lambda: T([1]) | 2.5),
    ("bitwise_xor", lambda: ops.bitwise_xor(T([1.0]), 1)),
    ("bitwise_not", lambda: T([1.0]).bitwise_not())])
def test_bitwise_ops_refuse_floats_like_pytorch(name, call):
    with raises(NotImplementedError, f"\"{name}_cpu\" not implemented for 'Float'"):
        call()


def test_invert_operator_refuses_floats_before_the_kernel():
    # torch 2.13: ``~`` checks the dtype in its Python binding (TypeError)
    with raises(TypeError, "~ (operator.invert) is only implemented on integer and "
                           "Boolean-type tensors"):
        ~T([1.0])


@pytest.mark.parametrize("name", ["maximum", "minimum", "atan2", "logical_and", "logical_or",
                                  "logical_xor"])
def test_tensor_only_binaries_refuse_scalars_like_pytorch(name):
    fn = getattr(ops, name)
    with raises(TypeError, f"{name}(): argument 'other' (position 2) must be Tensor, not float"):
        fn(T([1.0]), 2.0)
    with raises(TypeError, f"{name}(): argument 'input' (position 1) must be Tensor, not int"):
        fn(2, T([1.0]))


def test_fmod_with_a_scalar_dividend_fails_like_pytorch():
    with raises(TypeError, "fmod() received an invalid combination of arguments - got (float, "
                "Tensor), but expected one of:\n"
                " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                " * (Tensor input, Number other, *, Tensor out = None)\n"):
        ops.fmod(2.0, T([1.0]))


def test_where_with_the_condition_only_gives_indices():
    (idx,) = ops.where(B)
    assert idx.tolist() == [0, 2] and idx.dtype is engine.int64
    rows, cols = ops.where(T([[1, 0], [0, 2]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    assert ops.where(T(True))[0].tolist() == [0]


def test_where_errors_are_pytorchs():
    x = T([1.0, 2.0, 3.0])
    with raises(RuntimeError, "where expected condition to be a boolean tensor, but got a "
                "tensor with dtype Float"):
        ops.where(T([1.0, 0.0, 1.0]), x, x)
    with raises(RuntimeError, "where expected condition to be a boolean tensor, but got a "
                "tensor with dtype Long"):
        ops.where(T([1, 0, 1]), x, x)
    with expect_golden("where_shape_mismatch"):
        ops.where(B, x, engine.ones(4))
    with raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at "
                "non-singleton dimension 0"):
        ops.where(engine.ones(2, 1, dtype=engine.bool), engine.ones(3, 1), engine.ones(4))
    with pytest.raises(TypeError, match=r"^where\(\) received an invalid combination"):
        ops.where(B, x)


def test_where_method_takes_self_as_the_true_branch():
    x, y = T([1.0, 2.0, 3.0]), T([-1.0, -2.0, -3.0])
    assert x.where(B, y).tolist() == [1.0, -2.0, 3.0]
    assert x.where(B, 0.0).tolist() == [1.0, 0.0, 3.0]


def test_clamp_needs_a_bound_and_alias_clip():
    with raises(RuntimeError, "torch.clamp: At least one of 'min' or 'max' must not be None"):
        ops.clamp(T([1.0]))
    x = T([-2.0, 0.5, 3.0])
    assert ops.clip(x, -1, 1).tolist() == ops.clamp(x, -1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert ops.clamp(x, 1.0, 0.0).tolist() == [0.0, 0.0, 0.0]  # min above max: max wins
    assert ops.clamp(T([1.0, 2.0]), engine.ones(3, 2)).shape == (3, 2)


def test_broadcast_errors_are_pytorchs():
    with expect_golden("add_shape_mismatch"):
        T([1.0, 2.0, 3.0]) + T([1.0, 2.0, 3.0, 4.0])
    with expect_golden("mul_shape_mismatch_2d"):
        engine.ones(2, 3) * engine.ones(2, 2)
    with expect_golden("add_shape_mismatch"):
        ops.maximum(T([1, 2, 3]), T([1, 2, 3, 4]))


def test_broadcasting_checks_the_element_limit_before_allocating():
    with engine.modes.use_limits(max_elements=100):
        (engine.ones(10, 1) + engine.ones(1, 10)).sum()
        with pytest.raises(errors.TensorTooLarge):
            engine.ones(11, 1) + engine.ones(1, 10)
        with pytest.raises(errors.TensorTooLarge):
            ops.where(engine.ones(11, 1, dtype=engine.bool), engine.ones(1, 10), 0.0)
        with pytest.raises(errors.TensorTooLarge):
            ops.clamp(engine.ones(11, 1), engine.zeros(1, 10))


def test_lerp_values_and_errors():
    s, e = T([1.0, 2.0, 3.0]), T([1.0, 0.0, 3.0])
    np.testing.assert_allclose(ops.lerp(s, e, 0.3).numpy(), [1.0, 1.4, 3.0], rtol=1e-6)
    assert ops.lerp(s, e, T([0.0, 1.0, 0.5])).tolist() == [1.0, 0.0, 3.0]
    with raises(RuntimeError, "expected dtype float for `end` but got dtype double"):
        ops.lerp(s, e.double(), 0.5)
    with raises(NotImplementedError, "\"lerp_kernel_scalar\" not implemented for 'Long'"):
        ops.lerp(I, I, 0.5)


# --------------------------------------------------------------------------- kinks and gradients
X = [-1.0, 0.0, 0.5, 1.0, 2.0]


@pytest.mark.parametrize("fn,want", [
    (lambda x: ops.clamp(x, 0, 1), [0, 1, 1, 1, 0]),
    (lambda x: ops.clamp(x, min=0), [0, 1, 1, 1, 1]),
    (lambda x: ops.clamp(x, max=1), [1, 1, 1, 1, 0]),
    (lambda x: ops.clamp(x, 1, 0), [0, 0, 0, 0, 0]),
    (lambda x: ops.abs(x), [-1, 0, 1, 1, 1]),
    (lambda x: ops.sqrt(x), [nan, inf, 0.7071067690849304, 0.5, 0.3535533845424652]),
    (lambda x: ops.rsqrt(x), [nan, -inf, -1.4142134189605713, -0.5, -0.1767766773700714]),
    (lambda x: ops.nan_to_num(ops.log(x)), [-0.0, nan, 2.0, 1.0, 0.5]),
    (lambda x: ops.sign(x), [0, 0, 0, 0, 0]),
    (lambda x: ops.frac(x), [1, 1, 1, 1, 1])])
def test_gradients_at_kinks_match_pytorch(fn, want):
    x = leaf(X)
    (g,) = grads(fn(x), x)
    assert same(g, want, rtol=1e-6)  # float32: PyTorch's rsqrt'(0.5) is one ulp away


def test_clamp_with_tensor_bounds_routes_the_gradient_like_pytorch():
    x, lo, hi = leaf(X), leaf([0.0] * 5), leaf([1.0] * 5)
    out = ops.clamp(x, lo, hi)
    assert out.grad_fn.name() == "ClampBackward0"
    assert grads(out, x, lo, hi) == [[0, 1, 1, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]
    assert grads(ops.clamp(x, lo), x, lo, hi) == [[0, 1, 1, 1, 1], [1, 0, 0, 0, 0], None]
    assert grads(ops.clamp(x, max=hi), x, lo, hi) == [[1, 1, 1, 1, 0], None, [0, 0, 0, 0, 1]]
    # min above max: the result is max, and so is the gradient
    assert grads(ops.clamp(x, hi, lo), x, lo, hi) == [[0] * 5, [1] * 5, [0] * 5]
    # equal bounds: a value below them sends its gradient nowhere (as PyTorch)
    y, a, b = leaf([-1.0, 0.0, 2.0]), leaf([0.0] * 3), leaf([0.0] * 3)
    assert grads(ops.clamp(y, a, b), y, a, b) == [[0, 1, 0], [0, 0, 0], [0, 0, 1]]


def test_maximum_minimum_split_ties_in_half():
    y, z = leaf([1.0, 0.0, 3.0]), leaf([1.0, 2.0, 1.0])
    assert grads(ops.maximum(y, z), y, z) == [[0.5, 0, 1], [0.5, 1, 0]]
    assert grads(ops.minimum(y, z), y, z) == [[0.5, 1, 0], [0.5, 0, 1]]


def test_where_masks_the_gradient_per_branch():
    x, y = leaf([-1.0, 0.0, 2.0]), leaf([1.0, 2.0, 3.0])
    assert grads(ops.where(B, x, y), x, y) == [[1, 0, 1], [0, 1, 0]]
    assert grads(ops.where(B, x, 0.0), x) == [[1, 0, 1]]
    # a masked branch's gradient is 0, times sqrt's inf/nan local derivative: NaN, as PyTorch
    assert same(grads(ops.where(x > 0, ops.sqrt(x), 0.0), x)[0], [nan, nan, 0.3535533845424652])


def test_lerp_gradients():
    y, z, w = leaf([1.0, 2.0, 3.0]), leaf([1.0, 0.0, 1.0]), leaf([0.2, 0.5, 0.9])
    got = grads(ops.lerp(y, z, 0.3), y, z)
    np.testing.assert_allclose(got, [[0.7] * 3, [0.3] * 3], rtol=1e-6)
    got = grads(ops.lerp(y, z, w), y, z, w)
    np.testing.assert_allclose(got[0], [0.8, 0.5, 0.1], rtol=1e-6)
    np.testing.assert_allclose(got[1], [0.2, 0.5, 0.9], rtol=1e-6)
    assert got[2] == [0.0, -2.0, -2.0]


def test_remainder_and_fmod_gradients():
    x, y = leaf([1.5, -2.0, 0.5]), leaf([1.5, 3.0, -1.0])
    assert grads(ops.remainder(x, y), x, y) == [[1, 1, 1], [-1, 1, 1]]
    assert grads(ops.fmod(x, y), x, y) == [[1, 1, 1], [-1, 0, 0]]


@pytest.mark.parametrize("fn", [ops.floor, ops.ceil, ops.round, ops.trunc, ops.sign,
                                lambda x: ops.round(x, decimals=1),
                                lambda x: ops.div(x, 2.0, rounding_mode="floor"),
                                lambda x: ops.div(x, T([2.0]), rounding_mode="trunc")])
def test_step_functions_have_detached_zero_gradients(fn):
    x = leaf([1.5, -2.0, 0.5])
    (g,) = engine.grad(fn(x * 1).mul(T(inf)).sum(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0] and not g.requires_grad


@pytest.mark.parametrize("call,op_name", [
    (lambda x: x // 2, "floor_divide"), (lambda x: ops.floor_divide(x, x), "floor_divide"),
    (lambda x: 2.0 % x, "remainder")])
def test_ops_without_a_derivative_fail_in_backward_like_pytorch(call, op_name):
    out = call(leaf([1.5, 2.0]))
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with raises(RuntimeError, f"derivative for aten::{op_name} is not implemented"):
        out.sum().backward()


def test_second_derivatives_through_the_new_rules():
    x = leaf([0.3, 0.7], dtype=engine.float64)
    (g,) = engine.grad(ops.erf(x).sum(), x, create_graph=True)
    (h,) = engine.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), -4 / math.sqrt(math.pi) * np.array([0.3, 0.7]) *
                               np.exp(-np.array([0.3, 0.7]) ** 2))
    (g,) = engine.grad(ops.sqrt(x).sum(), x, create_graph=True)
    (h,) = engine.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), -0.25 * np.array([0.3, 0.7]) ** -1.5)


# --------------------------------------------------------------------------- node names
_x = leaf([0.5, 0.25])


@pytest.mark.parametrize("call,node", [
    (lambda: ops.abs(_x), "AbsBackward0"), (lambda: ops.sign(_x), "SignBackward0"),
    (lambda: ops.expm1(_x), "Expm1Backward0"), (lambda: ops.log1p(_x), "Log1PBackward0"),
    (lambda: ops.log2(_x), "Log2Backward0"), (lambda: ops.log10(_x), "Log10Backward0"),
    (lambda: ops.sqrt(_x), "SqrtBackward0"), (lambda: ops.rsqrt(_x), "RsqrtBackward0"),
    (lambda: ops.square(_x), "PowBackward0"), (lambda: ops.reciprocal(_x), "ReciprocalBackward0"),
    (lambda: ops.tan(_x), "TanBackward0"), (lambda: ops.asin(_x), "AsinBackward0"),
    (lambda: ops.acos(_x), "AcosBackward0"), (lambda: ops.atan(_x), "AtanBackward0"),
    (lambda: ops.sinh(_x), "SinhBackward0"), (lambda: ops.cosh(_x), "CoshBackward0"),
    (lambda: ops.erf(_x), "ErfBackward0"), (lambda: ops.floor(_x), "FloorBackward0"),
    (lambda: ops.ceil(_x), "CeilBackward0"), (lambda: ops.round(_x), "RoundBackward0"),
    (lambda: ops.round(_x, decimals=1), "RoundBackward1"),
    (lambda: ops.trunc(_x), "TruncBackward0"), (lambda: ops.frac(_x), "FracBackward0"),
    (lambda: ops.clamp(_x, 0, 1), "ClampBackward1"), (lambda: ops.clip(_x, 0), "ClampBackward1"),
    (lambda: ops.clamp(_x, T([0.0, 0.0])), "ClampBackward0"),
    (lambda: ops.remainder(_x, 2.0), "RemainderBackward0"),
    (lambda: ops.remainder(_x, _x), "RemainderBackward1"),
    (lambda: ops.fmod(_x, 2.0), "FmodBackward0"), (lambda: ops.fmod(_x, _x), "FmodBackward1"),
    (lambda: ops.maximum(_x, _x), "MaximumBackward0"),
    (lambda: ops.minimum(_x, _x), "MinimumBackward0"),
    (lambda: ops.atan2(_x, _x), "Atan2Backward0"), (lambda: ops.where(B[:2], _x, 0.0),
                                                    "WhereBackward0"),
    (lambda: ops.nan_to_num(_x), "NanToNumBackward0"),
    (lambda: ops.lerp(_x, _x, 0.5), "LerpBackward0"),
    (lambda: ops.lerp(_x, _x, _x), "LerpBackward1"),
    (lambda: ops.div(_x, 2.0, rounding_mode="floor"), "DivBackward2"),
    (lambda: ops.div(_x, _x, rounding_mode="trunc"), "DivBackward2")])
def test_node_names_are_pytorchs(call, node):
    assert call().grad_fn.name() == node


def test_non_differentiable_results_have_no_graph():
    for out in (ops.isnan(_x), _x > 0, ops.logical_not(_x), ops.logical_and(_x, _x)):
        assert out.grad_fn is None and not out.requires_grad


# --------------------------------------------------------------------------- in place
@pytest.mark.parametrize("name,args", [
    ("abs_", ()), ("exp_", ()), ("sqrt_", ()), ("clamp_", (0.3, 0.6)), ("clip_", (0.3,)),
    ("round_", ()), ("sign_", ()), ("erf_", ()), ("nan_to_num_", ()), ("remainder_", (0.3,)),
    ("fmod_", (0.3,)), ("square_", ()), ("negative_", ()), ("lerp_", (T([1.0, 1.0]), 0.5)),
    ("atan2_", (T([1.0, 1.0]),)), ("absolute_", ()), ("arcsin_", ()), ("fix_", ())])
def test_inplace_twins_write_into_self_and_match_the_op(name, args):
    base = [0.25, 0.75]
    want = getattr(ops, name[:-1])(T(base), *args)
    x = T(base)
    out = getattr(x, name)(*args)
    assert out is x and x.tolist() == want.tolist()


def test_inplace_twin_records_the_ops_node():
    a = leaf([0.25, -0.75])
    x = a * 1
    x.clamp_(0.0, 0.5)
    assert x.grad_fn.name() == "ClampBackward1"
    x.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0]


def test_inplace_floating_op_on_an_int_tensor_fails_like_pytorch():
    with expect_golden("inplace_result_type"):
        T([1, 2]).exp_()
    i = T([-3, 5])
    i.abs_()
    assert i.tolist() == [3, 5] and i.dtype is engine.int64


def test_inplace_on_a_leaf_that_requires_grad_fails():
    with expect_golden("leaf_inplace"):
        leaf([1.0]).clamp_(0.0)
