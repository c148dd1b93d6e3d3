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


_statm = [-1, -1]
"""An open ``/proc/self/statm`` and the process it belongs to (a forked host opens its own)."""


def statm() -> tuple[int, int]:
    """(virtual size, resident size) of this process, in bytes (one small read from a file
    kept open: every request of a host asks, twice)."""
    fd, pid = _statm
    if pid != os.getpid():
        if fd >= 0:  # the parent's, inherited by a fork
            os.close(fd)
        fd = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
        _statm[:] = fd, os.getpid()
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


def limit_address_space(limit: int | None) -> None:
    """Sets this process's soft ``RLIMIT_AS`` (None: back to the hard limit). An allocation
    past it fails at once with ``MemoryError``, before any memory is used."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if limit is None:
        soft = hard
    else:
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
