"""Stateless evaluation: a throw-away session per request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import ApiKeyDep
from app.api.responses import DirectRoute, forwarded_body
from app.models.examples import EVALUATE_EXAMPLES
from app.models.problems import error_responses
from app.models.runs import EvaluateReply, EvaluateRequest

router = APIRouter(prefix="/v1", tags=["evaluate"], route_class=DirectRoute)


@router.post(
    "/evaluate", response_model=EvaluateReply, summary="Run a program once, statelessly",
    description="As `run`, in a fresh session that is thrown away afterwards; `gradients` "
                "names variables (usually inputs) whose `.grad` the reply carries.",
    responses=error_responses(400, 401, 413, 422, 429, 503),
    openapi_extra=forwarded_body(EvaluateRequest, examples=EVALUATE_EXAMPLES),
)
async def evaluate(owner: ApiKeyDep, http: Request) -> Response:
    runner = http.app.state.runner  # the hottest route: one dependency fewer to solve
    return await runner.stateless("evaluate", owner, http)
