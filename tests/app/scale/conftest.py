"""A redis-server for the whole module set (one process; each test gets a fresh database
through FLUSHDB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.redis_server import redis_server


@pytest.fixture(scope="session")
def redis_url_server() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_url_server: str) -> str:
    import redis

    client = redis.Redis.from_url(redis_url_server)
    client.flushdb()
    client.close()
    return redis_url_server
