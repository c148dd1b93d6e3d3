"""How much memory the machine gives the service, and how much a process uses.

The service's one memory budget (``AUTOGRAD_MEMORY_BUDGET``) defaults to
:data:`BUDGET_FRACTION` of the tightest of: the cgroup's memory limit (a container's), the
address-space limit (``RLIMIT_AS``, as ``ulimit -v`` sets it) and the physical memory.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

BUDGET_FRACTION = 0.75
PAGE = os.sysconf("SC_PAGE_SIZE")
_UNLIMITED = 1 << 60


def _cgroup_limit() -> int | None:
    candidates = [Path("/sys/fs/cgroup/memory.max"),                     # cgroup v2
                  Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")]   # cgroup v1
    try:
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        own = []
    for line in own:  # v2 "0::/path": the process's own group may be deeper than the root
        if line.startswith("0::"):
            candidates.insert(0, Path("/sys/fs/cgroup") / line[3:].lstrip("/") / "memory.max")
    for path in candidates:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text and text != "max" and int(text) < _UNLIMITED:
            return int(text)
    return None


def machine_limit() -> int:
    """The tightest memory limit this process runs under (bytes)."""
    limits = [PAGE * os.sysconf("SC_PHYS_PAGES")]
    cgroup = _cgroup_limit()
    if cgroup is not None:
        limits.append(cgroup)
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits)


def default_budget() -> int:
    return int(machine_limit() * BUDGET_FRACTION)


_statm = [-1]
"""An open ``/proc/self/statm`` (-1: none yet; a forked child drops its parent's, whose
``/proc/self`` was the parent's, and opens its own)."""


def _forget_statm() -> None:
    if _statm[0] >= 0:
        os.close(_statm[0])
        _statm[0] = -1


os.register_at_fork(after_in_child=_forget_statm)


def statm() -> tuple[int, int]:
    """(virtual size, resident size) of this process, in bytes (one small read from a file
    kept open: every request of a host asks, twice)."""
    fd = _statm[0]
    if fd < 0:
        fd = _statm[0] = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    fields = os.pread(fd, 256, 0).split()
    return int(fields[0]) * PAGE, int(fields[1]) * PAGE


def shared_bytes() -> int:
    """Resident pages this process shares with others (a forked host: with its zygote)."""
    total = 0
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith((b"Shared_Clean:", b"Shared_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total


def resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0


def limit_address_space(limit: int | None, hard: int | None = None) -> int:
    """Sets this process's soft ``RLIMIT_AS`` (None: back to the hard limit). An allocation
    past it fails at once with ``MemoryError``, before any memory is used. ``hard``: the hard
    limit as the caller last saw it (saves reading it again; another process may only have
    lowered it since, and then it is read again). Returns the hard limit."""
    if hard is None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_soft_limit(limit, hard), hard))
    except (ValueError, OSError):  # the hard limit was lowered meanwhile
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (_soft_limit(limit, hard), hard))
    return hard


def _soft_limit(limit: int | None, hard: int) -> int:
    if limit is None:
        return hard
    return limit if hard == resource.RLIM_INFINITY else min(limit, hard)
