"""A real uvicorn serving the app on a free 127.0.0.1 port, for tests that need a socket
(the browser tests, the Python client's tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(**settings: str) -> Iterator[str]:
    """Yields the base URL; ``settings`` are AUTOGRAD_* variables (``api_keys="k"``)."""
    port = free_port()
    env = {**os.environ, "AUTOGRAD_API_KEYS": "", "AUTOGRAD_DEVICE": "cpu",
           **{f"AUTOGRAD_{k.upper()}": v for k, v in settings.items()}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("uvicorn exited: " + (proc.stdout.read() if proc.stdout
                                                         else ""))
            try:
                if httpx.get(f"{url}/v1/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
