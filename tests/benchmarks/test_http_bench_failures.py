"""``http_bench.py``'s session runs report a run that fails (a timeout on a crowded machine:
``limit_exceeded``) with its problem code and count, and the benchmark goes on, instead of
stopping at an ``AssertionError`` (session 20: the 10 MLP steps hit the run's time limit)."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import http_bench  # noqa: E402

TIMEOUT = {"type": "urn:autograd:problem:limit_exceeded", "title": "Limit exceeded",
           "status": 400, "code": "limit_exceeded", "detail": "The run took too long."}


class Service(BaseHTTPRequestHandler):
    """A stand-in for the service: sessions, and runs that time out unless the program is
    ``1`` (or the MLP's setup); keep-alive, as uvicorn."""

    protocol_version = "HTTP/1.1"

    def _reply(self, status: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path == "/v1/sessions":
            self._reply(201, {"id": "s_1"})
        elif body["source"] == "1" or "manual_seed" in body["source"]:
            self._reply(200, {"result": None, "stats": {"steps": 1, "elapsed_ms": 0.01}})
        else:
            self._reply(400, TIMEOUT)

    def do_DELETE(self) -> None:  # noqa: N802
        self._reply(204, None)

    def log_message(self, *args: object) -> None:
        pass


def test_failed_session_runs_are_counted_and_the_benchmark_goes_on(capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        http_bench.session_runs(f"http://127.0.0.1:{server.server_address[1]}", None,
                                blocks=2, per_block=1)  # (before: AssertionError here)
    finally:
        server.shutdown()
        server.server_close()
    out = capsys.readouterr().out
    assert "Session runs that failed (left out of the medians above)" in out
    # each case: its warm-up run and one run in each of the two blocks
    assert "| 900-op tanh chain (1000 elements) + backward | 3 | limit_exceeded x3 |" in out
    assert "| 10 MLP steps (64, 784-256-256-10) | 3 | limit_exceeded x3 |" in out
    assert "| 900-op tanh chain (1000 elements) + backward | nan |" in out  # no block kept
    assert "| lean (raw socket, benchmarks/rawhttp.py) | " in out  # it went on
