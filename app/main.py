"""The ASGI application: ``uvicorn app.main:app`` (or ``python -m app``)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import ValidationError

from app.api.deps import SECURITY, SECURITY_SCHEMES, requires_api_key
from app.api.fastpath import FastPath, ServiceApp
from app.api.json_form_doc import document_json_form
from app.api.main import routers
from app.api.responses import OrjsonResponse, forwarded_components
from app.core.config import Settings, get_settings
from app.core.cors import add_cors
from app.core.errors import PROBLEM_MEDIA_TYPE, ApiError, install_error_handlers
from app.core.http_methods import AllowedMethods, HeadAsGetMiddleware
from app.core.metrics import Metrics
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.lang import Program
from app.models.problems import ProblemBody
from app.services.devices import check_device_computes
from app.services.hosts.pool import HostPool
from app.services.runner import Runner
from app.services.sessions import SessionRegistry
from app.services.store import open_store

logger = logging.getLogger("app")
HOST_IDLE_S = 600.0
"""Hosts idle this long are ended (beyond AUTOGRAD_HOSTS_WARM of them)."""

DESCRIPTION = """\
Reverse-mode automatic differentiation as a web service, with PyTorch's semantics.

Programs come as a safe subset of Python (`source`) or in the JSON form (`program`, schema at
`GET /v1/schema`). Sessions keep variables between runs, like a notebook kernel. Every error is
`application/problem+json` with a stable `code`.
"""

TAGS = [
    {"name": "sessions", "description": "Create, list, inspect and end sessions."},
    {"name": "runs", "description": "Run programs in a session."},
    {"name": "variables", "description": "A session's variables and their autograd graphs."},
    {"name": "evaluate", "description": "Stateless one-shot runs."},
    {"name": "language", "description": "Compile, the program schema and the op catalog."},
    {"name": "health", "description": "Liveness and readiness."},
    {"name": "metrics", "description": "Prometheus metrics."},
]


_frozen = [False]


def _freeze_startup_heap() -> None:
    """Once per process, at the first start-up: collect, then move every object alive (the
    imported app, FastAPI, pydantic, the engine: ~96k GC-tracked objects) to the collector's
    permanent generation, as the host factory does for hosts (``app.services.hosts.zygote``).
    A full collection then examines only what was made since, not the whole start-up heap
    (~0.2-0.4 s of the event loop on these machines)."""
    if not _frozen[0]:
        _frozen[0] = True
        gc.collect()
        gc.freeze()


async def _cull_forever(store: SessionRegistry, pool: HostPool, metrics: Metrics,
                        interval_s: float, hosts_warm: int) -> None:
    while True:
        await anyio.sleep(interval_s)
        pool.retire_idle(HOST_IDLE_S, keep=hosts_warm)
        try:
            expired = await store.cull()
        except Exception:  # the store is unreachable for now: try again next time
            logger.exception("culling expired sessions failed")
            continue
        if expired:
            metrics.sessions_expired.inc(expired)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics(replica=settings.replica_name if settings.replica else None)
    state = open_store(settings.state_dir, sync=settings.state_sync,
                       url=settings.state_url)
    store = SessionRegistry(state, max_sessions=settings.max_sessions,
                            default_ttl_s=settings.session_ttl_s,
                            key_max_sessions=settings.key_session_quota,
                            lease_s=settings.lease_s, lease_wait_s=settings.lease_wait_s)
    pool = HostPool(settings, metrics)
    store.on_forget = pool.forget
    metrics.track_sessions(lambda: store.alive)
    metrics.hosts_alive.set_function(lambda: len(pool.hosts))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.closing = False
        _freeze_startup_heap()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_cull_forever, store, pool, metrics, settings.cull_interval_s,
                             settings.hosts_warm)
            tasks.start_soon(pool.start, settings.hosts_warm)
            tasks.start_soon(store.keep_leases)
            yield
            tasks.cancel_scope.cancel()
        await pool.close(settings.shutdown_grace_s)
        store.clear()

    app = ServiceApp(
        title="autograd-service", version="0.1.0", description=DESCRIPTION,
        openapi_tags=TAGS, lifespan=lifespan, default_response_class=OrjsonResponse,
        docs_url=None, redoc_url=None,  # served from local assets by app.api.routes.web
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.store = store
    app.state.pool = pool
    app.state.runner = Runner(settings, metrics, store, pool)

    install_error_handlers(app)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, metrics=metrics)
    app.add_middleware(RequestContextMiddleware, metrics=metrics,
                       replica=settings.replica_name)
    add_cors(app, settings.cors_origins)
    app.fast = FastPath(super(ServiceApp, app).__call__,  # outermost: see app.api.fastpath
                        max_body_bytes=settings.max_body_bytes, replica=settings.replica_name)
    for router in routers:  # one level of routers: each level adds to every request's match
        app.include_router(router)
    app.state.allowed_methods = AllowedMethods(
        [*app.router.routes, *(route for router in routers for route in router.routes)])
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the program schema and the problem body as components."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes, tags=app.openapi_tags)
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for route in (r for router in routers for r in router.routes):
        if isinstance(route, APIRoute) and requires_api_key(route.dependant):
            for method in route.methods:
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation["security"] = SECURITY
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    program = Program.model_json_schema(ref_template="#/components/schemas/{model}")
    nodes = program.pop("$defs", {})
    components.update(nodes)
    components["Program"] = program
    document_json_form(schema, ["Program", *nodes])
    for name, component in forwarded_components().items():  # bodies the hosts validate
        components.setdefault(name, component)
    components["ProblemBody"] = ProblemBody.model_json_schema(
        ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operation in (op for path in schema["paths"].values() for op in path.values()):
        _errors_as_problems(operation)
    app.openapi_schema = schema
    return schema


def _errors_as_problems(operation: dict[str, Any]) -> None:
    """Every error reply is application/problem+json, FastAPI's own 422 included."""
    responses = operation.setdefault("responses", {})
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("422", {})
    for status, response in responses.items():
        if int(status) < 400:
            continue
        documented = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {})
        response["content"] = {PROBLEM_MEDIA_TYPE: {
            "schema": {"$ref": "#/components/schemas/ProblemBody"},
            **({"examples": documented["examples"]} if "examples" in documented else {}),
        }}
        response.setdefault("description", "A problem (RFC 9457).")


def _startup_app() -> FastAPI:
    """The served app. A bad setting, or a default device that cannot compute, stops start-up
    with one clear line on stderr (no traceback)."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AUTOGRAD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors())
        raise SystemExit(f"autograd-service: invalid settings: {problems}") from None
    try:
        check_device_computes(settings.device, settings.allowed_devices)
    except ApiError as exc:
        raise SystemExit(f"autograd-service: cannot start on the default device "
                         f"{settings.device!r}: {exc.detail}") from None
    return create_app(settings)


app = _startup_app()
