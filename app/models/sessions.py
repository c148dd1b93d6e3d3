"""Session bodies and replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"device": "cpu", "seed": 0, "ttl_s": 600}]})

    device: str | None = Field(None, max_length=16, description="cpu, cuda or cuda:N; default "
                               "AUTOGRAD_DEVICE.")
    seed: int | None = Field(None, ge=0, lt=2**63,
                             description="Seeds the session's random generator.")
    ttl_s: float | None = Field(None, ge=1, description="Idle time in seconds after which the "
                                "session ends (a number, as in the session's reply).")


class VariableInfo(BaseModel):
    name: str
    kind: str = Field(description="tensor, number, bool, string, list, dict, none, function, ...")
    shape: list[int] | None = None
    dtype: str | None = None
    requires_grad: bool | None = None
    grad_fn: str | None = Field(None, description="A tensor's grad_fn name (MulBackward0).")
    grad: str | None = Field(None, description="A tensor's `.grad`, short: its repr up to 16 "
                             "elements, else its shape.")


class SessionInfo(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "s_Qm9n5V0Xq1yZ2k3r4t5u6w7x", "device": "cpu",
        "created_at": "2026-11-25T17:00:00Z", "expires_at": "2026-11-25T17:30:00Z",
        "ttl_s": 1800, "memory_bytes": 0, "variables": []}]})

    id: str
    device: str
    created_at: datetime
    expires_at: datetime
    ttl_s: float = Field(description="Idle time in seconds after which the session ends.")
    memory_bytes: int = Field(description="Bytes of tensor data the session holds.")
    variables: list[VariableInfo] | None = Field(
        None, description="The session's variables (in the single-session view only).")


class SessionList(BaseModel):
    sessions: list[SessionInfo]


class VariableValue(BaseModel):
    name: str
    value: Any = Field(description="A tensor object or any other value.")
    grad: Any = Field(None, description="For a tensor: its `.grad` (a tensor or null).")


class GraphNode(BaseModel):
    id: str
    kind: Literal["op", "leaf", "accumulate"]
    name: str = Field(description="The grad_fn name (e.g. MulBackward0) or the leaf's variable "
                      "name.")
    shape: list[int] | None = None
    grad: str | None = Field(None, description="A leaf's `.grad`, short (its repr up to 16 "
                             "elements); absent when it has none.")


class GraphEdge(BaseModel):
    source: str = Field(description="The node the gradient flows from (DOT: `source -> target`).")
    target: str = Field(description="The node it flows to: an input of `source`'s op.")


class Graph(BaseModel):
    root: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    extra: dict[str, Any] | None = None
