"""Scale-out benchmark: replicas behind nginx (deploy/nginx) sharing a Redis store.

Starts a redis-server, three replicas (``python -m app``, AUTOGRAD_HOSTS each) and nginx with
the scale compose's configuration, all on loopback (Debian's redis-server, nginx-light and wrk).
Measures, interleaved over rounds (medians):

- evaluate throughput (the seed program, wrk, 16 connections) with 1, 2 and 3 replicas behind
  nginx, and with one replica reached directly;
- the latency nginx adds: one connection, sequential requests, p50/p99 through nginx (one
  replica behind it) against the same replica directly;
- the latency of a session restore: a request for a session whose last request ran on another
  replica (the lease changes hands, the session is replayed from its log in Redis) against the
  same request on the replica that holds it.

    .venv/bin/python benchmarks/scale_bench.py [--seconds 5] [--rounds 2] [--hosts 2]

Loopback only; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from http_bench import load_wrk  # noqa: E402

from tests.live_server import free_port  # noqa: E402

SEED = {"source": "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\n"
                  "y.backward()", "gradients": ["x"]}
SETUP = ["x = torch.arange(4.0, requires_grad=True)", "y = 2 * torch.dot(x, x)",
         "def f(a):\n    return a * 3", "w = torch.randn(64, 64, requires_grad=True)",
         "loss = (w @ w).sum()"]


def wait_for(url: str, within_s: float = 120) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1,
                                                   round(0.99 * (len(ordered) - 1)))]


def sequential_ms(client: httpx.Client, url: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        reply = client.post(url, json=SEED)
        out.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text
    return out


def restore_ms(a: str, b: str, pairs: int, lease_s: float) -> tuple[list[float], list[float]]:
    """(warm, restored) latencies of GET variable: alternately on the replica that holds the
    session (warm) and on the other one, once the lease lapsed (restored)."""
    warm, restored = [], []
    with httpx.Client(timeout=60) as client:
        sid = client.post(f"{a}/v1/sessions", json={"seed": 1}).json()["id"]
        for cell in SETUP:
            assert client.post(f"{a}/v1/sessions/{sid}/run",
                               json={"source": cell}).status_code == 200
        here, there = a, b
        client.get(f"{here}/v1/sessions/{sid}/variables/x")
        for _ in range(pairs):
            started = time.perf_counter()
            assert client.get(f"{here}/v1/sessions/{sid}/variables/x").status_code == 200
            warm.append((time.perf_counter() - started) * 1000)
            time.sleep(lease_s * 1.5)  # the holder's lease lapses (no request in flight)
            started = time.perf_counter()
            reply = client.get(f"{there}/v1/sessions/{sid}/variables/x")
            restored.append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200, reply.text
            here, there = there, here
    return warm, restored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=2, help="AUTOGRAD_HOSTS per replica")
    parser.add_argument("--latency-requests", type=int, default=400)
    parser.add_argument("--restores", type=int, default=40)
    args = parser.parse_args()
    for tool in ("redis-server", "nginx", "wrk"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"needs {tool} (apt-get install redis-server nginx-light wrk)")

    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="autograd-scale-bench-"))
    procs: list[subprocess.Popen] = []
    lease_s = 0.2
    try:
        redis_port = free_port()
        procs.append(start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                            "--dir", str(folder)]))
        ports = [free_port() for _ in range(3)]
        for i, port in enumerate(ports, 1):
            procs.append(start([sys.executable, "-m", "app"], {
                "AUTOGRAD_HOST": "127.0.0.1", "AUTOGRAD_PORT": str(port),
                "AUTOGRAD_STATE_URL": f"redis://127.0.0.1:{redis_port}/0",
                "AUTOGRAD_REPLICA": f"r{i}", "AUTOGRAD_HOSTS": str(args.hosts),
                "AUTOGRAD_HOSTS_WARM": str(args.hosts), "AUTOGRAD_LEASE_S": str(lease_s),
                "AUTOGRAD_SESSION_ID_HEADER": "X-Autograd-Session-Id", "AUTOGRAD_API_KEYS": "",
                "AUTOGRAD_LOG_LEVEL": "warning", "AUTOGRAD_DEVICE": "cpu"}))
        upstreams = folder / "upstreams"
        nginx_port = free_port()

        def behind(count: int) -> None:
            upstreams.write_text(",".join(f"127.0.0.1:{p}" for p in ports[:count]))
            time.sleep(1.5)  # start.sh re-reads every 0.5 s, then reloads

        behind(1)
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        procs.append(start(["sh", str(ROOT / "deploy/nginx/start.sh")], {
            "AUTOGRAD_UPSTREAMS_FILE": str(upstreams), "AUTOGRAD_RESOLVE_S": "0.5",
            "AUTOGRAD_NGINX_LISTEN": f"127.0.0.1:{nginx_port}",
            "AUTOGRAD_NGINX_RUN_DIR": str(folder / "nginx"),
            "PATH": f"{os.path.dirname(nginx_bin)}:{os.environ['PATH']}"}))
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/v1/health/ready")
        proxy = f"http://127.0.0.1:{nginx_port}"
        wait_for(f"{proxy}/nginx/health")
        direct = f"http://127.0.0.1:{ports[0]}"
        body = json.dumps(SEED).encode()

        throughput: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for label, url, count in (("direct, 1 replica", direct, 1),
                                      ("nginx, 1 replica", proxy, 1),
                                      ("nginx, 2 replicas", proxy, 2),
                                      ("nginx, 3 replicas", proxy, 3)):
                behind(count)
                result = load_wrk(f"{url}/v1/evaluate", body, args.seconds, 16)
                assert result["errors"] == 0, result
                throughput.setdefault(label, []).append(result["rps"])
                time.sleep(0.5)
        behind(1)
        latency: dict[str, list[float]] = {"direct": [], "nginx": []}
        with httpx.Client(timeout=30) as client:
            sequential_ms(client, f"{direct}/v1/evaluate", 50)  # warm-up
            sequential_ms(client, f"{proxy}/v1/evaluate", 50)
            block = 50
            for _ in range(max(1, args.latency_requests // block)):
                latency["direct"] += sequential_ms(client, f"{direct}/v1/evaluate", block)
                latency["nginx"] += sequential_ms(client, f"{proxy}/v1/evaluate", block)
        warm, restored = restore_ms(direct, f"http://127.0.0.1:{ports[1]}", args.restores,
                                    lease_s)
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(folder, ignore_errors=True)

    base = statistics.median(throughput["nginx, 1 replica"])
    print(f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"evaluate throughput (seed program, wrk -c16, {args.seconds} s x {args.rounds} "
          f"rounds, {os.cpu_count()} CPUs, AUTOGRAD_HOSTS={args.hosts} per replica):")
    for label, values in throughput.items():
        median = statistics.median(values)
        rounds = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {label:<18} {median:8.0f} req/s  ({median / base:.2f}x nginx, 1 replica; "
              f"rounds {rounds})")
    d50, d99 = percentiles(latency["direct"])
    n50, n99 = percentiles(latency["nginx"])
    print(f"latency, one connection, {len(latency['direct'])} requests each (ms):")
    print(f"  direct       p50 {d50:6.2f}  p99 {d99:6.2f}")
    print(f"  nginx        p50 {n50:6.2f}  p99 {n99:6.2f}   added: p50 {n50 - d50:+.2f}, "
          f"p99 {n99 - d99:+.2f}")
    w50, w99 = percentiles(warm)
    r50, r99 = percentiles(restored)
    print(f"session restore ({len(SETUP)} logged runs, GET variable, {len(warm)} each, ms):")
    print(f"  on its replica   p50 {w50:6.2f}  p99 {w99:6.2f}")
    print(f"  restored         p50 {r50:6.2f}  p99 {r99:6.2f}   added: p50 {r50 - w50:+.2f}, "
          f"p99 {r99 - w99:+.2f}")


if __name__ == "__main__":
    main()
