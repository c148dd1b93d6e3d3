"""Record ``engine/ops/mkl_sqrt_f32.npz``: where torch's float32 ``sqrt`` (MKL VML's ``vsSqrt``
in its accurate mode) is not the correctly rounded square root, on this CPU.

On an Intel processor with AVX512 MKL takes a path whose result is the correctly rounded one
or one ulp below it, on 98,955 of the 2**24 inputs in [1, 4) (0.59 %). The result scales
exactly (``sqrt(4 x)`` is twice ``sqrt(x)``, subnormal inputs as ``sqrt(x 2**24) / 2**12``),
so it depends only on the mantissa and the exponent's parity: this script asks torch for all
2**24 of them and stores the ones below, as the differences between their keys (``parity <<
23 | mantissa``, parity 0 for [1, 2)), then checks the model on a million inputs over the
whole range. Run it with torch 2.13 on the CPU the table is for:

    python scripts/record_mkl_sqrt.py [--check-only]
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "engine" / "ops" / "mkl_sqrt_f32.npz"


def record() -> np.ndarray:
    torch.set_num_threads(1)
    mantissas = np.arange(2 ** 23, dtype=np.uint32)
    x = np.concatenate([(mantissas | np.uint32(0x3F800000)).view(np.float32),   # [1, 2)
                        (mantissas | np.uint32(0x40000000)).view(np.float32)])  # [2, 4)
    got = torch.sqrt(torch.from_numpy(x)).numpy()
    want = np.sqrt(x)
    step = want.view(np.int32).astype(np.int64) - got.view(np.int32)
    if not np.isin(step, (0, 1)).all():
        sys.exit("torch's float32 sqrt here is not the correctly rounded value or one ulp "
                 "below it: this table's model does not apply")
    return np.flatnonzero(step == 1).astype(np.uint32)


def check() -> None:
    sys.path.insert(0, str(OUT.parent.parent.parent))
    from engine.ops.pointwise import _mkl_sqrt32

    rng = np.random.default_rng(2026)
    x = np.concatenate([
        np.exp(rng.uniform(np.log(1e-45), np.log(3.4e38), 1_000_000)),
        rng.integers(1, 2 ** 23, 100_000).astype(np.uint32).view(np.float32),
        [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, 4.0]]).astype(np.float32)
    got = torch.sqrt(torch.from_numpy(x)).numpy()
    with np.errstate(invalid="ignore"):
        model = _mkl_sqrt32(x, table=True)
    differ = ~((got.view(np.uint32) == model.view(np.uint32)) | (np.isnan(got) & np.isnan(model)))
    print(f"model differs from torch in {int(differ.sum())} of {x.size}")
    if differ.any():
        sys.exit(1)


if __name__ == "__main__":
    if "--check-only" not in sys.argv:
        keys = record()
        gaps = np.diff(keys, prepend=np.uint32(0))
        assert gaps.max() < 2 ** 16
        np.savez_compressed(OUT, gaps=gaps.astype(np.uint16))
        print(f"{keys.size} keys below the correctly rounded value -> {OUT}")
    check()
