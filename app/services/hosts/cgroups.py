"""A memory cgroup per session host, where the machine lets the service make them.

``RLIMIT_AS`` (the per-request grant) bounds what a host may *map*; a cgroup bounds what it
may actually *use* (resident pages, page cache it dirties), and when a host goes past it the
kernel's OOM killer acts inside that cgroup only: the host dies (its request gets a ``503``
and its sessions restore elsewhere), never the serving process or another host.

Where: a child group ``autograd-host-<pid>`` of the serving process's own memory cgroup, with
``AUTOGRAD_HOST_MEMORY_MAX`` (default: the whole memory budget) as its limit. cgroup v1
(``/sys/fs/cgroup/memory/...``) lets a group with processes have children; v2 only when the
memory controller is already enabled for the group's children (``cgroup.subtree_control``),
which a container's root group usually is not, and the service does not move itself to make
it so. Where neither works (a read-only ``/sys/fs/cgroup``, no permission: the usual
unprivileged container), hosts run without one, the pool says so once in its log, and the memory
budget and grants still hold.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

logger = logging.getLogger("app.hosts")

ROOT = Path("/sys/fs/cgroup")
PREFIX = "autograd-host-"


def _own_paths() -> tuple[str | None, str | None]:
    """This process's cgroup paths: (v1 memory hierarchy, v2 unified)."""
    v1 = v2 = None
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, None
    for line in lines:
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if number == "0" and controllers == "":
            v2 = path
        elif "memory" in controllers.split(","):
            v1 = path
    return v1, v2


def _candidates() -> list[tuple[Path, str]]:
    """Directories new groups could go under, with the file that holds a group's limit."""
    v1, v2 = _own_paths()
    found = []
    if v1 is not None:
        found.append((ROOT / "memory" / v1.lstrip("/"), "memory.limit_in_bytes"))
    if v2 is not None:
        for mount in (ROOT, ROOT / "unified"):
            if (mount / "cgroup.controllers").exists():
                found.append((mount / v2.lstrip("/"), "memory.max"))
    return found


class HostCgroups:
    """Makes, fills and removes the hosts' groups; does nothing where it cannot."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.base: Path | None = None
        self.limit_file = ""
        self.why_not = "no memory cgroup this process could make groups under"
        self._stale: list[Path] = []
        for base, limit_file in _candidates():
            probe = base / f"{PREFIX}probe-{os.getpid()}"
            try:
                probe.mkdir()
            except OSError as exc:
                self.why_not = f"cannot make a cgroup under {base}: {exc.strerror}"
                continue
            try:
                ok = (probe / limit_file).exists()
                if not ok:
                    self.why_not = f"no memory controller for groups under {base}"
            finally:
                with contextlib.suppress(OSError):
                    probe.rmdir()
            if ok:
                self.base, self.limit_file = base, limit_file
                self._sweep()
                break
        if self.base is None:
            logger.info("session hosts run without a memory cgroup each: %s", self.why_not)

    @property
    def enabled(self) -> bool:
        return self.base is not None

    def _sweep(self) -> None:
        """Removes empty groups an earlier service left (killed before it could)."""
        assert self.base is not None
        for old in self.base.glob(f"{PREFIX}*"):
            with contextlib.suppress(OSError):
                old.rmdir()

    def attach(self, pid: int) -> bool:
        """Puts host ``pid`` in a group of its own with the limit; False where it cannot."""
        if self.base is None:
            return False
        self._retry_removals()
        group = self.base / f"{PREFIX}{pid}"
        try:
            group.mkdir(exist_ok=True)
            (group / self.limit_file).write_text(str(self.limit))
            (group / "cgroup.procs").write_text(str(pid))
        except OSError as exc:
            logger.warning("host %s runs without its memory cgroup: %s", pid, exc)
            with contextlib.suppress(OSError):
                group.rmdir()
            return False
        return True

    def release(self, pid: int) -> None:
        """Removes host ``pid``'s group (now, or once its process has finished exiting)."""
        if self.base is None:
            return
        self._stale.append(self.base / f"{PREFIX}{pid}")
        self._retry_removals()

    def _retry_removals(self) -> None:
        left = []
        for group in self._stale:
            try:
                group.rmdir()
            except FileNotFoundError:
                pass
            except OSError:  # still exiting: next time
                left.append(group)
        self._stale = left[-256:]

    def group_of(self, pid: int) -> Path | None:
        return self.base / f"{PREFIX}{pid}" if self.base is not None else None
