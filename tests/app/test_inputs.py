"""Inputs PyTorch refuses are refused here too, as 4xx with PyTorch's words: shapes beyond 64
bits, more dimensions than the engine has, integers beyond 64 bits; and replies never show heap
addresses."""

from __future__ import annotations

import base64

import pytest

from app.services.execution import hide_addresses
from tests.app.helpers import assert_problem

BAD = [
    ({"type": "tensor", "shape": [0, 2**62, 4], "data": []}, "Stride calculation overflowed"),
    ({"type": "tensor", "shape": [0, 2**64, 4], "data": []}, None),  # not even an int64
    ({"type": "tensor", "shape": [1] * 65, "data": [1.0]}, "at most 64 dimensions"),
    ({"name": "x", "shape": [0, 2**62], "datatype": "FP32", "data": []},
     "Storage size calculation overflowed"),
    ({"type": "tensor", "data": [2**64]}, "Overflow when unpacking long long"),
    ({"type": "tensor", "data": [2**63]}, "Overflow when unpacking long long"),
    ({"type": "tensor", "data": [[1, -(2**63) - 1]]}, "Overflow when unpacking long long"),
    ({"type": "tensor", "data": [1, 2**70], "dtype": "int64"}, "Overflow when unpacking long long"),
]


@pytest.mark.parametrize(("tensor", "text"), BAD)
def test_inputs_pytorch_refuses_are_4xx(client, tensor, text):
    reply = client.post("/v1/evaluate", json={"source": "x.shape", "inputs": {"x": tensor}})
    body = assert_problem(reply, 422, "invalid_request")
    if text is not None:
        assert text in body["detail"]


@pytest.mark.parametrize(("tensor", "shape", "dtype"), [
    ({"type": "tensor", "shape": [1] * 64, "data": [1.0]}, [1] * 64, "float32"),
    ({"type": "tensor", "data": [2**63 - 1, -(2**63)]}, [2], "int64"),
    ({"type": "tensor", "data": [1, 2**70], "dtype": "float32"}, [2], "float32"),  # as torch
    ({"type": "tensor", "data": [1.5, 2**70]}, [2], "float32"),
])
def test_inputs_pytorch_accepts_are_accepted(client, tensor, shape, dtype):
    reply = client.post("/v1/evaluate", json={"source": "x", "inputs": {"x": tensor}})
    assert reply.status_code == 200, reply.text
    result = reply.json()["result"]
    assert (result["shape"], result["dtype"]) == (shape, dtype)


def test_huge_integer_keeps_its_value_in_a_float_tensor(client):
    reply = client.post("/v1/evaluate", json={
        "source": "x[1].item()", "inputs": {"x": {"type": "tensor", "dtype": "float64",
                                                 "data": [0, 2**70 + 1]}}})
    assert reply.json()["result"] == float(2**70 + 1)


def test_replies_hide_heap_addresses():
    body = b'{"repr": "<torch.utils.hooks.RemovableHandle object at 0x7f3a2c1b9d60>"}'
    hidden = hide_addresses(body)
    assert b"7f3a2c1b9d60" not in hidden and b"object at 0x" in hidden
    assert hidden == hide_addresses(body)  # the same object reads the same within a host
    assert hide_addresses(b'{"data": [1, 2]}') == b'{"data": [1, 2]}'


@pytest.mark.parametrize("encoding", ["data", "base64"])
def test_a_body_past_the_inline_size_arrives_whole(client, session_id, encoding):
    """Bodies over 60 KiB reach the host in a memfd (mapped there): they parse as any other."""
    n = 40_000
    tensor = ({"type": "tensor", "data": [0.5] * n} if encoding == "data" else
              {"type": "tensor", "dtype": "float32", "shape": [n],
               "base64": base64.b64encode(b"\x00\x00\x00\x3f" * n).decode()})
    body = {"source": "[x.shape[0], x.sum().item()]", "inputs": {"x": tensor}}
    for reply in (client.post("/v1/evaluate", json=body),
                  client.post(f"/v1/sessions/{session_id}/run", json=body)):
        assert reply.status_code == 200, reply.text
        assert reply.json()["result"] == [n, n / 2]
