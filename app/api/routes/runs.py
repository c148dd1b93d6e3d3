"""Running a program in a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from app.api.deps import OwnedSessionDep, RunnerDep
from app.api.responses import OrjsonRoute, RawJSONResponse
from app.models.examples import RUN_EXAMPLES
from app.models.problems import error_responses
from app.models.runs import RunReply, RunRequest

router = APIRouter(prefix="/v1/sessions", tags=["runs"], route_class=OrjsonRoute)


@router.post(
    "/{session_id}/run", response_model=RunReply, summary="Run a program in a session",
    description="Runs `source` or `program` after binding `inputs`; the session keeps what the "
                "run leaves (a failed run keeps what ran before the failing statement). Runs "
                "on one session go one at a time, in arrival order.",
    responses=error_responses(400, 401, 404, 413, 422),
)
async def run(
    session: OwnedSessionDep, runner: RunnerDep,
    request: Annotated[RunRequest, Body(openapi_examples=RUN_EXAMPLES)],
) -> RawJSONResponse:
    return RawJSONResponse(await runner.run(session, request))
