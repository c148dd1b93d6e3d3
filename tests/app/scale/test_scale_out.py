"""The scale proof with processes instead of containers (CI also runs it with containers:
.ci/docker-scale.sh): three replicas (`python -m app`) sharing a redis-server behind
deploy/nginx; one is killed (SIGKILL, with its hosts) and every session goes on with nothing
lost, then a fourth joins and only about 1/N of the sessions move."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port
from tests.nginx_server import nginx_proxy
from tests.redis_server import redis_server
from tests.scale_check import scale_check

ROOT = Path(__file__).resolve().parents[3]


class Replica:
    def __init__(self, name: str, redis_url: str) -> None:
        self.name, self.port = name, free_port()
        env = {**os.environ, "AUTOGRAD_HOST": "127.0.0.1", "AUTOGRAD_PORT": str(self.port),
               "AUTOGRAD_STATE_URL": redis_url, "AUTOGRAD_REPLICA": name,
               "AUTOGRAD_SESSION_ID_HEADER": "X-Autograd-Session-Id", "AUTOGRAD_HOSTS": "2",
               "AUTOGRAD_LEASE_S": "2", "AUTOGRAD_LEASE_WAIT_S": "10",
               "AUTOGRAD_DEVICE": "cpu", "AUTOGRAD_API_KEYS": "", "AUTOGRAD_LOG_LEVEL": "warning"}
        self.proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_ready(self, within_s: float = 120) -> None:
        deadline = time.monotonic() + within_s
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v1/health/ready",
                             timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, f"{self.name} exited"
            assert time.monotonic() < deadline, f"{self.name} not ready"
            time.sleep(0.2)

    def kill(self) -> None:
        """As `docker kill`: the serving process and everything it started, at once."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.mark.slow
def test_replicas_survive_a_kill_and_a_join_with_nothing_lost():
    with redis_server() as url:
        replicas = {f"api-{i}": Replica(f"api-{i}", url) for i in (1, 2, 3)}
        try:
            for replica in replicas.values():
                replica.wait_ready()
            with nginx_proxy([r.port for r in replicas.values()]) as nginx:
                def forget(name: str) -> None:
                    nginx.set_upstreams([r.port for n, r in replicas.items() if n != name])

                def add() -> str:
                    replicas["api-4"] = Replica("api-4", url)
                    replicas["api-4"].wait_ready()
                    nginx.set_upstreams([r.port for n, r in replicas.items()
                                         if r.proc.poll() is None])
                    return "api-4"

                summary = scale_check(nginx.url, ["api-1", "api-2", "api-3"],
                                      lambda name: replicas[name].kill(), forget, add,
                                      sessions=15, log=lambda line: None)
        finally:
            for replica in replicas.values():
                replica.kill()
    assert summary["restored"] > 0 and summary["moved"] > 0
