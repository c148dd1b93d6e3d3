"""``Annotated`` dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import Settings
from app.core.metrics import Metrics
from app.core.security import authenticate
from app.services.runner import Runner
from app.services.sessions import Session, SessionStore

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from AUTOGRAD_API_KEYS.")
bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _store(request: Request) -> SessionStore:
    return request.app.state.store


async def _runner(request: Request) -> Runner:
    return request.app.state.runner


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[SessionStore, Depends(_store)]
RunnerDep = Annotated[Runner, Depends(_runner)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]


async def _owner(
    settings: SettingsDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    return authenticate(api_key or (token.credentials if token else None), settings.api_keys)


ApiKeyDep = Annotated[str, Depends(_owner)]
"""The caller's owner tag (a hash of its API key); 401 without a valid key when keys are set."""

SessionId = Annotated[str, Path(description="The session id from POST /v1/sessions.",
                                max_length=64)]


async def _owned_session(session_id: SessionId, owner: ApiKeyDep, store: StoreDep) -> Session:
    return store.get(owner, session_id)


OwnedSessionDep = Annotated[Session, Depends(_owned_session)]
"""The session named in the path, if it exists, is alive and belongs to the caller; else 404."""
