"""The serving process moves its start-up heap out of the collector's sight once (as the host
factory does for hosts): a full collection then examines only what came after."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def test_the_first_start_up_freezes_the_heap_once(tmp_path):
    with TestClient(create_app(Settings(_env_file=None, state_dir=str(tmp_path),
                                        hosts_warm=0))):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the app, FastAPI, pydantic, the engine
    with TestClient(create_app(Settings(_env_file=None, state_dir=str(tmp_path / "b"),
                                        hosts_warm=0))):
        assert gc.get_freeze_count() <= frozen  # once per process (frozen objects may die)
