"""Shapes that do not broadcast name the first mismatch from the LAST dimension, as torch's
``infer_size`` does (``(2, 3) * (3, 2)``: "The size of tensor a (3) must match the size of
tensor b (2) at non-singleton dimension 1"), in every op that broadcasts."""

from __future__ import annotations

import pytest

import engine

torch = pytest.importorskip("torch")

SHAPES = [((2, 3), (3, 2)), ((4, 3, 2), (4, 3)), ((4, 3, 2), (2, 3)), ((4, 3, 2), (0,)),
          ((5, 2, 3), (4, 1, 2)), ((2, 3, 4), (3, 3, 5)), ((3, 1), (2, 4))]
OPS = {
    "mul": lambda T, x, y: x * y,
    "where": lambda T, x, y: T.where(x > 0, x, y),
    "broadcast_tensors": lambda T, x, y: T.broadcast_tensors(x, y),
    "add alpha": lambda T, x, y: T.add(x, y, alpha=2),
    "mse_loss": lambda T, x, y: T.nn.functional.mse_loss(x, y),
    "lerp": lambda T, x, y: T.lerp(x, y, 0.5),
    "broadcast_shapes": lambda T, x, y: T.broadcast_shapes(x.shape, y.shape),
    "atan2": lambda T, x, y: T.atan2(x, y),
    "addcmul": lambda T, x, y: T.addcmul(x, x, y),
    "masked_fill": lambda T, x, y: x.masked_fill(y > 0, 1.0),
}


def _outcome(T, fn, a, b):
    try:
        out = fn(T, T.ones(a), T.ones(b))
    except RuntimeError as e:
        return str(e).split("\n")[0]
    return "ok" if not isinstance(out, (tuple, list)) else f"{len(out)} ok"


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_the_mismatch_named_is_torchs(op, shapes):
    a, b = shapes
    assert _outcome(engine, OPS[op], a, b) == _outcome(torch, OPS[op], a, b)


def _spd(T, n):
    a = T.tensor([[float((i * 7 + j * 3) % 5) for j in range(n)] for i in range(n)],
                 dtype=T.float64)
    return a @ a.mT + T.eye(n, dtype=T.float64) * n


# batch dimensions and masks that do not broadcast: the operand torch names first
BATCHED = {
    "solve": lambda T: T.linalg.solve(_spd(T, 3).expand(2, 3, 3),
                                      T.ones(3, 3, 1, dtype=T.float64)),
    "solve_triangular": lambda T: T.linalg.solve_triangular(
        _spd(T, 3).expand(2, 3, 3), T.ones(3, 3, 1, dtype=T.float64), upper=True),
    "lstsq": lambda T: T.linalg.lstsq(_spd(T, 3).expand(2, 3, 3),
                                      T.ones(3, 3, 1, dtype=T.float64)),
    "cholesky_solve": lambda T: T.cholesky_solve(
        T.ones(3, 3, 1, dtype=T.float64), T.linalg.cholesky(_spd(T, 3)).expand(2, 3, 3)),
    "lu_solve": lambda T: T.linalg.lu_solve(*T.linalg.lu_factor(_spd(T, 3).expand(2, 3, 3)),
                                            T.ones(3, 3, 1, dtype=T.float64)),
    "masked_fill": lambda T: T.ones(2, 3).masked_fill(T.ones(3, 2) > 0, 1.0),
    "masked_fill_": lambda T: T.ones(2, 3).masked_fill_(T.ones(3, 2) > 0, 1.0),
    "masked_scatter": lambda T: T.ones(2, 3).masked_scatter(T.ones(3, 2) > 0, T.ones(6)),
    "masked_select": lambda T: T.ones(2, 3).masked_select(T.ones(3, 2) > 0),
    "batched matmul": lambda T: T.ones(2, 3, 4) @ T.ones(3, 4, 5),
    "index tensors": lambda T: T.ones(2, 3)[T.tensor([0, 1]), T.tensor([0, 1, 2])],
}


@pytest.mark.parametrize("case", list(BATCHED))
def test_batches_and_masks_name_the_mismatch_as_torch(case):
    def outcome(T):
        try:
            BATCHED[case](T)
        except (RuntimeError, IndexError) as e:
            kind = "IndexError" if isinstance(e, IndexError) else "RuntimeError"
            return kind, str(e).split("\n")[0]
        return "ok"
    assert outcome(engine) == outcome(torch)
