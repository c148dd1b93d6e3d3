"""The service on a real CUDA device (marked ``gpu``; skipped without CuPy and a GPU): a session
on ``cuda`` runs the seed chapter with the chapter's values, and a service whose default device
is ``cuda`` starts, is ready and evaluates there."""

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

pytestmark = pytest.mark.gpu

SEED = [
    ("x = torch.arange(4.0, requires_grad=True)\nx",
     "tensor([0., 1., 2., 3.], device='cuda:0', requires_grad=True)"),
    ("y = 2 * torch.dot(x, x)\ny", "tensor(28., device='cuda:0', grad_fn=<MulBackward0>)"),
    ("y.backward()\nx.grad", "tensor([ 0.,  4.,  8., 12.], device='cuda:0')"),
    ("x.grad == 4 * x", "tensor([True, True, True, True], device='cuda:0')"),
    ("x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
     "tensor([1., 1., 1., 1.], device='cuda:0')"),
]


def test_seed_chapter_in_a_cuda_session():
    client = TestClient(create_app(Settings(_env_file=None, allowed_devices=["cpu", "cuda"])))
    created = client.post("/v1/sessions", json={"device": "cuda"})
    assert created.status_code == 201 and created.json()["device"] == "cuda:0"
    sid = created.json()["id"]
    for source, want in SEED:
        reply = client.post(f"/v1/sessions/{sid}/run", json={"source": source})
        assert reply.status_code == 200, reply.text
        result = reply.json()["result"]
        assert result["repr"] == want and result["device"] == "cuda:0"
    got = client.get(f"/v1/sessions/{sid}/variables/x").json()
    assert got["grad"]["data"] == [1.0, 1.0, 1.0, 1.0]


def test_service_with_cuda_as_default_device():
    client = TestClient(create_app(Settings(_env_file=None, device="cuda",
                                            allowed_devices=["cpu", "cuda"])))
    assert client.get("/v1/health/ready").json() == {"status": "ready", "device": "cuda:0"}
    reply = client.post("/v1/evaluate", json={
        "source": "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\n"
                  "y.backward()", "gradients": ["x"]})
    assert reply.status_code == 200, reply.text
    assert reply.json()["gradients"]["x"]["data"] == [0.0, 4.0, 8.0, 12.0]
    assert reply.json()["gradients"]["x"]["device"] == "cuda:0"
