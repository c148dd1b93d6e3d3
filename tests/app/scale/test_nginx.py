"""The scale compose's nginx (deploy/nginx) in front of stand-in replicas that say who they are:
sessions routed by a consistent hash of their id, new sessions born where the hash will send
them, ~1/N of sessions moving when a replica joins, a dead replica skipped, stateless requests
spread, X-Request-ID passed through."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.nginx_server import nginx_proxy

SESSIONS = 240


class Replica:
    """An HTTP server answering every request with its name and the headers it got."""

    def __init__(self, name: str) -> None:
        replica = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                replica.connections.add(self.connection)

            def finish(self) -> None:
                replica.connections.discard(self.connection)
                super().finish()

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                body = json.dumps({"replica": replica.name, "path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}}
                                  ).encode()
                self.send_response(201 if self.command == "POST" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Autograd-Replica", replica.name)
                self.send_header("X-Request-ID", self.headers.get("x-request-id", ""))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.name = name
        self.connections: set[socket.socket] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """As a killed process: the listener and every open connection close."""
        self.server.shutdown()
        self.server.server_close()
        for connection in list(self.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def replicas():
    made: list[Replica] = []

    def make(count: int) -> list[Replica]:
        new = [Replica(f"r{len(made) + i + 1}") for i in range(count)]
        made.extend(new)
        return new

    yield make
    for replica in made:
        replica.stop()


def where(client: httpx.Client, ids: list[str]) -> dict[str, str]:
    """The replica that answers each session's request. nginx's own 503 ("server_busy", with
    Retry-After) is what a client retries, as the contract says; CI once met one right after
    a reload on a loaded machine, so a request is tried up to three times before it fails."""
    found = {}
    for sid in ids:
        for attempt in range(3):
            reply = client.get(f"/v1/sessions/{sid}/variables/x")
            body = reply.json()
            if "replica" in body or reply.status_code != 503 or attempt == 2:
                break
            assert body.get("code") == "server_busy", body
            time.sleep(float(reply.headers.get("retry-after", 1)) / 4)
        assert "replica" in body, (reply.status_code, body)
        found[sid] = body["replica"]
    return found


def test_sessions_are_routed_by_a_consistent_hash_of_their_id(replicas):
    three = replicas(3)
    ids = ["s_" + secrets.token_urlsafe(18) for _ in range(SESSIONS)]
    with nginx_proxy([r.port for r in three]) as nginx, httpx.Client(base_url=nginx.url) as client:
        placed = where(client, ids)
        assert where(client, ids) == placed  # every time the same replica
        shares = Counter(placed.values())
        assert set(shares) == {"r1", "r2", "r3"}
        assert min(shares.values()) > SESSIONS * 0.15, shares

        fourth = replicas(1)[0]
        nginx.set_upstreams([r.port for r in [*three, fourth]])
        moved = {sid: r for sid, r in where(client, ids).items() if r != placed[sid]}
        assert set(moved.values()) == {"r4"}  # sessions only move to the new replica
        assert 0.12 < len(moved) / SESSIONS < 0.40, len(moved)  # about 1/4

        three[0].stop()  # a replica dies: its sessions go on elsewhere, the others stay put
        after = where(client, ids)
        for sid, replica in after.items():
            before = moved.get(sid, placed[sid])
            assert replica != "r1"
            if before != "r1":
                assert replica == before


def test_a_new_session_is_born_where_its_id_will_be_routed(replicas):
    three = replicas(3)
    with nginx_proxy([r.port for r in three]) as nginx, httpx.Client(base_url=nginx.url) as client:
        for _ in range(30):
            created = client.post("/v1/sessions", json={},
                                  headers={"X-Autograd-Session-Id": "s_chosen_by_the_client"})
            proposed = created.json()["headers"]["x-autograd-session-id"]
            assert re.fullmatch(r"s_[0-9a-f]{32}", proposed)
            later = client.get(f"/v1/sessions/{proposed}").json()["replica"]
            assert later == created.json()["replica"]
        # elsewhere a client's proposal never reaches a replica
        other = client.get("/v1/ops", headers={"X-Autograd-Session-Id": "s_" + "a" * 32})
        assert "x-autograd-session-id" not in other.json()["headers"]


def test_stateless_requests_are_spread_and_request_ids_pass_through(replicas):
    three = replicas(3)
    with nginx_proxy([r.port for r in three]) as nginx, httpx.Client(base_url=nginx.url) as client:
        served = Counter(client.get("/v1/ops").json()["replica"] for _ in range(30))
        assert set(served) == {"r1", "r2", "r3"}
        reply = client.post("/v1/evaluate", json={}, headers={"X-Request-ID": "abc-123"})
        assert reply.json()["headers"]["x-request-id"] == "abc-123"
        assert reply.headers.get_list("x-request-id") == ["abc-123"]
        fresh = client.get("/v1/health/live")
        assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
        assert fresh.json()["headers"]["x-request-id"] == fresh.headers["x-request-id"]
        assert reply.headers["x-autograd-replica"] in {"r1", "r2", "r3"}


def test_no_replica_at_all_is_a_503_problem(replicas):
    one = replicas(1)
    with nginx_proxy([one[0].port]) as nginx:
        one[0].stop()
        reply = httpx.post(nginx.url + "/v1/sessions/s_x/run", json={})
        assert reply.status_code == 503
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["code"] == "server_busy"
        assert reply.headers["retry-after"] == "2"
        assert reply.json()["request_id"] == reply.headers["x-request-id"]


def test_replicas_given_by_name_are_resolved(replicas):
    two = replicas(2)  # as compose's `api:8000`, which resolves to every replica's address
    with nginx_proxy([r.port for r in two], by_name=True) as nginx, \
            httpx.Client(base_url=nginx.url) as client:
        served = Counter(client.get("/v1/ops").json()["replica"] for _ in range(20))
        assert set(served) == {"r1", "r2"}
        assert client.get("/v1/sessions/s_abc/variables/x").status_code == 200
