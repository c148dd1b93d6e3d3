"""Connection limits uvicorn does not have: the HTTP protocol ``python -m app`` serves with.

uvicorn's httptools protocol, plus:

- a cap on open connections (``AUTOGRAD_MAX_CONNECTIONS``): one more is answered ``503
  server_busy`` with ``Retry-After`` and closed, before it is read;
- a header size limit (``AUTOGRAD_MAX_HEADER_BYTES``): ``431``, then closed;
- a header read timeout (``AUTOGRAD_HEADER_TIMEOUT_S``, from a connection's first byte of a
  request, or from its opening): ``408``, then closed — a slowloris client holds a connection
  for that long at most;
- a body read timeout (``AUTOGRAD_BODY_TIMEOUT_S``, the longest pause between two pieces of a
  body): the connection is closed (the request in progress sees the client gone);
- the idle timeout between requests is uvicorn's keep-alive timeout
  (``AUTOGRAD_IDLE_TIMEOUT_S``).

Every answer here is a problem+json body.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app.core.errors import PROBLEM_MEDIA_TYPE, Problem, render_problem

logger = logging.getLogger("app.connections")


class Limits:
    """What :class:`GuardedHttpToolsProtocol` enforces (set once, before serving)."""

    max_connections = 1000
    max_header_bytes = 32 * 1024
    header_timeout_s = 10.0
    body_timeout_s = 30.0


def configure(settings: Any) -> None:
    Limits.max_connections = settings.max_connections
    Limits.max_header_bytes = settings.max_header_bytes
    Limits.header_timeout_s = settings.header_timeout_s
    Limits.body_timeout_s = settings.body_timeout_s


def _answer(status: int, code: str, title: str, detail: str,
            headers: dict[str, str] | None = None) -> bytes:
    body = render_problem(Problem(status, code, title, detail, headers=headers or {}),
                          instance=None, request_id=None)
    lines = [STATUS_LINE[status],
             f"content-type: {PROBLEM_MEDIA_TYPE}\r\n".encode(),
             f"content-length: {len(body)}\r\n".encode(),
             b"connection: close\r\n"]
    lines += [f"{k.lower()}: {v}\r\n".encode() for k, v in (headers or {}).items()]
    return b"".join(lines) + b"\r\n" + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`Limits`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_headers = False
        self._header_bytes = 0
        self._timer: asyncio.TimerHandle | None = None

    # --------------------------------------------------------------- timers

    def _arm(self, seconds: float, handler: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, handler)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, answer: bytes) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def _headers_too_slow(self) -> None:
        self._timer = None
        if self.cycle is None or self.cycle.response_complete:
            self._refuse(_answer(408, "request_timeout", "Request timeout",
                                 f"The request headers did not arrive within "
                                 f"{Limits.header_timeout_s:g} s."))

    def _body_too_slow(self) -> None:
        self._timer = None
        logger.info("closing a connection whose request body paused for more than %g s",
                    Limits.body_timeout_s)
        if not self.transport.is_closing():
            self.transport.close()

    # --------------------------------------------------------------- protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > Limits.max_connections:
            logger.warning("connection cap of %d reached", Limits.max_connections)
            self._refuse(_answer(503, "server_busy", "Server busy",
                                 f"The service has {Limits.max_connections} connections open, "
                                 "its limit; retry shortly.", {"Retry-After": "1"}))
            return
        self._arm(Limits.header_timeout_s, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._reading_headers and (self.cycle is None or self.cycle.response_complete):
            self._reading_headers = True  # the first bytes of a new request
            self._header_bytes = 0
            self._arm(Limits.header_timeout_s, self._headers_too_slow)
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._reading_headers and self._header_bytes > Limits.max_header_bytes:
            # all of it is request line and headers (the headers are not complete yet)
            self._refuse(_answer(431, "headers_too_large", "Request header fields too large",
                                 f"The request's headers are over {Limits.max_header_bytes} "
                                 "bytes."))
        elif not self._reading_headers and self.cycle is not None and \
                not self.cycle.response_complete and self.cycle.more_body:
            self._arm(Limits.body_timeout_s, self._body_too_slow)  # more of the body came

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._disarm()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._arm(Limits.body_timeout_s, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
