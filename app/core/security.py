"""API keys: who is calling, as an opaque owner tag (a hash of the key, never the key itself)."""

from __future__ import annotations

import hashlib
import hmac

from app.core.errors import Unauthorized

ANONYMOUS = "anonymous"


def owner_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return None


def authenticate(key: str | None, accepted: list[str]) -> str:
    """The caller's owner tag; ``anonymous`` when no keys are configured; else 401."""
    if not accepted:
        return ANONYMOUS
    if key is None:
        raise Unauthorized("An API key is required: send X-API-Key or Authorization: Bearer.")
    matched = False
    for candidate in accepted:  # compare against every key: timing says nothing about which
        matched |= hmac.compare_digest(key.encode(), candidate.encode())
    if not matched:
        raise Unauthorized("The API key is not valid.")
    return owner_of(key)
