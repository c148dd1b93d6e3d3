"""The path a host puts in its problems (``instance``) is Starlette's ``request.url.path``, read
from the scope without building the URL when nothing in it needs escaping."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from app.services.runner import request_context

PATHS = ["/v1/sessions/s_abc/run", "/v1/evaluate", "/v1/sessions/a b/run",
         "/v1/sessions/a%20b/run", "/v1/sessions/é/run", "/v1/sessions/a;b/run", "//x/run",
         "/a?b", "/a#b", "/a\\b", "/v1/sessions/%3F/run"]


@pytest.mark.parametrize("path", PATHS)
def test_path_is_starlettes(path: str) -> None:
    http = Request({"type": "http", "path": path, "root_path": "", "headers": [],
                    "query_string": b"x=1", "server": ("testserver", 80), "scheme": "http",
                    "state": {"request_id": "r1"}})
    assert request_context(http) == {"path": http.url.path, "rid": "r1"}
