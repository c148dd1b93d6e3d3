"""The memory each API key's sessions hold, as the per-key memory quota reads it on every run:
kept as sessions change (not summed over every session of the process per run)."""

from __future__ import annotations

from tests.app.helpers import assert_problem, run


def _summed(registry, owner):
    return sum(s.memory_bytes for s in registry._sessions.values() if s.owner == owner)


def test_the_tally_follows_runs_deletes_and_restarts(make_client):
    client = make_client(api_keys=["a", "b"])
    registry = client.app.state.store
    keys = {"a": {"x-api-key": "a"}, "b": {"x-api-key": "b"}}
    sids = {k: [client.post("/v1/sessions", headers=h).json()["id"] for _ in range(2)]
            for k, h in keys.items()}
    for key, headers in keys.items():
        for n, sid in enumerate(sids[key]):
            assert run(client, sid, f"x = torch.ones({1000 * (n + 1)})",
                       headers=headers).status_code == 200
    owners = {s.owner for s in registry._sessions.values()}
    assert len(owners) == 2
    for owner in owners:
        assert registry.memory_of(owner) == _summed(registry, owner) >= 12_000
    assert client.delete(f"/v1/sessions/{sids['a'][0]}", headers=keys["a"]).status_code == 204
    assert run(client, sids["a"][1], "del x", headers=keys["a"]).status_code == 200
    for owner in owners:
        assert registry.memory_of(owner) == _summed(registry, owner)
    registry.clear()  # as at shutdown: the next request loads the session from the store
    assert all(registry.memory_of(owner) == 0 for owner in owners)
    assert run(client, sids["b"][1], "x.sum().item()", headers=keys["b"]).json()["result"] == 2000.0
    for owner in owners:
        assert registry.memory_of(owner) == _summed(registry, owner)


def test_the_memory_quota_still_refuses(make_client):
    client = make_client(api_keys=["a"], key_max_memory=100_000)
    headers = {"x-api-key": "a"}
    sid = client.post("/v1/sessions", headers=headers).json()["id"]
    assert run(client, sid, "x = torch.ones(50_000)", headers=headers).status_code == 200
    body = assert_problem(run(client, sid, "y = 1", headers=headers), 429, "quota_exceeded")
    assert body["quota"] == "memory"
    assert client.delete(f"/v1/sessions/{sid}/variables/x", headers=headers).status_code == 204
    assert run(client, sid, "y = 1", headers=headers).status_code == 200
