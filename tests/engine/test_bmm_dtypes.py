"""``bmm`` with operands of different dtypes, compared with torch: an empty result, or zeros when
nothing is summed (``k == 0``), come back in mat2's dtype with no dtype check (torch's kernel
returns before it); otherwise Bool is refused before the dtype pair is checked."""

from __future__ import annotations

import itertools

import pytest

import engine

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int32", "int64", "bool"]
SHAPES = [((0, 3, 4), (0, 4, 5)), ((2, 3, 0), (2, 0, 5)), ((2, 3, 4), (2, 4, 0)),
          ((2, 0, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5))]


def outcome(lib, da, db, sa, sb):
    floats = da.startswith("float") and db.startswith("float")
    a = lib.ones(sa, dtype=getattr(lib, da), requires_grad=floats)
    b = lib.ones(sb, dtype=getattr(lib, db), requires_grad=floats)
    try:
        r = lib.bmm(a, b)
    except (RuntimeError, NotImplementedError) as e:
        return ("NotImplementedError" if isinstance(e, NotImplementedError) else "RuntimeError",
                str(e))
    out = [str(r.dtype).split(".")[-1], tuple(r.shape), r.detach().double().sum().item(),
           r.grad_fn.name() if r.grad_fn else None]
    if floats:
        ga, gb = lib.autograd.grad(r.sum(), (a, b), create_graph=True)
        out += [str(ga.dtype).split(".")[-1], tuple(ga.shape), ga.detach().double().sum().item(),
                str(gb.dtype).split(".")[-1], tuple(gb.shape), gb.detach().double().sum().item()]
    return tuple(out)


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_bmm_dtype_pairs_as_torch(sa, sb):
    for da, db in itertools.product(DTYPES, DTYPES):
        assert outcome(engine, da, db, sa, sb) == outcome(torch, da, db, sa, sb), (da, db)


MATMUL_SHAPES = [((0, 3, 4), (0, 4, 5)), ((2, 3, 0), (2, 0, 5)), ((0,), (2, 0, 5)),
                 ((2, 3, 4), (2, 4, 0)), ((2, 3, 0), (0, 5)), ((2, 3, 4), (4, 0)),
                 ((0, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)),
                 ((4,), (2, 4, 5))]


def matmul_outcome(lib, dt, sa, sb):
    floats = dt.startswith("float")
    a = lib.ones(sa, dtype=getattr(lib, dt), requires_grad=floats)
    b = lib.ones(sb, dtype=getattr(lib, dt), requires_grad=floats)
    try:
        r = lib.matmul(a, b)
    except (RuntimeError, NotImplementedError) as e:
        return str(e)
    out = [tuple(r.shape), r.detach().double().sum().item()]
    if floats:
        ga, gb = lib.autograd.grad(r.sum(), (a, b))
        out += [tuple(ga.shape), ga.double().sum().item(), tuple(gb.shape),
                gb.double().sum().item()]
    return tuple(out)


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dt", ["float64", "int64", "bool"])
def test_matmul_empty_and_bool_operands_as_torch(dt, sa, sb):
    """Gradients of products with an empty operand (``reshape(-1, 0)`` used to raise), and
    bool operands folded into ``bmm`` (torch: not implemented for Bool)."""
    assert matmul_outcome(engine, dt, sa, sb) == matmul_outcome(torch, dt, sa, sb)


@pytest.mark.parametrize("da,db", [("float16", "float64"), ("float64", "float32"),
                                   ("int64", "float32"), ("bool", "float64")])
@pytest.mark.parametrize("sa,sb", [MATMUL_SHAPES[i] for i in (0, 1, 3)])  # batched @ batched
def test_matmul_one_empty_bmm_skips_the_dtype_check(da, db, sa, sb):
    def run(lib):
        a, b = lib.ones(sa, dtype=getattr(lib, da)), lib.ones(sb, dtype=getattr(lib, db))
        try:
            r = lib.matmul(a, b)
        except (RuntimeError, NotImplementedError) as e:
            return str(e)
        return str(r.dtype).split(".")[-1], tuple(r.shape), r.double().sum().item()

    assert run(engine) == run(torch)
