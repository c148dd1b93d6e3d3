"""Running a program in a session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import OwnedSessionDep, RunnerDep
from app.api.responses import DirectRoute, forwarded_body
from app.models.examples import RUN_EXAMPLES
from app.models.problems import error_responses
from app.models.runs import RunReply, RunRequest

router = APIRouter(prefix="/v1/sessions", tags=["runs"], route_class=DirectRoute)


@router.post(
    "/{session_id}/run", response_model=RunReply, summary="Run a program in a session",
    description="Runs `source` or `program` after binding `inputs`; the session keeps what the "
                "run leaves (a failed run keeps what ran before the failing statement). Runs "
                "on one session go one at a time, in arrival order. A `200` is durable: its "
                "effects survive a crash or restart of any process of the service.",
    responses=error_responses(400, 401, 404, 413, 422, 429, 503),
    openapi_extra=forwarded_body(RunRequest, examples=RUN_EXAMPLES),
)
async def run(session: OwnedSessionDep, runner: RunnerDep, http: Request) -> Response:
    return await runner.run(session, http)
