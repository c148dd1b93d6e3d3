"""Isolation benchmarks: noisy neighbours, the cost of a session run, the cost of durability.

Starts the service (``python -m app``, one serving process and its hosts) on a free loopback
port with a fresh state folder, then measures, side by side in one run:

- **noisy neighbours**: the p99 latency of the seed ``/v1/evaluate`` and of a small session
  run, alone and while ``--heavy`` clients (six by default) each run a tiny-op loop in their own
  session back to back; the ratio p99(with neighbours) / p99(alone), goal at most 5x;
- **a session run's overhead**: wall time seen by the client minus the run's own
  ``elapsed_ms``, for a small program (median and p99);
- **durability**: the time a host spends committing a run to the store (``log`` in the reply's
  ``Server-Timing`` header; SQLite with ``AUTOGRAD_STATE_SYNC=normal`` and ``full``), next to
  the whole run.

    .venv/bin/python benchmarks/isolation_bench.py [--seconds 5] [--heavy 6]

Loopback only; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEED_EVALUATE = {
    "inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0], "requires_grad": True}},
    "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny",
    "gradients": ["x"],
}
SMALL_RUN = "y = 2 * torch.dot(x, x)\ny"
HEAVY_RUN = "y = x\nfor i in range(2000):\n    y = y * 1.0001 + 0.0001\ny.sum().item()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    def __init__(self, **settings: str) -> None:
        self.state = tempfile.mkdtemp(prefix="isolation-bench-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "AUTOGRAD_STATE_DIR": self.state, "AUTOGRAD_PORT": str(self.port),
               "AUTOGRAD_LOG_LEVEL": "warning", "AUTOGRAD_API_KEYS": "",
               **{f"AUTOGRAD_{k.upper()}": str(v) for k, v in settings.items()}}
        self.proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/v1/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("the service did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def new_session(client: httpx.Client) -> str:
    sid = client.post("/v1/sessions").json()["id"]
    client.post(f"/v1/sessions/{sid}/run", json={
        "source": "x = torch.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)"}).raise_for_status()
    return sid


def victim(base: str, seconds: float) -> dict[str, list[float]]:
    """Latencies (ms) of seed evaluates and small session runs, alternating, one at a time."""
    lat: dict[str, list[float]] = {"evaluate": [], "run": [], "overhead": []}
    with httpx.Client(base_url=base, timeout=60) as client:
        sid = new_session(client)
        for _ in range(20):  # warm: the host holds the session, caches are full
            client.post("/v1/evaluate", json=SEED_EVALUATE)
            client.post(f"/v1/sessions/{sid}/run", json={"source": SMALL_RUN})
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            started = time.perf_counter()
            reply = client.post("/v1/evaluate", json=SEED_EVALUATE)
            lat["evaluate"].append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200, reply.text
            started = time.perf_counter()
            reply = client.post(f"/v1/sessions/{sid}/run", json={"source": SMALL_RUN})
            wall = (time.perf_counter() - started) * 1000
            assert reply.status_code == 200, reply.text
            lat["run"].append(wall)
            lat["overhead"].append(wall - reply.json()["stats"]["elapsed_ms"])
            time.sleep(0.002)
    return lat


def heavy_client(base: str, stop: Any, count: Any) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        sid = new_session(client)
        while not stop.is_set():
            reply = client.post(f"/v1/sessions/{sid}/run", json={"source": HEAVY_RUN})
            if reply.status_code == 200:
                with count.get_lock():
                    count.value += 1


def noisy_neighbours(base: str, seconds: float, heavy: int,
                     neighbours: str = "processes") -> dict[str, dict[str, float]]:
    """``neighbours``: each heavy client a process of its own (as other users are), or a thread
    of this process (then the victim's latency also holds waits for this process's GIL, held
    by the neighbours' own client code: a cost of the benchmark, not of the service)."""
    alone = victim(base, seconds)
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    count = context.Value("l", 0)
    make = context.Process if neighbours == "processes" else threading.Thread
    workers = [make(target=heavy_client, args=(base, stop, count), daemon=True)
               for _ in range(heavy)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # the neighbours are running
    try:
        crowded = victim(base, seconds)
    finally:
        stop.set()
        for worker in workers:
            worker.join(120)
    rows = {}
    for kind in ("evaluate", "run", "overhead"):
        rows[kind] = {
            "alone_p50": statistics.median(alone[kind]), "alone_p99": percentile(alone[kind], .99),
            "busy_p50": statistics.median(crowded[kind]),
            "busy_p99": percentile(crowded[kind], .99), "n": len(crowded[kind])}
    rows["heavy runs/s"] = {"value": count.value / (seconds + 1.0)}
    return rows


def durability(sync: str, runs: int) -> dict[str, float]:
    service = Service(state_sync=sync)
    try:
        walls, logs, elapsed = [], [], []
        with httpx.Client(base_url=service.base, timeout=60) as client:
            sid = new_session(client)
            for i in range(runs + 20):
                started = time.perf_counter()
                reply = client.post(f"/v1/sessions/{sid}/run", json={"source": SMALL_RUN})
                wall = (time.perf_counter() - started) * 1000
                timing = dict(part.strip().split(";dur=") for part in
                              reply.headers["server-timing"].split(","))
                log_ms = float(timing["log"])
                if i >= 20:
                    walls.append(wall)
                    logs.append(log_ms)
                    elapsed.append(reply.json()["stats"]["elapsed_ms"])
        return {"wall_p50": statistics.median(walls), "log_p50": statistics.median(logs),
                "log_p99": percentile(logs, .99), "elapsed_p50": statistics.median(elapsed)}
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--heavy", type=int, default=6)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--neighbours", choices=["processes", "threads"], default="processes",
                        help="heavy clients as processes of their own (default) or as threads "
                             "of the benchmark's process (sessions 1-4)")
    parser.add_argument("--skip-durability", action="store_true")
    args = parser.parse_args()

    service = Service()
    try:
        rows = noisy_neighbours(service.base, args.seconds, args.heavy, args.neighbours)
    finally:
        service.stop()
    print(f"## Noisy neighbours: {args.heavy} heavy clients ({args.neighbours}), "
          f"{args.seconds:g} s each way\n")
    print("| victim | alone p50 ms | alone p99 ms | with neighbours p50 ms | "
          "with neighbours p99 ms | p99 ratio (goal <= 5) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, label in (("evaluate", "seed /v1/evaluate"), ("run", "small session run"),
                        ("overhead", "session run, wall - elapsed_ms")):
        r = rows[kind]
        print(f"| {label} | {r['alone_p50']:.2f} | {r['alone_p99']:.2f} | {r['busy_p50']:.2f} | "
              f"{r['busy_p99']:.2f} | {r['busy_p99'] / r['alone_p99']:.1f}x |")
    print(f"\nneighbours completed {rows['heavy runs/s']['value']:.1f} heavy runs/s meanwhile\n")
    if args.skip_durability:
        return

    print(f"## Durability: a small session run, {args.runs} runs, one client\n")
    print("| AUTOGRAD_STATE_SYNC | run wall p50 ms | run elapsed_ms p50 | commit p50 ms | "
          "commit p99 ms |")
    print("| --- | --- | --- | --- | --- |")
    for sync in ("normal", "full"):
        d = durability(sync, args.runs)
        print(f"| {sync} | {d['wall_p50']:.2f} | {d['elapsed_p50']:.3f} | {d['log_p50']:.3f} | "
              f"{d['log_p99']:.3f} |")


if __name__ == "__main__":
    main()
