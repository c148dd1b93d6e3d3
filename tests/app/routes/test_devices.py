"""Sessions take a device; anything not allowed or not there is device_unavailable."""

import pytest

from tests.app.helpers import assert_problem


@pytest.mark.parametrize("device", ["npu", "cuda:x", "tpu"])
def test_malformed_device_is_400(client, device):
    assert_problem(client.post("/v1/sessions", json={"device": device}), 400,
                   "device_unavailable")


def test_device_not_allowed_is_400(make_client):
    client = make_client(allowed_devices=["cpu"])
    body = assert_problem(client.post("/v1/sessions", json={"device": "cuda"}), 400,
                          "device_unavailable")
    assert body["device"] == "cuda"


def test_allowed_but_absent_device_is_503(client):
    from app.services.devices import resolve_device

    try:
        resolve_device("cuda:7", ["cpu", "cuda"])
    except Exception:
        pass
    else:  # pragma: no cover - a machine with eight GPUs
        pytest.skip("cuda:7 exists here")
    assert_problem(client.post("/v1/sessions", json={"device": "cuda:7"}), 503,
                   "device_unavailable")


def test_cpu_session(client):
    assert client.post("/v1/sessions", json={"device": "CPU"}).json()["device"] == "cpu"
