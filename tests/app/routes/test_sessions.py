"""POST/GET/DELETE /v1/sessions."""

from datetime import datetime

from tests.app.helpers import assert_problem, run


def test_create_answers_201_location_and_the_session(client):
    reply = client.post("/v1/sessions", json={"seed": 1, "ttl_s": 120})
    assert reply.status_code == 201
    body = reply.json()
    assert reply.headers["location"] == f"/v1/sessions/{body['id']}"
    assert body["device"] == "cpu" and "mode" not in body
    created = datetime.fromisoformat(body["created_at"])
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs((expires - created).total_seconds() - 120) < 1


def test_create_without_a_body(client):
    assert client.post("/v1/sessions").status_code == 201


def test_get_shows_variables_and_memory(client, session_id):
    assert run(client, session_id,
               "x = torch.arange(4.0, requires_grad=True)\nn = 3").status_code == 200
    body = client.get(f"/v1/sessions/{session_id}").json()
    assert body["memory_bytes"] >= 16
    variables = {v["name"]: v for v in body["variables"]}
    assert variables["x"] == {"name": "x", "kind": "tensor", "shape": [4], "dtype": "float32",
                              "requires_grad": True, "grad_fn": None, "grad": None}
    assert variables["n"]["kind"] == "number"


def test_list_shows_only_own_sessions(client, session_id):
    listed = client.get("/v1/sessions").json()["sessions"]
    assert [s["id"] for s in listed] == [session_id]


def test_delete_then_everything_is_404(client, session_id):
    assert client.delete(f"/v1/sessions/{session_id}").status_code == 204
    assert_problem(client.get(f"/v1/sessions/{session_id}"), 404, "not_found")
    assert_problem(client.delete(f"/v1/sessions/{session_id}"), 404, "not_found")
    assert_problem(run(client, session_id, "1"), 404, "not_found")


def test_unknown_session_is_404(client):
    assert_problem(client.get("/v1/sessions/s_nope"), 404, "not_found")


def test_expired_session_is_the_same_404(make_client):
    import time

    client = make_client(session_ttl_s=0.2)
    sid = client.post("/v1/sessions").json()["id"]
    time.sleep(0.3)
    assert_problem(client.get(f"/v1/sessions/{sid}"), 404, "not_found")


def test_session_cap_is_429(make_client):
    client = make_client(max_sessions=2)
    for _ in range(2):
        assert client.post("/v1/sessions").status_code == 201
    assert_problem(client.post("/v1/sessions"), 429, "too_many_sessions")


def test_ttl_above_the_maximum_is_invalid(make_client):
    client = make_client(max_session_ttl_s=60)
    body = assert_problem(client.post("/v1/sessions", json={"ttl_s": 61}), 422, "invalid_request")
    assert body["pointer"] == "#/ttl_s"


def test_seed_makes_runs_reproducible(client):
    values = []
    for _ in range(2):
        sid = client.post("/v1/sessions", json={"seed": 42}).json()["id"]
        values.append(run(client, sid, "torch.randn(3)").json()["result"]["data"])
    assert values[0] == values[1]


def test_culler_frees_expired_sessions_in_the_background(make_client):
    import time

    client = make_client(session_ttl_s=0.1, cull_interval_s=0.05)
    with client:  # runs the lifespan, which starts the culler
        client.post("/v1/sessions")
        store = client.app.state.store
        assert len(store) == 1
        deadline = time.monotonic() + 5
        while len(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(store) == 0
