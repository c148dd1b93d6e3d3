"""``Annotated`` dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.dependencies.models import Dependant

from app.api.responses import DIRECT_DEPENDENCIES, NotDirect
from app.core.config import Settings
from app.core.metrics import Metrics
from app.core.security import authenticate, presented_key
from app.services.runner import Runner
from app.services.sessions import Session, SessionRegistry

SECURITY_SCHEMES = {
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "An API key from AUTOGRAD_API_KEYS."},
    "HTTPBearer": {"type": "http", "scheme": "bearer",
                   "description": "The same API key as a bearer token."},
}
SECURITY = [{"APIKeyHeader": []}, {"HTTPBearer": []}]


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _store(request: Request) -> SessionRegistry:
    return request.app.state.store


async def _runner(request: Request) -> Runner:
    return request.app.state.runner


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[SessionRegistry, Depends(_store)]
RunnerDep = Annotated[Runner, Depends(_runner)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]


async def _owner(request: Request) -> str:
    """The caller's owner tag. One dependency with no sub-dependencies (each level costs
    FastAPI tens of µs per request); ``SECURITY_SCHEMES`` documents it in the OpenAPI
    document (see ``requires_api_key``)."""
    headers = request.headers
    key = presented_key(headers.get("x-api-key"), headers.get("authorization"))
    return authenticate(key, request.app.state.settings.api_keys)


ApiKeyDep = Annotated[str, Depends(_owner)]


def requires_api_key(dependant: Dependant) -> bool:
    """Whether a route's dependency tree authenticates the caller (for its OpenAPI security)."""
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is _owner:
            return True
        stack.extend(dep.dependencies)
    return False
"""The caller's owner tag (a hash of its API key); 401 without a valid key when keys are set."""

SessionId = Annotated[str, Path(description="The session id from POST /v1/sessions.",
                                max_length=64)]


async def _owned_session(session_id: SessionId, owner: ApiKeyDep, store: StoreDep) -> Session:
    return await store.get(owner, session_id)


async def _owned_session_direct(request: Request) -> Session:
    """:func:`_owned_session` for a direct call (``app.api.responses.DirectRoute``): the same
    checks in the same order (the key first, then the session); an id FastAPI's path
    validation would refuse goes to FastAPI."""
    session_id = request.path_params.get("session_id")
    if not isinstance(session_id, str) or len(session_id) > 64:
        raise NotDirect
    return await request.app.state.store.get(await _owner(request), session_id)


DIRECT_DEPENDENCIES[_owned_session] = _owned_session_direct

OwnedSessionDep = Annotated[Session, Depends(_owned_session)]
"""The session named in the path, if it exists, is alive and belongs to the caller; else 404."""
