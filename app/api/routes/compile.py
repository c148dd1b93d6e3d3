"""Checking a program without running it, and the schema of the JSON form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import ApiKeyDep, SettingsDep
from app.api.responses import OrjsonRoute
from app.lang import Program, compile_source, parse_program
from app.models.problems import error_responses
from app.models.runs import CompileReply, CompileRequest
from app.services.runner import limits_from

router = APIRouter(prefix="/v1", tags=["language"], route_class=OrjsonRoute)


@router.post(
    "/compile", response_model=CompileReply, summary="Compile source to the JSON form",
    description="Parses and checks `source`; answers its JSON form, or a `syntax_error` with "
                "line and column.",
    responses=error_responses(400, 401, 413, 422, only={400: ["syntax_error", "limit_exceeded"]}),
)
async def compile_program(_owner: ApiKeyDep, settings: SettingsDep,
                          request: CompileRequest) -> dict[str, Any]:
    limits = limits_from(settings)
    program = compile_source(request.source, limits)
    parse_program(program, limits)  # the size and depth limits a run would apply
    return {"program": program}


@router.get("/schema", summary="JSON Schema of the program form",
            description="The JSON Schema (draft 2020-12) that `program` bodies follow.")
async def program_schema() -> dict[str, Any]:
    return PROGRAM_SCHEMA


PROGRAM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **Program.model_json_schema(),
}
