"""CORS for browser clients on other origins (``AUTOGRAD_CORS_ORIGINS``; none by default)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]
CORS_REQUEST_HEADERS = ["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"]
CORS_EXPOSED_HEADERS = ["Location", "X-Request-ID", "WWW-Authenticate", "Retry-After"]


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Outermost middleware, so that every reply (problems and 500s included) carries the CORS
    headers a page needs to read it. API keys travel in headers, never cookies: no credentials."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware, allow_origins=origins, allow_methods=CORS_METHODS,
        allow_headers=CORS_REQUEST_HEADERS, expose_headers=CORS_EXPOSED_HEADERS,
        allow_credentials=False, max_age=600,
    )
