"""Durable session state: the store interface and its backends (see ``base``)."""

from __future__ import annotations

from app.services.store.base import (
    Entry,
    SessionRecord,
    StaleFence,
    StateStore,
    StoreUnavailable,
)
from app.services.store.sqlite import SqliteStore


def open_store(state_dir: str, *, sync: str = "normal", url: str = "") -> StateStore:
    """The configured backend: Redis when ``url`` (``AUTOGRAD_STATE_URL``) is a ``redis://``,
    ``rediss://`` or ``unix://`` URL, else SQLite in ``state_dir``."""
    if url:
        scheme = url.partition("://")[0].lower()
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"AUTOGRAD_STATE_URL must be a redis://, rediss:// or unix:// URL, "
                             f"not {url.split('://')[0]!r}")
        from app.services.store.redis import RedisStore

        return RedisStore(url)
    return SqliteStore(state_dir, sync=sync)


__all__ = ["Entry", "SessionRecord", "StaleFence", "StateStore", "StoreUnavailable",
           "SqliteStore", "open_store"]
