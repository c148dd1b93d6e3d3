"""Behaviour of ``torch.nn.functional`` ops: node names, kinks, error texts, train/eval mode,
running statistics, reproducible dropout and values read from PyTorch 2.13."""

from __future__ import annotations

import json
import pathlib
import re
import warnings

import numpy as np
import pytest

import engine
from engine import errors

ERRORS = json.loads((pathlib.Path(__file__).parent / "goldens" / "errors.json").read_text())


def t64(values, requires_grad=False):
    return engine.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def idx(values):
    return engine.tensor(np.asarray(values, dtype=np.int64))


def grad_of(fn, x, *, upstream=None):
    x = t64(x, requires_grad=True)
    out = fn(x)
    (out * (1.0 if upstream is None else t64(upstream))).sum().backward()
    return x.grad.numpy()


def golden(key):
    entry = ERRORS[key]
    return entry["type"], entry["message"]


# --------------------------------------------------------------------------- node names
X = t64(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
T = idx([0, 2, 1, 0])
P = t64(np.full((4, 3), 1 / 3))

NODE_NAMES = [
    (lambda: engine.relu(X), "ReluBackward0"),
    (lambda: engine.leaky_relu(X), "LeakyReluBackward0"),
    (lambda: engine.gelu(X), "GeluBackward0"),
    (lambda: engine.gelu(X, approximate="tanh"), "GeluBackward0"),
    (lambda: engine.silu(X), "SiluBackward0"),
    (lambda: engine.elu(X), "EluBackward0"),
    (lambda: engine.softplus(X), "SoftplusBackward0"),
    (lambda: engine.softmax(X, 1), "SoftmaxBackward0"),
    (lambda: engine.log_softmax(X, 1), "LogSoftmaxBackward0"),
    (lambda: engine.linear(X, t64(np.ones((2, 3))), t64(np.ones(2))), "AddmmBackward0"),
    (lambda: engine.linear(X, t64(np.ones((2, 3)))), "MmBackward0"),
    (lambda: engine.linear(X.reshape(2, 2, 3), t64(np.ones((2, 3))), t64(np.ones(2))),
     "ViewBackward0"),
    (lambda: engine.linear(X.reshape(2, 2, 3), t64(np.ones((2, 3)))), "UnsafeViewBackward0"),
    (lambda: engine.dropout(X, 0.5, True), "MulBackward0"),
    (lambda: engine.layer_norm(X, (3,)), "NativeLayerNormBackward0"),
    (lambda: engine.batch_norm(X, None, None, training=True), "NativeBatchNormBackward0"),
    (lambda: engine.embedding(T, X), "EmbeddingBackward0"),
    (lambda: engine.cross_entropy(X, T), "NllLossBackward0"),
    (lambda: engine.cross_entropy(X.reshape(2, 3, 2), idx([[0, 1], [2, 0]])),
     "NllLoss2DBackward0"),
    (lambda: engine.cross_entropy(X, P), "DivBackward1"),
    (lambda: engine.cross_entropy(X, P, reduction="sum"), "NegBackward0"),
    (lambda: engine.cross_entropy(X, T, label_smoothing=0.1), "AddBackward0"),
    (lambda: engine.nll_loss(X, T), "NllLossBackward0"),
    (lambda: engine.mse_loss(X, P), "MseLossBackward0"),
    (lambda: engine.l1_loss(X, P), "MeanBackward0"),
    (lambda: engine.l1_loss(X, P, reduction="none"), "AbsBackward0"),
    (lambda: engine.l1_loss(X, P, reduction="sum"), "SumBackward0"),
    (lambda: engine.smooth_l1_loss(X, P), "SmoothL1LossBackward0"),
    (lambda: engine.huber_loss(X, P), "HuberLossBackward0"),
    (lambda: engine.binary_cross_entropy(engine.sigmoid(X), P), "BinaryCrossEntropyBackward0"),
    (lambda: engine.binary_cross_entropy_with_logits(X, P),
     "BinaryCrossEntropyWithLogitsBackward0"),
    (lambda: engine.normalize(X), "DivBackward0"),
    (lambda: engine.mse_loss(X, P, weight=P), "DivBackward0"),
]


@pytest.mark.parametrize("make,name", NODE_NAMES, ids=[n for _, n in NODE_NAMES])
def test_node_names_match_pytorch(make, name):
    assert make().grad_fn.name() == name


# --------------------------------------------------------------------------- kinks
@pytest.mark.parametrize("fn,x,expected", [
    (engine.relu, [0.0, -1.0, 2.0], [0.0, 0.0, 1.0]),
    (lambda x: engine.leaky_relu(x, 0.2), [0.0, -1.0, 2.0], [0.2, 0.2, 1.0]),
    (lambda x: engine.elu(x, alpha=2.0), [0.0, 1.0], [2.0, 1.0]),
    (engine.softplus, [20.0, 21.0], [1.0 / (1.0 + np.exp(-20.0)), 1.0]),
    (lambda x: engine.l1_loss(x, t64([0.0, 0.0]), reduction="sum"), [0.0, 1.0], [0.0, 1.0]),
    (lambda x: engine.smooth_l1_loss(x, t64([0.0] * 3), reduction="sum"), [2.0, -1.0, 1.0],
     [1.0, -1.0, 1.0]),
    (lambda x: engine.huber_loss(x, t64([0.0] * 3), reduction="sum"), [2.0, -1.0, 1.0],
     [1.0, -1.0, 1.0]),
    (lambda x: engine.smooth_l1_loss(x, t64([0.0, 0.0]), reduction="sum", beta=0.0),
     [0.0, 1.0], [0.0, 1.0]),
    (lambda x: engine.normalize(x.reshape(1, 2)), [0.0, 0.0], [1e12, 1e12]),
])
def test_gradients_at_kinks_follow_pytorch(fn, x, expected):
    np.testing.assert_allclose(grad_of(fn, x), expected, rtol=1e-12)


def test_elu_second_derivative_is_zero_at_zero_like_pytorch():
    x = t64([0.0, -1.0], requires_grad=True)
    (g,) = engine.grad(engine.elu(x, alpha=2.0).sum(), x, create_graph=True)
    (h,) = engine.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [0.0, 2.0 * np.exp(-1.0)])


def test_relu_gradient_ignores_nan_upstream_where_inactive():
    x = t64([-1.0, 1.0], requires_grad=True)
    (g,) = engine.grad(engine.relu(x), x, grad_outputs=t64([np.nan, 1.0]))
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0])


# --------------------------------------------------------------------------- values
def test_gelu_matches_pytorch_values():
    x = t64([-3.0, -1.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(
        engine.gelu(x).numpy(),
        [-0.00404969409489031, -0.15865525393145702, 0.0, 0.34573123063700656,
         1.9544997361036416], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(
        engine.gelu(x, approximate="tanh").numpy(),
        [-0.0036373920817729943, -0.15880800939172324, 0.0, 0.34571400982514394,
         1.954597694087775], rtol=1e-13)


def test_softplus_is_stable_and_linear_past_the_threshold():
    out = engine.softplus(t64([-30.0, 0.0, 1.0, 25.0])).numpy()
    np.testing.assert_allclose(out, [9.357622968839737e-14, 0.6931471805599453,
                                     1.3132616875182228, 25.0], rtol=1e-13)


def test_softmax_and_log_softmax_are_stable_for_large_inputs():
    x = engine.tensor([1000.0, 0.0, -1000.0])
    np.testing.assert_allclose(engine.softmax(x, 0).numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(engine.log_softmax(x, 0).numpy(), [0.0, -1000.0, -2000.0])
    assert engine.softmax(x, 0).dtype is engine.float32


def test_softmax_dtype_argument_casts_first():
    out = engine.softmax(engine.tensor([1, 2, 3]), 0, dtype=engine.float64)
    assert out.dtype is engine.float64
    np.testing.assert_allclose(out.numpy(), [0.09003057, 0.24472847, 0.66524096], rtol=1e-6)


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = engine.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.warns(UserWarning, match="^Implicit dimension choice for softmax has been "
                                         "deprecated. Change the call to include dim=X as an "
                                         "argument.$"):
        out = engine.softmax(x)
    np.testing.assert_allclose(out.numpy().sum(1), [1.0, 1.0], rtol=1e-6)


def test_softmax_dim_errors_and_int_inputs():
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)$"):
        engine.softmax(engine.zeros(2, 3), 2)
    with pytest.raises(NotImplementedError,
                       match="^\"softmax_lastdim_kernel_impl\" not implemented for 'Long'$"):
        engine.softmax(engine.tensor([1, 2, 3]), 0)


@pytest.mark.parametrize("reduction,weighted,expected", [
    ("mean", True, 0.5584468515789415), ("mean", False, 0.990401455182259),
    ("sum", True, 2.3454767766315543), ("sum", False, 2.971204365546777),
])
def test_cross_entropy_label_smoothing_matches_pytorch(reduction, weighted, expected):
    x = t64([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0], [2.0, 2.0, 2.0], [0.3, 0.2, -0.4]])
    w = t64([0.2, 1.0, 3.0]) if weighted else None
    out = engine.cross_entropy(x, idx([0, 2, -100, 1]), weight=w, label_smoothing=0.2,
                               reduction=reduction)
    assert out.item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_all_ignored_is_nan_for_mean_and_zero_for_sum():
    x = t64(np.ones((2, 3)))
    assert np.isnan(engine.cross_entropy(x, idx([-100, -100])).item())
    assert engine.cross_entropy(x, idx([-100, -100]), reduction="sum").item() == 0.0


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_batch():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 1, 2])
    xt = engine.tensor(x, requires_grad=True)
    loss = engine.cross_entropy(xt, idx(t))
    loss.backward()
    e = np.exp(x - x.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    assert loss.dtype is engine.float32 and xt.grad.dtype is engine.float32
    assert loss.item() == pytest.approx(-np.log(p[np.arange(5), t]).mean(), rel=1e-6)
    np.testing.assert_allclose(xt.grad.numpy(), (p - np.eye(4)[t]) / 5, rtol=1e-5, atol=1e-7)


def test_linear_keeps_float32_and_matches_numpy():
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((64, 8), (4, 8), (4,)))
    out = engine.linear(engine.tensor(x), engine.tensor(w), engine.tensor(b))
    assert out.dtype is engine.float32 and out.shape == (64, 4)
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)


def test_mlp_training_step_matches_hand_written_numpy():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 12)).astype(np.float32)
    y = rng.integers(0, 5, 16)
    w1, b1 = rng.standard_normal((8, 12)).astype(np.float32) * 0.3, np.zeros(8, np.float32)
    w2, b2 = rng.standard_normal((5, 8)).astype(np.float32) * 0.3, np.zeros(5, np.float32)
    params = [engine.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    h = engine.relu(engine.linear(engine.tensor(x), params[0], params[1]))
    engine.cross_entropy(engine.linear(h, params[2], params[3]), idx(y)).backward()
    z1 = x @ w1.T + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2.T + b2
    e = np.exp(z2 - z2.max(1, keepdims=True))
    dz2 = (e / e.sum(1, keepdims=True) - np.eye(5)[y]) / 16
    dz1 = (dz2 @ w2) * (z1 > 0)
    for p, want in zip(params, (dz1.T @ x, dz1.sum(0), dz2.T @ a1, dz2.sum(0)), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------- in place
def test_relu_in_place_variants_write_into_the_input():
    for call in (lambda t: engine.relu_(t), lambda t: engine.relu(t, inplace=True),
                 lambda t: t.relu_()):
        x = t64([-1.0, 2.0], requires_grad=True)
        y = x * 1.0
        out = call(y)
        assert out is y and y.grad_fn.name() == "ReluBackward0"
        np.testing.assert_array_equal(y.detach().numpy(), [0.0, 2.0])
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("call,node", [
    (lambda t: engine.leaky_relu(t, 0.1, inplace=True), "LeakyReluBackward1"),
    (lambda t: engine.elu(t, inplace=True), "EluBackward1"),
    (lambda t: engine.silu(t, inplace=True), "SiluBackward0"),
])
def test_inplace_activation_node_names(call, node):
    y = t64([-1.0, 2.0], requires_grad=True) * 1.0
    assert call(y) is y and y.grad_fn.name() == node


def test_relu_in_place_on_a_leaf_that_requires_grad_fails():
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used "
                                           "in an in-place operation.$"):
        engine.relu_(t64([1.0], requires_grad=True))


# --------------------------------------------------------------------------- dropout
def test_dropout_trains_by_default_as_torch():
    x = engine.ones(100)
    assert (engine.dropout(x).numpy() == 0).any()
    assert engine.dropout(x, training=False) is x and engine.dropout(x, p=0.0) is x


def test_dropout_is_reproducible_from_the_generator_and_scales_kept_values():
    x = engine.ones(1000, requires_grad=True)
    with engine.use_generator(engine.Generator().manual_seed(3)):
        a = engine.dropout(x, p=0.25)
    with engine.use_generator(engine.Generator().manual_seed(3)):
        b = engine.dropout(x, p=0.25)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert set(np.unique(a.detach().numpy())) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < (a.detach().numpy() == 0).mean() < 0.35
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a.detach().numpy())


def test_dropout_p_one_zeroes_everything():
    assert not engine.dropout(engine.ones(5), p=1.0).numpy().any()


@pytest.mark.parametrize("p", [1.5, -0.1])
def test_dropout_rejects_bad_probabilities(p):
    with pytest.raises(ValueError, match=f"^dropout probability has to be between 0 and 1, but "
                                         f"got {p}$"):
        engine.dropout(engine.ones(3), p=p)


# --------------------------------------------------------------------------- normalization
def test_batch_norm_updates_running_stats_with_unbiased_variance():
    x = t64(np.arange(12.0).reshape(4, 3) ** 1.5)
    rm, rv = t64(np.zeros(3)), t64(np.ones(3))
    engine.batch_norm(x, rm, rv, training=True, momentum=0.2)
    np.testing.assert_allclose(rm.numpy(), [2.3446545439702855, 2.9571517889567964,
                                            3.6559528352062034], rtol=1e-13)
    np.testing.assert_allclose(rv.numpy(), [28.9506337962633, 36.36835531379746,
                                            43.42672577831818], rtol=1e-13)


def test_batch_norm_uses_running_stats_by_default_as_torch():
    x = t64(np.arange(12.0).reshape(4, 3))
    rm, rv = t64(np.zeros(3)), t64(np.ones(3))
    out = engine.batch_norm(x, rm, rv)
    np.testing.assert_allclose(out.numpy(), x.numpy() / np.sqrt(1 + 1e-5))
    assert rm.numpy().tolist() == [0.0, 0.0, 0.0]
    engine.batch_norm(x, rm, rv, training=True)
    assert rm.numpy().tolist() == pytest.approx([0.45, 0.55, 0.65])


def test_layer_norm_normalizes_the_trailing_dims():
    x = engine.tensor(np.random.default_rng(3).standard_normal((4, 2, 5)).astype(np.float32))
    out = engine.layer_norm(x, (2, 5)).numpy()
    np.testing.assert_allclose(out.reshape(4, -1).mean(1), 0, atol=1e-6)
    np.testing.assert_allclose(out.reshape(4, -1).std(1), 1, rtol=1e-4)


def test_normalize_keeps_zero_slices_at_zero():
    out = engine.normalize(engine.tensor([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)


# --------------------------------------------------------------------------- embedding
def test_embedding_padding_and_frequency_scaling_match_pytorch():
    w = t64(np.arange(12.0).reshape(6, 2), requires_grad=True)
    out = engine.embedding(idx([[1, 4], [4, 4], [0, 1]]), w, padding_idx=4,
                           scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.detach().numpy()[0, 1], [8.0, 9.0])
    out.backward(t64(np.arange(12.0).reshape(3, 2, 2)))
    np.testing.assert_array_equal(w.grad.numpy(), [[8, 9], [5, 6], [0, 0], [0, 0], [0, 0],
                                                   [0, 0]])


def test_embedding_max_norm_renormalizes_the_used_rows_in_place():
    w = t64(np.arange(12.0).reshape(6, 2))
    engine.embedding(idx([1, 5]), w, max_norm=3.0)
    np.testing.assert_allclose(w.numpy(), [[0, 1], [1.6641005425218427, 2.496150813782764],
                                           [4, 5], [6, 7], [8, 9],
                                           [2.018018368414277, 2.219820205255705]], rtol=1e-12)


def test_embedding_accepts_int32_indices():
    w = t64(np.arange(6.0).reshape(3, 2))
    out = engine.embedding(engine.tensor([2, 0], dtype=engine.int32), w)
    np.testing.assert_array_equal(out.numpy(), [[4, 5], [0, 1]])


# --------------------------------------------------------------------------- errors
def _raises(kind, message):
    cls = {"RuntimeError": RuntimeError, "ValueError": ValueError, "IndexError": IndexError,
           "TypeError": TypeError, "AssertionError": AssertionError,
           "NotImplementedError": NotImplementedError}[kind]
    return pytest.raises(cls, match="^" + re.escape(message) + "$")


def test_cross_entropy_errors_match_the_recorded_pytorch_texts():
    with _raises(*golden("cross_entropy_target_out_of_bounds")) as info:
        engine.cross_entropy(engine.zeros(2, 3), idx([0, 5]))
    assert isinstance(info.value, errors.EngineError)
    with _raises(*golden("cross_entropy_target_float_1d")):
        engine.cross_entropy(engine.zeros(3, 2), engine.tensor([0.0, 1.0, 1.0]))
    with _raises(*golden("cross_entropy_batch_mismatch")):
        engine.cross_entropy(engine.zeros(2, 3), idx([0, 1, 2]))


def test_mse_loss_size_mismatch_warns_and_unbroadcastable_fails_with_recorded_texts():
    kind, message = golden("mse_loss_size_mismatch")
    with pytest.warns(UserWarning, match="^" + re.escape(message) + "$"):
        engine.mse_loss(engine.zeros(3, 1), engine.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _raises(*golden("mse_loss_not_broadcastable")):
            engine.mse_loss(engine.zeros(3), engine.zeros(4))


X43 = engine.zeros(4, 3)
W35 = engine.zeros(3, 5)

ERROR_CASES = [
    (lambda: engine.cross_entropy(X43, idx([0, 2, -1, 0])), "IndexError",
     "Target -1 is out of bounds."),
    (lambda: engine.cross_entropy(X43, engine.tensor([0, 2, 1, 0], dtype=engine.int32)),
     "RuntimeError", "expected target dtype to be Long or Byte, but got Int"),
    (lambda: engine.cross_entropy(X43, idx([0, 1, 2, 0]), reduction="foo"), "ValueError",
     "foo is not a valid value for reduction"),
    (lambda: engine.cross_entropy(engine.zeros(2, 3, 4), idx([[0] * 5] * 2)), "RuntimeError",
     "Expected target size [2, 4], got [2, 5]"),
    (lambda: engine.cross_entropy(X43, engine.zeros(4, 2)), "RuntimeError",
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: engine.cross_entropy(X43, idx([0, 1, 2, 0]), weight=engine.ones(4)), "RuntimeError",
     "weight tensor should be defined either for all 3 classes or no classes but got weight "
     "tensor of shape: [4]"),
    (lambda: engine.cross_entropy(X43, idx([0, 1, 2, 0]), label_smoothing=1.5), "RuntimeError",
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: engine.cross_entropy(engine.tensor(1.0), engine.tensor(1)), "RuntimeError",
     "Expected floating point type for target with class probabilities, got Long"),
    (lambda: engine.cross_entropy(X43, idx([0, 1, 2, 0]),
                                  weight=engine.ones(3, requires_grad=True)), "RuntimeError",
     "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. "
     "This input cannot have requires_grad True."),
    (lambda: engine.linear(X43, engine.zeros(3, 4)), "RuntimeError",
     "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x3)"),
    (lambda: engine.linear(engine.zeros(4), W35), "RuntimeError",
     "mat1 and mat2 shapes cannot be multiplied (1x4 and 5x3)"),
    (lambda: engine.linear(engine.zeros(2, 5), W35.double()), "RuntimeError",
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: engine.linear(engine.zeros(4, 5), W35, engine.zeros(4)), "RuntimeError",
     "The expanded size of the tensor (3) must match the existing size (4) at non-singleton "
     "dimension 1.  Target sizes: [4, 3].  Tensor sizes: [4]"),
    (lambda: engine.linear(engine.tensor(1.0), W35), "RuntimeError",
     "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    (lambda: engine.layer_norm(X43, (4,)), "RuntimeError",
     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
     "size[4, 3]"),
    (lambda: engine.layer_norm(X43, (3,), engine.ones(4)), "RuntimeError",
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [3]"),
    (lambda: engine.layer_norm(X43, 3), "TypeError",
     "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    (lambda: engine.batch_norm(engine.zeros(1, 3), engine.zeros(3), engine.ones(3),
                               training=True), "ValueError",
     "Expected more than 1 value per channel when training, got input size "
     "torch.Size([1, 3])"),
    (lambda: engine.batch_norm(X43, None, None), "RuntimeError",
     "running_mean must be defined in evaluation mode"),
    (lambda: engine.batch_norm(X43, engine.zeros(4), engine.ones(4), training=True),
     "RuntimeError", "running_mean should contain 3 elements not 4"),
    (lambda: engine.embedding(idx([1, 7]), engine.zeros(6, 3)), "IndexError",
     "index out of range in self"),
    (lambda: engine.embedding(engine.tensor([1.0]), engine.zeros(6, 3)), "RuntimeError",
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)"),
    (lambda: engine.embedding(idx([1]), engine.zeros(6, 3), padding_idx=6), "AssertionError",
     "Padding_idx must be within num_embeddings"),
    (lambda: engine.embedding(idx([1]), engine.zeros(6)), "RuntimeError",
     "'weight' must be 2-D"),
    (lambda: engine.gelu(X43, approximate="foo"), "RuntimeError",
     "approximate argument must be either none or tanh."),
    (lambda: engine.relu(engine.tensor([True])), "RuntimeError",
     "Boolean inputs not supported for relu"),
    (lambda: engine.silu(engine.tensor([1])), "NotImplementedError",
     "\"silu_cpu\" not implemented for 'Long'"),
    (lambda: engine.smooth_l1_loss(X43, X43, beta=-1.0), "RuntimeError",
     "smooth_l1_loss does not support negative values for beta."),
    (lambda: engine.huber_loss(X43, X43, delta=0.0), "RuntimeError",
     "huber_loss does not support non-positive values for delta."),
    (lambda: engine.mse_loss(X43, X43, weight=engine.ones(3)), "ValueError",
     "Weights and input must have the same size."),
    (lambda: engine.binary_cross_entropy(engine.full((4, 3), 0.5), engine.zeros(4, 1)),
     "ValueError", "Using a target size (torch.Size([4, 1])) that is different to the input "
     "size (torch.Size([4, 3])) is deprecated. Please ensure they have the same size."),
    (lambda: engine.binary_cross_entropy(engine.tensor([1.5]), engine.zeros(1)),
     "RuntimeError", "all elements of input should be between 0 and 1"),
    (lambda: engine.binary_cross_entropy(engine.tensor([0.5]), engine.tensor([1.5])),
     "RuntimeError", "all elements of target should be between 0 and 1"),
    (lambda: engine.binary_cross_entropy_with_logits(X43, engine.zeros(4, 1)), "ValueError",
     "Target size (torch.Size([4, 1])) must be the same as input size (torch.Size([4, 3]))"),
    (lambda: engine.normalize(engine.tensor([1, 2])), "RuntimeError",
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: engine.normalize(engine.zeros(3)), "IndexError",
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: engine.batch_norm(X43, None, None, training=True, momentum=None), "TypeError",
     "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType"),
    (lambda: engine.batch_norm(engine.zeros(0, 3), engine.zeros(3), engine.ones(3),
                               momentum=None), "TypeError",
     "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType"),
    (lambda: engine.nn.functional.instance_norm(engine.zeros(2, 3, 5), momentum=None),
     "TypeError",
     "instance_norm(): argument 'momentum' (position 7) must be float, not NoneType"),
]


@pytest.mark.parametrize("call,kind,message", ERROR_CASES,
                         ids=[f"{i}-{c[1]}" for i, c in enumerate(ERROR_CASES)])
def test_errors_match_pytorch_texts(call, kind, message):
    with _raises(kind, message):
        call()


@pytest.mark.parametrize("call", [
    # (embedding(sparse=True) has sparse gradients: tests/engine/test_sparse_embedding_optim.py)
    lambda: engine.embedding_bag(idx([1]), engine.zeros(6, 3), idx([0]), sparse=True),
])
def test_unsupported_arguments_raise_not_supported(call):
    with pytest.raises(errors.NotSupported):
        call()


def test_legacy_size_average_and_reduce_pick_the_reduction_and_warn():
    x, t = t64([[1.0, 2.0]]), t64([[0.0, 0.0]])
    with pytest.warns(UserWarning, match="^size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead.$"):
        assert engine.mse_loss(x, t, size_average=False).item() == 5.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert engine.mse_loss(x, t, reduce=False).shape == (1, 2)


@pytest.mark.parametrize("name,expected", [
    ("mse_loss", (13.5 / 3.5, 13.5, [1.0, 8.0, 4.5])),
    ("l1_loss", (6.5 / 3.5, 6.5, [1.0, 4.0, 1.5])),
    ("huber_loss", (4.75 / 3, 4.75, [0.5, 3.0, 1.25])),
])
def test_weighted_regression_losses_reduce_like_pytorch(name, expected):
    fn = getattr(engine, name)
    x, y, w = t64([1.0, 2.0, 3.0]), t64([0.0, 0.0, 0.0]), t64([1.0, 2.0, 0.5])
    assert fn(x, y, weight=w).item() == pytest.approx(expected[0])
    assert fn(x, y, weight=w, reduction="sum").item() == pytest.approx(expected[1])
    np.testing.assert_allclose(fn(x, y, weight=w, reduction="none").numpy(), expected[2])


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    out = engine.binary_cross_entropy(t64([0.0, 1.0]), t64([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0])
