"""The fault suite: processes killed mid-run and between runs, hung hosts, and sessions that
go on afterwards with everything a 200 promised (variables, grads, functions, the generator).

Bounded in time: every wait here has a deadline; the whole module takes well under a minute.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.services.store.sqlite import FILE_NAME
from tests.app.helpers import assert_problem, ended, kill_hosts, run
from tests.live_server import tree_rss, wait_serving

ROOT = Path(__file__).resolve().parents[2]

SEED_CELLS = [
    "x = torch.arange(4.0, requires_grad=True)",
    "y = 2 * torch.dot(x, x)",
    "def f(a):\n    b = a * 2\n    while b.norm().item() < 1000:\n        b = b * 2\n    return b",
    "r = torch.randn(3)",
]


def _fill(client, sid: str) -> dict:
    for cell in SEED_CELLS:
        assert run(client, sid, cell).status_code == 200
    return run(client, sid, "r").json()["result"]


def _check(client, sid: str, r: dict) -> None:
    """The state the cells left: a graph still there to backward through, a function, the
    random draw, and the generator where it was (the next draw is the same as it would be)."""
    reply = run(client, sid, "y.backward()\nx.grad")
    assert reply.status_code == 200, reply.text
    assert reply.json()["result"]["data"] == [0.0, 4.0, 8.0, 12.0]
    assert run(client, sid, "f(torch.ones(1)).item()").json()["result"] == 1024.0
    assert run(client, sid, "r").json()["result"] == r


def _next_draw(client, sid: str) -> list:
    return run(client, sid, "torch.randn(2)").json()["result"]["data"]


def test_host_killed_mid_run_loses_only_that_run(make_client):
    client = make_client(run_timeout_s=20, max_steps=10**9, max_loop_iterations=10**9)
    sid = client.post("/v1/sessions", json={"seed": 1}).json()["id"]
    twin = client.post("/v1/sessions", json={"seed": 1}).json()["id"]
    r = _fill(client, sid)
    _fill(client, twin)
    pool = client.app.state.pool
    replies = {}

    def long_run() -> None:
        replies["long"] = run(client, sid, "z = 1\ni = 0\nwhile i < 10 ** 8:\n    i = i + 1")

    thread = threading.Thread(target=long_run)
    thread.start()
    deadline = time.monotonic() + 10
    while not any(h.busy and sid in h.sessions for h in pool.hosts):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    host = next(h for h in pool.hosts if sid in h.sessions)
    os.kill(host.pid, signal.SIGKILL)
    thread.join(20)
    problem = assert_problem(replies["long"], 503, "server_busy")
    assert replies["long"].headers["retry-after"]
    assert "stopped" in problem["detail"]
    # the killed run left nothing (z was its first statement); everything before it is there
    assert run(client, sid, "z").json()["code"] == "program_error"
    _check(client, sid, r)
    _check(client, twin, r)  # a session that shared nothing with the kill


def test_every_host_hashes_strings_alike(make_client):
    """Replay runs a session's requests again in another host, maybe after a restart: string
    hashing (the order of sets of strings) must not change between hosts or zygotes."""
    client = make_client()
    assert client.get("/v1/health/ready").status_code == 200
    for host in client.app.state.pool.hosts:
        environ = Path(f"/proc/{host.pid}/environ").read_bytes().split(b"\0")
        assert b"PYTHONHASHSEED=0" in environ  # the zygote's, so its interpreter's secret


def test_a_spare_host_starts_when_none_is_left_idle(make_client):
    """The next request finds a host ready instead of waiting for one to start."""
    client = make_client()
    assert client.post("/v1/evaluate", json={"source": "1"}).status_code == 200
    pool = client.app.state.pool
    deadline = time.monotonic() + 60
    while ((len(pool.hosts) < 2 or any(h.busy for h in pool.hosts))  # the spare starts
           and time.monotonic() < deadline):
        time.sleep(0.05)
    assert len(pool.hosts) == 2 and not any(h.busy for h in pool.hosts)
    assert client.post("/v1/evaluate", json={"source": "2"}).status_code == 200
    time.sleep(0.3)
    assert len(pool.hosts) == 2  # one stayed idle: no more spares


def test_a_host_that_died_idle_is_not_sent_requests(make_client):
    client = make_client()
    sid = client.post("/v1/sessions").json()["id"]
    assert run(client, sid, "kept = 41").status_code == 200
    pool = client.app.state.pool
    deadline = time.monotonic() + 60
    while ((len(pool.hosts) < 2 or any(h.busy for h in pool.hosts))  # its host and a spare
           and time.monotonic() < deadline):
        time.sleep(0.05)
    assert len(pool.hosts) == 2
    for host in list(pool.hosts):  # more dead hosts than a request's two tries
        os.kill(host.pid, signal.SIGKILL)
        assert ended(host.pid)
    assert run(client, sid, "kept + 1").json()["result"] == 42


def test_generator_position_survives_a_restore(make_client):
    client = make_client()
    sid = client.post("/v1/sessions", json={"seed": 5}).json()["id"]
    twin = client.post("/v1/sessions", json={"seed": 5}).json()["id"]
    for s in (sid, twin):
        run(client, s, "a = torch.randn(3)")
    kill_hosts(client)  # every host: both sessions are restored
    assert _next_draw(client, sid) == _next_draw(client, twin)
    assert run(client, sid, "a").json()["result"] == run(client, twin, "a").json()["result"]


def test_hung_host_is_killed_at_the_hard_deadline(make_client):
    client = make_client(run_timeout_s=0.5, run_grace_s=0.5)
    sid = client.post("/v1/sessions").json()["id"]
    assert run(client, sid, "kept = 41").status_code == 200
    pool = client.app.state.pool
    host = next(h for h in pool.hosts if sid in h.sessions)
    os.kill(host.pid, signal.SIGSTOP)  # as stuck as a host can be: it cannot even see a signal
    try:
        started = time.monotonic()
        reply = run(client, sid, "kept = kept + 1")
        took = time.monotonic() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(host.pid, signal.SIGCONT)
    assert ended(host.pid)
    body = assert_problem(reply, 400, "limit_exceeded")
    assert body["limit"] == "timeout_s" and "ended" in body["detail"]
    assert 0.9 <= took < 5
    assert host.dead and host not in pool.hosts
    assert run(client, sid, "kept").json()["result"] == 41  # restored, without the lost run
    assert run(client, sid, "kept = kept + 1\nkept").json()["result"] == 42


# ------------------------------------------------------------------ the serving process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """``python -m app`` in a process of its own, on a state folder that outlives it."""

    def __init__(self, state_dir: Path, address_space: int | None = None,
                 **settings: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "AUTOGRAD_STATE_DIR": str(state_dir), "AUTOGRAD_API_KEYS": "",
               "AUTOGRAD_PORT": str(self.port), "AUTOGRAD_LOG_LEVEL": "warning",
               **{f"AUTOGRAD_{k.upper()}": str(v) for k, v in settings.items()}}

        def limit() -> None:  # as `ulimit -v` (a container's limit is the cgroup's, alike)
            if address_space is not None:
                resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

        self.proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=limit)
        try:  # bounded by the service's own work, not the machine's load (see wait_serving)
            wait_serving(self.proc, f"{self.base}/v1/health/ready", "the service")
        except RuntimeError as error:
            self.proc.kill()
            pytest.fail(f"the service did not start: {error}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, wait_s: float = 30) -> int:
        """SIGTERM, as an orchestrator stops a container; the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def test_service_killed_between_runs_comes_back_with_every_session(tmp_path):
    first = Service(tmp_path)
    try:
        with httpx.Client(base_url=first.base, timeout=30) as client:
            sids = [client.post("/v1/sessions", json={"seed": 2}).json()["id"]
                    for _ in range(2)]
            draws = [_fill(client, sid) for sid in sids]
            client.put(f"/v1/sessions/{sids[0]}/variables/w",
                       json={"type": "tensor", "data": [1.5, 2.5], "requires_grad": True})
    finally:
        first.kill()  # kill -9: no shutdown, no flush
    second = Service(tmp_path)
    try:
        with httpx.Client(base_url=second.base, timeout=30) as client:
            for sid, r in zip(sids, draws):
                _check(client, sid, r)
            w = client.get(f"/v1/sessions/{sids[0]}/variables/w").json()["value"]
            assert w["data"] == [1.5, 2.5] and w["requires_grad"]
            listed = {s["id"] for s in client.get("/v1/sessions").json()["sessions"]}
            assert set(sids) <= listed
    finally:
        second.kill()


def test_service_killed_after_its_logs_were_compacted_restores_from_snapshots(tmp_path):
    """Plain sessions are snapshotted every few entries and their logs cut; after a kill -9
    the restart restores them from snapshot + tail to exactly where replay from the start
    puts a twin (same seed, same requests) whose log is never compacted."""
    step = ("loss = ((w - torch.randn(3)) ** 2).sum()\nloss.backward()\n"
            "with torch.no_grad():\n    w -= 0.1 * w.grad\nw.grad = None\n"
            "hist.append(loss.item())\ndel loss")
    probe = "[w.tolist(), hist, torch.randn(2).tolist()]"
    twin_dir = tmp_path / "twin"
    results = []
    for folder, every in ((tmp_path / "compacted", "2"), (twin_dir, "0")):
        first = Service(folder, snapshot_every=every)
        try:
            with httpx.Client(base_url=first.base, timeout=30) as client:
                sid = client.post("/v1/sessions", json={"seed": 8}).json()["id"]
                for body in ["w = torch.zeros(3, requires_grad=True)\nhist = []"] + [step] * 7:
                    assert client.post(f"/v1/sessions/{sid}/run",
                                       json={"source": body}).status_code == 200
        finally:
            first.kill()
        # what is on disk: a snapshot and a short tail, or the whole log
        with contextlib.closing(sqlite3.connect(folder / FILE_NAME)) as db:
            kept = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            snaps = db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
        assert (kept, snaps) == ((0, 1) if every == "2" else (8, 0))
        second = Service(folder, snapshot_every=every)
        try:
            with httpx.Client(base_url=second.base, timeout=30) as client:
                reply = client.post(f"/v1/sessions/{sid}/run", json={"source": probe})
                assert reply.status_code == 200, reply.text
                results.append(reply.json()["result"])
        finally:
            second.kill()
    assert results[0] == results[1]
    assert len(results[0][1]) == 7


def test_memory_flood_under_a_4_gib_limit(tmp_path):
    """Big replies, full sessions and list-heavy sessions at once, under ``ulimit -v 4G``:
    nothing but 200, 400 and 503 (with Retry-After), the whole process tree stays under the
    limit, and the service serves others afterwards."""
    limit = 4 << 30
    service = Service(tmp_path, address_space=limit, run_timeout_s=60, hosts=6)
    floods = [
        ("evaluate", {"source": "torch.ones(25_000_000)"}),                      # a huge reply
        ("evaluate", {"source": "torch.randn(12_000_000)", "encoding": "base64"}),
        ("session", "xs = []\nfor i in range(5):\n    xs.append(torch.ones(50_000_000))"),
        ("session", "xs = []\nfor i in range(5):\n    xs.append(torch.ones(50_000_000))"),
        ("session", "l = [0.5] * 9_000_000\nm = []\nfor i in range(30):\n    m.append(l * 1)"),
        ("session", "s = 'x' * 9_000_000\nt = []\nfor i in range(200):\n    t.append(s + str(i))"),
    ]
    statuses: list[tuple[int, str | None]] = []
    peak = 0
    try:
        with httpx.Client(base_url=service.base, timeout=120) as client:
            def flood(kind: str, body) -> None:
                for _ in range(2):
                    if kind == "evaluate":
                        reply = client.post("/v1/evaluate", json=body)
                    else:
                        sid = client.post("/v1/sessions").json()["id"]
                        reply = client.post(f"/v1/sessions/{sid}/run", json={"source": body})
                    statuses.append((reply.status_code, reply.headers.get("retry-after")))

            threads = [threading.Thread(target=flood, args=item) for item in floods]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                peak = max(peak, tree_rss(service.proc.pid))
                time.sleep(0.05)
            assert service.proc.poll() is None  # alive
            assert {status for status, _ in statuses} <= {200, 400, 503}, statuses
            assert any(status == 503 for status, _ in statuses), statuses
            assert all(after for status, after in statuses if status == 503)
            assert peak < limit, peak
            sid = client.post("/v1/sessions").json()["id"]  # and the next client is served
            reply = client.post(f"/v1/sessions/{sid}/run", json={"source": "torch.ones(3).sum()"})
            assert reply.status_code == 200, reply.text
            assert client.post("/v1/evaluate", json={"source": "1 + 1"}).json()["result"] == 2
    finally:
        service.kill()
