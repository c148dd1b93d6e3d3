"""The wire codec: SPEC §3 tensors both ways, non-finite numbers, odd values."""

import base64
import math

import numpy as np
import orjson
import pytest

import engine
from app.core.errors import InvalidRequest, LimitExceeded
from app.models.values import InferenceTensor, TensorIn
from app.wire import decode_tensor, dumps, encode_tensor, encode_value


def decode(spec: dict, max_elements: int = 1_000_000) -> engine.Tensor:
    model = InferenceTensor(**spec) if "datatype" in spec else TensorIn(**spec)
    return decode_tensor(model, device="cpu", max_elements=max_elements)


def roundtrip(value) -> object:
    return orjson.loads(dumps(encode_value(value)))


def test_tensor_reply_carries_everything_spec_lists():
    x = engine.tensor([0.0, 4.0, 8.0, 12.0])
    assert roundtrip(x) == {
        "type": "tensor", "dtype": "float32", "shape": [4], "data": [0.0, 4.0, 8.0, 12.0],
        "requires_grad": False, "is_leaf": True, "grad_fn": None, "device": "cpu",
        "repr": "tensor([ 0.,  4.,  8., 12.])",
    }


def test_grad_fn_name_and_zero_dim_data():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    out = roundtrip(y)
    assert out["grad_fn"] == "SumBackward0"
    assert out["data"] == 5.0 and out["shape"] == []
    assert out["requires_grad"] and not out["is_leaf"]


def test_float32_values_are_written_in_their_shortest_form():
    assert b"0.1," in dumps(encode_value(engine.tensor([0.1, 0.2])))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_non_finite_values_become_strings_and_come_back(dtype):
    x = engine.tensor([1.5, math.nan, math.inf, -math.inf], dtype=engine.dtype_from_name(dtype))
    out = roundtrip(x)
    assert out["data"] == [1.5, "NaN", "Infinity", "-Infinity"]
    back = engine.to_numpy(decode({"type": "tensor", "dtype": dtype, "data": out["data"]}))
    assert back[0] == 1.5 and math.isnan(back[1]) and back[2] == math.inf and back[3] == -math.inf


def test_non_finite_nested_and_zero_dim():
    assert roundtrip(engine.tensor([[math.nan, 0.25], [1.0, 2.0]]))["data"] == [
        ["NaN", 0.25], [1.0, 2.0]]
    assert roundtrip(engine.tensor(math.nan))["data"] == "NaN"
    assert roundtrip(math.inf) == "Infinity"


@pytest.mark.parametrize(("data", "dtype"), [
    ([1.0, 2.0], "float32"), ([1, 2], "int64"), ([True, False], "bool"), ([[1, 2.5]], "float32"),
])
def test_dtype_is_inferred_as_pytorch_does(data, dtype):
    assert decode({"type": "tensor", "data": data}).dtype.name == dtype


def test_flat_data_with_shape_is_reshaped():
    t = decode({"type": "tensor", "dtype": "float64", "shape": [2, 3], "data": list(range(6))})
    assert list(t.shape) == [2, 3] and t.dtype.name == "float64"
    assert engine.to_numpy(t).tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool"])
def test_base64_roundtrip_is_little_endian_row_major(dtype):
    arr = (np.arange(6).reshape(2, 3) % 2 == 0) if dtype == "bool" else \
        np.arange(6, dtype=dtype).reshape(2, 3)
    text = base64.b64encode(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).decode()
    t = decode({"type": "tensor", "dtype": dtype, "shape": [2, 3], "base64": text})
    assert np.array_equal(engine.to_numpy(t), arr)
    out = encode_tensor(t, "base64")
    assert out["base64"] == text and "data" not in out


@pytest.mark.parametrize(("datatype", "dtype"), [
    ("FP32", "float32"), ("FP64", "float64"), ("FP16", "float16"), ("INT32", "int32"),
    ("INT64", "int64"), ("BOOL", "bool"),
])
def test_open_inference_protocol_tensors(datatype, dtype):
    data = [True, False, True, True] if datatype == "BOOL" else [0, 1, 2, 3]
    t = decode({"name": "x", "shape": [2, 2], "datatype": datatype, "data": data})
    assert t.dtype.name == dtype and list(t.shape) == [2, 2]


def test_requires_grad_on_input():
    t = decode({"type": "tensor", "data": [1.0], "requires_grad": True})
    assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize("spec", [
    {"type": "tensor", "data": [[1, 2], [3]]},
    {"type": "tensor", "data": ["one"]},
    {"type": "tensor", "data": [None]},
    {"type": "tensor", "data": [{"a": 1}]},
    {"type": "tensor", "shape": [3], "data": [1, 2]},
    {"type": "tensor", "data": [1, 2], "base64": "AAAA"},
    {"type": "tensor"},
    {"type": "tensor", "dtype": "float32", "shape": [2], "base64": "AAAA"},
    {"type": "tensor", "dtype": "float32", "shape": [1], "base64": "not base64!"},
    {"type": "tensor", "shape": [1], "base64": "AAAAAA=="},
    {"type": "tensor", "data": [1, 2], "requires_grad": True},
    {"type": "tensor", "dtype": "int32", "data": [2**40]},
    {"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2]},
])
def test_bad_tensors_are_invalid_requests(spec):
    with pytest.raises(InvalidRequest):
        decode(spec)


def test_too_many_elements_is_a_limit_before_decoding():
    with pytest.raises(LimitExceeded):
        decode({"type": "tensor", "dtype": "float32", "shape": [1000, 1000], "base64": ""},
               max_elements=1000)
    with pytest.raises(LimitExceeded):
        decode({"type": "tensor", "data": list(range(2000))}, max_elements=1000)


def test_other_values():
    assert roundtrip(engine.Size([2, 3])) == [2, 3]
    assert roundtrip((1, "a", None, True)) == [1, "a", None, True]
    assert roundtrip({"k": [1.5, math.nan]}) == {"k": [1.5, "NaN"]}
    assert roundtrip(engine.float32) == {"type": "dtype", "name": "float32",
                                         "repr": "torch.float32"}
    assert roundtrip(2**70) == str(2**70)
    gen = roundtrip(engine.Generator())
    assert gen["type"] == "generator" and "repr" in gen
    assert roundtrip(lambda: 0)["type"] == "function"


def test_a_million_element_tensor_serializes():
    x = engine.tensor(np.ones(1_000_000, dtype=np.float32))
    body = dumps(encode_value(x))
    assert orjson.loads(body)["shape"] == [1_000_000]
