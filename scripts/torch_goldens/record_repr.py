"""Record ``repr(tensor)`` from real PyTorch into ``tests/engine/goldens/repr.json``.

Run with the git-ignored torch venv (the test suite itself never imports torch):

    python3 -m venv scripts/.torch-venv
    scripts/.torch-venv/bin/pip install torch==2.13.0 numpy
    scripts/.torch-venv/bin/python scripts/torch_goldens/record_repr.py

Cases whose device is ``cuda`` are recorded only where CUDA is available; elsewhere the
entries already in the golden file are kept as they are (each entry names the torch version
that produced it), so run the script once on a GPU machine and once on the reference CPU build.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

GOLDEN = Path(__file__).resolve().parents[2] / "tests/engine/goldens/repr.json"

f16, f32, f64 = torch.float16, torch.float32, torch.float64
i32, i64, b8 = torch.int32, torch.int64, torch.bool
nan, inf = math.nan, math.inf


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], torch.Tensor]
    cuda: bool = False


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int = 0, scale: float = 1.0, dtype=f32) -> torch.Tensor:
    return (torch.randn(*shape, generator=seeded(seed), dtype=f64) * scale).to(dtype)


def randint(low: int, high: int, *shape: int, seed: int = 0, dtype=i64) -> torch.Tensor:
    return torch.randint(low, high, shape, generator=seeded(seed), dtype=dtype)


def t(data, dtype=f32, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(data, dtype=dtype, requires_grad=requires_grad)


# --- the seed chapter: y = 2 x.x and its gradient -------------------------------------------


def seed_x() -> torch.Tensor:
    return torch.arange(4.0, requires_grad=True)


def seed_y() -> torch.Tensor:
    x = seed_x()
    return 2 * torch.dot(x, x)


def seed_grad() -> torch.Tensor:
    x = seed_x()
    (2 * torch.dot(x, x)).backward()
    return x.grad


def seed_grad_check() -> torch.Tensor:
    x = seed_x()
    (2 * torch.dot(x, x)).backward()
    return x.grad == 4 * x


def seed_sum_grad() -> torch.Tensor:
    x = seed_x()
    x.sum().backward()
    return x.grad


# --- tensors carrying a grad_fn -------------------------------------------------------------


def leaf(data=(1.5, -2.0, 3.25), dtype=f32) -> torch.Tensor:
    return t(list(data), dtype, requires_grad=True)


def half_steps(n: int, dtype=f32) -> torch.Tensor:
    """Leaf ``[0.5, 1.5, ...]``: sizes chosen so the suffixes land near the 80th column."""
    return (torch.arange(n, dtype=dtype) + 0.5).requires_grad_()


def with_huge_center(n: int) -> torch.Tensor:
    """Integral edges in int mode; the hidden centre value would force scientific mode."""
    x = torch.arange(100.0, 100.0 + n)
    x[n // 2] = 1e12
    return x


CASES: list[Case] = [
    # seed chapter
    Case("seed_arange_requires_grad", seed_x),
    Case("seed_dot_mul_backward", seed_y),
    Case("seed_grad", seed_grad),
    Case("seed_grad_check_bool", seed_grad_check),
    Case("seed_sum_grad_ones", seed_sum_grad),
    Case("seed_single_true", lambda: t([True], b8)),
    # every dtype, 1-d
    Case("float32_fractional", lambda: t([0.5, -1.25, 3.125])),
    Case("float64_fractional", lambda: t([0.1, 0.2, 0.3], f64)),
    Case("float16_fractional", lambda: t([0.1, 0.2, 1 / 3], f16)),
    Case("float16_integral", lambda: t([1.0, 2.0, -8.0], f16)),
    Case("float16_max_and_subnormal", lambda: t([65504.0, 6e-8, 1.0], f16)),
    Case("int32_vector", lambda: t([1, -20, 300], i32)),
    Case("int64_vector", lambda: t([7, 0, -3, 42], i64)),
    Case("bool_vector", lambda: t([True, False, True], b8)),
    Case("bool_all_false", lambda: t([False, False], b8)),
    # 0-d
    Case("scalar_float32", lambda: t(3.5)),
    Case("scalar_float32_integral", lambda: t(-7.0)),
    Case("scalar_float64", lambda: t(2.718281828, f64)),
    Case("scalar_float16", lambda: t(0.1, f16)),
    Case("scalar_int64", lambda: t(123456789, i64)),
    Case("scalar_int32", lambda: t(-5, i32)),
    Case("scalar_bool", lambda: t(False, b8)),
    Case("scalar_zero", lambda: t(0.0)),
    Case("scalar_negative_zero", lambda: t(-0.0)),
    Case("scalar_nan", lambda: t(nan)),
    Case("scalar_neg_inf", lambda: t(-inf)),
    Case("scalar_tiny", lambda: t(1.5e-5)),
    Case("scalar_huge", lambda: t(3.0e9)),
    Case("scalar_requires_grad", lambda: t(2.0, requires_grad=True)),
    # empty
    Case("empty_1d", lambda: torch.empty(0)),
    Case("empty_0x3", lambda: torch.empty(0, 3)),
    Case("empty_3x0", lambda: torch.empty(3, 0)),
    Case("empty_2x0x4", lambda: torch.empty(2, 0, 4)),
    Case("empty_int64", lambda: torch.empty(0, dtype=i64)),
    Case("empty_int32_2d", lambda: torch.empty(0, 2, dtype=i32)),
    Case("empty_bool", lambda: torch.empty(0, dtype=b8)),
    Case("empty_float64_2d", lambda: torch.empty(0, 2, dtype=f64)),
    Case("empty_float16", lambda: torch.empty(0, dtype=f16)),
    Case("empty_requires_grad", lambda: torch.empty(0, 3, requires_grad=True)),
    Case("empty_grad_fn", lambda: torch.ones(0, requires_grad=True) * 2),
    # higher dimensions
    Case("matrix_3x4", lambda: randn(3, 4, seed=1)),
    Case("tensor_2x3x4", lambda: randn(2, 3, 4, seed=2)),
    Case("tensor_2x2x2x3", lambda: randn(2, 2, 2, 3, seed=3)),
    Case("int64_2x2x3", lambda: randint(-50, 50, 2, 2, 3, seed=4)),
    Case("int32_4d", lambda: randint(0, 1000, 2, 1, 2, 3, seed=5, dtype=i32)),
    Case("bool_2x3", lambda: randn(2, 3, seed=6) > 0),
    Case("bool_2x2x2", lambda: randn(2, 2, 2, seed=7) > 0),
    Case("float64_matrix", lambda: randn(2, 3, seed=8, dtype=f64)),
    Case("column_vector", lambda: t([[1.0], [2.5], [-3.0]])),
    Case("singleton_4d", lambda: t([[[[5.0]]]])),
    # magnitudes and the scientific-mode rules
    Case("sci_small_min", lambda: t([1e-5, 1.0, 2.5])),
    Case("sci_large_ratio", lambda: t([1.5, 2000.5])),
    Case("sci_ratio_exactly_1000", lambda: t([0.5, 500.0])),
    Case("sci_ratio_just_over_1000", lambda: t([0.5, 500.5])),
    Case("sci_max_above_1e8", lambda: t([1.5e8, 2e8])),
    Case("float32_1e-4_rounds_below", lambda: t([1e-4, 0.5])),
    Case("float64_1e-4_exact", lambda: t([1e-4, 0.5], f64)),
    Case("huge_magnitudes", lambda: t([1e30, -2.5e35, 7e37])),
    Case("tiny_magnitudes", lambda: t([1e-30, 3e-20, -4e-10])),
    Case("float64_exponent_three_digits", lambda: t([1e-300, 1e300], f64)),
    Case("mixed_sign_scaled", lambda: randn(6, seed=9, scale=100.0)),
    Case("mixed_sign_small", lambda: randn(5, seed=10, scale=0.01)),
    Case("sci_with_zero", lambda: t([0.0, 1e-6, 1.0])),
    # integral floats (int mode)
    Case("int_mode_small", lambda: t([0.0, 1.0, -2.0])),
    Case("int_mode_hundreds", lambda: t([100.0, 2000.0, -3.0])),
    Case("int_mode_ratio_over_1000", lambda: t([1.0, 10000.0])),
    Case("int_mode_exactly_1e8", lambda: t([1e8, 5e7])),
    Case("int_mode_above_1e8", lambda: t([1e9, 3.0e9])),
    Case("all_zeros", lambda: torch.zeros(4)),
    Case("all_zeros_2d", lambda: torch.zeros(2, 3)),
    Case("int_mode_float64", lambda: t([3.0, -12.0], f64)),
    # nan, inf, negative zero
    Case("nan_inf_mixed", lambda: t([nan, 1.5, -inf])),
    Case("all_nan", lambda: t([nan, nan])),
    Case("inf_both_signs", lambda: t([inf, -inf])),
    Case("int_mode_with_nan_inf", lambda: t([1.0, nan, inf, -20.0])),
    Case("sci_with_nan_inf", lambda: t([nan, 1e10, -inf, 1.0])),
    Case("negative_zero_pair", lambda: t([-0.0, 0.0])),
    Case("negative_zero_fractional", lambda: t([-0.0, 1.5])),
    Case("nan_matrix", lambda: t([[nan, 2.0], [3.5, -inf]])),
    # large integers
    Case("int64_extremes", lambda: t([2**62, -(2**63), 0], i64)),
    Case("int32_extremes", lambda: t([2**31 - 1, -(2**31)], i32)),
    Case("int_padding", lambda: t([1, -100, 12345], i64)),
    # long rows that wrap at 80 columns
    Case("wrap_arange_float", lambda: torch.arange(30.0)),
    Case("wrap_randn", lambda: randn(25, seed=11)),
    Case("wrap_float64", lambda: randn(20, seed=12, dtype=f64)),
    Case("wrap_int64", lambda: torch.arange(0, 1000, 7)),
    Case("wrap_bool", lambda: randn(30, seed=13) > 0),
    Case("wrap_matrix", lambda: randn(3, 25, seed=14)),
    Case("wrap_3d", lambda: randn(2, 2, 30, seed=15)),
    Case("wrap_sci", lambda: randn(12, seed=16, scale=1e6)),
    Case("wrap_float16", lambda: randn(40, seed=17, dtype=f16)),
    # summarisation past 1000 elements
    Case("summary_1d_arange", lambda: torch.arange(2000.0)),
    Case("summary_1d_1001", lambda: randn(1001, seed=18)),
    Case("no_summary_exactly_1000", lambda: torch.arange(1000.0)),
    Case("summary_hidden_values_ignored", lambda: with_huge_center(2000)),
    Case("summary_2d", lambda: randn(40, 50, seed=19)),
    Case("summary_2d_wide", lambda: randn(2, 600, seed=20)),
    Case("summary_2d_tall", lambda: randn(600, 2, seed=21)),
    Case("summary_3d", lambda: randn(10, 20, 30, seed=22)),
    Case("summary_4d", lambda: randn(2, 3, 20, 20, seed=23)),
    Case("summary_int64", lambda: randint(-(10**6), 10**6, 1500, seed=24)),
    Case("summary_bool", lambda: randn(30, 40, seed=25) > 0),
    Case("summary_float16", lambda: randn(1200, seed=26, dtype=f16)),
    Case("summary_float64_grad", lambda: randn(1100, seed=27, dtype=f64).requires_grad_()),
    # requires_grad leaves
    Case("leaf_vector", lambda: leaf()),
    Case("leaf_matrix", lambda: randn(2, 3, seed=28).requires_grad_()),
    Case("leaf_float64", lambda: leaf(dtype=f64)),
    Case("leaf_float16", lambda: leaf(dtype=f16)),
    # grad_fn suffixes
    Case("grad_fn_sum", lambda: leaf().sum()),
    Case("grad_fn_mean", lambda: leaf().mean()),
    Case("grad_fn_add", lambda: leaf() + 1),
    Case("grad_fn_mul", lambda: leaf() * leaf()),
    Case("grad_fn_div", lambda: leaf() / 3),
    Case("grad_fn_pow", lambda: leaf() ** 2),
    Case("grad_fn_exp", lambda: leaf().exp()),
    Case("grad_fn_neg", lambda: -leaf()),
    Case("grad_fn_tanh", lambda: leaf().tanh()),
    Case("grad_fn_relu", lambda: leaf().relu()),
    Case("grad_fn_select", lambda: leaf()[0]),
    Case("grad_fn_view", lambda: randn(4, seed=29).requires_grad_().view(2, 2)),
    Case("grad_fn_t", lambda: randn(2, 3, seed=30).requires_grad_().t()),
    Case("grad_fn_mm", lambda: randn(2, 3, seed=31).requires_grad_() @ randn(3, 2, seed=32)),
    Case("grad_fn_float64", lambda: leaf(dtype=f64) * 2),
    # suffixes that overflow the line
    Case("suffix_wrap_dtype_grad", lambda: randn(2, 8, seed=33, dtype=f64).requires_grad_()),
    Case("suffix_wrap_grad_fn", lambda: randn(9, seed=34).requires_grad_() * 1000),
    Case("suffix_wrap_one_line", lambda: randn(7, seed=35, dtype=f64).requires_grad_()),
    Case("suffix_wrap_int32", lambda: torch.arange(10**8, 10**8 + 7, dtype=i32)),
    Case("suffix_fit_6", lambda: half_steps(6)),
    Case("suffix_fit_6_float64", lambda: half_steps(6, f64)),
    Case("suffix_row_exactly_80", lambda: half_steps(9)),
    Case("suffix_fit_12_float64", lambda: half_steps(12, f64)),
    Case("suffix_fit_14", lambda: half_steps(14)),
    # non-cpu device (recorded on a CUDA machine)
    Case("cuda_vector", lambda: t([1.5, -2.0]).cuda(), cuda=True),
    Case("cuda_scalar", lambda: t(3.0).cuda(), cuda=True),
    Case("cuda_float64", lambda: t([0.25, 4.0], f64).cuda(), cuda=True),
    Case("cuda_int64", lambda: t([1, 2, 3], i64).cuda(), cuda=True),
    Case("cuda_bool", lambda: t([True, False], b8).cuda(), cuda=True),
    Case("cuda_empty", lambda: torch.empty(0, 3).cuda(), cuda=True),
    Case("cuda_empty_int", lambda: torch.empty(0, dtype=i64).cuda(), cuda=True),
    Case("cuda_requires_grad", lambda: leaf().cuda().detach().requires_grad_(), cuda=True),
    Case("cuda_grad_fn", lambda: leaf().cuda() * 2, cuda=True),
    Case("cuda_suffix_wrap", lambda: randn(2, 8, seed=36, dtype=f64).cuda() * leaf(
        [1.0] * 8, f64).cuda(), cuda=True),
    Case("cuda_summary", lambda: torch.arange(2000.0).cuda(), cuda=True),
]


def encode(value):
    """JSON-safe nested lists: non-finite floats become "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def record(case: Case) -> dict:
    tensor = case.build()
    grad_fn = None if tensor.grad_fn is None else type(tensor.grad_fn).__name__
    return {
        "name": case.name,
        "dtype": str(tensor.dtype).removeprefix("torch."),
        "shape": list(tensor.shape),
        "data": encode(tensor.detach().cpu().tolist()),
        "requires_grad": tensor.requires_grad,
        "grad_fn": grad_fn,
        "device": str(tensor.device),
        "repr": repr(tensor),
        "torch_version": torch.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    previous = {}
    if args.out.exists():
        previous = {entry["name"]: entry for entry in json.loads(args.out.read_text())}
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    entries, kept = [], 0
    for case in CASES:
        if case.cuda and not torch.cuda.is_available():
            if case.name in previous:
                entries.append(previous[case.name])
                kept += 1
            continue
        entries.append(record(case))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One case per line keeps diffs of the golden file readable.
    args.out.write_text("[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n")
    print(f"wrote {len(entries)} cases ({kept} cuda cases kept from before) to {args.out}")


if __name__ == "__main__":
    main()
