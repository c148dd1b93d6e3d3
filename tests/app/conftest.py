"""Fixtures for the service tests: an app per test (own settings, own metrics registry)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.services.hosts.zygote import shared_zygote

STATE_ROOT = tempfile.mkdtemp(prefix="autograd-tests-")
atexit.register(shutil.rmtree, STATE_ROOT, ignore_errors=True)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: the environment and any .env file are ignored; each gets a session
    store of its own (a fresh folder)."""
    overrides.setdefault("state_dir", tempfile.mkdtemp(dir=STATE_ROOT))
    return Settings(_env_file=None, **overrides)


@pytest.fixture(scope="session", autouse=True)
def _zygote_started() -> None:
    """The process's host factory, started once before the first test (a readiness check
    answers 503 while it imports, which a test's first request must not see)."""
    shared_zygote().start()


@pytest.fixture
def make_app() -> Iterator[Callable[..., FastAPI]]:
    apps: list[FastAPI] = []

    def build(**overrides: Any) -> FastAPI:
        app = create_app(make_settings(**overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:  # the hosts of an app whose lifespan never ran (no `with client`)
        app.state.pool.close_now()


@pytest.fixture
def make_client(make_app: Callable[..., FastAPI]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def build(*, raise_server_exceptions: bool = True, **overrides: Any) -> TestClient:
        client = TestClient(make_app(**overrides), raise_server_exceptions=raise_server_exceptions)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def session_id(client: TestClient) -> str:
    reply = client.post("/v1/sessions", json={"seed": 0})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]
