"""The two hottest requests, a session's run and ``/v1/evaluate``, answered past the general
ASGI stack.

A plain request of either kind (``POST``, a ``Content-Length`` body small enough to go to a host
inline, no ``Origin``, no dependency overrides) is recognised by its path alone and served
here, outermost: the same checks in the same order as the routes make (the API key, then the
session), the host's reply written as ASGI messages directly, and the same reply headers
(``X-Request-ID``, ``X-Autograd-Replica``, ``Server-Timing``), request metrics and problems as
the middleware and exception handlers give. Every other request, and these when anything about
them is unusual, go through the full stack unchanged. What this skips is layers, not work: the
request-context, body-limit and HEAD middleware wrappers, Starlette's route matching, the route
handler and a ``Response`` object (together ~0.1 ms of the serving process's CPU per request,
`benchmarks/README.md`). :class:`ServiceApp` puts it in front of FastAPI's own ``__call__`` (its
telemetry check, Starlette's error middleware and its wrapper around every ``send``), and the
body is read from ``receive`` itself, without a ``Request``.
"""

from __future__ import annotations

import logging
import mmap
import re
import secrets
import time
from typing import Any

from fastapi import FastAPI
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.responses import OrjsonRequest
from app.core.errors import PROBLEM_MEDIA_TYPE, problem_for, render_problem
from app.core.middleware import REPLICA_HEADER, REQUEST_ID_HEADER
from app.core.security import authenticate, presented_key
from app.services.hosts.protocol import INLINE_MAX
from app.services.runner import TIMINGS, Body, is_json, request_context, to_response

logger = logging.getLogger("app.errors")

RUN_PREFIX = "/v1/sessions/"
RUN_SUFFIX = "/run"
RUN_TEMPLATE = "/v1/sessions/{session_id}/run"
EVALUATE = "/v1/evaluate"
_CLIENT_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
_ESCAPED = re.compile(r"[?#\\]|^//")
"""Paths Starlette's URL escapes (``request_context``)."""
_SKIP = {b"origin", b"transfer-encoding", b"expect"}
"""Headers that send a request the long way (CORS, a streamed body, ``100-continue``)."""


class ServiceApp(FastAPI):
    """The service's FastAPI app, with :class:`FastPath` in front of FastAPI's ``__call__``
    (``fast``, set by ``app.main.create_app``)."""

    fast: FastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast is not None and scope["type"] == "http":
            scope["app"] = self  # as Starlette sets it (the full stack does it again)
            await self.fast(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class FastPath:
    """The outermost ASGI layer: the two hot requests, or ``app`` (the whole stack)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, replica: str | None = None) -> None:
        self.app = app
        self.max_inline = min(INLINE_MAX, max_body_bytes)
        self.replica = [(REPLICA_HEADER, replica.encode())] if replica else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == EVALUATE:
            sid = None
        elif path.startswith(RUN_PREFIX) and path.endswith(RUN_SUFFIX):
            sid = path[len(RUN_PREFIX):-len(RUN_SUFFIX)]
            if not sid or "/" in sid or len(sid) > 64:
                await self.app(scope, receive, send)
                return
        else:
            await self.app(scope, receive, send)
            return
        length = api_key = authorization = request_id = content_type = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if name == b"content-length":
                if length is not None:  # sent twice: the full stack decides
                    length = None
                    break
                length = value
            elif name == b"x-api-key":
                api_key = value if api_key is None else api_key
            elif name == b"authorization":
                authorization = value if authorization is None else authorization
            elif name == b"x-request-id":
                request_id = value if request_id is None else request_id
            elif name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name in _SKIP:
                length = None
                break
        app = scope["app"]
        if (length is None or not length.isdigit() or int(length) > self.max_inline
                or app.dependency_overrides):
            await self.app(scope, receive, send)
            return
        await self._serve(app, scope, receive, send, sid, api_key, authorization, request_id,
                          content_type)

    async def _serve(self, app: Any, scope: Scope, receive: Receive, send: Send,
                     sid: str | None, api_key: bytes | None, authorization: bytes | None,
                     given_id: bytes | None, content_type: bytes | None) -> None:
        started = time.perf_counter()
        request_id = (given_id.decode() if given_id and _CLIENT_ID.match(given_id)
                      else secrets.token_hex(8))
        scope.setdefault("state", {})["request_id"] = request_id
        state = app.state
        template = EVALUATE if sid is None else RUN_TEMPLATE
        status = 500
        extra = [(REQUEST_ID_HEADER, request_id.encode()), *self.replica]
        responding = False
        reply = None
        try:
            owner = authenticate(
                presented_key(api_key.decode("latin-1") if api_key else None,
                              authorization.decode("latin-1") if authorization else None),
                state.settings.api_keys)
            runner = state.runner
            context = request_context(OrjsonRequest(scope, receive)) if _ESCAPED.search(
                scope["path"]) else {"path": scope["path"], "rid": request_id}
            json_body = is_json(content_type.decode("latin-1") if content_type else None)
            if sid is None:
                body = Body(data=await _read(receive), is_json=json_body)
                reply, payload = await runner.stateless_inline("evaluate", owner, body, context)
            else:
                session = await state.store.get(owner, sid)
                body = Body(data=await _read(receive), is_json=json_body)
                reply, payload = await runner.on_session_inline(session, "run", context, body)
            status = reply["status"]
            if isinstance(payload, mmap.mmap):  # a large reply, streamed
                response = to_response(reply, payload)
                responding = True
                await response(scope, receive, _adding(send, extra))
            else:
                start, body = _reply_messages(reply, payload, extra)
                responding = True
                await _send_once(send, start, body)
        except Exception as exc:
            if responding:  # the reply may have begun: nothing else can be sent
                logger.error("error while replying (request %s %s %s)", request_id,
                             scope.get("method"), scope.get("path"), exc_info=exc)
                raise
            status = await self._problem(app, scope, receive, send,
                                         OrjsonRequest(scope, receive), exc, extra)
        finally:
            if reply is not None:
                state.runner.observe("evaluate" if sid is None else "run", reply, started)
            state.metrics.observe_request("POST", template, status,
                                          time.perf_counter() - started)

    @staticmethod
    async def _problem(app: Any, scope: Scope, receive: Receive, send: Send, request: Any,
                       exc: Exception, extra: list[tuple[bytes, bytes]]) -> int:
        """The reply the exception handlers (or, for an exception none handles, the request
        context middleware) give the full stack; its status."""
        handler = None
        for kind in type(exc).__mro__:
            if kind is not Exception and kind in app.exception_handlers:
                handler = app.exception_handlers[kind]
                break
        if handler is None:
            logger.error("unhandled error (request %s %s %s)", scope["state"]["request_id"],
                         scope.get("method"), scope.get("path"), exc_info=exc)
            problem = problem_for(exc)
            app.state.metrics.errors.labels(code=problem.code).inc()
            body = render_problem(problem, instance=scope.get("path"),
                                  request_id=scope["state"]["request_id"])
            start, end = _reply_messages({"status": problem.status, "type": PROBLEM_MEDIA_TYPE,
                                          "headers": problem.headers}, body, extra)
            await send(start)
            await send(end)
            return problem.status
        response = await handler(request, exc)
        await response(scope, receive, _adding(send, extra))
        return response.status_code


async def _read(receive: Receive) -> bytes:
    """The request's body (small: its ``Content-Length`` was checked), as Starlette's
    ``Request.body`` reads it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


def _reply_messages(reply: dict[str, Any], payload: Any,
                    extra: list[tuple[bytes, bytes]]) -> tuple[Message, Message]:
    """The ASGI messages of a host's reply (as :func:`app.services.runner.to_response` and
    Starlette's ``Response`` would send them)."""
    body = bytes(payload)
    media = reply["type"]
    if media.startswith("text/") and "charset=" not in media:
        media += "; charset=utf-8"
    headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1"))
               for k, v in (reply.get("headers") or {}).items()]
    timing = [f"{name};dur={reply[key]:.3f}" for key, name in TIMINGS if key in reply]
    if timing:
        headers.append((b"server-timing", ", ".join(timing).encode()))
    headers += [(b"content-length", str(len(body)).encode()),
                (b"content-type", media.encode("latin-1")), *extra]
    return ({"type": "http.response.start", "status": reply["status"], "headers": headers},
            {"type": "http.response.body", "body": body})


class _Gather:
    """Stands in for uvicorn's transport while a reply's head and body are sent: uvicorn writes
    each with a ``write`` of its own (two system calls, two TCP segments, the client woken for
    the first), this keeps their bytes for one ``write``. A ``close`` (a connection that is not
    kept alive) is done after that write."""

    __slots__ = ("parts", "closing")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def close(self) -> None:
        self.closing = True


async def _send_once(send: Send, start: Message, body: Message) -> None:
    """Sends a reply's two messages through uvicorn's ``send`` so that they reach its transport
    as one ``write``: uvicorn's request cycle (``send.__self__``) writes to its ``transport``
    attribute, which a :class:`_Gather` replaces for the two calls. Any other ``send`` (the
    test client's) gets the two messages as they are. (Before: ``TCP_CORK`` around the two
    writes, two ``setsockopt`` calls, each of which uvloop's socket wrapper makes into a new
    ``socket.socket`` and a ``getsockname``.)"""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "is_closing"):
        await send(start)
        await send(body)
        return
    gather = _Gather()
    cycle.transport = gather
    try:
        await send(start)
        await send(body)
    finally:
        cycle.transport = transport
        if gather.parts and not transport.is_closing():
            transport.write(b"".join(gather.parts))
        if gather.closing:
            transport.close()


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)
    return send_with
