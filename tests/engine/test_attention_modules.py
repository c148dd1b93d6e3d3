"""``nn.MultiheadAttention``, ``F.multi_head_attention_forward`` and the Transformer modules
against torch 2.13 side by side: the same weights (torch's state_dict loaded into ours), the
same inputs, in float64 and float32; outputs, attention weights, every parameter's gradient,
the result's node, in train mode (dropout 0) and eval mode, batch_first both ways, masks and
padding masks; parameter names, shapes, order, reprs; gradchecks in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
import engine.nn as enn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
TOL = {"float64": (1e-9, 1e-10), "float32": (2e-4, 2e-5)}


def _lib_dtype(lib, name):
    return getattr(lib, name)


def twin(make, dtype="float64", seed=0):
    """The module made by ``make(nn)`` in torch and in the engine, with torch's weights."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = make(torch.nn).to(getattr(torch, dtype))
        ours = make(enn).to(getattr(engine, dtype))
    names_t = [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    names_o = [(n, tuple(p.shape)) for n, p in ours.named_parameters()]
    assert names_o == names_t
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: engine.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    return ours, theirs


def inputs(shapes, dtype="float64", requires_grad=True):
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours = [engine.tensor(a, dtype=getattr(engine, dtype), requires_grad=requires_grad)
            for a in arrays]
    theirs = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=requires_grad)
              for a in arrays]
    return ours, theirs


def check_same(ours_out, theirs_out, ours_mod, theirs_mod, ours_in, theirs_in, dtype,
               grads=True):
    rtol, atol = TOL[dtype]
    outs_o = [t for t in (ours_out if isinstance(ours_out, tuple) else (ours_out,))]
    outs_t = [t for t in (theirs_out if isinstance(theirs_out, tuple) else (theirs_out,))]
    assert len(outs_o) == len(outs_t)
    weights = []
    for o, t in zip(outs_o, outs_t):
        assert (o is None) == (t is None)
        if t is None:
            continue
        assert tuple(o.shape) == tuple(t.shape)
        assert str(o.dtype) == str(t.dtype)
        np.testing.assert_allclose(engine.to_numpy(o), t.detach().numpy(), rtol=rtol,
                                   atol=atol)
        assert o.requires_grad == t.requires_grad
        name_t = None if t.grad_fn is None else type(t.grad_fn).__name__
        name_o = None if o.grad_fn is None else type(o.grad_fn).__name__
        assert name_o == name_t
        weights.append(RNG.standard_normal(tuple(t.shape)))
    if not grads:
        return
    loss_o = sum((o * engine.tensor(w, dtype=o.dtype)).sum()
                 for o, w in zip([o for o in outs_o if o is not None], weights))
    loss_t = sum((t * torch.tensor(w, dtype=t.dtype)).sum()
                 for t, w in zip([t for t in outs_t if t is not None], weights))
    loss_o.backward()
    loss_t.backward()
    for (n, p), (m, q) in zip(ours_mod.named_parameters(), theirs_mod.named_parameters()):
        assert n == m
        assert (p.grad is None) == (q.grad is None), n
        if q.grad is not None:
            np.testing.assert_allclose(engine.to_numpy(p.grad), q.grad.numpy(), rtol=rtol * 10,
                                       atol=atol * 10, err_msg=n)
    for a, b in zip(ours_in, theirs_in):
        if b.grad is not None:
            np.testing.assert_allclose(engine.to_numpy(a.grad), b.grad.numpy(), rtol=rtol * 10,
                                       atol=atol * 10)


# ----------------------------------------------------------------------- MultiheadAttention
def test_mha_parameters_repr_and_initialisation():
    for kwargs in ({}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False},
                   {"add_zero_attn": True, "batch_first": True}):
        ours, theirs = twin(lambda nn, kw=kwargs: nn.MultiheadAttention(4, 2, **kw))
        assert repr(ours) == repr(theirs)
    m = enn.MultiheadAttention(6, 3)
    w = engine.to_numpy(m.in_proj_weight)
    bound = np.sqrt(6.0 / (6 + 18))  # xavier_uniform_ over (18, 6)
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    assert not engine.to_numpy(m.in_proj_bias).any()
    assert not engine.to_numpy(m.out_proj.bias).any()
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, enn.Linear)
    assert m.bias_k is None and "bias_k" not in m.state_dict()


@pytest.mark.parametrize("exc, make", [
    (ValueError, lambda nn: nn.MultiheadAttention(0, 2)),
    (AssertionError, lambda nn: nn.MultiheadAttention(5, 2)),
])
def test_mha_constructor_errors(exc, make):
    with pytest.raises(exc) as theirs:
        make(torch.nn)
    with pytest.raises(exc) as ours:
        make(enn)
    assert str(ours.value) == str(theirs.value)


MHA_CASES = {
    "self": dict(kw={}, self_attn=True),
    "cross": dict(kw={}, self_attn=False),
    "kdim-vdim": dict(kw={"kdim": 3, "vdim": 5}, self_attn=False),
    "bias-kv-zero-attn": dict(kw={"add_bias_kv": True, "add_zero_attn": True},
                              self_attn=False),
    "no-bias": dict(kw={"bias": False}, self_attn=True),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", sorted(MHA_CASES))
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False),
                                                   (False, True)])
@pytest.mark.parametrize("masks", ["none", "attn", "padding", "both", "float-attn"])
def test_mha_matches_torch(dtype, batch_first, case, need_weights, average, masks):
    spec = MHA_CASES[case]
    kw = dict(spec["kw"], batch_first=batch_first)
    ours_m, theirs_m = twin(lambda nn: nn.MultiheadAttention(4, 2, **kw), dtype)
    L, S, N = 3, 5, 2
    kd, vd = kw.get("kdim", 4), kw.get("vdim", 4)
    if spec["self_attn"]:
        S = L
        shape = (N, L, 4) if batch_first else (L, N, 4)
        (q_o,), (q_t,) = inputs([shape], dtype)
        args_o, args_t = (q_o, q_o, q_o), (q_t, q_t, q_t)
        ins = ([q_o], [q_t])
    else:
        shapes = [(L, N, 4), (S, N, kd), (S, N, vd)]
        if batch_first:
            shapes = [(s[1], s[0], s[2]) for s in shapes]
        ins = inputs(shapes, dtype)
        args_o, args_t = tuple(ins[0]), tuple(ins[1])
    extra = {}
    attn = RNG.random((L, S)) > 0.3
    attn[:, 0] = True
    pad = np.zeros((N, S), dtype=bool)
    pad[1, -2:] = True
    kw_o, kw_t = {}, {}
    if masks in ("attn", "both"):
        kw_o["attn_mask"], kw_t["attn_mask"] = engine.tensor(~attn), torch.tensor(~attn)
    if masks == "float-attn":
        fm = RNG.standard_normal((L, S))
        kw_o["attn_mask"] = engine.tensor(fm, dtype=getattr(engine, dtype))
        kw_t["attn_mask"] = torch.tensor(fm, dtype=getattr(torch, dtype))
    if masks in ("padding", "both"):
        kw_o["key_padding_mask"], kw_t["key_padding_mask"] = (engine.tensor(pad),
                                                              torch.tensor(pad))
    del extra
    out_o = ours_m(*args_o, need_weights=need_weights, average_attn_weights=average, **kw_o)
    out_t = theirs_m(*args_t, need_weights=need_weights, average_attn_weights=average, **kw_t)
    check_same(out_o, out_t, ours_m, theirs_m, ins[0], ins[1], dtype)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_and_causal(need_weights):
    ours_m, theirs_m = twin(lambda nn: nn.MultiheadAttention(4, 2))
    (x_o,), (x_t,) = inputs([(3, 4)])
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    out_o = ours_m(x_o, x_o, x_o, need_weights=need_weights, attn_mask=engine.tensor(causal),
                   is_causal=True)
    out_t = theirs_m(x_t, x_t, x_t, need_weights=need_weights, attn_mask=torch.tensor(causal),
                     is_causal=True)
    check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], "float64")


def test_mha_eval_mode_and_no_grad():
    ours_m, theirs_m = twin(lambda nn: nn.MultiheadAttention(4, 2, dropout=0.5,
                                                             batch_first=True))
    ours_m.eval()
    theirs_m.eval()
    (x_o,), (x_t,) = inputs([(2, 3, 4)], requires_grad=False)
    out_o = ours_m(x_o, x_o, x_o)
    out_t = theirs_m(x_t, x_t, x_t)
    check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], "float64")
    with engine.no_grad():
        out_o = ours_m(x_o, x_o, x_o)
    with torch.no_grad():
        out_t = theirs_m(x_t, x_t, x_t)  # torch's fused fast path: the same values
    check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], "float64", grads=False)


def test_mha_dropout_in_training_draws_and_differs_from_eval():
    m = enn.MultiheadAttention(4, 2, dropout=0.5)
    x = engine.tensor(RNG.standard_normal((3, 2, 4)), dtype=engine.float32)
    a, wa = m(x, x, x)
    m.eval()
    b, wb = m(x, x, x)
    assert not np.allclose(engine.to_numpy(wa), engine.to_numpy(wb))
    assert np.allclose(engine.to_numpy(wb).sum(-1), 1.0)


@pytest.mark.parametrize("call", [
    lambda nn, x, m: m(x, x[:, :, :3], x),
    lambda nn, x, m: m(x[0, 0], x, x),
    lambda nn, x, m: m(x, x, x, attn_mask=nn_tensor(nn, np.ones((2, 2), dtype=bool))),
    lambda nn, x, m: m(x, x, x, attn_mask=nn_tensor(nn, np.ones((2, 3, 3), dtype=bool))),
    lambda nn, x, m: m(x, x, x, key_padding_mask=nn_tensor(nn, np.ones((3, 3), dtype=bool))),
    lambda nn, x, m: m(x, x, x, key_padding_mask=nn_tensor(nn, np.ones(3, dtype=np.int64))),
    lambda nn, x, m: m(x, x, x, is_causal=True),
], ids=["kv-shape", "rank", "2d-mask", "3d-mask", "padding-shape", "padding-dtype",
        "causal-without-mask"])
def test_mha_errors(call):
    ours_m, theirs_m = twin(lambda nn: nn.MultiheadAttention(4, 2))
    x = RNG.standard_normal((3, 2, 4))
    with pytest.raises(Exception) as theirs:
        call(torch, torch.tensor(x), theirs_m)
    with pytest.raises(Exception) as ours:
        call(engine, engine.tensor(x), ours_m)
    assert isinstance(ours.value, type(theirs.value)) or \
        type(theirs.value).__name__ in [c.__name__ for c in type(ours.value).__mro__]
    assert str(ours.value) == str(theirs.value)


def nn_tensor(lib, a):
    return lib.tensor(a)


def test_functional_multi_head_attention_forward():
    ours_m, theirs_m = twin(lambda nn: nn.MultiheadAttention(4, 2))
    (q_o, k_o), (q_t, k_t) = inputs([(3, 2, 4), (5, 2, 4)])

    def call(F, m, q, k):
        return F.multi_head_attention_forward(
            q, k, k, 4, 2, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0,
            m.out_proj.weight, m.out_proj.bias, training=True)

    out_o = call(engine.nn.functional, ours_m, q_o, k_o)
    out_t = call(torch.nn.functional, theirs_m, q_t, k_t)
    check_same(out_o, out_t, ours_m, theirs_m, [q_o, k_o], [q_t, k_t], "float64")


def test_mha_gradcheck_first_and_second_order():
    m = enn.MultiheadAttention(4, 2, kdim=3, vdim=2).to(engine.float64)
    rng = np.random.default_rng(3)
    q = engine.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = engine.tensor(rng.standard_normal((3, 1, 3)), requires_grad=True)
    v = engine.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)

    def f(q, k, v):
        out, w = m(q, k, v)
        return out, w

    assert engine.autograd.gradcheck(f, (q, k, v))
    assert engine.autograd.gradgradcheck(f, (q, k, v))


# ----------------------------------------------------------------------- Transformer layers
ACTIVATIONS = {"relu": "relu", "gelu": "gelu", "module": None, "callable": None}


def _activation(nn, kind):
    if kind == "module":
        return nn.GELU()
    if kind == "callable":
        return (torch.nn.functional if nn is torch.nn else engine.nn.functional).silu
    return kind


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_encoder_layer_matches_torch(dtype, batch_first, norm_first, activation):
    ours_m, theirs_m = twin(lambda nn: nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, activation=_activation(nn, activation), batch_first=batch_first,
        norm_first=norm_first, layer_norm_eps=1e-6), dtype)
    assert repr(ours_m) == repr(theirs_m)
    assert ours_m.activation_relu_or_gelu == theirs_m.activation_relu_or_gelu
    shape = (2, 3, 4) if batch_first else (3, 2, 4)
    (x_o,), (x_t,) = inputs([shape], dtype)
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    pad = np.array([[False, False, True], [False, False, False]])
    out_o = ours_m(x_o, src_mask=engine.tensor(causal, dtype=getattr(engine, dtype)),
                   src_key_padding_mask=engine.tensor(pad))
    out_t = theirs_m(x_t, src_mask=torch.tensor(causal, dtype=getattr(torch, dtype)),
                     src_key_padding_mask=torch.tensor(pad))
    check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(batch_first, norm_first):
    ours_m, theirs_m = twin(lambda nn: nn.TransformerDecoderLayer(
        4, 2, 8, dropout=0.0, batch_first=batch_first, norm_first=norm_first))
    assert repr(ours_m) == repr(theirs_m)
    shapes = [(2, 3, 4), (2, 5, 4)] if batch_first else [(3, 2, 4), (5, 2, 4)]
    (t_o, m_o), (t_t, m_t) = inputs(shapes)
    mask = np.triu(np.ones((3, 3), dtype=bool), 1)
    mpad = np.zeros((2, 5), dtype=bool)
    mpad[0, -1] = True
    out_o = ours_m(t_o, m_o, tgt_mask=engine.tensor(mask),
                   memory_key_padding_mask=engine.tensor(mpad), tgt_is_causal=True)
    out_t = theirs_m(t_t, m_t, tgt_mask=torch.tensor(mask),
                     memory_key_padding_mask=torch.tensor(mpad), tgt_is_causal=True)
    check_same(out_o, out_t, ours_m, theirs_m, [t_o, m_o], [t_t, m_t], "float64")


@pytest.mark.parametrize("mode", ["train", "eval", "eval-no-grad"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_matches_torch(mode, batch_first):
    def make(nn):
        layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0 if mode == "train" else 0.3,
                                           batch_first=batch_first)
        return nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))

    ours_m, theirs_m = twin(make)
    assert repr(ours_m) == repr(theirs_m)
    assert ours_m.use_nested_tensor == theirs_m.use_nested_tensor
    if mode != "train":
        ours_m.eval()
        theirs_m.eval()
    shape = (2, 4, 4) if batch_first else (4, 2, 4)
    (x_o,), (x_t,) = inputs([shape], requires_grad=mode != "eval-no-grad")
    pad = np.array([[False, False, True, True], [False, False, False, False]])
    if mode == "eval-no-grad":
        with engine.no_grad():
            out_o = ours_m(x_o, src_key_padding_mask=engine.tensor(pad))
        with torch.no_grad():  # torch's nested-tensor path: padded positions come back 0
            out_t = theirs_m(x_t, src_key_padding_mask=torch.tensor(pad))
        check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], "float64", grads=False)
        return
    out_o = ours_m(x_o, src_key_padding_mask=engine.tensor(pad))
    out_t = theirs_m(x_t, src_key_padding_mask=torch.tensor(pad))
    check_same(out_o, out_t, ours_m, theirs_m, [x_o], [x_t], "float64")


def test_encoder_nested_warning_texts():
    for kwargs in ({}, {"batch_first": True, "norm_first": True},
                   {"batch_first": True, "activation": lambda x: x},
                   {"batch_first": True, "nhead": 1}):
        texts = []
        for nn in (torch.nn, enn):
            kw = dict(kwargs)
            nhead = kw.pop("nhead", 2)
            layer = nn.TransformerEncoderLayer(4, nhead, 8, **kw)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                enc = nn.TransformerEncoder(layer, 1)
            texts.append(([str(w.message) for w in caught], enc.use_nested_tensor))
        assert texts[0] == texts[1]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(dtype, batch_first):
    ours_m, theirs_m = twin(lambda nn: nn.Transformer(4, 2, 2, 1, 8, dropout=0.0,
                                                      batch_first=batch_first), dtype)
    assert repr(ours_m) == repr(theirs_m)
    shapes = [(2, 5, 4), (2, 3, 4)] if batch_first else [(5, 2, 4), (3, 2, 4)]
    (s_o, t_o), (s_t, t_t) = inputs(shapes, dtype)
    mask_o = enn.Transformer.generate_square_subsequent_mask(3, dtype=getattr(engine, dtype))
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(3,
                                                                  dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(engine.to_numpy(mask_o), mask_t.numpy())
    spad = np.zeros((2, 5), dtype=bool)
    spad[1, -1] = True
    out_o = ours_m(s_o, t_o, tgt_mask=mask_o, src_key_padding_mask=engine.tensor(spad),
                   memory_key_padding_mask=engine.tensor(spad))
    out_t = theirs_m(s_t, t_t, tgt_mask=mask_t, src_key_padding_mask=torch.tensor(spad),
                     memory_key_padding_mask=torch.tensor(spad))
    check_same(out_o, out_t, ours_m, theirs_m, [s_o, t_o], [s_t, t_t], dtype)


def test_transformer_init_draws_xavier_for_matrices():
    engine.manual_seed(0) if hasattr(engine, "manual_seed") else None
    m = enn.Transformer(8, 2, 1, 1, 16)
    w = engine.to_numpy(m.encoder.layers[0].linear1.weight)
    bound = np.sqrt(6.0 / (8 + 16))
    assert np.abs(w).max() <= bound
    assert not engine.to_numpy(m.encoder.layers[0].self_attn.in_proj_bias).any()


@pytest.mark.parametrize("call", [
    lambda nn, m, s, t: m(s, t[:, :1]),
    lambda nn, m, s, t: m(s[..., :2], t),
    lambda nn, m, s, t: nn.TransformerEncoderLayer(4, 2, activation="tanh"),
], ids=["batch", "features", "activation"])
def test_transformer_errors(call):
    ours_m, theirs_m = twin(lambda nn: nn.Transformer(4, 2, 1, 1, 8))
    s, t = RNG.standard_normal((5, 2, 4)), RNG.standard_normal((3, 2, 4))
    with pytest.raises(Exception) as theirs:
        call(torch.nn, theirs_m, torch.tensor(s), torch.tensor(t))
    with pytest.raises(Exception) as ours:
        call(enn, ours_m, engine.tensor(s), engine.tensor(t))
    assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, RuntimeError) == isinstance(theirs.value, RuntimeError)


def test_encoder_layer_gradcheck_and_torchs_second_order_refusal():
    """The layer's self-attention runs torch's fused CPU kernel (need_weights=False), whose
    gradient torch cannot differentiate again: gradgradcheck raises its text in both."""
    m = enn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu").to(
        engine.float64)
    x = engine.tensor(np.random.default_rng(4).standard_normal((3, 1, 4)), requires_grad=True)
    assert engine.autograd.gradcheck(m, (x,))
    text = ("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not "
            "implemented")
    with pytest.raises(RuntimeError, match=text):
        engine.autograd.gradgradcheck(m, (x,))
    t = torch.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu").double()
    with pytest.raises(RuntimeError, match=text):
        torch.autograd.gradgradcheck(t, (torch.tensor(engine.to_numpy(x), requires_grad=True),))


def test_decoder_layer_with_need_weights_path_is_twice_differentiable():
    """Attention that returns weights (the math path) differentiates twice, as in torch."""
    m = enn.MultiheadAttention(4, 2).to(engine.float64)
    x = engine.tensor(np.random.default_rng(6).standard_normal((3, 1, 4)), requires_grad=True)
    assert engine.autograd.gradgradcheck(lambda x: m(x, x, x)[0], (x,))


def test_state_dict_from_torch_loads_and_trains_the_same():
    """A state dict saved from torch (as nested lists, as a program would send it in JSON)
    loads; a few SGD steps then give torch's losses."""
    ours_m, theirs_m = twin(lambda nn: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0))
    sd = {k: v.tolist() for k, v in theirs_m.state_dict().items()}
    fresh = enn.TransformerEncoderLayer(4, 2, 8, dropout=0.0).to(engine.float64)
    fresh.load_state_dict({k: engine.tensor(v, dtype=engine.float64) for k, v in sd.items()})
    x = RNG.standard_normal((3, 2, 4))
    y = RNG.standard_normal((3, 2, 4))
    opt_o = engine.optim.SGD(fresh.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs_m.parameters(), lr=0.1)
    for _ in range(3):
        lo = ((fresh(engine.tensor(x)) - engine.tensor(y)) ** 2).mean()
        lt = ((theirs_m(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        assert abs(lo.item() - lt.item()) < 1e-10
        opt_o.zero_grad()
        opt_t.zero_grad()
        lo.backward()
        lt.backward()
        opt_o.step()
        opt_t.step()


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["attn-row", "bool-row", "all-padded", "both", "per-head"])
def test_encoder_layer_inference_fast_path_nans(norm_first, masks):
    """In eval mode without grad torch runs a fused kernel that gives NaN for query rows with
    every key masked; with grad (or in training) the same call gives numbers. Both as torch."""
    ours_m, theirs_m = twin(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                                  norm_first=norm_first))
    ours_m.eval()
    theirs_m.eval()
    x = RNG.standard_normal((2, 4, 8))
    kw = {}
    if masks == "attn-row":
        m = np.zeros((4, 4))
        m[1] = -np.inf
        kw["src_mask"] = m
    if masks in ("bool-row", "both"):
        m = np.zeros((4, 4), dtype=bool)
        m[2] = True
        kw["src_mask"] = m
    if masks in ("all-padded", "both"):
        kw["src_key_padding_mask"] = np.array([[True] * 4, [False] * 4])
    if masks == "per-head":
        m = np.zeros((4, 4, 4), dtype=bool)
        m[3, 0] = True  # second sample, second head, first query row
        kw["src_mask"] = m
    for grad in (False, True):
        with engine.set_grad_enabled(grad):
            out_o = ours_m(engine.tensor(x), **{k: engine.tensor(v) for k, v in kw.items()})
        with torch.set_grad_enabled(grad):
            out_t = theirs_m(torch.tensor(x), **{k: torch.tensor(v) for k, v in kw.items()})
        np.testing.assert_allclose(engine.to_numpy(out_o), out_t.detach().numpy(), rtol=1e-9,
                                   atol=1e-10)
        assert np.isnan(engine.to_numpy(out_o)).any() == (not grad)
