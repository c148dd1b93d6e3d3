"""The benchmarks' lean HTTP client (``benchmarks/rawhttp.py``) connects again when the server
has closed an idle keep-alive connection, instead of failing the next request (what stopped
``http_bench.py --sessions-only`` on a busy machine: uvicorn closes after 5 s idle)."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from rawhttp import RawClient  # noqa: E402

REPLY = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def _server(listener: socket.socket, closed: list[threading.Event]) -> None:
    """Answers one request per connection, then closes it (as an idle timeout does)."""
    for event in closed:
        conn, _addr = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            conn.sendall(REPLY)
        event.set()


def test_the_lean_client_reconnects_after_the_server_closed_an_idle_connection():
    listener = socket.create_server(("127.0.0.1", 0))
    closed = [threading.Event(), threading.Event()]
    thread = threading.Thread(target=_server, args=(listener, closed), daemon=True)
    thread.start()
    client = RawClient(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=10)
    assert client.post("/", b"{}")[0] == 200
    assert closed[0].wait(10)  # the server closed the first connection
    _wall, status, _headers, body = client.timed_post("/", b"{}")  # (before: ConnectionError)
    assert (status, body) == (200, b"ok")
    assert closed[1].wait(10)
    client.close()
    thread.join(10)
    listener.close()
