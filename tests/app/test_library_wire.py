"""Modules, optimizers and state dicts on the wire, and the library catalog."""

from __future__ import annotations

import orjson
import pytest

import engine
from app.core.errors import InvalidRequest
from app.wire import bind_variable, decode_value, dumps, encode_output, encode_value, kind_of
from engine import nn, optim
from tests.app.helpers import assert_problem, run


def roundtrip(value, output: bool = False):
    return orjson.loads(dumps(encode_output(value) if output else encode_value(value)))


def model():
    with engine.use_generator(engine.Generator().manual_seed(0)):
        return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))


def test_a_module_result_is_its_whole_torch_repr():
    m = nn.Sequential(*[nn.Linear(30, 30) for _ in range(4)], nn.Dropout(0.1))
    out = roundtrip(m)
    assert out == {"type": "module", "name": "Sequential", "repr": repr(m)}
    assert len(out["repr"]) > 200 and out["repr"].startswith("Sequential(\n  (0): Linear(")
    assert kind_of(m) == "module"


def test_optimizer_scheduler_and_loader_are_shown_by_repr():
    m = model()
    opt = optim.SGD(m.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, 2)
    loader = engine.utils.data.DataLoader(engine.utils.data.TensorDataset(engine.ones(2)))
    assert roundtrip(opt) == {"type": "optimizer", "name": "SGD", "repr": repr(opt)}
    assert roundtrip(sched)["type"] == "lr_scheduler"
    assert roundtrip(loader)["type"] == "dataloader"
    assert [kind_of(v) for v in (opt, sched, loader)] == ["optimizer", "lr_scheduler",
                                                          "dataloader"]


def test_outputs_naming_a_module_give_its_state_dict_in_torch_order():
    m = model()
    out = roundtrip(m, output=True)
    assert list(out) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert out["0.weight"]["shape"] == [2, 3] and out["0.weight"]["requires_grad"] is False
    assert out["2.bias"]["data"] == pytest.approx(m[2].bias.tolist())
    assert roundtrip(engine.ones(1), output=True)["type"] == "tensor"


def test_a_state_dict_object_decodes_to_tensors_and_loads_into_a_module():
    source, target = model(), nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    wire = orjson.loads(dumps(encode_output(source)))
    decoded = decode_value(wire, device="cpu", max_elements=1000)
    assert list(decoded) == list(wire) and all(isinstance(v, engine.Tensor)
                                               for v in decoded.values())
    variables = {"model": target}
    assert bind_variable(variables, "model", decoded) is target
    assert variables["model"] is target
    for (k, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert a.tolist() == b.tolist(), k
    assert bind_variable(variables, "sd", decoded) is decoded and variables["sd"] is decoded


def test_a_mismatched_state_dict_is_refused_with_torchs_text():
    variables = {"model": model()}
    bad = {"0.weight": engine.ones(2, 2)}
    with pytest.raises(InvalidRequest) as err:
        bind_variable(variables, "model", bad)
    assert str(err.value).startswith("Error(s) in loading state_dict for Sequential:\n\t"
                                     'Missing key(s) in state_dict: "0.bias", "2.weight"')
    with pytest.raises(InvalidRequest, match="at #/w/shape"):
        decode_value({"w": {"type": "tensor", "data": [1.0], "shape": "x"}}, device="cpu",
                     max_elements=10)


def test_put_binds_a_dict_of_tensors(client, session_id):
    body = {"weight": {"type": "tensor", "data": [[0.5, -0.5]]},
            "bias": {"type": "tensor", "data": [0.25]}}
    reply = client.put(f"/v1/sessions/{session_id}/variables/sd", json=body)
    assert reply.status_code == 200, reply.text
    value = reply.json()["value"]
    assert value["weight"]["repr"] == "tensor([[ 0.5000, -0.5000]])"
    result = run(client, session_id, "sd['bias'] * 4").json()["result"]
    assert result["repr"] == "tensor([1.])"


def test_put_of_a_bad_tensor_in_a_state_dict_is_a_problem(client, session_id):
    body = {"weight": {"type": "tensor", "data": [[1, 2], [3]]}}
    assert_problem(client.put(f"/v1/sessions/{session_id}/variables/sd", json=body), 422,
                   "invalid_request")


def test_library_catalog_lists_what_programs_may_use(client):
    body = client.get("/v1/library").json()
    packages = {p["name"]: p for p in body["packages"]}
    assert {"torch.nn", "torch.nn.init", "torch.optim", "torch.optim.lr_scheduler",
            "torch.utils.data"} <= set(packages)
    members = {m["name"]: m for p in body["packages"] for m in p["members"]}
    linear = members["torch.nn.Linear"]
    assert linear["kind"] == "class" and linear["doc"]
    assert linear["signature"] == "Linear(in_features, out_features, bias=True, device=None, " \
                                  "dtype=None)"
    assert members["torch.optim.Adam"]["signature"].startswith(
        "Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False")
    assert members["torch.nn.init.kaiming_uniform_"]["kind"] == "function"
    assert len(packages["torch.nn"]["members"]) == len(nn.__all__)


def test_library_catalog_lists_torch_distributions(client):
    """torch.distributions' classes and functions, its submodules as packages of their own
    (never as members), constraints as values showing their repr."""
    import engine.distributions as dist

    body = client.get("/v1/library").json()
    packages = {p["name"]: p for p in body["packages"]}
    assert {"torch.distributions", "torch.distributions.constraints", "torch.distributions.kl",
            "torch.distributions.transforms"} <= set(packages)
    members = {m["name"]: m for m in packages["torch.distributions"]["members"]}
    assert members["torch.distributions.Normal"]["kind"] == "class"
    assert members["torch.distributions.Normal"]["signature"] == \
        "Normal(loc, scale, validate_args=None)"
    assert members["torch.distributions.kl_divergence"]["kind"] == "function"
    assert not {"torch.distributions.kl", "torch.distributions.constraints",
                "torch.distributions.transforms"} & set(members)
    assert all(m["kind"] != "value" for m in members.values())
    assert len(members) == len([n for n in dist.__all__ if n not in
                                ("kl", "constraints", "transforms", "constraint_registry")])
    autograd = {m["name"] for m in packages["torch.autograd"]["members"]}
    assert "torch.autograd.functional" not in autograd
    positive = {m["name"]: m for m in packages["torch.distributions.constraints"]["members"]}
    assert positive["torch.distributions.constraints.positive"] == {
        "name": "torch.distributions.constraints.positive", "kind": "value",
        "signature": None, "doc": "GreaterThan(lower_bound=0.0)"}
