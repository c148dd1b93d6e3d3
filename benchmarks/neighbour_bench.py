"""A session's long runs next to a busy neighbour: the CPU priority policy of session hosts.

Runs the service in process (the test client; hosts are its worker processes as always), with
``demote_after_ms`` as given (default 2, the service's default), and times one session run of
``http_bench``'s 900-op chain and of its 10 MLP steps: first alone, then next to ``--busy``
processes spinning at nice 0 (a neighbour in the same CPU cgroup: another program, a test
suite), blocks alternated. A run past ``--timeout`` seconds is counted, not waited for.

    .venv/bin/python benchmarks/neighbour_bench.py [--busy 2] [--blocks 3] [--demote-ms 2]

Run it from the tree to measure (its ``app`` is what is imported).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient  # noqa: E402
from http_bench import CHAIN, MLP_SETUP, MLP_STEPS  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402

SPIN = "while True:\n    pass\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--busy", type=int, default=2, help="busy neighbours (nice 0)")
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--demote-ms", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    settings = Settings(_env_file=None, state_dir=tempfile.mkdtemp(prefix="neighbour-"),
                        demote_after_ms=args.demote_ms, run_timeout_s=args.timeout,
                        run_grace_s=1.0)
    cases = {"chain": CHAIN, "mlp10": MLP_STEPS}
    times: dict[tuple[str, str], list[float]] = {}
    failures: dict[tuple[str, str], list[str]] = {}
    with TestClient(create_app(settings)) as client:
        sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
        url = f"/v1/sessions/{sid}/run"
        assert client.post(url, json={"source": "import torch\n" + MLP_SETUP}).status_code == 200
        for source in cases.values():  # warm
            client.post(url, json={"source": source})
        for _ in range(args.blocks):
            for load in ("alone", f"{args.busy} busy"):
                spinners = []
                if load != "alone":
                    spinners = [subprocess.Popen([sys.executable, "-c", SPIN])
                                for _ in range(args.busy)]
                    time.sleep(0.5)
                try:
                    for name, source in cases.items():
                        started = time.perf_counter()
                        reply = client.post(url, json={"source": source})
                        wall = (time.perf_counter() - started) * 1000
                        key = (name, load)
                        if reply.status_code == 200:
                            times.setdefault(key, []).append(wall)
                        else:
                            failures.setdefault(key, []).append(reply.json().get("code", "?"))
                finally:
                    for spinner in spinners:
                        spinner.kill()
                        spinner.wait()
                time.sleep(0.5)
    print(f"demote_after_ms={args.demote_ms}, {args.blocks} blocks, load average "
          f"{os.getloadavg()[0]:.1f}; median wall ms of one session run (HTTP, test client)\n")
    print("| program | load | runs | median ms | failed |")
    print("| --- | --- | --- | --- | --- |")
    for name in cases:
        for load in ("alone", f"{args.busy} busy"):
            got = times.get((name, load), [])
            med = f"{statistics.median(got):.0f}" if got else "—"
            failed = failures.get((name, load), [])
            print(f"| {name} | {load} | {len(got)} | {med} | "
                  f"{len(failed)} {' '.join(sorted(set(failed)))} |")


if __name__ == "__main__":
    main()
