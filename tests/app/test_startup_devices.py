"""Start-up and readiness against the default device (issue: devices). A bad setting or a
default device that cannot compute stops start-up with one clear line, not a traceback."""

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def _start(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRAD_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", "import app.main"], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env,needle", [
    ({"AUTOGRAD_DEVICE": "tpu"}, "invalid settings: AUTOGRAD_DEVICE"),
    ({"AUTOGRAD_MAX_STEPS": "many"}, "invalid settings: AUTOGRAD_MAX_STEPS"),
    ({"AUTOGRAD_DEVICE": "cuda:7", "AUTOGRAD_ALLOWED_DEVICES": "cpu,cuda:7"},
     "cannot start on the default device 'cuda:7'"),
])
def test_bad_default_device_stops_startup_with_one_line(env, needle):
    if "cuda" in env.get("AUTOGRAD_DEVICE", "") and _cuda_devices() > 7:
        pytest.skip("this machine really has a cuda:7")
    done = _start(env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def _cuda_devices() -> int:
    import engine

    return engine.cuda_device_count()


def test_ready_runs_a_computation_on_the_default_device():
    client = TestClient(create_app(Settings(_env_file=None)))
    reply = client.get("/v1/health/ready")
    assert reply.status_code == 200 and reply.json() == {"status": "ready", "device": "cpu"}


def test_evaluate_on_an_absent_default_device_is_device_unavailable(monkeypatch):
    device_module = sys.modules["engine.device"]  # the module; engine.device is a function
    monkeypatch.setattr(device_module, "_cache", {"cpu": device_module.CPU})
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 0)
    settings = Settings(_env_file=None, device="cuda", allowed_devices=["cpu", "cuda"])
    client = TestClient(create_app(settings))
    reply = client.post("/v1/evaluate", json={"source": "1 + 1"})
    assert reply.status_code == 503
    assert reply.json()["code"] == "device_unavailable"
    assert client.get("/v1/health/ready").status_code == 503
