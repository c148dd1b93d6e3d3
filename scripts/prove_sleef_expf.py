"""Proof by exhaustion: ``engine.ops.sleef.expf`` is libtorch's ``Sleef_expf16_u10`` (the
AVX512 ``expf_u10`` torch's vectorised float32 kernels call) on every one of the 2**32 float32
bit patterns, NaNs as NaNs; with ``--logf``, ``engine.ops.sleef.logf`` is
``Sleef_logf16_u10``.

Needs torch (its ``libtorch_cpu.so`` exports the SLEEF symbol), a C compiler and an AVX512
machine: a 20-line C shim, compiled here into a temporary directory, calls the vector function
on 16 floats at a time. About 2**32 * 15 ns of CPU (a few minutes on one core)::

    python scripts/prove_sleef_expf.py               # all 2**32 inputs
    python scripts/prove_sleef_expf.py --quick       # the live range [-104, 100] only
    python scripts/prove_sleef_expf.py --first 0x3f000000 --last 0x3fffffff
    python scripts/prove_sleef_expf.py --logf        # logf, all 2**32 inputs

Exit status 0 when no input differs."""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SHIM = r"""
#include <immintrin.h>
#include <stddef.h>
typedef __m512 (*vf16)(__m512);
void run16(void *fn, const float *x, float *y, size_t n) {
    vf16 f = (vf16)fn;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
    if (i < n) {
        float bx[16] = {0}, by[16];
        for (size_t j = i; j < n; j++) bx[j - i] = x[j];
        _mm512_storeu_ps(by, f(_mm512_loadu_ps(bx)));
        for (size_t j = i; j < n; j++) y[j] = by[j - i];
    }
}
"""


def torch_sleef(name: str = "Sleef_expf16_u10"):
    """A NumPy float32 -> float32 function calling libtorch's SLEEF vector function ``name``."""
    import torch

    lib = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
    fn = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
    tmp = tempfile.mkdtemp()
    src, so = os.path.join(tmp, "shim.c"), os.path.join(tmp, "shim.so")
    with open(src, "w") as f:
        f.write(SHIM)
    subprocess.run(["cc", "-O2", "-mavx512f", "-shared", "-fPIC", "-o", so, src], check=True)
    shim = ctypes.CDLL(so)
    shim.run16.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]

    def call(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, np.float32)
        y = np.empty_like(x)
        shim.run16(fn, x.ctypes.data, y.ctypes.data, x.size)
        return y

    return call


def main() -> int:
    from engine.ops import sleef

    ap = argparse.ArgumentParser()
    ap.add_argument("--first", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--last", type=lambda s: int(s, 0), default=2**32 - 1)
    ap.add_argument("--quick", action="store_true", help="expf: only inputs in [-104, 100]")
    ap.add_argument("--chunk", type=int, default=1 << 22)
    ap.add_argument("--logf", action="store_true", help="logf instead of expf")
    args = ap.parse_args()
    ref = torch_sleef("Sleef_logf16_u10" if args.logf else "Sleef_expf16_u10")
    ours = sleef.logf if args.logf else sleef.expf
    ranges = [(args.first, args.last)]
    if args.quick:  # (bit patterns: +0 .. 100, then -0 .. -104)
        top = int(np.float32(100).view(np.uint32))
        bottom = int(np.float32(-104).view(np.uint32))
        ranges = [(0, top), (0x80000000, bottom)]
    checked = differ = 0
    t0 = time.time()
    for first, last in ranges:
        for start in range(first, last + 1, args.chunk):
            bits = np.arange(start, min(start + args.chunk, last + 1), dtype=np.uint64)
            x = bits.astype(np.uint32).view(np.float32)
            want, got = ref(x), ours(x)
            same = (want.view(np.uint32) == got.view(np.uint32)) | (np.isnan(want) & np.isnan(got))
            bad = np.flatnonzero(~same)
            if bad.size:
                differ += bad.size
                for i in bad[:5]:
                    print(f"x={x[i]!r} ({int(bits[i]):#010x}): torch {want[i]!r}, "
                          f"engine {got[i]!r}")
            checked += x.size
        print(f"[{first:#010x}, {last:#010x}] done: {checked:,} checked, {differ:,} differ, "
              f"{time.time() - t0:.0f} s", flush=True)
    print(f"{checked:,} inputs, {differ:,} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
