"""Messages between the serving process and a session host.

One message is one record on an ``AF_UNIX``/``SOCK_SEQPACKET`` socket pair (records keep their
boundaries, the kernel passes file descriptors along, and a dead peer reads as end of file):
a 4-byte length, a small JSON header (orjson), then the payload — the request or reply body as
bytes. A payload over :data:`INLINE_MAX` travels in a ``memfd`` passed with the record
(``SCM_RIGHTS``): the sender writes it once, the receiver maps it read-only and parses it in
place (``orjson.loads`` takes the mapping), so a 64 MB body is never copied through the socket
or pickled. ``benchmarks/ipc_bench.py`` measured the choices side by side (see
``docs/hosts.md``).

Nothing from a host is ever unpickled: a host runs untrusted programs, so what it sends back is
JSON and bytes only.
"""

from __future__ import annotations

import mmap
import os
import socket
import struct
from typing import Any

import orjson

HEAD = struct.Struct("<I")
INLINE_MAX = 60 * 1024
"""Payloads up to this size ride in the record itself; larger ones in a memfd."""
RECORD_MAX = INLINE_MAX + 16 * 1024
"""Largest record (header included) either side sends or reads."""


class PeerGone(Exception):
    """The other end of the socket closed (its process ended)."""


Payload = bytes | memoryview | mmap.mmap


def memfd_from(data: bytes | memoryview) -> int:
    """A new memfd holding ``data`` (the caller closes it once sent)."""
    fd = os.memfd_create("autograd-payload", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        raise
    return fd


def map_fd(fd: int, size: int) -> mmap.mmap | bytes:
    """Maps a received memfd read-only and closes the descriptor (the mapping stays)."""
    try:
        if size == 0:
            return b""
        return mmap.mmap(fd, size, prot=mmap.PROT_READ)
    finally:
        os.close(fd)


def encode(header: dict[str, Any], payload: Payload | None = None,
           payload_fd: int | None = None, payload_size: int = 0) -> tuple[bytes, list[int]]:
    """A record and the descriptors to send with it. ``payload_fd``: a memfd already holding
    ``payload_size`` bytes (request bodies are streamed into one as they arrive)."""
    fds: list[int] = []
    inline = b""
    if payload_fd is not None:
        header = {**header, "memfd": payload_size}
        fds.append(payload_fd)
    elif payload is not None and len(payload) > INLINE_MAX:
        header = {**header, "memfd": len(payload)}
        fds.append(memfd_from(payload))
    elif payload is not None:
        inline = payload
    head = orjson.dumps(header)
    return b"".join((HEAD.pack(len(head)), head, inline)), fds


def decode(record: bytes, fds: list[int]) -> tuple[dict[str, Any], Payload]:
    if not record:
        for fd in fds:
            os.close(fd)
        raise PeerGone
    (size,) = HEAD.unpack_from(record)
    header = orjson.loads(memoryview(record)[HEAD.size:HEAD.size + size])
    memfd = header.pop("memfd", None)
    if memfd is not None:
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ValueError("a memfd payload without exactly one descriptor")
        return header, map_fd(fds[0], memfd)
    for fd in fds:
        os.close(fd)
    return header, record[HEAD.size + size:]


# ------------------------------------------------------------------ blocking side (the host)

def receive(sock: socket.socket) -> tuple[dict[str, Any], Payload]:
    """The next message (blocks); :class:`PeerGone` when the serving process is gone."""
    while True:
        try:
            record, fds, _flags, _addr = socket.recv_fds(sock, RECORD_MAX, 2)
            return decode(record, fds)
        except InterruptedError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            raise PeerGone from None


def send(sock: socket.socket, header: dict[str, Any], payload: Payload | None = None) -> None:
    record, fds = encode(header, payload)
    try:
        if fds:
            socket.send_fds(sock, [record], fds)
        else:
            sock.sendall(record)
    except (ConnectionResetError, BrokenPipeError):
        raise PeerGone from None
    finally:
        for fd in fds:
            os.close(fd)
