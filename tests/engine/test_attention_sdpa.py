"""``F.scaled_dot_product_attention`` against torch 2.13: values, gradients, the chain of nodes
(the fused CPU flash node or the math path's chain, as torch chooses), error texts, and
gradchecks of the math path in float64 (first and second order)."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")
from .torch_compare import compare  # noqa: E402

RNG = np.random.default_rng(7)


def arr(*shape):
    return RNG.standard_normal(shape).tolist()


Q, K, V, V6 = arr(2, 3, 4, 5), arr(2, 3, 6, 5), arr(2, 3, 6, 5), arr(2, 3, 6, 7)
BOOL = (RNG.random((4, 6)) > 0.4).tolist()
FLOAT = arr(4, 6)


def _mask(m, kind, dtype=None):
    if kind == "bool":
        return m.tensor(BOOL, dtype=m.bool)
    return m.tensor(FLOAT, dtype=dtype or m.float64)


@pytest.mark.parametrize("value", ["same", "wider"], ids=["flash", "math"])
@pytest.mark.parametrize("kwargs", [
    {}, {"is_causal": True}, {"mask": "bool"}, {"mask": "float"}, {"scale": 0.3},
    {"dropout_p": 0.0}])
def test_four_d_matches_torch(value, kwargs):
    kwargs = dict(kwargs)

    def case(m, F, leaf):
        kw = dict(kwargs)
        if "mask" in kw:
            kw["attn_mask"] = _mask(m, kw.pop("mask"))
        q, k = leaf(Q), leaf(K)
        v = leaf(V if value == "same" else V6)
        return F.scaled_dot_product_attention(q, k, v, **kw)

    compare(case, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [
    ((4, 5), (6, 5), (6, 5)),                   # 2-D
    ((3, 4, 5), (3, 6, 5), (3, 6, 7)),          # 3-D
    ((1, 2, 3, 4, 5), (1, 2, 3, 6, 5), (1, 2, 3, 6, 5)),  # 5-D
    ((2, 4, 4, 5), (1, 4, 6, 5), (4, 6, 5)),    # broadcast batch
    ((2, 3, 4, 5), (2, 1, 6, 5), (2, 1, 6, 5)),  # one key head for three query heads
])
def test_other_ranks_and_broadcasting(dtype, shapes):
    qs, ks, vs = shapes
    qa, ka, va = arr(*qs), arr(*ks), arr(*vs)

    def case(m, F, leaf):
        dt = getattr(m, dtype)
        return F.scaled_dot_product_attention(leaf(qa, dt), leaf(ka, dt), leaf(va, dt))

    compare(case, rtol=1e-5 if dtype == "float32" else 1e-10, atol=1e-6)


@pytest.mark.parametrize("value", ["same", "wider"], ids=["flash", "math"])
def test_fully_masked_rows_give_zeros(value):
    mask = np.ones((4, 6), dtype=bool)
    mask[1] = False

    def case(m, F, leaf):
        v = leaf(V if value == "same" else V6)
        out1 = F.scaled_dot_product_attention(leaf(Q), leaf(K), v,
                                              attn_mask=m.tensor(mask.tolist()))
        fm = np.zeros((4, 6))
        fm[2] = -np.inf
        out2 = F.scaled_dot_product_attention(leaf(Q), leaf(K), v,
                                              attn_mask=m.tensor(fm.tolist(), dtype=m.float64))
        return out1, out2

    compare(case, rtol=1e-10)


def test_float_mask_that_requires_grad_takes_the_math_path():
    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V), attn_mask=leaf(FLOAT))

    compare(case, rtol=1e-10)


def test_gqa():
    qa, ka, va = arr(1, 4, 3, 5), arr(1, 2, 6, 5), arr(1, 2, 6, 5)

    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(qa), leaf(ka), leaf(va), enable_gqa=True)

    compare(case, rtol=1e-10)

    va7 = arr(1, 2, 6, 7)

    def math_case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(qa), leaf(ka), leaf(va7), enable_gqa=True)

    compare(math_case, rtol=1e-10)


def test_causal_with_more_queries_than_keys():
    qa, ka, va = arr(1, 1, 5, 4), arr(1, 1, 3, 4), arr(1, 1, 3, 4)

    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(qa), leaf(ka), leaf(va), is_causal=True)

    compare(case, rtol=1e-10)


def test_mask_and_causal_together():
    def flash(m, F, leaf):  # the fused kernel applies both
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V),
                                              attn_mask=_mask(m, "bool"), is_causal=True)

    compare(flash, rtol=1e-10)

    def math_path(m, F, leaf):  # the math path refuses
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V6),
                                              attn_mask=_mask(m, "bool"), is_causal=True)

    compare(math_path)


def test_float32_mask_on_float64_inputs():
    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V),
                                              attn_mask=_mask(m, "float", m.float32))

    compare(case, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m, leaf: (leaf(Q, m.float32), leaf(K), leaf(V)),
    lambda m, leaf: (leaf(Q[0][0][0]), leaf(K[0][0][0]), leaf(V[0][0][0])),
    lambda m, leaf: (leaf(Q), leaf(arr(2, 3, 6, 3)), leaf(V)),
    lambda m, leaf: (m.tensor([[1, 2]]), m.tensor([[1, 2]]), m.tensor([[1, 2]])),
    lambda m, leaf: (leaf(arr(1, 3, 3, 5)), leaf(arr(1, 2, 6, 5)), leaf(arr(1, 2, 6, 5))),
], ids=["dtypes", "one-d", "head-size", "integers", "gqa-heads"])
def test_errors(make):
    def case(m, F, leaf):
        q, k, v = make(m, leaf)
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    compare(case)


@pytest.mark.parametrize("mask", [
    lambda m: m.ones(4, 6, dtype=m.int64), lambda m: m.ones(6, dtype=m.bool),
    lambda m: m.ones(4, 5, dtype=m.bool)], ids=["long", "one-d", "shape"])
def test_mask_errors(mask):
    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V), attn_mask=mask(m))

    compare(case)


def test_dropout_probability_error():
    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V), dropout_p=1.5)

    compare(case)


def test_dropout_draws_from_the_session_generator_and_records_torch_chain():
    q, k, v = (engine.tensor(a, dtype=engine.float64, requires_grad=True) for a in (Q, K, V))
    F = engine.nn.functional
    with engine.use_generator(engine.Generator().manual_seed(3)):
        a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    with engine.use_generator(engine.Generator().manual_seed(3)):
        b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    c = F.scaled_dot_product_attention(q, k, v)
    assert np.array_equal(engine.to_numpy(a), engine.to_numpy(b))
    assert not np.allclose(engine.to_numpy(a), engine.to_numpy(c))
    tq, tk, tv = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (Q, K, V))
    t = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.5)
    from .torch_compare import graph_names
    assert graph_names(a) == graph_names(t)
    # p = 1 drops every weight: the result is zeros, as torch's
    z = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert not engine.to_numpy(z).any()


def test_flash_second_order_refuses_as_torch():
    def case(m, F, leaf):
        q, k, v = leaf(Q), leaf(K), leaf(V)
        out = F.scaled_dot_product_attention(q, k, v)
        grad = engine.grad if m is engine else torch.autograd.grad
        gq, = grad(out.sum(), (q,), create_graph=True)
        return gq

    compare(case, rtol=1e-10)


def test_no_grad_gives_plain_values():
    q, k, v = (engine.tensor(a, dtype=engine.float64, requires_grad=True) for a in (Q, K, V))
    with engine.no_grad():
        out = engine.nn.functional.scaled_dot_product_attention(q, k, v)
    assert out.grad_fn is None and not out.requires_grad
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a, dtype=torch.float64) for a in (Q, K, V)))
    assert np.allclose(engine.to_numpy(out), ref.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"mask": "float"},
                                    {"mask": "bool"}])
def test_gradcheck_math_path_first_and_second_order(kwargs):
    rng = np.random.default_rng(1)
    F = engine.nn.functional

    def t(*shape):
        return engine.tensor(rng.standard_normal(shape), dtype=engine.float64,
                             requires_grad=True)

    q, k, v = t(1, 2, 3, 4), t(1, 2, 5, 4), t(1, 2, 5, 3)
    kw = dict(kwargs)
    if kw.get("mask") == "bool":
        keep = rng.random((3, 5)) > 0.3
        keep[:, 0] = True
        kw["attn_mask"] = engine.tensor(keep.tolist())
    elif kw.get("mask") == "float":
        kw["attn_mask"] = t(3, 5)
    kw.pop("mask", None)
    inputs = (q, k, v) + ((kw.pop("attn_mask"),) if "attn_mask" in kw and
                          kw["attn_mask"].requires_grad else ())
    bool_mask = kw.pop("attn_mask", None)

    def f(*xs):
        mask = xs[3] if len(xs) > 3 else bool_mask
        return F.scaled_dot_product_attention(xs[0], xs[1], xs[2], attn_mask=mask, **kw)

    assert engine.autograd.gradcheck(f, inputs)
    assert engine.autograd.gradgradcheck(f, inputs)


def test_gradcheck_flash_path_first_order():
    rng = np.random.default_rng(2)
    q, k, v = (engine.tensor(rng.standard_normal(s), dtype=engine.float64, requires_grad=True)
               for s in ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)))
    f = engine.nn.functional.scaled_dot_product_attention
    assert f(q, k, v).grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert engine.autograd.gradcheck(f, (q, k, v))


@pytest.mark.parametrize("value", ["same", "wider"], ids=["flash", "math"])
def test_negative_dropout(value):
    def case(m, F, leaf):
        return F.scaled_dot_product_attention(leaf(Q), leaf(K), leaf(V if value == "same"
                                                                       else V6), dropout_p=-0.5)

    compare(case, rtol=1e-10)


def test_forward_ad_refused_by_the_fused_kernel_only():
    fwAD = engine.autograd.forward_ad
    F = engine.nn.functional
    q, k, v, v6 = (engine.tensor(a, dtype=engine.float64) for a in (Q, K, V, V6))
    with fwAD.dual_level():
        d = fwAD.make_dual(q, engine.ones_like(q))
        with pytest.raises(NotImplementedError) as ours:
            F.scaled_dot_product_attention(d, k, v)
        assert fwAD.unpack_dual(F.scaled_dot_product_attention(d, k, v6)).tangent is not None
    tfw = torch.autograd.forward_ad
    tq, tk, tv = (torch.tensor(a, dtype=torch.float64) for a in (Q, K, V))
    with tfw.dual_level():
        with pytest.raises(NotImplementedError) as theirs:
            torch.nn.functional.scaled_dot_product_attention(
                tfw.make_dual(tq, torch.ones_like(tq)), tk, tv)
    assert str(ours.value) == str(theirs.value)
