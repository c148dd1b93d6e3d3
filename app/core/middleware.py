"""Pure ASGI middleware: request ids, request metrics, the body-size limit, last-resort 500s.

Pure ASGI (not ``BaseHTTPMiddleware``) so that nothing buffers a body or breaks cancellation.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_MEDIA_TYPE, LimitExceeded, Problem, problem_for, render_problem
from app.core.metrics import Metrics

logger = logging.getLogger("app.errors")

REQUEST_ID_HEADER = b"x-request-id"
REPLICA_HEADER = b"x-autograd-replica"
"""Names the replica that served the request (many replicas behind a proxy)."""
_CLIENT_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


async def _send_problem(send: Send, problem: Problem, scope: Scope, request_id: str) -> None:
    body = render_problem(problem, instance=scope.get("path"), request_id=request_id)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Outermost: gives every request an id (the client's ``X-Request-ID`` if sane), puts it on
    every reply with the serving replica's name (``X-Autograd-Replica``), records request
    metrics by route template, and turns an exception nothing else handled into a logged 500
    problem."""

    def __init__(self, app: ASGIApp, metrics: Metrics, replica: str | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.replica = [(REPLICA_HEADER, replica.encode())] if replica else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER)
        request_id = given.decode() if given and _CLIENT_ID.match(given) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()),
                                      (REQUEST_ID_HEADER, request_id.encode()), *self.replica]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.error("unhandled error (request %s %s %s)", request_id, scope.get("method"),
                         scope.get("path"), exc_info=exc)
            if started:
                raise
            problem = problem_for(exc)
            self.metrics.errors.labels(code=problem.code).inc()
            await _send_problem(send_with_id, problem, scope, request_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(scope.get("method", ""), template, status,
                                         time.perf_counter() - start)


class BodyLimitMiddleware:
    """Answers ``413 limit_exceeded`` once a request body passes ``max_bytes``: at once from
    ``Content-Length``, else while the body streams in (nothing past the limit is buffered)."""

    def __init__(self, app: ASGIApp, max_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.metrics = metrics

    def _problem(self) -> Problem:
        error = LimitExceeded(
            f"The request body is larger than {self.max_bytes} bytes.",
            status=413, limit="max_body_bytes", value=self.max_bytes,
        )
        return problem_for(error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id", "")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            self.metrics.errors.labels(code="limit_exceeded").inc()
            await _send_problem(send, self._problem(), scope, request_id)
            return

        received = 0
        overflow = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflow = True
                    raise LimitExceeded("request body too large", status=413)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflow and not started:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not overflow or started:
                raise
        if overflow and not started:
            self.metrics.errors.labels(code="limit_exceeded").inc()
            await _send_problem(send, self._problem(), scope, request_id)
