"""``engine.nn`` against torch: module mechanics, reprs, default initialisations, and every
layer's outputs and gradients (float64, torch's parameters) from goldens recorded by
``scripts/torch_goldens/record_nn.py``; finite-difference gradchecks of every layer."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import nn
from engine.nn import functional as F
from engine.nn import init

GOLDEN = json.loads((Path(__file__).parent / "goldens/nn.json").read_text())
NAMESPACE = {"nn": nn, "torch": engine}


def build(text: str):
    return eval(text, NAMESPACE)  # noqa: S307  (test data: constructor texts from the golden)


def needs(*ops: str):
    missing = [o for o in ops if o not in engine.ops.OPS]
    return pytest.mark.skipif(bool(missing), reason=f"ops not in the table yet: {missing}")


_CONV_OPS = {"Conv1d": "conv1d", "Conv2d": "conv2d", "ConvTranspose2d": "conv_transpose2d",
             "MaxPool1d": "max_pool1d", "MaxPool2d": "max_pool2d", "AvgPool1d": "avg_pool1d",
             "AvgPool2d": "avg_pool2d", "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
             "AdaptiveAvgPool1d": "adaptive_avg_pool1d",
             "AdaptiveMaxPool2d": "adaptive_max_pool2d"}


def _ops_for(text: str) -> list[str]:
    return [op for cls, op in _CONV_OPS.items() if f"nn.{cls}(" in text]


# --------------------------------------------------------------------------- reprs
@pytest.mark.parametrize("text,expected", GOLDEN["reprs"], ids=[r[0][:60] for r in GOLDEN["reprs"]])
def test_repr_matches_torch(text, expected):
    if _ops_for(text) and any(o not in engine.ops.OPS for o in _ops_for(text)):
        pytest.skip("its functional op is not in the table yet")
    assert repr(build(text)) == expected


def test_parameter_repr_and_identity():
    p = nn.Parameter(engine.ones(2))
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert isinstance(p, nn.Parameter) and isinstance(p, engine.Tensor)
    assert not isinstance(engine.ones(2), nn.Parameter)
    assert not isinstance(p * 2, nn.Parameter) and not isinstance(p.detach(), nn.Parameter)
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    frozen = nn.Parameter(engine.tensor([1, 2]), requires_grad=False)
    assert repr(frozen) == "Parameter containing:\ntensor([1, 2])"
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype "
                                           "can require gradients$"):
        nn.Parameter(engine.tensor([1, 2]))


def test_parameter_shares_storage_with_its_data():
    t = engine.zeros(3)
    p = nn.Parameter(t)
    t[0] = 5.0
    assert p.tolist() == [5.0, 0.0, 0.0] and p.is_leaf and p.requires_grad


# --------------------------------------------------------------------------- registration
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
        shared = nn.Linear(1, 1)
        self.l = nn.ModuleList([shared, shared])
        self.scale = nn.Parameter(engine.ones(1))
        self.register_buffer("steps", engine.zeros(1))
        self.register_buffer("scratch", engine.zeros(1), persistent=False)
        self.plain = 3

    def forward(self, x):
        return self.seq(x) * self.scale


def test_attribute_assignment_registers_in_order():
    net = Net()
    assert [n for n, _ in net.named_modules()] == ["", "seq", "seq.0", "seq.1", "seq.1.0", "l",
                                                   "l.0"]
    assert [n for n, _ in net.named_parameters()] == ["scale", "seq.0.weight", "seq.0.bias",
                                                      "l.0.weight", "l.0.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert list(net.state_dict()) == ["scale", "steps", "seq.0.weight", "seq.0.bias",
                                      "l.0.weight", "l.0.bias", "l.1.weight", "l.1.bias"]
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "ModuleList"]
    assert len(list(net.parameters())) == 5 and len(list(net.parameters(recurse=False))) == 1
    assert net.plain == 3 and "plain" not in net._parameters
    assert net.get_submodule("seq.1.0").__class__ is nn.ReLU
    assert net.get_parameter("seq.0.bias") is net.seq[0].bias


@pytest.mark.parametrize("text", sorted(GOLDEN["named"]))
def test_names_match_torch(text):
    if any(o not in engine.ops.OPS for o in _ops_for(text)):
        pytest.skip("its functional op is not in the table yet")
    m, want = build(text), GOLDEN["named"][text]
    assert [n for n, _ in m.named_modules()] == want["modules"]
    assert [[n, list(p.shape)] for n, p in m.named_parameters()] == want["parameters"]
    assert list(m.state_dict()) == want["state_dict"]


def test_assignment_errors_are_torchs():
    m = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"^cannot assign 'torch.FloatTensor' as parameter "
                                        r"'weight' \(torch.nn.Parameter or None expected\)$"):
        m.weight = engine.ones(1, 2)
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'foo'$"):
        _ = m.foo
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", engine.ones(1))
    with pytest.raises(KeyError, match="parameter name can.*t contain"):
        m.register_parameter("x.y", None)
    with pytest.raises(NotImplementedError,
                       match='^Module \\[Module\\] is missing the required "forward" function$'):
        nn.Module()(1)
    with pytest.raises(ValueError, match="^training mode is expected to be boolean$"):
        m.train("x")

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(engine.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_assigning_none_and_deleting():
    m = nn.Linear(2, 1)
    m.bias = None
    assert list(m.state_dict()) == ["weight"] and m.bias is None
    del m.weight
    assert list(m.state_dict()) == []
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    del seq[1]
    assert [type(x).__name__ for x in seq] == ["ReLU", "Sigmoid"] and list(seq._modules) == \
        ["0", "1"]


def test_buffer_assignment_keeps_it_a_buffer():
    net = Net()
    net.steps = engine.ones(1)
    assert net.state_dict()["steps"].tolist() == [1.0]
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'steps'"):
        net.steps = 5
    net.extra = nn.Buffer(engine.full((2,), 7.0))
    assert net.state_dict()["extra"].tolist() == [7.0, 7.0]


# --------------------------------------------------------------------------- state_dict
def test_state_dict_is_detached_and_shares_storage():
    m = nn.Linear(2, 1)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict) and not sd["weight"].requires_grad
    assert not isinstance(sd["weight"], nn.Parameter)
    with engine.no_grad():
        m.weight.fill_(2.0)
    assert sd["weight"].tolist() == [[2.0, 2.0]]
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_round_trip_and_result():
    a, b = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), \
        nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    a[1].running_mean.fill_(0.5)
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k == k2 and v.tolist() == v2.tolist()
    assert b[0].weight is not a[0].weight and b[0].weight.requires_grad


def test_load_state_dict_errors_are_torchs():
    m = nn.Linear(2, 1)
    bad = {"weight": engine.ones(2, 2), "bias2": engine.ones(1)}
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(bad)
    assert str(err.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
        '\n\tUnexpected key(s) in state_dict: "bias2". \n\tsize mismatch for weight: copying a '
        'param with shape torch.Size([2, 2]) from checkpoint, the shape in current model is '
        'torch.Size([1, 2]).')
    result = m.load_state_dict({"weight": engine.ones(1, 2)}, strict=False)
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    assert m.weight.tolist() == [[1.0, 1.0]]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1])


def test_load_state_dict_nested_unexpected_keys():
    seq = nn.Sequential(nn.Linear(1, 1))
    sd = dict(seq.state_dict(), **{"0.extra": engine.ones(1), "1.weight": engine.ones(1)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "1.weight", '
                                           '"0.extra"'):
        seq.load_state_dict(sd)


# --------------------------------------------------------------------------- modes, grads
def test_train_eval_reach_every_submodule_and_switch_dropout():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.9)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    x = engine.ones(2, 4)
    assert net[1](x) is x
    net.train()
    with engine.use_generator(engine.Generator().manual_seed(0)):
        y = net[1](engine.ones(1000))
    assert set(np.unique(y.numpy())) == {0.0, 2.0}


def test_batch_norm_modes_running_stats_and_counter():
    bn = nn.BatchNorm1d(2)
    x = engine.tensor([[1.0, 2.0], [3.0, 6.0]])
    bn(x)
    assert bn.num_batches_tracked.item() == 1
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4])
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.2, 0.9 + 0.8])
    bn.eval()
    out = bn(x)
    expected = (x.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
        bn(engine.ones(1, 2, 1, 1))


def test_zero_grad_requires_grad_and_apply():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net(engine.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Sequential"]


def test_apply_with_init_sets_every_linear():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))

    def init_weights(m):
        if type(m) is nn.Linear:
            init.normal_(m.weight, std=0.01)
            init.zeros_(m.bias)

    net.apply(init_weights)
    assert all(m.bias.abs().sum().item() == 0 for m in net if type(m) is nn.Linear)
    assert abs(net[0].weight.std().item() - 0.01) < 0.01


def test_to_double_keeps_parameter_objects():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    m(engine.ones(3, 2)).sum().backward()
    assert m.double() is m and m[0].weight is w
    assert w.dtype is engine.float64 and w.grad.dtype is engine.float64
    assert m[1].running_mean.dtype is engine.float64
    assert m[1].num_batches_tracked.dtype is engine.int64
    m.to(engine.float32)
    assert w.dtype is engine.float32 and isinstance(w, nn.Parameter)
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(engine.int64)


# --------------------------------------------------------------------------- hooks
def test_forward_hooks_and_pre_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(engine.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.tile(m.bias.detach().numpy() + 1,
                                                             (3, 1)), rtol=1e-6)
    assert calls == [engine.Size([3, 2])]
    h1.remove()
    h2.remove()
    assert m(engine.zeros(1, 2)).tolist() == [m.bias.tolist()]
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((engine.ones(1, 2),), {}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out * 0, with_kwargs=True,
                            prepend=True)
    assert m(engine.zeros(1, 2)).tolist() == [[0.0, 0.0]]


def test_always_call_hook_runs_when_forward_fails():
    m = nn.Linear(2, 2)
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        m(engine.ones(3, 5))
    assert seen == [None]


# --------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_iteration():
    seq = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.ReLU())
    assert type(seq[-1]) is nn.ReLU and len(seq) == 3
    assert repr(seq[1:]) == "Sequential(\n  (1): ReLU()\n  (2): ReLU()\n)"
    with pytest.raises(IndexError, match="^index 5 is out of range$"):
        seq[5]
    seq.append(nn.Tanh())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]


def test_module_dict_and_parameter_list():
    d = nn.ModuleDict({"a": nn.ReLU()})
    d["b"] = nn.Linear(1, 1)
    assert list(d.keys()) == ["a", "b"] and "b" in d and len(d) == 2
    assert list(d.state_dict()) == ["b.weight", "b.bias"]
    pl = nn.ParameterList([nn.Parameter(engine.ones(2)), engine.ones(3)])
    assert isinstance(pl[1], nn.Parameter) and [n for n, _ in pl.named_parameters()] == ["0", "1"]


# --------------------------------------------------------------------------- initialisation
def _stats(t) -> dict:
    a = engine.to_numpy(t).astype(np.float64)
    return {"max_abs": np.abs(a).max(), "mean": a.mean(), "std": a.std(ddof=1) if a.size > 1
            else 0.0, "min": a.min(), "max": a.max()}


def _assert_distribution(got: dict, want: dict, n: int, what: str, uniform: bool) -> None:
    if want["std"] == 0:  # a constant
        assert got["min"] == want["min"] and got["max"] == want["max"], what
        return
    if uniform:  # max |w| of n uniform draws sits within ~bound/n of the bound
        assert got["max_abs"] == pytest.approx(want["max_abs"], rel=max(20 / n, 2e-3)), what
    assert got["std"] == pytest.approx(want["std"], rel=8 / math.sqrt(n) + 2e-3), what
    assert abs(got["mean"] - want["mean"]) < 8 * want["std"] / math.sqrt(n), what


@pytest.mark.parametrize("name", sorted(GOLDEN["inits"]["layers"]))
def test_default_initialisation_matches_torchs_distribution(name):
    case = GOLDEN["inits"]["layers"][name]
    if any(o not in engine.ops.OPS for o in _ops_for(case["build"])):
        pytest.skip("its functional op is not in the table yet")
    with engine.use_generator(engine.Generator().manual_seed(0)):
        module = build(case["build"])
    params = dict(module.named_parameters())
    assert list(params) == list(case["params"])
    for pname, want in case["params"].items():
        p = params[pname]
        assert list(p.shape) == want["shape"]
        if name == "Embedding" and pname == "weight":  # the padding row is zero
            assert p[3].abs().sum().item() == 0
        _assert_distribution(_stats(p), want, p.numel(), f"{name}.{pname}",
                             uniform=name != "Embedding")


@pytest.mark.parametrize("name", sorted(GOLDEN["inits"]["functions"]))
def test_init_functions_match_torchs_distribution(name):
    case = GOLDEN["inits"]["functions"][name]
    w = engine.empty(*case["shape"])
    with engine.use_generator(engine.Generator().manual_seed(1)):
        eval(case["call"], {"nn": nn, "w": w})  # noqa: S307
    _assert_distribution(_stats(w), case, w.numel(), name, uniform="normal" not in name)
    if name == "trunc_normal":
        assert -0.6 <= w.min().item() and w.max().item() <= 0.9


@pytest.mark.parametrize("name,param,gain", GOLDEN["inits"]["gains"])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == gain


def test_init_draws_from_the_current_generator_and_does_not_record():
    w = nn.Parameter(engine.empty(3, 4))
    with engine.use_generator(engine.Generator().manual_seed(5)):
        a = init.kaiming_uniform_(w).tolist()
    with engine.use_generator(engine.Generator().manual_seed(5)):
        b = init.kaiming_uniform_(w).tolist()
    assert a == b and w.grad_fn is None and w.is_leaf
    with engine.use_generator(engine.Generator().manual_seed(5)):
        m1 = nn.Linear(3, 2).weight.tolist()
    with engine.use_generator(engine.Generator().manual_seed(5)):
        m2 = nn.Linear(3, 2).weight.tolist()
    assert m1 == m2


def test_orthogonal_and_other_inits():
    w = engine.empty(3, 5)
    init.orthogonal_(w, gain=2.0)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, 4 * np.eye(3), atol=1e-5)
    e = init.eye_(engine.empty(2, 3))
    assert e.tolist() == [[1, 0, 0], [0, 1, 0]]
    d = init.dirac_(engine.empty(2, 2, 3))
    assert d[:, :, 1].tolist() == [[1, 0], [0, 1]] and d.sum().item() == 2
    assert init.constant_(engine.empty(2), 0.5).tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="^Fan in and fan out can not be computed for tensor "
                                         "with fewer than 2 dimensions$"):
        init.xavier_uniform_(engine.empty(3))
    with pytest.raises(ValueError, match="^Unsupported nonlinearity foo$"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="^Mode fan_up not supported"):
        init.kaiming_uniform_(engine.empty(2, 2), mode="fan_up")


# --------------------------------------------------------------------------- layers vs torch
def _tensor(spec):
    dtype = engine.dtype_from_name(spec["dtype"])
    return engine.tensor(spec["data"], dtype=dtype)


def _flat(value) -> list:
    if isinstance(value, engine.Tensor):
        return [value]
    out = []
    for v in value:
        out.extend(_flat(v))
    return out


def _run_layer(case, module):
    inputs = [_tensor(s) for s in case["inputs"]]
    for x in inputs:
        if x.dtype.is_floating_point:
            x.requires_grad_()
    outs = _flat(module(*inputs))
    loss = None
    for o, w in zip(outs, case["weights"]):
        term = (o * engine.tensor(w, dtype=engine.float64)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return inputs, outs


def _layer(case):
    module = build(case["build"]).double()
    module.load_state_dict({k: engine.tensor(v, dtype=engine.float64 if k not in
                                             ("num_batches_tracked",) else engine.int64)
                            for k, v in case["state_dict"].items()})
    module.train(case["mode"] == "train")
    return module


LAYERS = {c["name"]: c for c in GOLDEN["layers"]}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_outputs_and_gradients_match_torch(name):
    case = LAYERS[name]
    module = _layer(case)
    inputs, outs = _run_layer(case, module)
    assert len(outs) == len(case["outputs"])
    for o, want, fn in zip(outs, case["outputs"], case["grad_fns"]):
        np.testing.assert_allclose(o.detach().numpy(), np.array(want), rtol=1e-10, atol=1e-12)
        got_fn = None if o.grad_fn is None else o.grad_fn.name()
        # torch's LSTM output comes from its fused MkldnnRnnLayer kernel; batch_first outputs
        # from an in-place transpose_ (TransposeBackward1), which the table does not have
        if name not in ("lstm", "lstm_bi_proj", "lstm_unbatched", "gru_batch_first"):
            assert got_fn == fn, (got_fn, fn)
    for x, want in zip(inputs, case["input_grads"]):
        if want is not None:
            np.testing.assert_allclose(x.grad.numpy(), np.array(want), rtol=1e-9, atol=1e-12)
    params = dict(module.named_parameters())
    for pname, want in case["param_grads"].items():
        np.testing.assert_allclose(params[pname].grad.numpy(), np.array(want), rtol=1e-9,
                                   atol=1e-12, err_msg=pname)
    for key, want in case["after"].items():
        np.testing.assert_allclose(engine.to_numpy(module.state_dict()[key]), np.array(want),
                                   rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", sorted(n for n in LAYERS if "batch_norm" not in n and
                                         n != "embedding"))
def test_layer_gradcheck(name):
    """Finite differences (float64) of every layer w.r.t. its float inputs and parameters
    (batch norm's running statistics move on each call; embedding's padding row gets no
    gradient on purpose: both are checked against torch above)."""
    case = LAYERS[name]
    module = _layer(case)
    inputs = [_tensor(s) for s in case["inputs"]]
    leaves = [x for x in inputs if x.dtype.is_floating_point] + list(module.parameters())
    weights = case["weights"]

    def loss():
        total = None
        for o, w in zip(_flat(module(*inputs)), weights):
            term = (o * engine.tensor(w, dtype=engine.float64)).sum()
            total = term if total is None else total + term
        return total

    for leaf in leaves:
        leaf.requires_grad_()
    grads = engine.grad(loss(), leaves, allow_unused=True)
    eps = 1e-6
    for leaf, g in zip(leaves, grads):
        flat = leaf.detach().numpy().reshape(-1)
        numeric = np.zeros_like(flat)
        for j in range(min(flat.size, 12)):
            old = flat[j]
            with engine.no_grad():
                flat[j] = old + eps
                plus = loss().item()
                flat[j] = old - eps
                minus = loss().item()
                flat[j] = old
            numeric[j] = (plus - minus) / (2 * eps)
        got = np.zeros_like(flat) if g is None else g.numpy().reshape(-1)
        np.testing.assert_allclose(got[:12], numeric[:12], rtol=1e-5, atol=1e-6)


def test_second_order_through_a_layer():
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = engine.randn(5, 3, dtype=engine.float64, requires_grad=True)
    (g,) = engine.grad(m(x).sum(), [x], create_graph=True)
    (gg,) = engine.grad(g.pow(2).sum(), [x])
    assert gg.shape == x.shape and gg.abs().sum().item() > 0


LOSSES = {c["name"]: c for c in GOLDEN["losses"]}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_modules_match_torch(name):
    case = LOSSES[name]
    module = build(case["build"])
    inputs = [_tensor(s) for s in case["inputs"]]
    inputs[0].requires_grad_()
    out = module(*inputs)
    np.testing.assert_allclose(out.detach().numpy(), np.array(case["output"]), rtol=1e-10)
    assert out.grad_fn.name() == case["grad_fn"]
    (out * engine.tensor(case["weight"], dtype=engine.float64)).sum().backward()
    np.testing.assert_allclose(inputs[0].grad.numpy(), np.array(case["input_grad"]),
                               rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- utils, functional
def test_clip_grad_norm_and_value():
    a = nn.Parameter(engine.tensor([3.0, 4.0]))
    b = nn.Parameter(engine.tensor([12.0]))
    a.grad, b.grad = engine.tensor([3.0, 4.0]), engine.tensor([12.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.3)
    assert total.item() == 13.0 and total.dtype is engine.float32
    np.testing.assert_allclose(a.grad.numpy(), [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [1.2], rtol=1e-6)
    assert nn.utils.clip_grad_norm_(a, 10.0, norm_type="inf").item() == pytest.approx(0.4)
    nn.utils.clip_grad_value_([a, b], 0.35)
    assert a.grad.tolist() == pytest.approx([0.3, 0.35]) and b.grad.tolist() == [
        pytest.approx(0.35)]
    c = nn.Parameter(engine.ones(1))
    c.grad = engine.tensor([float("nan")])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([c], 1.0, error_if_nonfinite=True)


def test_parameters_to_vector_and_back():
    m = nn.Linear(2, 3)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == engine.Size([9]) and vec.grad_fn.name() == "CatBackward0"
    nn.utils.vector_to_parameters(engine.arange(9.0), m.parameters())
    assert m.weight.tolist() == [[0, 1], [2, 3], [4, 5]] and m.bias.tolist() == [6, 7, 8]
    assert isinstance(m.weight, nn.Parameter)


def test_functional_names_are_the_tables_functions():
    assert F.relu is engine.ops.OPS["relu"].fn and F.cross_entropy is \
        engine.ops.OPS["cross_entropy"].fn
    # composed in Python, as torch's are: the one function that takes a program's callable,
    # and multi-head attention (a composition over its many weights)
    from engine.nn import _composed

    composed = {"triplet_margin_with_distance_loss", "multi_head_attention_forward",
                *_composed.COMPOSED,
                # the targets of a table op's boolean dispatch (return_indices), as torch's F
                "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"}
    assert set(F.__all__) - composed <= set(engine.ops.OPS) and "linear" in F.__all__
    assert not composed & set(engine.ops.OPS)
    with pytest.raises(AttributeError):
        _ = F.not_an_op


def test_public_names_hold_no_modules():
    import types

    for package in (nn, F, init, nn.utils):
        for name in package.__all__:
            assert not isinstance(getattr(package, name), types.ModuleType), name
            assert not name.startswith("_")


def test_mlp_trains_with_sgd():
    engine.manual_seed(0)
    x = engine.randn(64, 4)
    y = x @ engine.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = engine.optim.SGD(net.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.05 * first


def test_held_bytes_counts_what_modules_and_optimizers_hold():
    m = nn.Linear(100, 50)  # 5050 float32 parameters
    assert engine.held_bytes([m]) == 5050 * 4
    opt = engine.optim.Adam(m.parameters())
    m(engine.ones(2, 100)).sum().backward()
    opt.step()  # grads (5050) and two moments (2 * 5050) and the step counters
    assert engine.held_bytes([opt]) == 5050 * 4 * 4 + 2 * 4
    loader = engine.utils.data.DataLoader(engine.utils.data.TensorDataset(engine.ones(10, 3)))
    assert engine.held_bytes([loader]) == 120
