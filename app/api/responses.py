"""Request and reply classes: JSON via orjson both ways (NumPy-aware on the way out)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
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


class OrjsonRoute(APIRoute):
    """Every route of the service reads its body with :class:`OrjsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_orjson(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return with_orjson
