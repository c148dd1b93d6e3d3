"""``matmul`` over dtype pairs x shape pairs x which operands require grad, compared with torch:
error or not, exception class and text, result dtype, shape, values, grad_fn names, and the
gradients (values, dtypes, their nodes under create_graph). torch folds a 1-D/2-D @ batched
product into ``mm``/``mv`` or ``bmm`` depending on requires_grad and the strides, so its dtype
checks, texts and nodes differ by path; the engine follows the same decisions.

``python -m tests.engine.test_matmul_grid`` prints every difference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int64", "bool"]
FLOATS = {"float16", "float32", "float64"}

# (shape a, shape b, which operand is made non-contiguous: "" / "a" / "b")
SHAPES = [
    ((4,), (2, 4, 5), ""), ((3, 4), (2, 4, 5), ""), ((2, 3, 4), (4,), ""),
    ((2, 3, 4), (4, 5), ""), ((2, 3, 4), (2, 4, 5), ""), ((3, 4), (4, 5), ""),
    ((3, 4), (4,), ""), ((4,), (4, 5), ""), ((4,), (4,), ""),
    ((0,), (2, 0, 5), ""), ((3, 0), (2, 0, 5), ""), ((2, 3, 0), (0,), ""),
    ((2, 3, 0), (0, 5), ""), ((4,), (0, 4, 5), ""), ((3, 4), (2, 4, 0), ""),
    ((2, 0, 4), (4,), ""), ((2, 0, 4), (4, 5), ""), ((1, 3, 4), (4,), ""),
    ((4,), (2, 1, 4, 5), ""), ((3, 4), (2, 2, 4, 5), ""), ((2, 2, 3, 4), (4, 5), ""),
    ((2, 1, 3, 4), (2, 4, 5), ""), ((1,), (3, 1, 5), ""), ((3, 1), (2, 1, 5), ""),
    ((4,), (2, 4, 5), "b"), ((3, 4), (2, 4, 5), "b"), ((2, 3, 4), (4,), "a"),
    ((2, 3, 4), (4, 5), "a"), ((1, 1), (1, 4), ""), ((4, 1), (1, 1), ""), ((3, 1), (1, 5), ""),
    ((2, 1, 1), (1, 4), ""), ((1,), (1, 4), ""), ((3, 4), (4, 5), "a"), ((3, 4), (4, 5), "b"),
    ((0, 3, 4), (0, 4, 5), ""), ((2, 3, 0), (2, 0, 5), ""),
]
GRADS = ["", "a", "b", "ab"]


def _values(n: int, dtype: str, salt: int) -> np.ndarray:
    """Small integers with zeros (both signs for floats): exact in every dtype."""
    rng = np.random.default_rng([n, salt])
    v = rng.integers(-2, 3, size=n).astype(np.float64)
    if dtype in FLOATS:
        v[rng.random(n) < 0.25] = -0.0
    if dtype == "bool":
        return v != 0
    return v


def _make(lib, shape, dtype, grad, noncontig, salt):
    n = int(np.prod(shape))
    if noncontig:  # the same values in a transposed (non-contiguous) layout of the last two
        flip = shape[:-2] + (shape[-1], shape[-2]) if len(shape) > 1 else shape
        base = lib.tensor(_values(n, dtype, salt).reshape(flip), dtype=getattr(lib, dtype))
        t = base.transpose(-1, -2) if len(shape) > 1 else base
        t = t.detach().requires_grad_(grad)
    else:
        t = lib.tensor(_values(n, dtype, salt).reshape(shape), dtype=getattr(lib, dtype),
                       requires_grad=grad)
    return t


def _sig(t):
    """Values with their signs of zero (repr-faithful)."""
    a = np.asarray(t.detach().double().tolist(), dtype=np.float64)
    return tuple(a.ravel().tolist()), tuple(np.signbit(a).ravel().tolist())


def _name(t):
    return t.grad_fn.name() if t.grad_fn is not None else None


def outcome(lib, da, db, case, grads):
    sa, sb, nc = case
    a = _make(lib, sa, da, "a" in grads, nc == "a", 1)
    b = _make(lib, sb, db, "b" in grads, nc == "b", 2)
    try:
        r = lib.matmul(a, b)
    except (RuntimeError, NotImplementedError, TypeError) as e:
        return _cls(e), str(e)
    out = [str(r.dtype).split(".")[-1], tuple(r.shape), _sig(r), _name(r)]
    if grads and r.requires_grad:
        w = lib.tensor(_values(r.numel(), "float64", 3).reshape(tuple(r.shape)),
                       dtype=r.dtype)
        ins = [t for k, t in (("a", a), ("b", b)) if k in grads]
        try:
            gs = lib.autograd.grad((r * w).sum(), ins, create_graph=True)
        except (RuntimeError, NotImplementedError) as e:
            return tuple(out) + ("grad", _cls(e), str(e))
        for g in gs:
            out += [str(g.dtype).split(".")[-1], tuple(g.shape), _sig(g), _name(g)]
    return tuple(out)


def _cls(e):
    for base in (NotImplementedError, TypeError, IndexError, ValueError, RuntimeError):
        if isinstance(e, base):
            return base.__name__
    return type(e).__name__


def cases():
    for case in SHAPES:
        for da, db in itertools.product(DTYPES, DTYPES):
            for grads in GRADS:
                if ("a" in grads and da not in FLOATS) or ("b" in grads and db not in FLOATS):
                    continue
                yield da, db, case, grads


def differences():
    out = []
    for da, db, case, grads in cases():
        e, t = outcome(engine, da, db, case, grads), outcome(torch, da, db, case, grads)
        if e != t:
            out.append(((da, db, case, grads), e, t))
    return out


@pytest.mark.parametrize("case", SHAPES, ids=lambda c: f"{c[0]}@{c[1]}{c[2]}")
def test_matmul_grid_as_torch(case):
    bad = []
    for da, db in itertools.product(DTYPES, DTYPES):
        for grads in GRADS:
            if ("a" in grads and da not in FLOATS) or ("b" in grads and db not in FLOATS):
                continue
            e, t = outcome(engine, da, db, case, grads), outcome(torch, da, db, case, grads)
            if e != t:
                bad.append((da, db, grads, e, t))
    assert not bad, bad[:3]


if __name__ == "__main__":
    diffs = differences()
    print(f"{len(list(cases()))} cases, {len(diffs)} differ")
    for key, e, t in diffs:
        print(key)
        print("  engine:", e)
        print("  torch: ", t)


EINSUM = [("i,j->ij", (3,), (2,)), ("i,i->i", (3,), (3,)), ("i,i->", (3,), (3,)),
          ("ij,jk->ik", (2, 3), (3, 2)), ("i,j->", (3,), (2,)), ("ij,j->i", (2, 3), (3,)),
          ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)), ("ij,ij->", (2, 3), (2, 3)),
          ("ii,i->i", (3, 3), (3,)), ("i,->i", (3,), ()), ("ij,kj->ik", (0, 3), (2, 3)),
          ("ij,jk->ik", (2, 0), (0, 2))]


def _einsum(lib, eq, sa, sb, da, db):
    a, b = lib.ones(sa, dtype=getattr(lib, da)), lib.ones(sb, dtype=getattr(lib, db))
    try:
        r = lib.einsum(eq, a, b)
    except (RuntimeError, NotImplementedError, TypeError) as e:
        return _cls(e), str(e)
    return str(r.dtype).split(".")[-1], tuple(r.shape), r.double().sum().item()


@pytest.mark.parametrize("eq,sa,sb", EINSUM)
def test_einsum_dtype_pairs_as_torch(eq, sa, sb):
    """torch refuses operands of different dtypes only where a bmm sums over a dim both have
    (its text); elsewhere the product promotes them."""
    for da, db in itertools.product(DTYPES, DTYPES):
        assert _einsum(engine, eq, sa, sb, da, db) == _einsum(torch, eq, sa, sb, da, db), (da, db)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("sa,sb", [((3, 1), (1, 5)), ((3, 2), (2, 5)), ((1, 4), (4, 1)),
                                   ((1, 3), (3, 1)), ((2, 3), (3, 1)), ((1, 3), (3, 2))])
def test_plain_backward_signs_of_zero_as_torch(dtype, sa, sb):
    """A backward that records nothing takes the engine's direct product (plain_mm): a one-term
    product keeps gemm's sign of zero (-0. for 0 * negative), as torch's mm gradient."""
    def run(lib):
        a = _make(lib, sa, dtype, True, False, 4)
        b = _make(lib, sb, dtype, True, False, 5)
        w = lib.tensor(_values(sa[0] * sb[1], "float64", 6).reshape(sa[0], sb[1]),
                       dtype=getattr(lib, dtype))
        ((a @ b) * w).sum().backward()
        return _sig(a.grad), _sig(b.grad)

    assert run(engine) == run(torch)
