"""The playground (``GET /``), ``/docs`` and ``/redoc``, all from files in ``app/static``.

Those files are built from pinned npm packages by ``web/build.mjs`` and committed, so serving
them needs no Node and no network: nothing comes from a CDN. Asset names carry a content hash,
so they are cached for a year; the pages that name them are revalidated on every load.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from app.api.json_form_doc import REDOC_NAMED_ONLY
from app.core.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
# The playground: only its own scripts (WebAssembly for Graphviz), styles and the API.
PLAYGROUND_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
                  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                  "connect-src 'self'; object-src 'none'; base-uri 'none'; "
                  "frame-ancestors 'none'")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".json": "application/json",
          ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8"}
_COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".txt", ".html"}

router = APIRouter(include_in_schema=False)


class Asset:
    """One static file, read once, with its gzip form and ETag."""

    def __init__(self, path: Path) -> None:
        self.body = path.read_bytes()
        suffix = path.suffix
        self.media_type = _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or \
            "application/octet-stream"
        self.gzipped = gzip.compress(self.body, 6, mtime=0) if suffix in _COMPRESSIBLE else None
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'

    def response(self, request: Request, cache_control: str,
                 headers: dict[str, str] | None = None) -> Response:
        common = {"Cache-Control": cache_control, "ETag": self.etag, **(headers or {})}
        if self.gzipped is not None:
            common["Vary"] = "Accept-Encoding"
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=common)
        if self.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(self.gzipped, media_type=self.media_type,
                            headers={**common, "Content-Encoding": "gzip"})
        return Response(self.body, media_type=self.media_type, headers=common)


@cache
def manifest() -> dict[str, str]:
    """Logical asset name (``playground.js``) to its hashed file name."""
    return json.loads((STATIC_DIR / "manifest.json").read_text())


@cache
def asset(name: str) -> Asset | None:
    """The file ``name`` in app/static, when it is one the build wrote (never a path)."""
    if name != Path(name).name or name.startswith("."):
        return None
    path = STATIC_DIR / name
    return Asset(path) if path.is_file() else None


def asset_url(logical: str) -> str:
    return f"/static/{manifest()[logical]}"


@router.get("/")
async def playground(request: Request) -> Response:
    page = asset("index.html")
    if page is None:
        raise NotFound("The playground is not built: run `make web`.")
    return page.response(request, PAGE_CACHE, {"Content-Security-Policy": PLAYGROUND_CSP})


@router.get("/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    found = asset(name)
    if found is None or name == "index.html":
        raise NotFound(f"No static file {name!r}.")
    hashed = name in manifest().values()  # a new build gives it a new name
    return found.response(request, ASSET_CACHE if hashed else PAGE_CACHE)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json", title="autograd-service: API docs",
        swagger_js_url=asset_url("swagger-ui-bundle.js"),
        swagger_css_url=asset_url("swagger-ui.css"),
        swagger_favicon_url=asset_url("favicon.svg"),
        swagger_ui_parameters={"tryItOutEnabled": True},
    )
    page.headers["Cache-Control"] = PAGE_CACHE
    return page


# Redoc's options, as attributes of its element. Expr and Stmt by name only: expanded, the JSON
# form's recursion makes Redoc build models without end (app/api/json_form_doc.py).
REDOC_OPTIONS = {"ignore-named-schemas": ",".join(REDOC_NAMED_ONLY)}


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    page = get_redoc_html(
        openapi_url="/openapi.json", title="autograd-service: API reference",
        redoc_js_url=asset_url("redoc.standalone.js"),
        redoc_favicon_url=asset_url("favicon.svg"), with_google_fonts=False,
    )
    element = '<redoc spec-url="/openapi.json">'
    html = page.body.decode()
    if element not in html:  # FastAPI changed its page: the options would be lost
        raise RuntimeError("FastAPI's Redoc page has no <redoc spec-url> element any more")
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in REDOC_OPTIONS.items())
    html = html.replace(element, element[:-1] + attributes + ">")
    return HTMLResponse(html, headers={"Cache-Control": PAGE_CACHE})
