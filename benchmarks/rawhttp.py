"""A lean HTTP/1.1 keep-alive client on a raw socket, for measuring a request's overhead.

httpx spends ~0.3–0.4 ms of its own per request on these machines (more than a bare FastAPI
endpoint takes to answer), so a figure such as "a session run's wall time beyond its
``elapsed_ms``" measured through it is mostly the client's. This client writes the request in
one ``sendall`` and reads exactly ``content-length`` bytes back; nothing else. Replies must
carry ``content-length`` (every reply the benchmarks read here does).
"""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit


class RawClient:
    def __init__(self, base: str, timeout_s: float = 60.0) -> None:
        url = urlsplit(base)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.timeout_s = timeout_s
        self._connect()

    def _connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def _reconnect_if_closed(self) -> None:
        """A server closes a keep-alive connection left idle past its timeout (uvicorn's
        default: 5 s, which a benchmark's other variants can take on a busy machine): then
        connect again before sending, rather than fail the request. Costs one ``poll``."""
        if self._buffer or not select.select([self.sock], [], [], 0)[0]:
            return
        if self.sock.recv(1, socket.MSG_PEEK):  # (a reply nobody asked for: leave it)
            return
        self.sock.close()
        self._connect()

    def post(self, path: str, body: bytes,
             content_type: str = "application/json") -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body)."""
        self._reconnect_if_closed()
        return self._exchange(path, body, content_type)

    def _exchange(self, path: str, body: bytes,
                  content_type: str = "application/json") -> tuple[int, dict[str, str], bytes]:
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n\r\n".encode() + body)
        while b"\r\n\r\n" not in self._buffer:
            self._read()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        size = int(headers["content-length"])
        while len(rest) < size:
            rest += self._read_more()
        self._buffer = rest[size:]
        return status, headers, rest[:size]

    def timed_post(self, path: str, body: bytes) -> tuple[float, int, dict[str, str], bytes]:
        """Like :meth:`post`, with the wall time in ms from the first byte sent to the last
        byte read (the check for a connection the server closed meanwhile comes first)."""
        self._reconnect_if_closed()
        started = time.perf_counter()
        status, headers, reply = self._exchange(path, body)
        return (time.perf_counter() - started) * 1000, status, headers, reply

    def _read(self) -> None:
        self._buffer += self._read_more()

    def _read_more(self) -> bytes:
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
