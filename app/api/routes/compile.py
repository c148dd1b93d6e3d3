"""Checking a program without running it, and the schema of the JSON form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import ApiKeyDep, RunnerDep
from app.api.responses import OrjsonRoute, forwarded_body
from app.lang import Program
from app.models.problems import error_responses
from app.models.runs import CompileReply, CompileRequest

router = APIRouter(prefix="/v1", tags=["language"], route_class=OrjsonRoute)


@router.post(
    "/compile", response_model=CompileReply, summary="Compile source to the JSON form",
    description="Parses and checks `source`; answers its JSON form, or a `syntax_error` with "
                "line and column.",
    responses=error_responses(400, 401, 413, 422, 503,
                              only={400: ["syntax_error", "limit_exceeded"], 503: ["server_busy"]}),
    openapi_extra=forwarded_body(CompileRequest),
)
async def compile_program(owner: ApiKeyDep, runner: RunnerDep, http: Request) -> Response:
    return await runner.stateless("compile", owner, http)


@router.get("/schema", summary="JSON Schema of the program form",
            description="The JSON Schema (draft 2020-12) that `program` bodies follow.")
async def program_schema() -> dict[str, Any]:
    return PROGRAM_SCHEMA


PROGRAM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **Program.model_json_schema(),
}
