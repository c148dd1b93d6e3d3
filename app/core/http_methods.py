"""HEAD wherever GET is, and the ``Allow`` header of a 405, from the service's own route list.

Both are kept out of FastAPI's routing internals on purpose: FastAPI 0.16x keeps included routers
as lazy ``_IncludedRouter`` objects, which left Starlette's ``Allow`` empty; a table built from
the routes we declare does not depend on how FastAPI nests them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.routing import BaseRoute, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AllowedMethods:
    """Which methods each path of the service answers: ``allowed("/v1/sessions/s_1")``."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._entries: list[tuple[re.Pattern[str], frozenset[str]]] = []
        for route in routes:
            regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
            if regex is not None and methods:
                with_head = set(methods) | ({"HEAD"} if "GET" in methods else set())
                self._entries.append((regex, frozenset(with_head)))

    def allowed(self, path: str) -> set[str]:
        methods: set[str] = set()
        for regex, route_methods in self._entries:
            if regex.match(path):
                methods |= route_methods
        return methods

    def header(self, scope: Scope) -> str:
        """The ``Allow`` value for the request's path (methods in a stable order)."""
        return ", ".join(sorted(self.allowed(get_route_path(scope))))


class HeadAsGetMiddleware:
    """Answers ``HEAD`` as the ``GET`` of the same URL would, headers only (RFC 9110 §9.3.2).

    Starlette does this for its own routes but FastAPI's ``APIRoute`` does not, and listing HEAD
    on every route would double the OpenAPI document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
