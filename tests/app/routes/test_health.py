def test_live_answers_ok(client):
    reply = client.get("/v1/health/live")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_ready_when_the_device_works(client):
    assert client.get("/v1/health/ready").json() == {"status": "ready", "device": "cpu"}


def test_health_needs_no_api_key(make_client):
    client = make_client(api_keys=["k"])
    assert client.get("/v1/health/live").status_code == 200
    assert client.get("/v1/health/ready").status_code == 200


def test_module_level_app_answers():
    from fastapi.testclient import TestClient

    from app.main import app

    assert TestClient(app).get("/v1/health/live").status_code == 200
