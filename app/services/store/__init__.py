"""Durable session state: the store interface and its backends (see ``base``)."""

from __future__ import annotations

from app.services.store.base import Entry, SessionRecord, StaleFence, StateStore
from app.services.store.sqlite import SqliteStore


def open_store(state_dir: str, *, sync: str = "normal") -> StateStore:
    """The configured backend (SQLite in ``state_dir``; issue 16 adds ``AUTOGRAD_STATE_URL``)."""
    return SqliteStore(state_dir, sync=sync)


__all__ = ["Entry", "SessionRecord", "StaleFence", "StateStore", "SqliteStore", "open_store"]
