"""deploy/nginx (the scale compose's proxy) run here with Debian's nginx, in front of whatever
listens on the given ports. Where nginx is missing the tests skip, except in CI (``CI=true``),
where ``.ci/run`` installs it and a missing nginx is a failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port, process_tree

ROOT = Path(__file__).resolve().parents[1]


def nginx_binary() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                       else None)
    if binary is None:
        message = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": .ci/run installs it in CI")
        pytest.skip(message)
    return binary


class Nginx:
    def __init__(self, url: str, upstreams: Path, proc: subprocess.Popen) -> None:
        self.url, self.upstreams, self.proc = url, upstreams, proc

    def set_upstreams(self, ports: list[int], within_s: float = 60.0) -> None:
        """Rewrites the replica list and waits until nginx serves it: start.sh has rendered
        it (it checks every AUTOGRAD_RESOLVE_S) and every worker of the old configuration has
        gone (a reload starts new workers; the old ones finish their requests). A fixed pause
        was not enough on a loaded machine: requests still went to the old set."""
        rendered = self.upstreams.parent / "run" / "upstreams.conf"
        wanted = sorted(f"127.0.0.1:{p}" for p in ports)
        before = self._workers()
        unchanged = _rendered(rendered) == wanted
        # Replaced, never rewritten in place: start.sh reads the file every AUTOGRAD_RESOLVE_S,
        # and a read between write_text's truncation and its write saw no replica (or half a
        # port): it rendered and reloaded that, then the whole list 0.2 s later, and the wait
        # below could take the first reload's workers for the list's (a 503 in a merge train).
        fresh = self.upstreams.with_name(self.upstreams.name + ".new")
        fresh.write_text(",".join(wanted) + "\n")
        os.replace(fresh, self.upstreams)
        if unchanged:  # start.sh has nothing to reload
            return
        deadline = time.monotonic() + within_s
        while _rendered(rendered) != wanted:
            assert time.monotonic() < deadline, f"start.sh did not render {wanted}"
            time.sleep(0.05)
        while True:
            now = self._workers()
            if now and not (now & before):
                return
            assert time.monotonic() < deadline, "nginx did not reload"
            time.sleep(0.05)

    def _workers(self) -> set[int]:
        """The pids of nginx's worker processes (the children of its master)."""
        tree = process_tree(self.proc.pid)
        master = [pid for pid, stat in tree.items()
                  if int(stat[1]) == self.proc.pid and "daemon off" in _command(pid)]
        return {pid for pid, stat in tree.items() if master and int(stat[1]) == master[0]}


def _rendered(path: Path) -> list[str]:
    """The servers of the first upstream block start.sh rendered (sorted)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    block = text.split("upstream ")[1] if "upstream " in text else ""
    return sorted(line.split()[1] for line in block.splitlines()
                  if line.strip().startswith("server ") and " down;" not in line)


def _command(pid: int) -> str:
    """The command line of ``pid`` ("" once it has ended)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def nginx_proxy(ports: list[int], *, by_name: bool = False) -> Iterator[Nginx]:
    """deploy/nginx/start.sh in front of ``127.0.0.1:<port>`` for each port; ``by_name``: given
    as ``localhost:<port>`` in AUTOGRAD_UPSTREAMS (start.sh resolves names, as for compose's
    ``api``), not in a file."""
    binary = nginx_binary()
    folder = Path(tempfile.mkdtemp(prefix="autograd-nginx-"))
    upstreams = folder / "upstreams.txt"
    if by_name:
        listed = {"AUTOGRAD_UPSTREAMS": " ".join(f"localhost:{p}" for p in ports)}
    else:
        upstreams.write_text(",".join(f"127.0.0.1:{p}" for p in ports) + "\n")
        listed = {"AUTOGRAD_UPSTREAMS_FILE": str(upstreams)}
    port = free_port()
    env = {**os.environ, **listed,
           "AUTOGRAD_NGINX_LISTEN": f"127.0.0.1:{port}", "AUTOGRAD_RESOLVE_S": "0.2",
           "AUTOGRAD_NGINX_RUN_DIR": str(folder / "run"), "AUTOGRAD_FAIL_S": "2",
           "PATH": f"{os.path.dirname(binary)}:{os.environ.get('PATH', '')}"}
    # nginx's error log and start.sh's lines go to a file: a pipe nobody reads until a failure
    # would block nginx once 64 KiB of warnings (a dead replica's refused connects) filled it.
    log = folder / "stderr.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(["sh", str(ROOT / "deploy/nginx/start.sh")], env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/nginx/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: " + log.read_text()[-2000:])
            time.sleep(0.05)
        yield Nginx(url, upstreams, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
