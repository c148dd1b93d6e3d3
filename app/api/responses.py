"""Request and reply classes: JSON via orjson both ways (NumPy-aware on the way out)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import Body
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.wire import dumps


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


class RawJSONResponse(Response):
    """A body already serialized (runs serialize in their worker thread, off the event loop)."""

    media_type = "application/json"


class OrjsonRequest(Request):
    """Parses JSON bodies with orjson: a 1M-number body in ~75 ms instead of ~325 ms. Stricter
    than the stdlib (no NaN literals, no lone surrogates), as JSON itself is."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class OrjsonRoute(APIRoute):
    """Every route of the service reads its body with :class:`OrjsonRequest`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def with_orjson(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return with_orjson


class DirectRoute(OrjsonRoute):
    """For the hottest routes (``/v1/evaluate``, a session's run): an endpoint whose parameters
    are the ``Request`` and dependencies that are ``async def dep(request)`` with nothing below
    them (or that have a stand-in in :data:`DIRECT_DEPENDENCIES`) is called straight away,
    past FastAPI's general request handler (content-type sniffing, the dependency solver, exit
    stacks: ~45 µs a request, more with a path parameter and sub-dependencies). Any other
    route, and any request while dependency overrides are set (tests), takes the general
    handler.

    The body is not a parameter: the endpoint forwards it, unparsed, to a session host, which
    validates it against the model the route documents (:func:`forwarded_body`) and answers
    FastAPI's own 422 for a body that does not fit. With OpenTelemetry configured the request's
    span is still recorded, but not FastAPI's inner "dependencies" and "endpoint" spans."""

    def get_route_handler(self) -> Handler:
        plan = _direct_plan(self.dependant)
        if plan is None:
            return OrjsonRoute.get_route_handler(self)
        general = APIRoute.get_route_handler(self)
        request_name, deps = plan
        endpoint = self.dependant.call

        async def direct(request: Request) -> Response:
            request = OrjsonRequest(request.scope, request.receive)
            if request.app.dependency_overrides:
                return await general(request)
            values: dict[str, Any] = {request_name: request}
            try:
                for name, call in deps:  # in declaration order, as FastAPI runs them
                    values[name] = await call(request)
            except NotDirect:  # e.g. a path parameter FastAPI would refuse: its own 422
                return await general(request)
            return await endpoint(**values)

        return direct


class NotDirect(Exception):
    """Raised by a :data:`DIRECT_DEPENDENCIES` stand-in: let FastAPI's general handler answer
    this request (before anything was done for it)."""


DIRECT_DEPENDENCIES: dict[Callable[..., Any], Callable[[Request], Coroutine[Any, Any, Any]]] = {}
"""Dependencies with parameters of their own (a path parameter, sub-dependencies) that a
direct call may still make, through a stand-in ``async def (request)`` that computes the same
value, or raises :class:`NotDirect` where FastAPI would answer differently (a problem it
finds first)."""


def _direct_plan(dependant: Dependant) -> tuple[str, list[tuple[str, Any]]] | None:
    """What a direct call needs (the request's parameter name, the dependencies), or None when
    the route's parameters are more than a direct call handles."""
    if (dependant.path_params or dependant.query_params or dependant.header_params
            or dependant.cookie_params or dependant.body_params
            or dependant.request_param_name is None
            or not inspect.iscoroutinefunction(dependant.call)
            or dependant.response_param_name or dependant.background_tasks_param_name
            or dependant.security_scopes_param_name or dependant.websocket_param_name
            or dependant.http_connection_param_name):
        return None
    deps = []
    for dep in dependant.dependencies:
        stand_in = DIRECT_DEPENDENCIES.get(dep.call)  # type: ignore[arg-type]
        if stand_in is not None and dep.name is not None:
            deps.append((dep.name, stand_in))
            continue
        simple = (dep.request_param_name is not None and not dep.dependencies
                  and not (dep.path_params or dep.query_params or dep.header_params
                           or dep.cookie_params or dep.body_params)
                  and inspect.iscoroutinefunction(dep.call)
                  and len(inspect.signature(dep.call).parameters) == 1)
        if not simple or dep.name is None:
            return None
        deps.append((dep.name, dep.call))
    return dependant.request_param_name, deps


FORWARDED_BODIES: list[tuple[str, Any]] = []
"""Bodies that routes forward unparsed to hosts (parameter name, type): ``app.main`` puts
their JSON Schemas into the OpenAPI document's components (FastAPI only adds the bodies it
parses itself)."""


def _body_schemas(bodies: list[tuple[str, Any]]) -> dict[str, Any]:
    """FastAPI's own OpenAPI document for routes taking these bodies (so that the schemas are
    exactly the ones FastAPI would write for a body parameter of each type)."""
    routes = []
    for number, (name, body) in enumerate(bodies):
        async def endpoint(**_values: Any) -> None: ...

        endpoint.__signature__ = inspect.Signature([inspect.Parameter(  # type: ignore[attr-defined]
            name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[body, Body()])])
        routes.append(APIRoute(f"/{number}", endpoint, methods=["POST"]))
    return get_openapi(title="bodies", version="0", routes=routes)


def forwarded_body(body: Any, *, examples: dict[str, Any] | None = None,
                   name: str = "request") -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body that the route reads itself (and a
    host validates), as FastAPI documents a body parameter ``name`` of type ``body``."""
    FORWARDED_BODIES.append((name, body))
    document = _body_schemas([(name, body)])
    schema = document["paths"]["/0"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    content: dict[str, Any] = {"schema": schema}
    if examples:
        content["examples"] = examples
    return {"requestBody": {"content": {"application/json": content}, "required": True}}


def forwarded_components() -> dict[str, Any]:
    """The components the :func:`forwarded_body` schemas refer to."""
    document = _body_schemas(FORWARDED_BODIES)
    return document.get("components", {}).get("schemas", {})
