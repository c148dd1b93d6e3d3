"""A real redis-server (Debian's ``redis-server`` package) on a free 127.0.0.1 port, for the
tests of the Redis store and of replicas. Where the binary is missing the tests skip, except in
CI (``CI=true``), where ``.ci/run`` installs it and a missing server is a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.live_server import free_port


def redis_binary() -> str:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": .ci/run installs it in CI")
        pytest.skip(message)
    return binary


@contextmanager
def redis_server(*extra: str) -> Iterator[str]:
    """Yields ``redis://127.0.0.1:<port>/0``; the server and its folder go away afterwards."""
    binary = redis_binary()
    port = free_port()
    folder = tempfile.mkdtemp(prefix="autograd-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
         "--appendonly", "no", "--protected-mode", "yes", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
