"""API keys: X-API-Key or Bearer, 401 with WWW-Authenticate, per-key session ownership."""

import pytest

from tests.app.helpers import assert_problem, run

KEYS = ["key-one", "key-two"]


@pytest.fixture
def client(make_client):
    return make_client(api_keys=KEYS)


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"},
                                     {"authorization": "Bearer wrong"},
                                     {"authorization": "Basic a2V5LW9uZQ=="}])
def test_missing_or_wrong_key_is_401_with_challenge(client, headers):
    reply = client.post("/v1/sessions", headers=headers)
    assert_problem(reply, 401, "unauthorized")
    assert reply.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/v1/sessions", "/v1/ops"])
def test_every_api_route_needs_a_key_except_open_ones(client, path):
    # /v1/ops and /v1/schema are documentation of the language: open, like health and metrics
    reply = client.get(path)
    assert reply.status_code == (401 if path == "/v1/sessions" else 200)


@pytest.mark.parametrize("headers", [{"x-api-key": "key-one"},
                                     {"authorization": "Bearer key-one"}])
def test_either_header_works(client, headers):
    assert client.post("/v1/sessions", headers=headers).status_code == 201


def test_sessions_belong_to_their_key(client):
    one, two = {"x-api-key": "key-one"}, {"x-api-key": "key-two"}
    sid = client.post("/v1/sessions", headers=one).json()["id"]
    assert client.get(f"/v1/sessions/{sid}", headers=one).status_code == 200
    assert_problem(client.get(f"/v1/sessions/{sid}", headers=two), 404, "not_found")
    assert_problem(run(client, sid, "1", headers=two), 404, "not_found")
    assert_problem(client.delete(f"/v1/sessions/{sid}", headers=two), 404, "not_found")
    assert_problem(client.get(f"/v1/sessions/{sid}/variables/x", headers=two), 404, "not_found")
    assert client.get("/v1/sessions", headers=two).json()["sessions"] == []
    assert len(client.get("/v1/sessions", headers=one).json()["sessions"]) == 1


def test_openapi_declares_both_schemes(client):
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey", "http"}
