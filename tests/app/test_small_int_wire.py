"""uint8, int8 and int16 on the wire (beyond SPEC section 3's six dtypes): the tensor object
both ways with their names, the base64 form, the Open Inference Protocol's INT8/INT16/UINT8,
torch's overflow rule for data (uint8 takes -255..-1 as torch.tensor does, wrapped), the
OpenAPI schema's dtype list, and programs over HTTP that make and print them."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from tests.app.helpers import assert_problem

SMALL = [("uint8", "UINT8", np.uint8), ("int8", "INT8", np.int8), ("int16", "INT16", np.int16)]


def evaluate(client, source: str, inputs: dict | None = None, **kw) -> dict:
    reply = client.post("/v1/evaluate", json={"source": source, "inputs": inputs or {}, **kw})
    assert reply.status_code == 200, reply.text
    return reply.json()["result"]


@pytest.mark.parametrize(("dtype", "oip", "np_dtype"), SMALL)
def test_json_tensor_round_trips_with_its_name(client, dtype, oip, np_dtype):
    x = {"type": "tensor", "dtype": dtype, "data": [[1, 2], [3, 4]]}
    result = evaluate(client, "x * 2", {"x": x})
    assert (result["dtype"], result["shape"], result["data"]) == (dtype, [2, 2], [[2, 4], [6, 8]])
    assert result["repr"] == f"tensor([[2, 4],\n        [6, 8]], dtype=torch.{dtype})"
    assert not result["requires_grad"]


@pytest.mark.parametrize(("dtype", "oip", "np_dtype"), SMALL)
def test_base64_both_ways_is_little_endian(client, dtype, oip, np_dtype):
    values = np.array([1, 2, 100, 7], dtype=np_dtype)
    data = base64.b64encode(values.astype(np.dtype(np_dtype).newbyteorder("<")).tobytes())
    x = {"type": "tensor", "dtype": dtype, "shape": [4], "base64": data.decode()}
    result = evaluate(client, "x + 1", {"x": x}, encoding="base64")
    assert result["dtype"] == dtype and result["shape"] == [4]
    back = np.frombuffer(base64.b64decode(result["base64"]), dtype=np.dtype(np_dtype)
                         .newbyteorder("<"))
    assert back.tolist() == (values + 1).tolist()


@pytest.mark.parametrize(("dtype", "oip", "np_dtype"), SMALL)
def test_open_inference_protocol_datatypes(client, dtype, oip, np_dtype):
    x = {"name": "x", "shape": [3], "datatype": oip, "data": [1, 2, 3]}
    result = evaluate(client, "x", {"x": x})
    assert (result["dtype"], result["data"]) == (dtype, [1, 2, 3])


def test_data_follows_torchs_overflow_rule(client):
    x = {"type": "tensor", "dtype": "uint8", "data": [-1, -255, 255]}
    assert evaluate(client, "x", {"x": x})["data"] == [255, 1, 255]  # as torch.tensor
    for dtype, data in (("uint8", [256]), ("uint8", [-256]), ("int8", [128]), ("int8", [-129]),
                        ("int16", [40000]), ("uint8", [-0.5])):
        reply = client.post("/v1/evaluate", json={"source": "x", "inputs": {"x": {
            "type": "tensor", "dtype": dtype, "data": data}}})
        body = assert_problem(reply, 422, "invalid_request")
        assert f"value cannot be converted to type {dtype} without overflow" in body["detail"]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16"])
def test_requires_grad_is_refused(client, dtype):
    reply = client.post("/v1/evaluate", json={"source": "x", "inputs": {"x": {
        "type": "tensor", "dtype": dtype, "data": [1], "requires_grad": True}}})
    assert_problem(reply, 422, "invalid_request")


def test_openapi_lists_the_dtypes(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    text = str(schemas)
    for name in ("'uint8'", "'int8'", "'int16'", "'UINT8'", "'INT8'", "'INT16'"):
        assert name in text


def test_programs_make_and_print_them(client):
    source = "\n".join([
        "a = torch.tensor([250, 5], dtype=torch.uint8)",
        "b = torch.tensor([-100, 100], dtype=torch.int8)",
        "c = torch.ones(2, dtype=torch.int16).short()",
        "print(a + b, (a + 10), b.char(), torch.iinfo(torch.uint8), a.type(), c.dtype)",
        "print(torch.tensor([1.5]).byte(), torch.tensor([3]).type('torch.ShortTensor'))",
        "a.sum()",
    ])
    reply = client.post("/v1/evaluate", json={"source": source})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["printed"] == [
        "tensor([150, 105], dtype=torch.int16) tensor([ 4, 15], dtype=torch.uint8) "
        "tensor([-100,  100], dtype=torch.int8) iinfo(min=0, max=255, dtype=uint8) "
        "torch.ByteTensor torch.int16",
        "tensor([1], dtype=torch.uint8) tensor([3], dtype=torch.int16)"]
    assert body["result"]["dtype"] == "int64" and body["result"]["data"] == 255


def test_a_uint8_mask_selects_as_torch(client):
    source = "x = torch.arange(3)\nx[torch.tensor([1, 0, 1], dtype=torch.uint8)]"
    assert evaluate(client, source)["data"] == [0, 2]


def test_legacy_classes(client):
    source = "\n".join([
        "a = torch.tensor([250, 5], dtype=torch.uint8)",
        "print(isinstance(a, torch.ByteTensor), isinstance(a, torch.CharTensor), "
        "torch.CharTensor([1, -2]), torch.ShortTensor(2).shape, a.type(torch.ShortTensor))",
    ])
    reply = client.post("/v1/evaluate", json={"source": source})
    assert reply.status_code == 200, reply.text
    assert reply.json()["printed"] == [
        "True False tensor([ 1, -2], dtype=torch.int8) torch.Size([2]) "
        "tensor([250,   5], dtype=torch.int16)"]


def test_ops_catalog_serves_each_ops_dtypes_from_the_kernel_rule(client):
    from engine.ops import kernel_dtypes

    ops = {op["name"]: op for op in client.get("/v1/ops").json()["ops"]}
    assert ops["avg_pool2d"]["dtypes"] == ["int64", "float16", "float32", "float64"]
    assert ops["avg_pool3d"]["dtypes"] == ["int64", "float32", "float64"]
    assert ops["elu_"]["dtypes"] == ["float16", "float32", "float64"]
    assert ops["add"]["dtypes"] is None  # no kernel restriction recorded
    for name, rule in kernel_dtypes.RULES.items():
        assert ops[name]["dtypes"] == [d for d in kernel_dtypes.NAMES if d in rule.accepts]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["OpInfo"]
    assert "dtypes" in schema["properties"]


@pytest.mark.parametrize(("dtype", "name"), [("uint8", "Byte"), ("int8", "Char"),
                                             ("int16", "Short")])
def test_a_refused_dtype_over_http_is_torchs_error(client, dtype, name):
    reply = client.post("/v1/evaluate", json={
        "source": f"import torch.nn.functional as F\n"
                  f"F.avg_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.{dtype}), 2)"})
    assert reply.status_code == 400, reply.text
    problem = reply.json()
    assert (problem["exception"], problem["op"]) == ("NotImplementedError", "avg_pool2d")
    assert problem["detail"] == f"\"avg_pool2d\" not implemented for '{name}'"


def test_view_dtype_and_legacy_dtype_in_a_program(client):
    source = "\n".join([
        "x = torch.tensor([[1, -2], [300, 4]], dtype=torch.int16)",
        "print(torch.ByteTensor.dtype, torch.ShortTensor.dtype)",
        "print(x.view(torch.uint8), x.view(dtype=torch.int32).shape)",
    ])
    reply = client.post("/v1/evaluate", json={"source": source})
    assert reply.status_code == 200, reply.text
    assert reply.json()["printed"] == [
        "torch.uint8 torch.int16",
        "tensor([[  1,   0, 254, 255],\n        [ 44,   1,   4,   0]], dtype=torch.uint8) "
        "torch.Size([2, 1])"]
    reply = client.post("/v1/evaluate", json={
        "source": "torch.tensor([[1, 2], [3, 4]], dtype=torch.int16).t().view(torch.uint8)"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["detail"] == ("self.stride(-1) must be 1 to view Short as Byte "
                                      "(different element sizes), but got 2")
