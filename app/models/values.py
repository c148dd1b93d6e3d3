"""Values on the wire (SPEC §3): the tensor object, the Open Inference Protocol tensor, and any
other JSON value. Only the *shapes* are checked here; :mod:`app.wire` builds engine tensors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, JsonValue, Tag

# the SPEC's six (section 3) and, beyond it, torch's three small integer types
DTypeName = Literal["float32", "float64", "float16", "int64", "int32", "bool", "int16", "int8",
                    "uint8"]
OipDatatype = Literal["FP32", "FP64", "FP16", "INT32", "INT64", "BOOL", "INT16", "INT8", "UINT8"]
Encoding = Literal["json", "base64"]


class TensorIn(BaseModel):
    """A tensor sent by a client: nested ``data``; flat ``data`` with ``shape``; or ``base64``
    (little-endian, row-major) with ``dtype`` and ``shape``. Non-finite numbers are the strings
    ``"NaN"``, ``"Infinity"``, ``"-Infinity"``. Reply-only members (``repr``, ``grad_fn``, ...)
    are accepted and ignored, so a tensor from a reply can be sent back as it is."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"type": "tensor", "dtype": "float32", "data": [0.0, 1.0, 2.0, 3.0],
                 "requires_grad": True},
                {"type": "tensor", "dtype": "float32", "shape": [2, 2], "data": [1, 2, 3, 4]},
                {"type": "tensor", "dtype": "float32", "shape": [2],
                 "base64": "AACAPwAAAEA="},
            ]
        },
    )

    type: Literal["tensor"]
    dtype: DTypeName | None = Field(None, description="Default: inferred as PyTorch does "
                                    "(float32 for floats, int64 for integers, bool).")
    shape: list[Annotated[int, Field(ge=0)]] | None = None
    data: JsonValue = None
    base64: str | None = None
    requires_grad: bool = False
    # members a reply carries; ignored on input
    is_leaf: bool | None = None
    grad_fn: str | None = None
    device: str | None = None
    repr: str | None = None


class InferenceTensor(BaseModel):
    """A tensor as the Open Inference Protocol (KServe v2, Triton) sends it."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [
            {"name": "x", "shape": [4], "datatype": "FP32", "data": [0, 1, 2, 3]}
        ]},
    )

    name: str | None = None
    shape: list[Annotated[int, Field(ge=0)]]
    datatype: OipDatatype
    data: JsonValue
    parameters: dict[str, JsonValue] | None = None
    requires_grad: bool = False


def _value_kind(value: Any) -> str:
    if isinstance(value, dict):
        if value.get("type") == "tensor":
            return "tensor"
        if "datatype" in value:
            return "oip"
    elif isinstance(value, (TensorIn, InferenceTensor)):
        return "tensor" if isinstance(value, TensorIn) else "oip"
    return "value"


WireValue = Annotated[
    Annotated[TensorIn, Tag("tensor")]
    | Annotated[InferenceTensor, Tag("oip")]
    | Annotated[JsonValue, Tag("value")],
    Discriminator(_value_kind),
]
"""What a client may send as a value: a tensor (either form) or any other JSON value."""


class TensorOut(BaseModel):
    """A tensor in a reply."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "tensor", "dtype": "float32", "shape": [4], "data": [0.0, 4.0, 8.0, 12.0],
         "requires_grad": False, "is_leaf": True, "grad_fn": None, "device": "cpu",
         "repr": "tensor([ 0.,  4.,  8., 12.])"}
    ]})

    type: Literal["tensor"]
    dtype: DTypeName
    shape: list[int]
    data: JsonValue = Field(None, description="Nested lists (a number for a 0-d tensor); "
                            "absent when `base64` is given.")
    base64: str | None = None
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    device: str
    repr: str


ValueOut = Any
"""A reply value: a tensor object, a number, bool, string, null, list or object."""
