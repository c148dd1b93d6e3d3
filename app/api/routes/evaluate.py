"""Stateless evaluation: a throw-away session per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request

from app.api.deps import ApiKeyDep
from app.api.responses import DirectRoute, RawJSONResponse
from app.models.examples import EVALUATE_EXAMPLES
from app.models.problems import error_responses
from app.models.runs import EvaluateReply, EvaluateRequest

router = APIRouter(prefix="/v1", tags=["evaluate"], route_class=DirectRoute)


@router.post(
    "/evaluate", response_model=EvaluateReply, summary="Run a program once, statelessly",
    description="As `run`, in a fresh session that is thrown away afterwards; `gradients` "
                "names variables (usually inputs) whose `.grad` the reply carries.",
    responses=error_responses(400, 401, 413, 422),
)
async def evaluate(
    _owner: ApiKeyDep, http: Request,
    request: Annotated[EvaluateRequest, Body(openapi_examples=EVALUATE_EXAMPLES)],
) -> RawJSONResponse:
    body_bytes = int(http.headers.get("content-length") or 1 << 30)
    runner = http.app.state.runner  # the hottest route: one dependency fewer to solve
    return RawJSONResponse(await runner.evaluate(request, body_bytes))
