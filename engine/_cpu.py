"""What this machine's CPU offers that changes the kernels torch picks.

torch's CPU backend chooses kernels by what the processor supports: oneDNN (mkldnn) takes
float16 convolutions and activations only where it has float16 instructions
(``mkldnn_fp16_device_check``: AVX512-FP16, or AVX-NE-CONVERT with AVX-VNNI-INT8, or
AMX-FP16); elsewhere ATen's own kernels run, with other dtype checks, error texts and
non-finite handling. The engine reads the same flags so that it answers as torch does on the
machine it runs on."""

from __future__ import annotations

import functools
import os


def _cpuinfo(key: str) -> str:
    """The first ``key`` line's value in /proc/cpuinfo ("" where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@functools.lru_cache(maxsize=1)
def flags() -> frozenset:
    """The CPU feature flags of /proc/cpuinfo (empty where there is none)."""
    return frozenset(_cpuinfo("flags").split())


@functools.lru_cache(maxsize=1)
def vendor() -> str:
    """The CPU's vendor id (``GenuineIntel``, ``AuthenticAMD``; "" where unknown)."""
    return _cpuinfo("vendor_id")


@functools.lru_cache(maxsize=1)
def onednn_fp16() -> bool:
    """Whether torch's oneDNN runs float16 kernels here (``mkldnn_fp16_device_check``)."""
    f = flags()
    return ("avx512_fp16" in f or "amx_fp16" in f or
            ("avx_ne_convert" in f and "avx_vnni_int8" in f))


@functools.lru_cache(maxsize=1)
def mkl_fused() -> bool:
    """Whether torch's MKL kernels (getrf's rank-1 update, getrs's substitutions, the small
    GEMMs of bmm) fuse their multiply-adds here: MKL takes its Intel code paths on an Intel
    processor with FMA. On another vendor's it runs a generic path that multiplies and adds,
    rounding twice (affine_grid's bmm: bitwise the naive left-to-right sum on an AMD EPYC).
    Measured with torch 2.13 on an AMD EPYC (Zen 5, AVX512): ``lu_factor_ex`` bitwise the
    unfused model on 1,500 random matrices up to 16 rows (the fused one: 3 x 3 and larger
    differ in most of them), the same pivots, reciprocals and last-step division."""
    return vendor() == "GenuineIntel" and "fma" in flags()


@functools.lru_cache(maxsize=1)
def float32_lanes() -> int:
    """float32 lanes of the vectors torch's ATen kernels use here: 16 where it dispatches its
    AVX512 builds (``get_cpu_capability() == "AVX512"``: AVX512F/BW/VL/DQ), else 8 (AVX2).
    Measured on an AMD EPYC (Zen 5): log_softmax's row sums over 16 lanes agree with torch
    in 99 % of values, over 8 in 96 %."""
    f = flags()
    return 16 if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= f else 8


@functools.lru_cache(maxsize=1)
def sleef_fma() -> bool:
    """Whether torch's vectorised float32 ``exp``/``log`` here are SLEEF's FMA builds
    (``Sleef_expf16_u10``/``Sleef_expf8_u10``, ``engine.ops.sleef``): its AVX2 and AVX512
    kernels (x86 with AVX2 and FMA). Measured bit for bit on an Intel Xeon (Sapphire Rapids);
    the AMD EPYC (Zen 5) runs the same AVX512 kernel. Elsewhere the correctly rounded value
    stands in (so too where ``ATEN_CPU_CAPABILITY=default`` makes torch run its scalar
    ``Vectorized`` fallback)."""
    if os.environ.get("ATEN_CPU_CAPABILITY", "").lower() == "default":
        return False
    return {"avx2", "fma"} <= flags()


@functools.lru_cache(maxsize=1)
def mkl_sqrt_table() -> bool:
    """Whether torch's float32 ``sqrt`` here is MKL VML's Intel AVX512 path, whose results
    ``engine/ops/mkl_sqrt_f32.npz`` records (on an Intel Xeon, Sapphire Rapids): an Intel
    processor with AVX512F/BW/VL/DQ, and MKL not told to take another path
    (``MKL_ENABLE_INSTRUCTIONS``, ``MKL_CBWR``)."""
    if os.environ.get("MKL_CBWR") or os.environ.get("MKL_ENABLE_INSTRUCTIONS", "").upper() \
            not in ("", "AVX512", "AVX512_E1", "AVX512_E2", "AVX512_E3", "AVX512_E4"):
        return False
    return vendor() == "GenuineIntel" and float32_lanes() == 16
