from fastapi.testclient import TestClient

from app.main import app


def test_live_answers_ok():
    client = TestClient(app)
    reply = client.get("/v1/health/live")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}
