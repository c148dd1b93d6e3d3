"""Sessions: create, list, inspect, end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from app.api.deps import ApiKeyDep, MetricsDep, OwnedSessionDep, SettingsDep, StoreDep
from app.api.responses import OrjsonRoute
from app.core.errors import InvalidRequest
from app.models.problems import error_responses
from app.models.sessions import SessionCreate, SessionInfo, SessionList, VariableInfo
from app.services.devices import resolve_device
from app.services.graph import short_repr
from app.services.sessions import Session
from app.wire import kind_of

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], route_class=OrjsonRoute)


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _variables(session: Session) -> list[VariableInfo]:
    infos = []
    for name, value in list(session.env.variables.items()):
        info = VariableInfo(name=name, kind=kind_of(value))
        if info.kind == "tensor":
            info.shape, info.dtype = list(value.shape), value.dtype.name
            info.requires_grad = bool(value.requires_grad)
            info.grad_fn = value.grad_fn.name() if value.grad_fn is not None else None
            if value.is_leaf or getattr(value, "retains_grad", False):  # no warning
                info.grad = short_repr(value.grad)
        infos.append(info)
    return infos


def session_info(session: Session, *, with_variables: bool = False) -> SessionInfo:
    """A snapshot, taken without waiting for a run in progress (which may be changing the
    variables in its thread: a snapshot that raced with it is simply taken again)."""
    env = session.env
    for attempt in range(5):
        try:
            memory = env.memory_bytes()
            variables = _variables(session) if with_variables else None
            break
        except RuntimeError:  # "dictionary changed size during iteration"
            if attempt == 4:
                raise
    return SessionInfo(
        id=session.id, device=session.device, mode="train" if env.training else "eval",
        created_at=_time(session.created_at), expires_at=_time(session.expires_at),
        ttl_s=session.ttl_s, memory_bytes=memory, variables=variables,
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
    response: Response,
    body: Annotated[SessionCreate | None, Body()] = None,
) -> SessionInfo:
    body = body or SessionCreate()
    device = resolve_device(body.device or settings.device, settings.allowed_devices)
    if body.ttl_s is not None and body.ttl_s > settings.max_session_ttl_s:
        raise InvalidRequest(f"ttl_s may be at most {settings.max_session_ttl_s:g} "
                             "(at #/ttl_s).", pointer="#/ttl_s")
    session = store.create(owner, device, seed=body.seed, ttl_s=body.ttl_s)
    metrics.sessions_created.inc()
    response.headers["Location"] = f"/v1/sessions/{session.id}"
    return session_info(session)


@router.get("", response_model=SessionList, response_model_exclude_none=True,
            summary="List your sessions",
            description="The caller's own sessions (never another API key's).",
            responses=error_responses(401))
async def list_sessions(owner: ApiKeyDep, store: StoreDep) -> SessionList:
    return SessionList(sessions=[session_info(s) for s in store.list(owner)])


@router.get("/{session_id}", response_model=SessionInfo, summary="Inspect a session",
            description="Device, mode, variables (name, kind, shape, dtype, requires_grad), "
                        "memory held and expiry.",
            responses=error_responses(401, 404))
async def get_session(session: OwnedSessionDep) -> SessionInfo:
    return session_info(session, with_variables=True)


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="End a session", description="Ends the session and frees everything.",
               responses=error_responses(401, 404))
async def delete_session(session: OwnedSessionDep, store: StoreDep) -> Response:
    store.delete(session.owner, session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
