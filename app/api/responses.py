"""Reply classes: JSON via orjson (NumPy-aware), and pre-serialized bytes from a worker thread."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from app.wire import dumps


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


class RawJSONResponse(Response):
    """A body already serialized (runs serialize in their worker thread, off the event loop)."""

    media_type = "application/json"
