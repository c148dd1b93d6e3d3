"""The problem+json body (RFC 9457) and its OpenAPI documentation for each error code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE


class ProblemBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    code: str = Field(description="The stable error code (SPEC §5).")
    instance: str | None = None
    request_id: str | None = None


def _example(code: str, status: int, title: str, detail: str, **extra: Any) -> dict:
    return {"summary": detail, "value": {
        "type": PROBLEM_TYPE_BASE + code, "title": title, "status": status, "detail": detail,
        "code": code, "instance": "/v1/...", "request_id": "3f2a9c1e5b7d4a60", **extra}}


EXAMPLES: dict[str, dict] = {
    "invalid_request": _example(
        "invalid_request", 422, "Invalid request",
        "Field required (at #/program/0/value)", pointer="#/program/0/value",
        errors=[{"detail": "Field required", "in": "body", "pointer": "#/program/0/value"}]),
    "syntax_error": _example(
        "syntax_error", 400, "Syntax error", "import os: only 'import torch' ... is allowed",
        location={"line": 1, "col": 1}),
    "program_error": _example(
        "program_error", 400, "Program error",
        "grad can be implicitly created only for scalar outputs", op="backward",
        location={"pointer": "#/program/1", "line": 2, "col": 1}, steps=3,
        exception="RuntimeError", printed=["loss 0.25"]),
    "limit_exceeded": _example(
        "limit_exceeded", 400, "Limit exceeded", "the run took more than 1000000 steps",
        limit="max_steps", value=1000000),
    "body_too_large": _example(
        "limit_exceeded", 413, "Limit exceeded",
        "The request body is larger than 67108864 bytes.", limit="max_body_bytes",
        value=67108864),
    "unauthorized": _example("unauthorized", 401, "Unauthorized", "The API key is not valid."),
    "not_found": _example("not_found", 404, "Not found", "No session 's_abc'."),
    "device_unavailable": _example(
        "device_unavailable", 400, "Device unavailable",
        "Device 'cuda:3' is not allowed here (allowed: cpu).", device="cuda:3"),
    "device_missing": _example(
        "device_unavailable", 503, "Device unavailable",
        "Device 'cuda:0' is not available: no CUDA device", device="cuda:0"),
    "too_many_sessions": _example(
        "too_many_sessions", 429, "Too many sessions",
        "The limit of 1000 sessions is reached; end one (DELETE) or wait for one to expire.",
        limit=1000),
    "quota_exceeded": _example(
        "quota_exceeded", 429, "Quota exceeded",
        "This API key has 4 runs in progress, its quota; retry when one ends.",
        quota="concurrent_runs", limit=4),
    "server_busy": _example(
        "server_busy", 503, "Server busy",
        "The service's memory budget is in use; nothing was lost: retry later.",
        limit="memory_budget"),
}

BY_STATUS: dict[int, tuple[str, list[str]]] = {
    400: ("The program or a value in the request is wrong.",
          ["syntax_error", "program_error", "limit_exceeded", "device_unavailable"]),
    401: ("An API key is required and is missing or wrong.", ["unauthorized"]),
    404: ("No such session or variable (also: expired, or another key's).", ["not_found"]),
    413: ("The request body or the program is too large.", ["body_too_large"]),
    422: ("The body does not match the schema.", ["invalid_request"]),
    429: ("The session cap or a per-key quota is reached (see `Retry-After`).",
          ["too_many_sessions", "quota_exceeded"]),
    503: ("The device is not available, or the service is at its memory budget or capacity "
          "(see `Retry-After`).", ["device_missing", "server_busy"]),
}


def error_responses(*statuses: int, only: dict[int, list[str]] | None = None) -> dict:
    """OpenAPI ``responses`` for the given statuses, each with its problem examples."""
    responses: dict[int, dict] = {}
    for status in statuses:
        description, names = BY_STATUS[status]
        if only and status in only:
            names = only[status]
        responses[status] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/ProblemBody"},
                "examples": {name: EXAMPLES[name] for name in names}}},
        }
    return responses
