"""Sessions: create, list, inspect, end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Request, Response, status

from app.api.deps import ApiKeyDep, MetricsDep, OwnedSessionDep, RunnerDep, SettingsDep, StoreDep
from app.api.responses import OrjsonRoute
from app.core.errors import InvalidRequest
from app.models.problems import error_responses
from app.models.sessions import SessionCreate, SessionInfo, SessionList, VariableInfo
from app.services.devices import resolve_device
from app.services.runner import to_response
from app.services.sessions import Session

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], route_class=OrjsonRoute)


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def session_info(session: Session, state: dict[str, Any] | None = None) -> SessionInfo:
    """What the serving process knows of a session, with ``state`` from its host (memory,
    variables) where there is one."""
    state = state or {}
    variables = state.get("variables")
    return SessionInfo(
        id=session.id, device=session.device,
        created_at=_time(session.created_at), expires_at=_time(session.expires_at),
        ttl_s=session.ttl_s, memory_bytes=state.get("memory_bytes", session.memory_bytes),
        variables=[VariableInfo(**v) for v in variables] if variables is not None else None,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=SessionInfo,
    response_model_exclude_none=True,
    summary="Start a session",
    description="A new session (like a notebook kernel): variables, graphs and functions that "
                "one run leaves are there for the next. Its URL is in `Location`.",
    responses={
        201: {"headers": {"Location": {"description": "The session's URL.",
                                       "schema": {"type": "string"}}}},
        **error_responses(400, 401, 422, 429, 503),
    },
)
async def create_session(
    owner: ApiKeyDep, store: StoreDep, settings: SettingsDep, metrics: MetricsDep,
    response: Response, http: Request,
    body: Annotated[SessionCreate | None, Body()] = None,
) -> SessionInfo:
    body = body or SessionCreate()
    device = resolve_device(body.device or settings.device, settings.allowed_devices)
    if body.ttl_s is not None and body.ttl_s > settings.max_session_ttl_s:
        raise InvalidRequest(f"ttl_s may be at most {settings.max_session_ttl_s:g} "
                             "(at #/ttl_s).", pointer="#/ttl_s")
    proposed = (http.headers.get(settings.session_id_header)
                if settings.session_id_header else None)  # from the proxy: see Scale out
    session = await store.create(owner, device, seed=body.seed, ttl_s=body.ttl_s,
                                 session_id=proposed)
    metrics.sessions_created.inc()
    response.headers["Location"] = f"/v1/sessions/{session.id}"
    return session_info(session)


@router.get("", response_model=SessionList, response_model_exclude_none=True,
            summary="List your sessions",
            description="The caller's own sessions (never another API key's).",
            responses=error_responses(401))
async def list_sessions(owner: ApiKeyDep, store: StoreDep) -> SessionList:
    return SessionList(sessions=[session_info(s) for s in await store.list(owner)])


@router.get("/{session_id}", response_model=SessionInfo, summary="Inspect a session",
            description="Device, variables (name, kind, shape, dtype, requires_grad), "
                        "memory held and expiry.",
            responses=error_responses(401, 404, 503, only={503: ["server_busy"]}))
async def get_session(session: OwnedSessionDep, runner: RunnerDep,
                      http: Request) -> SessionInfo | Response:
    reply, payload = await runner.on_session(session, "info", http, variables=True)
    if reply["status"] != 200:
        return to_response(reply, payload)
    return session_info(session, orjson.loads(payload))


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="End a session", description="Ends the session and frees everything.",
               responses=error_responses(401, 404))
async def delete_session(session: OwnedSessionDep, store: StoreDep) -> Response:
    await store.delete(session.owner, session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
