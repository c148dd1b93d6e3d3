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


def test_ready_means_a_session_host_is_up(make_app):
    from fastapi.testclient import TestClient

    app = make_app()
    client = TestClient(app)  # no lifespan: nothing started a host yet
    assert not app.state.pool.hosts
    assert client.get("/v1/health/ready").status_code == 200
    assert app.state.pool.warm and app.state.pool.hosts


def test_not_ready_while_the_first_host_starts(make_app):
    from fastapi.testclient import TestClient

    app = make_app()

    async def still_starting(wait_s: float = 0.0) -> bool:
        return False

    app.state.pool.warm_up = still_starting
    reply = TestClient(app).get("/v1/health/ready")
    assert reply.status_code == 503 and reply.json()["code"] == "server_busy"
    assert reply.headers["retry-after"] == "1"
