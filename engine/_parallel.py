"""Large elementwise NumPy work on every core.

NumPy's ufuncs run on one core but release the GIL, so a ufunc over a large array can be split
into chunks that threads compute at once into one preallocated output. ``PARALLEL_NUMPY`` is a
stand-in for the ``numpy`` module that the elementwise op families hand to their forwards when
an operand is large: its ufunc attributes (one output, no keywords) run chunked on a thread pool;
everything else is NumPy's own.

The result is exactly NumPy's: each element is computed by the same loop (the chunk boundaries
are multiples of ``_ALIGN`` elements, so every chunk starts on the same alignment as the whole
array), the output dtype is the ufunc's own resolution (``ufunc.resolve_dtypes``, Python scalars
weak as in NumPy 2), and the floating-point error state of the caller (``np.errstate``) holds in
the workers. Only contiguous (or one-dimensional) floating arrays with the output's shape,
one-element arrays and Python numbers take the chunked path; anything else calls NumPy directly.

The thread count is the number of cores this process may use (``os.sched_getaffinity``), at most
8; ``AUTOGRAD_ENGINE_THREADS`` overrides it (1 turns chunking off). A forked child builds its own
pool (threads do not survive ``fork``).
"""

from __future__ import annotations

import contextvars
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# From a million elements (a ufunc of a few ms) on: below that, on a machine whose cores are
# busy with other work, handing chunks to threads measured slower than one thread.
MIN_ELEMENTS = 1 << 20
_ALIGN = 4096  # chunk boundaries: multiples of this many elements
_MIN_CHUNK = 1 << 17
_CHUNKS_PER_THREAD = 2  # more chunks than threads: a late thread leaves less to wait for
_FLOATS = frozenset("efdFD")


def _default_threads() -> int:
    env = os.environ.get("AUTOGRAD_ENGINE_THREADS", "").strip()
    if env:
        return max(1, int(env))
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover (not Linux)
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


THREADS = _default_threads()
_pool: ThreadPoolExecutor | None = None


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS - 1, thread_name_prefix="engine-ufunc")
    return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _plan(args: tuple):
    """The output shape and the flat (or 1-d) operands to chunk, or None: call NumPy as is."""
    shape = None
    for a in args:
        if type(a) is np.ndarray and a.size > 1:
            shape = a.shape
            break
    if shape is None:
        return None
    flat = []
    for a in args:
        t = type(a)
        if t is float or t is int:
            flat.append(a)
        elif t is np.ndarray and a.dtype.char in _FLOATS:
            if a.size == 1:
                if a.ndim > len(shape):  # it would add dimensions to the output
                    return None
                flat.append(a.reshape(()))
            elif a.shape != shape:
                return None
            elif a.flags.c_contiguous:
                flat.append(a.reshape(-1))
            elif a.ndim == 1:
                flat.append(a)
            else:
                return None
        else:
            return None
    return shape, flat


class _Job:
    """One chunked ufunc call. The calling thread and the pool's workers take chunks from a
    shared counter until none is left, so a worker the OS does not schedule in time costs
    nothing: the caller computes its chunks, and waits only for chunks a worker has begun."""

    __slots__ = ("ufunc", "flat", "out", "bounds", "take", "left", "lock", "done", "error",
                 "context")

    def __init__(self, ufunc, flat, out, bounds):
        self.ufunc, self.flat, self.out, self.bounds = ufunc, flat, out, bounds
        self.take = itertools.count().__next__  # atomic under the GIL
        self.left = len(bounds)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error = None
        self.context = contextvars.copy_context()  # the caller's np.errstate, for the workers

    def work(self) -> None:
        bounds = self.bounds
        i = self.take()
        if i >= len(bounds):  # a worker that came late: it never touches the arrays
            return
        ufunc, flat, out = self.ufunc, self.flat, self.out
        while True:
            if i >= len(bounds):
                return
            lo, hi = bounds[i]
            try:
                ufunc(*[a[lo:hi] if type(a) is np.ndarray and a.ndim else a for a in flat],
                      out=out[lo:hi])
            except BaseException as e:  # handed to the caller
                if self.error is None:
                    self.error = e
            with self.lock:
                self.left -= 1
                if not self.left:
                    self.done.set()
            i = self.take()

    def work_in_pool(self) -> None:
        self.context.copy().run(self.work)


def chunked(ufunc: np.ufunc, *args):
    """``ufunc(*args)``, computed in chunks on the thread pool when it is large enough."""
    plan = _plan(args) if THREADS > 1 else None
    if plan is None:
        return ufunc(*args)
    shape, flat = plan
    n = 1
    for s in shape:
        n *= s
    if n < MIN_ELEMENTS:
        return ufunc(*args)
    try:
        dtypes = ufunc.resolve_dtypes(tuple(
            type(a) if type(a) is float or type(a) is int else a.dtype for a in flat) + (None,))
    except (TypeError, ValueError):  # no loop for these dtypes: NumPy gives the error
        return ufunc(*args)
    return _run(ufunc, flat, shape, n, dtypes[-1])


def _run(fn, flat: list, shape: tuple, n: int, dtype):
    """``fn(*chunks, out=out_chunk)`` over every chunk of a new array of ``shape``."""
    out = np.empty(shape, dtype=dtype)
    run_into(fn, flat, out.reshape(-1), n)
    return out


def run_into(fn, flat: list, out: np.ndarray, n: int) -> None:
    """``fn(*chunks, out=out_chunk)`` over chunks of the flat ``out`` (``n`` elements) and the
    flat operands (arrays of ``n`` elements or numbers), on the pool's threads and this one."""
    step = max(-(-n // (THREADS * _CHUNKS_PER_THREAD)), _MIN_CHUNK)
    step = -(-step // _ALIGN) * _ALIGN
    job = _Job(fn, flat, out, [(lo, min(lo + step, n)) for lo in range(0, n, step)])
    pool = _get_pool()
    for _ in range(min(THREADS, len(job.bounds)) - 1):
        pool.submit(job.work_in_pool)
    job.work()
    job.done.wait()
    # A pool task that has not started yet still holds the job: it must not hold the arrays,
    # or their memory is freed late and the next step's temporaries fault in fresh heap pages.
    job.flat = job.out = None
    if job.error is not None:
        raise job.error


# Elements per block of ``times_ufunc``: a block's intermediate stays in the core's cache.
_BLOCK = 1 << 15


def times_ufunc(g: np.ndarray, ufunc: np.ufunc, x: np.ndarray):
    """``g * ufunc(x)`` (a gradient rule such as sine's ``g * cos(x)``) in one pass: block by
    block, ``ufunc`` writes into the output and the product overwrites it while it is still in
    cache, instead of a whole temporary written and read back. Every element goes through the
    same two loops as the two-call form (the same bits); large arrays are split over the
    threads as ``chunked`` splits them. None when the operands do not qualify (float arrays of
    one dtype and shape, C-contiguous or 1-d): the caller computes it the plain way."""
    dt = x.dtype
    if type(g) is not np.ndarray or type(x) is not np.ndarray or g.dtype != dt or \
            dt.char not in _FLOATS or g.shape != x.shape or x.size < _BLOCK:
        return None
    plan = _plan((g, x))
    if plan is None:
        return None
    shape, flat = plan
    if len(flat[0].shape) != 1 or len(flat[1].shape) != 1:  # (a one-element operand: no)
        return None
    n = x.size

    def blocks(gc, xc, out):
        m = out.shape[0]
        for lo in range(0, m, _BLOCK):
            hi = min(lo + _BLOCK, m)
            o = out[lo:hi]
            ufunc(xc[lo:hi], out=o)
            np.multiply(gc[lo:hi], o, out=o)

    if THREADS > 1 and n >= MIN_ELEMENTS:
        return _run(blocks, flat, shape, n, dt)
    out = np.empty(shape, dtype=dt)
    blocks(flat[0], flat[1], out.reshape(-1))
    return out


class _Chunked:
    """A ufunc whose plain calls run chunked; its methods (``reduce``, ``at``, ...) are the
    ufunc's own."""

    __slots__ = ("ufunc",)

    def __init__(self, ufunc: np.ufunc):
        self.ufunc = ufunc

    def __call__(self, *args, **kwargs):
        ufunc = self.ufunc
        if kwargs or len(args) != ufunc.nin:
            return ufunc(*args, **kwargs)
        return chunked(ufunc, *args)

    def __getattr__(self, name: str):
        return getattr(self.ufunc, name)


class _ParallelNumpy:
    """``numpy`` with its one-output ufuncs chunked over threads (see the module docstring)."""

    def __getattr__(self, name: str):
        attr = getattr(np, name)
        if type(attr) is np.ufunc and attr.nout == 1:
            attr = _Chunked(attr)
        setattr(self, name, attr)  # looked up once
        return attr


PARALLEL_NUMPY = _ParallelNumpy()


def is_numpy(xp) -> bool:
    """Is this array module NumPy (itself or its chunking stand-in)?"""
    return xp is np or xp is PARALLEL_NUMPY
