"""HTTP benchmark: one session run vs the same program in process; /v1/evaluate with the seed
program vs a bare async FastAPI endpoint.

First, one ``POST /v1/sessions/{id}/run`` of a program (a 900-op tanh chain with backward; 10
MLP training steps) against the same program run in process with the engine and with torch,
blocks alternated, and a session run's wall time beyond the ``elapsed_ms`` it reports
(``--sessions-only`` stops there). Then the load test:

Starts two uvicorn servers on free loopback ports (one worker each, uvloop + httptools):
the real service (``app.main:app``) and a *bare* FastAPI app whose ``async def`` endpoint parses
the same body with pydantic and returns a reply of the same size. Loads them side by side,
interleaved (bare, service, bare, service, ...), with ``wrk`` if it is installed (or
``--loader python``: a bounded asyncio keep-alive loader), 16 connections. Then measures moving a
1M-element float32 tensor in and out as JSON and as base64, and orjson vs the standard library
for serializing that tensor's reply.

    .venv/bin/python benchmarks/http_bench.py [--seconds 10] [--rounds 2] [--loader wrk|python]
        [--skip-transfer] [--sessions-only]        (make bench-http)

Loopback only; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rawhttp import RawClient  # noqa: E402  (benchmarks/, next to this file)

SEED_BODY = {
    "inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0], "requires_grad": True}},
    "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny",
    "gradients": ["x"],
}
TRIVIAL_BODY = json.dumps({"source": "1"}).encode()
"""The service's own cost per request, with (almost) no program to run."""
HOST = "127.0.0.1"


# ------------------------------------------------------------------ the bare comparison app

class BareBody(BaseModel):
    """The same fields as an evaluate request, parsed by pydantic."""

    inputs: dict[str, Any] = {}
    source: str | None = None
    program: list[Any] | None = None
    outputs: list[str] = []
    gradients: list[str] = []


def _bare_app() -> FastAPI:
    """An ``async def`` endpoint that parses the same body with pydantic and answers a reply of
    the same size as the service's (given in BARE_REPLY)."""
    reply = os.environ.get("BARE_REPLY", "{}").encode()
    bare = FastAPI()

    @bare.post("/v1/evaluate")
    async def evaluate(body: BareBody) -> Response:
        return Response(reply, media_type="application/json")

    return bare


if os.environ.get("BARE_REPLY") is not None:
    bare_app = _bare_app()


# ------------------------------------------------------------------ servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, target: str, env: dict[str, str], app_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        full_env = {**os.environ, **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(self.port),
             "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
             "--no-access-log", "--app-dir", str(app_dir)],
            cwd=ROOT, env=full_env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.base + "/docs", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{target} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------ loaders

def load_wrk(url: str, body: bytes, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write('wrk.method = "POST"\n'
                     f"wrk.body = {json.dumps(body.decode())}\n"
                     'wrk.headers["Content-Type"] = "application/json"\n')
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name,
             url], capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(script.name)

    def latency_ms(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": latency_ms("50"), "p99_ms": latency_ms("99"),
            "errors": float(errors.group(1)) if errors else 0.0}


async def _python_load(port: int, body: bytes, seconds: float,
                       connections: int) -> dict[str, float]:
    request = (f"POST /v1/evaluate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "errors": float(errors)}


def load_python(url: str, body: bytes, seconds: int, connections: int) -> dict[str, float]:
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        import uvloop
        return uvloop.run(_python_load(port, body, seconds, connections))
    except ImportError:  # pragma: no cover
        return asyncio.run(_python_load(port, body, seconds, connections))


# ------------------------------------------------------------------ transfer and codec

def transfer(base: str, repeats: int = 5) -> list[tuple[str, float, float]]:
    """(case, median ms, MB/s of tensor payload) for 1M float32 in and out."""
    arr = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
    payload_mb = arr.nbytes / 1e6
    as_json = {"type": "tensor", "dtype": "float32", "shape": [arr.size], "data": arr.tolist()}
    as_b64 = {"type": "tensor", "dtype": "float32", "shape": [arr.size],
              "base64": base64.b64encode(arr.astype("<f4").tobytes()).decode()}
    cases = [
        ("in, JSON", {"inputs": {"x": as_json}, "source": "x.shape"}),
        ("in, base64", {"inputs": {"x": as_b64}, "source": "x.shape"}),
        ("out, JSON", {"source": "torch.randn(1000000)", "encoding": "json"}),
        ("out, base64", {"source": "torch.randn(1000000)", "encoding": "base64"}),
        ("round trip, JSON", {"inputs": {"x": as_json}, "source": "x * 2", "encoding": "json"}),
        ("round trip, base64", {"inputs": {"x": as_b64}, "source": "x * 2",
                                "encoding": "base64"}),
    ]
    rows = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, body in cases:
            content = json.dumps(body).encode()
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                reply = client.post("/v1/evaluate", content=content,
                                    headers={"content-type": "application/json"})
                reply.read()
                times.append(time.perf_counter() - start)
                assert reply.status_code == 200, reply.text[:300]
            median = statistics.median(times)
            rows.append((name, median * 1000, payload_mb / median))
    return rows


def codec_comparison(repeats: int = 5) -> list[tuple[str, float]]:
    import engine
    from app.wire import dumps, encode_value

    t = engine.tensor(np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32))

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    def stdlib() -> bytes:
        reply = encode_value(t)
        reply["data"] = engine.to_numpy(t).tolist()
        return json.dumps(reply).encode()

    return [("orjson (app.wire.dumps, NumPy-native)", best(lambda: dumps(encode_value(t)))),
            ("stdlib json (tolist + json.dumps)", best(stdlib)),
            ("stdlib json.loads of the orjson reply", best(
                lambda: json.loads(dumps(encode_value(t))))),
            ("orjson.loads of the same", best(
                lambda: __import__("orjson").loads(dumps(encode_value(t)))))]


# ------------------------------------------------------------------ main

# ------------------------------------------------------------------ one session run vs in process

CHAIN = """x = torch.ones(1000, requires_grad=True)
y = x
for i in range(300):
    y = torch.tanh(y * 1.01 + 0.1)
y.sum().backward()
"""
MLP_SETUP = """torch.manual_seed(0)
w1 = (torch.randn(784, 256) * 0.05).requires_grad_()
b1 = torch.zeros(256, requires_grad=True)
w2 = (torch.randn(256, 256) * 0.08).requires_grad_()
b2 = torch.zeros(256, requires_grad=True)
w3 = (torch.randn(256, 10) * 0.08).requires_grad_()
b3 = torch.zeros(10, requires_grad=True)
params = [w1, b1, w2, b2, w3, b3]
X = torch.randn(64, 784)
Y = torch.randint(0, 10, (64,))
"""
MLP_STEPS = """for step in range(10):
    h = torch.relu(X @ w1 + b1)
    h = torch.relu(h @ w2 + b2)
    loss = torch.nn.functional.cross_entropy(h @ w3 + b3, Y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.01 * p.grad
            p.grad = None
"""


def _in_process(lib, source: str, setup: str = ""):
    """The same program as a Python function against ``lib`` (torch or the engine)."""
    env: dict[str, Any] = {"torch": lib}
    if setup:
        exec(compile(setup, "<setup>", "exec"), env)  # our own benchmark text
    code = compile(source, "<program>", "exec")
    return lambda: exec(code, env)


def session_runs(base: str, bare_base: str | None, blocks: int = 5,
                 per_block: int = 10) -> None:
    """One HTTP session run of a program against the same program in process, blocks
    alternated; and a session run's wall time beyond the ``elapsed_ms`` it reports. A run that
    fails (a timeout on a crowded machine: ``limit_exceeded``) is counted with its problem code
    and its block left out of the medians; the benchmark goes on."""
    try:
        import torch
        torch.set_num_threads(2)
    except ImportError:
        torch = None
    import engine

    headers = {"content-type": "application/json"}
    bare_client = httpx.Client(base_url=bare_base or base, headers=headers, timeout=60)
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client, bare_client:
        sid = client.post("/v1/sessions", json={"seed": 0}).raise_for_status().json()["id"]
        run_url = f"/v1/sessions/{sid}/run"

        failures: dict[str, list[str]] = {}
        """Per case, the problem code of each session run that failed."""

        def http(source: str, case: str):
            body = json.dumps({"source": source}).encode()

            def call() -> float | None:
                r = client.post(run_url, content=body)
                if r.status_code != 200:
                    failures.setdefault(case, []).append(_problem_code(r.status_code, r.content))
                    return None
                return r.json()["stats"]["elapsed_ms"]
            return call

        setup = client.post(run_url, json={"source": "import torch\n" + MLP_SETUP})
        if setup.status_code != 200:
            failures.setdefault("MLP setup", []).append(_problem_code(setup.status_code,
                                                                     setup.content))
        cases = [("900-op tanh chain (1000 elements) + backward", CHAIN, ""),
                 ("10 MLP steps (64, 784-256-256-10)", MLP_STEPS, MLP_SETUP)]
        print("## One session run through HTTP vs the same program in process "
              f"({blocks} blocks of {per_block}, alternated; median per call)\n")
        print("| program | HTTP run ms | engine in process ms | torch in process ms | "
              "HTTP / torch | HTTP / engine |")
        print("| --- | --- | --- | --- | --- | --- |")
        for title, source, setup in cases:
            if setup and "MLP setup" in failures:
                print(f"| {title} | — (its setup run failed) | | | | |")
                continue
            variants = {"http": http(source, title), "engine": _in_process(engine, source, setup)}
            if torch is not None:
                variants["torch"] = _in_process(torch, source, setup)
            times: dict[str, list[float | None]] = {k: [] for k in variants}
            for fn in variants.values():
                fn()
            for _ in range(blocks):
                for name, fn in variants.items():
                    t0 = time.perf_counter()
                    ok = True
                    for _ in range(per_block):
                        if fn() is None and name == "http":  # (in process: always None)
                            ok = False
                    times[name].append((time.perf_counter() - t0) / per_block * 1e3 if ok
                                       else None)
            kept = [i for i, t in enumerate(times["http"]) if t is not None]
            med = {k: statistics.median(v[i] for i in kept) if kept else math.nan
                   for k, v in times.items()}
            per_block_ratio = [times["http"][i] / times["torch"][i] for i in kept
                               if torch is not None]
            t_ms = f"{med['torch']:.2f}" if torch is not None else "—"
            r_t = f"{statistics.median(per_block_ratio):.2f}" if per_block_ratio else "—"
            print(f"| {title} | {med['http']:.2f} | {med['engine']:.2f} | {t_ms} | {r_t} | "
                  f"{med['http'] / med['engine']:.2f} |")

        trivial = http("1", "program `1`")
        bare_body = json.dumps({"source": "1"}).encode()
        over, bare = [], []
        lean_over, lean_bare = [], []
        lean = RawClient(base)
        lean_bare_client = RawClient(bare_base) if bare_base is not None else None
        for _ in range(blocks):
            for _ in range(per_block * 5):
                t0 = time.perf_counter()
                elapsed = trivial()
                if elapsed is not None:
                    over.append((time.perf_counter() - t0) * 1e3 - elapsed)
            for _ in range(per_block * 5):
                wall, status, _headers, reply = lean.timed_post(run_url, bare_body)
                if status != 200:
                    failures.setdefault("program `1`", []).append(_problem_code(status, reply))
                    continue
                lean_over.append(wall - json.loads(reply)["stats"]["elapsed_ms"])
            if bare_base is not None and lean_bare_client is not None:
                for _ in range(per_block * 5):
                    t0 = time.perf_counter()
                    bare_client.post("/v1/evaluate", content=bare_body)
                    bare.append((time.perf_counter() - t0) * 1e3)
                for _ in range(per_block * 5):
                    lean_bare.append(lean_bare_client.timed_post("/v1/evaluate", bare_body)[0])
        lean.close()
        if lean_bare_client is not None:
            lean_bare_client.close()
        client.delete(f"/v1/sessions/{sid}")
    print("A session run's wall time beyond its elapsed_ms (program `1`), median, blocks "
          "alternated; next to a bare FastAPI request through the same client:\n")
    print("| client | session run, wall - elapsed_ms | bare FastAPI request |")
    print("| --- | --- | --- |")
    for name, runs, bares in (("lean (raw socket, benchmarks/rawhttp.py)", lean_over, lean_bare),
                              ("httpx", over, bare)):
        bare_ms = f"{statistics.median(bares):.3f} ms" if bares else "—"
        run_ms = f"{statistics.median(runs):.3f} ms" if runs else "—"
        print(f"| {name} | {run_ms} | {bare_ms} |")
    print("\n(target: overhead <= 0.3 ms, as a lean client sees it)\n")
    if failures:
        print("Session runs that failed (left out of the medians above):\n")
        print("| case | failed runs | problem codes |")
        print("| --- | --- | --- |")
        for case, codes in failures.items():
            counts = ", ".join(f"{code} x{codes.count(code)}" for code in sorted(set(codes)))
            print(f"| {case} | {len(codes)} | {counts} |")
        print()


def _problem_code(status: int, content: bytes | str) -> str:
    """A failed run's problem ``code`` (or its status, when the body is not a problem)."""
    try:
        return str(json.loads(content)["code"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--loader", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--skip-transfer", action="store_true")
    parser.add_argument("--sessions-only", action="store_true",
                        help="only one session run vs the same program in process")
    args = parser.parse_args()
    load = load_wrk if args.loader == "wrk" else load_python
    body = json.dumps(SEED_BODY).encode()

    service = Server("app.main:app", {"AUTOGRAD_MAX_TENSOR_ELEMENTS": "50000000",
                                      "AUTOGRAD_MAX_BODY_BYTES": str(256 << 20),
                                      "AUTOGRAD_MAX_REPLY_BYTES": str(256 << 20),
                                      "AUTOGRAD_STATE_DIR": tempfile.mkdtemp(prefix="bench-")},
                     ROOT)
    try:
        sample = httpx.post(service.base + "/v1/evaluate", content=body, timeout=60,
                            headers={"content-type": "application/json"})
        assert sample.status_code == 200, sample.text
        bare = Server("http_bench:bare_app", {"BARE_REPLY": sample.text}, ROOT / "benchmarks")
        try:
            session_runs(service.base, bare.base)
            if args.sessions_only:
                return
            results: dict[str, list[dict[str, float]]] = {"bare": [], "service": [],
                                                          "service, program `1`": []}
            load(service.base + "/v1/evaluate", body, 2, args.connections)  # warm up
            load(bare.base + "/v1/evaluate", body, 2, args.connections)
            for _ in range(args.rounds):
                results["bare"].append(load(bare.base + "/v1/evaluate", body, args.seconds,
                                            args.connections))
                results["service"].append(load(service.base + "/v1/evaluate", body,
                                               args.seconds, args.connections))
                results["service, program `1`"].append(load(
                    service.base + "/v1/evaluate", TRIVIAL_BODY, args.seconds, args.connections))
        finally:
            bare.stop()
        print(f"## /v1/evaluate, seed program, {args.connections} connections, "
              f"{args.seconds}s x {args.rounds} rounds, loader={args.loader}\n")
        print("| server | round | req/s | p50 ms | p99 ms | non-2xx |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name in results:
            for i, r in enumerate(results[name], 1):
                print(f"| {name} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | "
                      f"{r['p99_ms']:.2f} | {r['errors']:.0f} |")
        ratios = [s["rps"] / b["rps"] for s, b in zip(results["service"], results["bare"])]
        pooled = sum(r["rps"] for r in results["service"]) / sum(r["rps"] for r in
                                                                  results["bare"])
        print(f"\nservice / bare requests/s per round: "
              f"{', '.join(f'{r:.0%}' for r in ratios)}; median {statistics.median(ratios):.0%},"
              f" pooled {pooled:.0%} (target >= 40%)\n")
        if not args.skip_transfer:
            print("## 1M-element float32 tensor through /v1/evaluate (median of 5)\n")
            print("| case | ms | MB/s of tensor data |")
            print("| --- | --- | --- |")
            for name, ms, mbps in transfer(service.base):
                print(f"| {name} | {ms:.1f} | {mbps:.1f} |")
    finally:
        service.stop()
    print("\n## Serializing the reply for a 1M-element float32 tensor (best of 5)\n")
    print("| how | ms |")
    print("| --- | --- |")
    for name, ms in codec_comparison():
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
