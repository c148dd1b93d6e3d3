"""The host factory: a small process that has imported everything a host needs and forks hosts.

Started once per serving process (``python -m app.services.hosts.zygote``, with a fixed
``PYTHONHASHSEED`` so that every host iterates sets in the same order, across restarts too:
replay depends on it). It imports the engine and the language, freezes the collector (so forked
hosts share those pages instead of copying them), then forks a host for each request it gets on
its socket: the request carries the host's end of a new socket pair (``SCM_RIGHTS``) and the
pickled settings (the serving process is the only one that ever writes to this socket), and the
answer is the new host's pid. A host dies with the zygote (``PR_SET_PDEATHSIG``), and the
zygote ends when its socket to the serving process closes (the serving process ended), so no
host outlives the service. (Not ``PR_SET_PDEATHSIG`` for the zygote itself: that follows the
*thread* that started it, and the serving process starts it from a worker thread.)

The serving process's side is :class:`Zygote`.
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading

import orjson

ZYGOTE_FD_ENV = "AUTOGRAD_ZYGOTE_FD"


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _reap(_signum: int, _frame: object) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=int(os.environ.pop(ZYGOTE_FD_ENV)))
    import app.services.hosts.host as host  # everything a host imports, imported once
    from engine.ops import _fma

    _fma.warm()  # (the fused multiply-add's probe, once for every host: ~0.1 s)
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    sock.sendall(b"ready")
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 1)
        except InterruptedError:
            continue
        if not message:
            return
        settings, slot = pickle.loads(message)
        pid = os.fork()
        if pid == 0:  # the host
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            sock.close()
            _die_with_parent()
            code = 0
            try:
                host.host_main(socket.socket(fileno=fds[0]), settings, slot)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        sock.sendall(orjson.dumps({"pid": pid}))


class Zygote:
    """The serving process's handle on its zygote (started on first use, restarted if it
    died). ``spawn`` blocks: call it from a worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def _start(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, "PYTHONHASHSEED": "0", ZYGOTE_FD_ENV: str(theirs.fileno())}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "app.services.hosts.zygote"], env=env,
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
        theirs.close()
        mine.settimeout(120)
        try:
            if mine.recv(16) != b"ready":
                raise RuntimeError("the host factory did not start")
        except BaseException:
            self._process.kill()
            mine.close()
            raise
        self._sock = mine

    def start(self) -> None:
        """Starts the zygote now if it is not running (blocks while it imports)."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()

    def spawn(self, settings: object, slot: int) -> tuple[int, socket.socket]:
        """A new host: its pid and the serving process's end of its socket."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self._lock:
                for attempt in (1, 2):
                    if self._process is None or self._process.poll() is not None:
                        self._start()
                    assert self._sock is not None
                    try:
                        socket.send_fds(self._sock, [pickle.dumps((settings, slot))],
                                        [theirs.fileno()])
                        answer = self._sock.recv(256)
                        if not answer:
                            raise ConnectionError("the host factory ended")
                        break
                    except OSError:
                        self._stop()
                        if attempt == 2:
                            raise
            return int(orjson.loads(answer)["pid"]), mine
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()

    def _stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None

    def close(self) -> None:
        with self._lock:
            self._stop()


_shared: Zygote | None = None
_shared_lock = threading.Lock()


def shared_zygote() -> Zygote:
    """The process's one zygote (every pool of the process forks from it: tests build many)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Zygote()
        return _shared


if __name__ == "__main__":
    main()
