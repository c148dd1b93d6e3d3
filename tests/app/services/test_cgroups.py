"""A memory cgroup per session host (where the machine allows one): a host that uses more
than ``AUTOGRAD_HOST_MEMORY_MAX`` is ended by the kernel alone; the service and the sessions go
on."""

from __future__ import annotations

import time

import pytest

from tests.app.helpers import assert_problem, run


def test_a_host_past_its_cgroup_is_ended_alone(make_client):
    client = make_client(host_memory_max=96 << 20)
    pool = client.app.state.pool
    if not pool.cgroups.enabled:
        pytest.skip(f"no memory cgroups here: {pool.cgroups.why_not}")
    sid = client.post("/v1/sessions").json()["id"]
    assert run(client, sid, "kept = 41").status_code == 200
    host = next(h for h in pool.hosts if sid in h.sessions)
    group = pool.cgroups.group_of(host.pid)
    assert str(host.pid) in (group / "cgroup.procs").read_text().split()
    assert int((group / pool.cgroups.limit_file).read_text()) <= 96 << 20
    # 160 MB: within the request's address-space grant (256 MiB), past the host's cgroup
    reply = run(client, sid, "big = torch.ones(40_000_000)\nbig.sum().item()")
    assert_problem(reply, 503, "server_busy")
    assert host.dead
    assert run(client, sid, "kept + 1").json()["result"] == 42  # restored in another host
    assert client.get("/v1/health/live").status_code == 200
    deadline = time.monotonic() + 5
    while group.exists() and time.monotonic() < deadline:  # removed once the host has gone
        pool.cgroups._retry_removals()
        time.sleep(0.05)
    assert not group.exists()


def test_without_cgroups_hosts_still_run(make_client, monkeypatch):
    from app.services.hosts import cgroups
    monkeypatch.setattr(cgroups, "ROOT", cgroups.Path("/nonexistent"))
    client = make_client()
    assert not client.app.state.pool.cgroups.enabled
    assert client.post("/v1/evaluate", json={"source": "1 + 1"}).json()["result"] == 2
