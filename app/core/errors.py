"""Every failure the service reports, and the one place that turns any exception into problem+json.

Routes raise :class:`ApiError` subclasses (or let :class:`app.lang.LangError` and engine errors
through); :func:`problem_for` maps each of them to a :class:`Problem`;
:func:`install_error_handlers` wires that mapping into FastAPI. No route builds an error body
by hand.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

logger = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:autograd:problem:"


class ApiError(Exception):
    """A failure with a stable SPEC §5 ``code``; ``extra`` members go into the problem body."""

    code = "internal_error"
    status = 500
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.headers = headers or {}
        self.extra = {k: v for k, v in extra.items() if v is not None}


class InvalidRequest(ApiError):
    code, status, title = "invalid_request", 422, "Invalid request"


class NotFound(ApiError):
    code, status, title = "not_found", 404, "Not found"


class Unauthorized(ApiError):
    code, status, title = "unauthorized", 401, "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="autograd"'})


class DeviceUnavailable(ApiError):
    code, status, title = "device_unavailable", 400, "Device unavailable"


class TooManySessions(ApiError):
    code, status, title = "too_many_sessions", 429, "Too many sessions"


class LimitExceeded(ApiError):
    code, status, title = "limit_exceeded", 400, "Limit exceeded"


class QuotaExceeded(ApiError):
    """A per-key quota (sessions, concurrent runs, memory); says which and when to retry."""

    code, status, title = "quota_exceeded", 429, "Quota exceeded"

    def __init__(self, detail: str, *, retry_after_s: float = 1.0, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": _seconds(retry_after_s)}, **extra)


class ServerBusy(ApiError):
    """The service's memory budget or capacity is reached, or the process running a request
    stopped; nothing durable is lost and the request may be retried."""

    code, status, title = "server_busy", 503, "Server busy"

    def __init__(self, detail: str, *, retry_after_s: float = 1.0, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": _seconds(retry_after_s)}, **extra)


def _seconds(value: float) -> str:
    return str(max(1, round(value)))


class MethodNotAllowed(ApiError):
    code, status, title = "method_not_allowed", 405, "Method not allowed"


@dataclass
class Problem:
    """An RFC 9457 problem document."""

    status: int
    code: str
    title: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, *, instance: str | None = None, request_id: str | None = None) -> dict:
        body = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


def _pointer(loc: tuple | list) -> str:
    """FastAPI's ``("body", "program", 0)`` becomes the JSON pointer ``#/program/0``."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "#/" + "/".join(escaped) if escaped else "#"


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    for error in exc.errors():
        loc = error.get("loc", ())
        where = loc[0] if loc else "body"
        entry: dict[str, Any] = {"detail": error.get("msg", "invalid"), "in": where}
        if error.get("type") == "json_invalid":  # loc holds a character offset, not a path
            entry["pointer"] = "#"
            entry["position"] = loc[-1] if len(loc) > 1 else 0
        elif where == "body":
            entry["pointer"] = _pointer(loc)
        else:
            entry["name"] = ".".join(str(p) for p in loc[1:])
        errors.append(entry)
    first = errors[0] if errors else {"detail": "invalid request", "pointer": "#"}
    field_name = first.get("pointer") or first.get("name")
    detail = f"{first['detail']} (at {field_name})"
    extra: dict[str, Any] = {"errors": errors}
    if "pointer" in first:
        extra["pointer"] = first["pointer"]
    return Problem(422, "invalid_request", "Invalid request", detail, extra)


def _http_problem(exc: StarletteHTTPException) -> Problem:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        return Problem(404, "not_found", "Not found", "No such resource.", headers=headers)
    if status == 405:
        return Problem(405, "method_not_allowed", "Method not allowed",
                       "This method is not allowed on this resource.", headers=headers)
    if status == 400:
        return Problem(400, "invalid_request", "Bad request", str(exc.detail), headers=headers)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    return Problem(status, code, phrase, str(exc.detail), headers=headers)


def problem_for(exc: BaseException) -> Problem:
    """The one mapping from any exception to the problem the client sees."""
    from app.lang import LangError  # the language layer owns its hierarchy

    if isinstance(exc, ApiError):
        return Problem(exc.status, exc.code, exc.title, exc.detail, dict(exc.extra),
                       dict(exc.headers))
    if isinstance(exc, LangError):
        extra = dict(exc.extra)
        if "location" not in extra and "line" in extra:  # one shape for "where" in every error
            extra["location"] = {k: extra[k] for k in ("line", "col") if k in extra}
        return Problem(exc.status, exc.code, exc.title, exc.detail, extra)
    if isinstance(exc, RequestValidationError):
        return _validation_problem(exc)
    if isinstance(exc, StarletteHTTPException):
        return _http_problem(exc)
    engine_problem = _engine_problem(exc)
    if engine_problem is not None:
        return engine_problem
    return Problem(500, "internal_error", "Internal error",
                   "An unexpected error occurred; quote the request id when reporting it.")


def _engine_problem(exc: BaseException) -> Problem | None:
    """An engine error outside a run (e.g. while binding an input) is the client's mistake."""
    try:
        from engine.errors import EngineError, TensorTooLarge
    except ImportError:  # pragma: no cover - the engine is always there in a real deployment
        return None
    if isinstance(exc, TensorTooLarge):
        return Problem(400, "limit_exceeded", "Limit exceeded", str(exc),
                       {"limit": "max_tensor_elements", "value": getattr(exc, "limit", None)})
    if isinstance(exc, EngineError):
        return Problem(400, "program_error", "Program error", str(exc))
    return None


def render_problem(problem: Problem, *, instance: str | None, request_id: str | None) -> bytes:
    body = problem.body(instance=instance, request_id=request_id)
    try:
        return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY, default=str)
    except orjson.JSONEncodeError:  # e.g. a lone surrogate quoted from the request
        return json.dumps(body, default=str, ensure_ascii=True).encode()


def _allowed_methods(request: Request) -> str:
    """Every method the path supports (see :mod:`app.core.http_methods`)."""
    table = getattr(request.app.state, "allowed_methods", None)
    return table.header(request.scope) if table is not None else ""


def problem_response(request: Request, exc: BaseException) -> Response:
    problem = problem_for(exc)
    if problem.status == 405:
        problem.headers["Allow"] = _allowed_methods(request)
    request_id = getattr(request.state, "request_id", None)
    if problem.code == "internal_error":
        logger.error("unhandled error (request %s %s %s)", request_id, request.method,
                     request.url.path, exc_info=exc)
    elif problem.status >= 500:
        logger.warning("%s (request %s %s %s): %s", problem.code, request_id, request.method,
                       request.url.path, problem.detail)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.errors.labels(code=problem.code).inc()
    return Response(
        render_problem(problem, instance=request.url.path, request_id=request_id),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Known failures are handled here; anything else reaches :class:`RequestContextMiddleware`,
    which answers the same way (a 500 problem) with the request id header still on it."""

    async def handle(request: Request, exc: Exception) -> Response:
        return problem_response(request, exc)

    from app.lang import LangError

    for exc_type in (ApiError, LangError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(exc_type, handle)
    try:
        from engine.errors import EngineError
    except ImportError:  # pragma: no cover
        return
    app.add_exception_handler(EngineError, handle)
