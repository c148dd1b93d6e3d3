"""Python ints at the edges of torch's Scalar against torch 2.13: 2**63..2**64-1 is a uint64
Scalar that an integer tensor reads as int64 (wrapping to the negatives); ints beyond int32
wrap into an int32 tensor; bool tensors refuse to promote with uint64; alpha, exponents,
bounds and addcmul's value are read as the result's C type, with torch's overflow text."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

BIG = [2 ** 63, 2 ** 63 + 5, 2 ** 64 - 1, 2 ** 64, -2 ** 63, -2 ** 63 - 1, 2 ** 40, 2 ** 31]


def i64(m):
    return m.tensor([1, 2, -3])


def i32(m):
    return m.tensor([1, 2, -3], dtype=m.int32)


OPS = {
    "add": lambda m, t, v: t + v,
    "radd": lambda m, t, v: v + t,
    "sub": lambda m, t, v: t - v,
    "rsub": lambda m, t, v: v - t,
    "mul": lambda m, t, v: t * v,
    "truediv": lambda m, t, v: t / v,
    "floordiv": lambda m, t, v: t // v,
    "remainder": lambda m, t, v: t % v,
    "fmod": lambda m, t, v: m.fmod(t, v),
    "trunc": lambda m, t, v: m.div(t, v, rounding_mode="trunc"),
    "and": lambda m, t, v: t & v,
    "xor": lambda m, t, v: t ^ v,
    "eq": lambda m, t, v: t == v,
    "lt": lambda m, t, v: t < v,
    "ge": lambda m, t, v: t >= v,
    "pow": lambda m, t, v: t ** v,
    "add_": lambda m, t, v: t.add_(v),
    "mul_": lambda m, t, v: t.mul_(v),
    "alpha": lambda m, t, v: t.add(t, alpha=v),
    "alpha_scalar": lambda m, t, v: t.add(1, alpha=v),
    "sub_alpha": lambda m, t, v: t.sub(t, alpha=v),
    "rsub_alpha": lambda m, t, v: m.rsub(t, t, alpha=v),
    "clamp_max": lambda m, t, v: t.clamp(max=v),
    "clamp_min_fn": lambda m, t, v: m.clamp_min(t, v),
    "where": lambda m, t, v: m.where(t > 0, t, v),
    "addcmul": lambda m, t, v: m.addcmul(t, t, t, value=v),
}


@pytest.mark.parametrize("v", BIG)
@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("kind", ["int64", "int32", "bool", "float32"])
def test_int_scalar_edges_as_torch(kind, name, v):
    def case(m, F, leaf):
        t = {"int64": i64, "int32": i32}[kind](m) if kind in ("int64", "int32") else \
            m.tensor([True, False]) if kind == "bool" else m.tensor([1.5, -2.0])
        return OPS[name](m, t, v)

    compare(case)


@pytest.mark.parametrize("data", [[2 ** 63], [-2 ** 63 - 1], [2 ** 64], 2 ** 63, [2 ** 40]])
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "bool"])
def test_tensor_of_big_ints_as_torch(data, dtype):
    compare(lambda m, F, leaf: m.tensor(data, dtype=dtype and getattr(m, dtype)))


@pytest.mark.parametrize("args", [(2 ** 63,), (2 ** 62, 2 ** 62 + 2), (2 ** 63, 0),
                                  (0, 5, 2 ** 64 - 1)])
@pytest.mark.parametrize("dtype", [None, "int64"])
def test_arange_big_ints_as_torch(args, dtype):
    compare(lambda m, F, leaf: m.arange(*args, dtype=dtype and getattr(m, dtype)))
