"""IPC between the serving process and a session host, side by side: which channel to use.

The serving process awaits a host's reply on its event loop (uvloop, as the service runs), the
host blocks on its end. Measured per variant, interleaved over rounds:

- small round trips (a ~300-byte request, a ~600-byte reply: the seed evaluate), µs each:
  two ``os.pipe`` pipes; a ``SOCK_STREAM`` socketpair with a length prefix; a
  ``SOCK_SEQPACKET`` socketpair (one record per message); ``multiprocessing`` ``Connection``;
  shared memory with a pipe as the doorbell;
- large payloads (1, 16, 64 MB to the host and back), ms each: the bytes through a
  ``SOCK_SEQPACKET`` socket in chunks; a ``memfd`` passed with ``SCM_RIGHTS`` (one copy in, the
  receiver maps it); a ``/dev/shm`` file opened by name.

    .venv/bin/python benchmarks/ipc_bench.py [--rounds 5] [--count 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import mmap
import multiprocessing
import os
import socket
import statistics
import struct
import time
from collections.abc import Callable

SMALL_REQUEST = b"r" * 300
SMALL_REPLY = b"a" * 600
HEADER = struct.Struct("<I")
CHUNK = 64 * 1024


# ------------------------------------------------------------------ host side (child process)

def _read_exact(read: Callable[[int], bytes], n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = read(n - got)
        if not part:
            raise EOFError
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def host_pipes(rfd: int, wfd: int) -> None:
    while True:
        try:
            n = HEADER.unpack(_read_exact(lambda k: os.read(rfd, k), 4))[0]
            _read_exact(lambda k: os.read(rfd, k), n)
        except EOFError:
            return
        os.write(wfd, HEADER.pack(len(SMALL_REPLY)) + SMALL_REPLY)


def host_stream(sock: socket.socket) -> None:
    while True:
        try:
            n = HEADER.unpack(_read_exact(sock.recv, 4))[0]
            _read_exact(sock.recv, n)
        except EOFError:
            return
        sock.sendall(HEADER.pack(len(SMALL_REPLY)) + SMALL_REPLY)


def host_seqpacket(sock: socket.socket) -> None:
    while sock.recv(1 << 16):
        sock.send(SMALL_REPLY)


def host_connection(conn) -> None:
    while True:
        try:
            conn.recv_bytes()
        except EOFError:
            return
        conn.send_bytes(SMALL_REPLY)


def host_shm(rfd: int, wfd: int, name: str) -> None:
    fd = os.open(name, os.O_RDWR)
    buf = mmap.mmap(fd, 1 << 16)
    while os.read(rfd, 1):
        n = HEADER.unpack(buf[:4])[0]
        bytes(buf[4:4 + n])
        buf[:4 + len(SMALL_REPLY)] = HEADER.pack(len(SMALL_REPLY)) + SMALL_REPLY
        os.write(wfd, b"!")


def host_big(sock: socket.socket) -> None:
    """Receives a payload (inline chunks, a memfd, or a /dev/shm name), sends one back the
    same way, of the same size."""
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 1)
        if not msg:
            return
        kind, size = msg[:1], int(msg[1:].split(b":")[0])
        if kind == b"i":  # inline chunks
            got = 0
            while got < size:
                got += len(sock.recv(1 << 16))
            data = bytes(size)
            sock.send(b"i%d" % size)
            for start in range(0, size, CHUNK):
                sock.send(data[start:start + CHUNK])
        elif kind == b"m":  # memfd in, memfd out
            with mmap.mmap(fds[0], size, prot=mmap.PROT_READ) as view:
                view[size - 1]
            os.close(fds[0])
            out = os.memfd_create("reply")
            os.ftruncate(out, size)
            with mmap.mmap(out, size) as view:
                view[:] = bytes(size)
            socket.send_fds(sock, [b"m%d" % size], [out])
            os.close(out)
        else:  # /dev/shm by name
            name = msg[1:].split(b":")[1].decode()
            fd = os.open(name, os.O_RDONLY)
            with mmap.mmap(fd, size, prot=mmap.PROT_READ) as view:
                view[size - 1]
            os.close(fd)
            out_name = name + ".reply"
            out = os.open(out_name, os.O_RDWR | os.O_CREAT, 0o600)
            os.ftruncate(out, size)
            with mmap.mmap(out, size) as view:
                view[:] = bytes(size)
            os.close(out)
            sock.send(out_name.encode())


# ------------------------------------------------------------------ serving side (event loop)

async def _wait_readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    future = loop.create_future()
    loop.add_reader(fd, future.set_result, None)
    try:
        await future
    finally:
        loop.remove_reader(fd)


async def _recv_exact(loop, read: Callable[[int], bytes], fd: int, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        try:
            part = read(n - got)
        except BlockingIOError:
            await _wait_readable(loop, fd)
            continue
        parts.append(part)
        got += len(part)
    return b"".join(parts)


async def small_round_trips(kind: str, count: int) -> float:
    """µs per round trip (median of batches of 100)."""
    loop = asyncio.get_running_loop()
    ctx = multiprocessing.get_context("fork")
    frame = HEADER.pack(len(SMALL_REQUEST)) + SMALL_REQUEST
    cleanup: list[Callable[[], None]] = []
    if kind == "pipes":
        to_host_r, to_host_w = os.pipe()
        from_host_r, from_host_w = os.pipe()
        proc = ctx.Process(target=host_pipes, args=(to_host_r, from_host_w))
        os.set_blocking(from_host_r, False)

        async def once() -> None:
            os.write(to_host_w, frame)
            n = HEADER.unpack(await _recv_exact(loop, lambda k: os.read(from_host_r, k),
                                                from_host_r, 4))[0]
            await _recv_exact(loop, lambda k: os.read(from_host_r, k), from_host_r, n)
        cleanup.append(lambda: os.close(to_host_w))
    elif kind in ("stream", "seqpacket"):
        kind_const = socket.SOCK_STREAM if kind == "stream" else socket.SOCK_SEQPACKET
        mine, theirs = socket.socketpair(socket.AF_UNIX, kind_const)
        proc = ctx.Process(target=host_stream if kind == "stream" else host_seqpacket,
                           args=(theirs,))
        mine.setblocking(False)
        fd = mine.fileno()
        if kind == "stream":
            async def once() -> None:
                mine.send(frame)
                n = HEADER.unpack(await _recv_exact(loop, mine.recv, fd, 4))[0]
                await _recv_exact(loop, mine.recv, fd, n)
        else:
            async def once() -> None:
                mine.send(SMALL_REQUEST)
                while True:
                    try:
                        mine.recv(1 << 16)
                        return
                    except BlockingIOError:
                        await _wait_readable(loop, fd)
        cleanup.append(mine.close)
    elif kind == "connection":
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=host_connection, args=(theirs,))
        fd = mine.fileno()

        async def once() -> None:
            mine.send_bytes(SMALL_REQUEST)
            if not mine.poll():
                await _wait_readable(loop, fd)
            mine.recv_bytes()
        cleanup.append(mine.close)
    else:  # shm + doorbell
        name = f"/dev/shm/ipc_bench_{os.getpid()}"
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 1 << 16)
        buf = mmap.mmap(fd, 1 << 16)
        to_host_r, to_host_w = os.pipe()
        from_host_r, from_host_w = os.pipe()
        os.set_blocking(from_host_r, False)
        proc = ctx.Process(target=host_shm, args=(to_host_r, from_host_w, name))

        async def once() -> None:
            buf[:len(frame)] = frame
            os.write(to_host_w, b"!")
            while True:
                try:
                    os.read(from_host_r, 1)
                    break
                except BlockingIOError:
                    await _wait_readable(loop, from_host_r)
            n = HEADER.unpack(buf[:4])[0]
            bytes(buf[4:4 + n])
        cleanup += [lambda: os.close(to_host_w), lambda: os.unlink(name)]
    proc.start()
    try:
        for _ in range(200):
            await once()
        batches = []
        for _ in range(count // 100):
            start = time.perf_counter()
            for _ in range(100):
                await once()
            batches.append((time.perf_counter() - start) / 100 * 1e6)
        return statistics.median(batches)
    finally:
        for fn in cleanup:
            fn()
        proc.join(5)
        if proc.is_alive():
            proc.kill()


async def big_round_trip(kind: str, size: int, repeats: int) -> float:
    """ms for ``size`` bytes to the host and ``size`` bytes back (median)."""
    loop = asyncio.get_running_loop()
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc = multiprocessing.get_context("fork").Process(target=host_big, args=(theirs,))
    proc.start()
    mine.setblocking(False)
    fd = mine.fileno()
    payload = os.urandom(size)

    async def recv_fds() -> tuple[bytes, list[int]]:
        while True:
            try:
                msg, fds, _, _ = socket.recv_fds(mine, 1 << 16, 1)
                return msg, fds
            except BlockingIOError:
                await _wait_readable(loop, fd)

    async def send(data: bytes) -> None:
        while True:
            try:
                mine.send(data)
                return
            except BlockingIOError:
                future = loop.create_future()
                loop.add_writer(fd, future.set_result, None)
                try:
                    await future
                finally:
                    loop.remove_writer(fd)

    async def once() -> None:
        if kind == "inline":
            await send(b"i%d" % size)
            view = memoryview(payload)
            for start in range(0, size, CHUNK):
                await send(view[start:start + CHUNK])
            msg, _ = await recv_fds()
            parts = bytearray()
            while len(parts) < size:
                chunk, _ = await recv_fds()
                parts += chunk
        elif kind == "memfd":
            out = os.memfd_create("request")
            os.write(out, payload)
            socket.send_fds(mine, [b"m%d" % size], [out])
            os.close(out)
            msg, fds = await recv_fds()
            with mmap.mmap(fds[0], size, prot=mmap.PROT_READ) as view:
                view[size - 1]
            os.close(fds[0])
        else:
            name = f"/dev/shm/ipc_bench_big_{os.getpid()}"
            out = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
            os.write(out, payload)
            os.close(out)
            await send(b"s%d:%s" % (size, name.encode()))
            msg, _ = await recv_fds()
            reply = msg.decode()
            rfd = os.open(reply, os.O_RDONLY)
            with mmap.mmap(rfd, size, prot=mmap.PROT_READ) as view:
                view[size - 1]
            os.close(rfd)
            os.unlink(reply)
            os.unlink(name)

    try:
        await once()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            await once()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)
    finally:
        mine.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()


async def main(rounds: int, count: int) -> None:
    kinds = ["pipes", "stream", "seqpacket", "connection", "shm+doorbell"]
    small: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(rounds):
        for kind in kinds:
            small[kind].append(await small_round_trips(kind, count))
    print(f"## Small round trips (300 B request, 600 B reply), µs, median of {rounds} rounds\n")
    print("| channel | µs per round trip | rounds |")
    print("| --- | --- | --- |")
    for kind in kinds:
        values = ", ".join(f"{v:.1f}" for v in small[kind])
        print(f"| {kind} | {statistics.median(small[kind]):.1f} | {values} |")
    print("\n## Large payloads, to the host and back, ms (median of 3)\n")
    print("| bytes each way | socket chunks | memfd + SCM_RIGHTS | /dev/shm by name |")
    print("| --- | --- | --- | --- |")
    for size in (1 << 20, 16 << 20, 64 << 20):
        row = [await big_round_trip(kind, size, 3) for kind in ("inline", "memfd", "shm")]
        print(f"| {size >> 20} MiB | " + " | ".join(f"{v:.1f}" for v in row) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    import uvloop

    uvloop.run(main(args.rounds, args.count))
