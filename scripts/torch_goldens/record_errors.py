"""Record PyTorch's exact error (and warning) texts into ``tests/engine/goldens/errors.json``.

Run with the git-ignored torch venv (see ``record_repr.py``):

    scripts/.torch-venv/bin/python scripts/torch_goldens/record_errors.py

Each scenario is a small function doing what a user would do; the file maps its key to
``{"type": ..., "message": ...}`` with the exception's class name and ``str(exception)``.
Scenarios that only warn record the warning's category and text the same way; a scenario that
neither raises nor warns records ``{"type": null, "message": null}`` (for example
``grad_dtype_mismatch``: PyTorch accepts an int64 ``gradient`` for a float output).
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

GOLDEN = Path(__file__).resolve().parents[2] / "tests/engine/goldens/errors.json"

# Warnings raised from C++ end with the location in torch's own build tree; that is not part of
# the text a user acts on, so it is left out of the golden.
BUILD_LOCATION = re.compile(r" \(Triggered internally at [^)]*\)$")

SCENARIOS: dict[str, Callable[[], object]] = {}


def scenario(fn: Callable[[], object]) -> Callable[[], object]:
    SCENARIOS[fn.__name__] = fn
    return fn


def leaf(n: int = 3) -> torch.Tensor:
    return torch.ones(n, requires_grad=True)


# --- backward ------------------------------------------------------------------------------


@scenario
def backward_twice():
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    y.backward()


@scenario
def nonscalar_backward():
    (torch.arange(4.0, requires_grad=True) * 2).backward()


@scenario
def no_grad_fn_backward():
    torch.ones(3).sum().backward()


@scenario
def grad_shape_mismatch():
    y = torch.arange(4.0, requires_grad=True) * 2
    y.backward(gradient=torch.ones(3))


@scenario
def grad_dtype_mismatch():
    y = torch.arange(4.0, requires_grad=True) * 2
    y.backward(gradient=torch.ones(4, dtype=torch.int64))


# --- in-place operations and versions ------------------------------------------------------


@scenario
def leaf_inplace():
    leaf().add_(1)


@scenario
def leaf_setitem():
    x = leaf()
    x[0] = 1.0


@scenario
def inplace_modified_saved():
    a = leaf()
    b = a * 2
    c = b * b
    b.add_(1)
    c.sum().backward()


@scenario
def inplace_modified_saved_leaf_version():
    a = leaf()
    c = a * a
    with torch.no_grad():
        a.add_(1)
    c.sum().backward()


@scenario
def inplace_on_view_of_leaf():
    leaf()[:2].mul_(2)


# --- requires_grad and conversions ---------------------------------------------------------


@scenario
def int_requires_grad():
    torch.tensor([1, 2], requires_grad=True)


@scenario
def int_requires_grad_method():
    torch.arange(3).requires_grad_()


@scenario
def nonleaf_requires_grad_false():
    (leaf() * 2).requires_grad_(False)


@scenario
def numpy_requires_grad():
    leaf().numpy()


@scenario
def item_multi():
    torch.ones(4).item()


@scenario
def item_empty():
    torch.ones(0).item()


@scenario
def bool_ambiguous():
    bool(torch.ones(2))


@scenario
def float_multi():
    float(torch.ones(2))


# --- torch.autograd.grad -------------------------------------------------------------------


@scenario
def grad_unused():
    x, z = leaf(), leaf()
    y = (x * x).sum()
    torch.autograd.grad(y, [x, z])


@scenario
def grad_not_requires():
    x = leaf()
    y = (x * x).sum()
    torch.autograd.grad(y, [torch.ones(3)])


@scenario
def grad_no_grad_fn():
    torch.autograd.grad(torch.ones(2).sum(), [leaf()])


@scenario
def grad_nonscalar_output():
    x = leaf()
    torch.autograd.grad(x * 2, [x])


@scenario
def grad_twice():
    x = leaf()
    y = (x * x).sum()
    torch.autograd.grad(y, [x])
    torch.autograd.grad(y, [x])


# --- shapes --------------------------------------------------------------------------------


@scenario
def add_shape_mismatch():
    torch.ones(3) + torch.ones(4)


@scenario
def mul_shape_mismatch_2d():
    torch.ones(2, 3) * torch.ones(3, 2)


@scenario
def matmul_shape_mismatch():
    torch.ones(2, 3) @ torch.ones(4, 5)


@scenario
def matmul_vector_mismatch():
    torch.ones(3) @ torch.ones(4)


@scenario
def matmul_scalar():
    torch.tensor(2.0) @ torch.ones(3)


@scenario
def mm_not_matrix():
    torch.mm(torch.ones(3), torch.ones(3, 2))


@scenario
def dot_2d():
    torch.dot(torch.ones(2, 2), torch.ones(2, 2))


@scenario
def dot_size_mismatch():
    torch.dot(torch.ones(3), torch.ones(4))


@scenario
def dot_dtype_mismatch():
    torch.dot(torch.ones(3), torch.ones(3, dtype=torch.float64))


@scenario
def view_not_compatible():
    torch.ones(4, 4).t().view(16)


@scenario
def view_invalid_size():
    torch.ones(4).view(3)


@scenario
def reshape_invalid():
    torch.ones(4).reshape(3)


@scenario
def reshape_two_inferred():
    torch.ones(4).reshape(-1, -1)


@scenario
def dim_out_of_range():
    torch.ones(3).sum(dim=2)


@scenario
def dim_out_of_range_negative():
    torch.ones(2, 3).mean(dim=-3)


@scenario
def index_out_of_bounds():
    torch.ones(3)[5]


@scenario
def index_too_many():
    torch.ones(3)[0, 0]


@scenario
def cat_different_dims():
    torch.cat([torch.ones(2, 3), torch.ones(3)])


@scenario
def cat_size_mismatch():
    torch.cat([torch.ones(2, 3), torch.ones(2, 4)])


@scenario
def cat_empty_list():
    torch.cat([])


@scenario
def stack_different_shapes():
    torch.stack([torch.ones(3), torch.ones(4)])


@scenario
def expand_invalid():
    torch.ones(3).expand(4)


@scenario
def expand_fewer_dims():
    torch.ones(2, 3).expand(3)


@scenario
def squeeze_invalid_dim():
    torch.ones(2, 3).squeeze(2)


@scenario
def unsqueeze_invalid_dim():
    torch.ones(2, 3).unsqueeze(4)


@scenario
def transpose_invalid_dim():
    torch.ones(2, 3).transpose(0, 2)


@scenario
def permute_wrong_length():
    torch.ones(2, 3).permute(0)


@scenario
def permute_repeated_dim():
    torch.ones(2, 3).permute(0, 0)


@scenario
def gather_index_shape():
    torch.gather(torch.ones(2, 3), 1, torch.zeros(2, 2, 2, dtype=torch.int64))


@scenario
def gather_index_dtype():
    torch.gather(torch.ones(2, 3), 1, torch.zeros(2, 2))


@scenario
def gather_index_out_of_bounds():
    torch.gather(torch.ones(2, 3), 1, torch.full((2, 1), 7))


@scenario
def where_shape_mismatch():
    torch.where(torch.ones(3) > 0, torch.ones(3), torch.ones(4))


# --- losses --------------------------------------------------------------------------------


@scenario
def cross_entropy_target_out_of_bounds():
    F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 5]))


@scenario
def cross_entropy_target_float_1d():
    F.cross_entropy(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))


@scenario
def cross_entropy_batch_mismatch():
    F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2]))


@scenario
def mse_loss_size_mismatch():
    F.mse_loss(torch.ones(3, 1), torch.ones(3))


@scenario
def mse_loss_not_broadcastable():
    F.mse_loss(torch.ones(3), torch.ones(4))


# --- dtypes and arithmetic -----------------------------------------------------------------


@scenario
def int_div_zero():
    torch.tensor(1) // torch.tensor(0)


@scenario
def int_remainder_zero():
    torch.tensor(1) % torch.tensor(0)


@scenario
def inplace_result_type():
    torch.ones(3, dtype=torch.int64).add_(0.5)


@scenario
def sub_bool():
    torch.tensor([True]) - torch.tensor([False])


@scenario
def neg_bool():
    -torch.tensor([True])


@scenario
def mean_int():
    torch.arange(3).mean()


# --- random --------------------------------------------------------------------------------


@scenario
def normal_std_negative():
    torch.normal(torch.zeros(3), -torch.ones(3))


@scenario
def normal_scalar_std_negative():
    torch.normal(0.0, -1.0, size=(3,))


@scenario
def randint_low_ge_high():
    torch.randint(5, 5, (3,))


@scenario
def multinomial_too_many():
    torch.multinomial(torch.ones(3), 5)


# --- warnings ------------------------------------------------------------------------------


@scenario
def nonleaf_grad_warning():
    return (leaf() * 2).grad


@scenario
def retain_grad_on_leaf():
    leaf().retain_grad()


def outcome(fn: Callable[[], object]) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
        except Exception as error:  # noqa: BLE001 - recording whatever torch raises
            return {"type": type(error).__name__, "message": str(error)}
    if caught:
        first = caught[0]
        message = BUILD_LOCATION.sub("", str(first.message))
        return {"type": first.category.__name__, "message": message}
    return {"type": None, "message": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    recorded = {name: outcome(fn) for name, fn in SCENARIOS.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(SCENARIOS)} scenarios from torch {torch.__version__} to {args.out}")


if __name__ == "__main__":
    main()
