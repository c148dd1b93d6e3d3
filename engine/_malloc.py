"""glibc malloc settings for array work, applied when the engine is imported.

glibc serves blocks over its mmap threshold (a few MiB, adjusted at run time) with fresh
``mmap`` pages and hands them back on ``free``; the next step's temporaries of the same size then
fault every page in again (~2 us per 4 KiB page on the machines we measured: a 10M-element
elementwise step spent more time faulting than computing). Raising the mmap threshold to 64 MiB
and the trim threshold to 256 MiB keeps such blocks in the heap for reuse. The engine's ufunc
threads (``engine/_parallel.py``) would each get a malloc arena of their own, whose heaps are
trimmed and faulted in again every step; one arena (``M_ARENA_MAX`` 1, unless
``MALLOC_ARENA_MAX`` is set) keeps them on the main heap too.

An explicit ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` / ``GLIBC_TUNABLES`` malloc
setting in the environment wins: then nothing is changed. Other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8  # glibc's mallopt numbers


def tune_malloc() -> bool:
    """Apply the thresholds; True when glibc took them."""
    if not sys.platform.startswith("linux"):
        return False
    env = os.environ
    if "MALLOC_MMAP_THRESHOLD_" in env or "MALLOC_TRIM_THRESHOLD_" in env or \
            "glibc.malloc" in env.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # not glibc (musl's mallopt is a no-op)
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if "MALLOC_ARENA_MAX" not in env:
        mallopt(_M_ARENA_MAX, 1)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = tune_malloc()
