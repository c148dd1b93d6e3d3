"""The transform scenarios run on the engine and compared with what torch computed for them
(``tests/engine/goldens/autodiff.json``, recorded by
``scripts/torch_goldens/record_autodiff.py``): values, shapes, dtypes, structure and, where
torch has one, the result's grad_fn name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import engine
import engine.autograd.functional  # noqa: F401
import engine.func  # noqa: F401
from tests.engine.autodiff.scenarios import SCENARIOS

GOLDEN = json.loads((Path(__file__).parents[1] / "goldens/autodiff.json").read_text())

# torch leaves the graph of its forward-over-reverse pass on this result (its jac_func sets
# requires_grad on the dual inputs); ours is detached like every other hessian
GRAD_FN_NOT_COMPARED = {"functional_hessian_vectorized_forward"}


def _compare(got, want, where: str, grad_fn: bool = True) -> None:
    # float32 programs (the tutorial's 2000 steps) accumulate rounding differently
    tol = {"rtol": 1e-9, "atol": 1e-12} if want.get("dtype", "float64") == "float64" else \
        {"rtol": 2e-4, "atol": 1e-7}
    if "tensor" in want:
        assert isinstance(got, engine.Tensor), f"{where}: expected a tensor, got {type(got)}"
        assert list(got.shape) == want["shape"], where
        assert got.dtype.name == want["dtype"], where
        np.testing.assert_allclose(engine.to_numpy(got), np.asarray(want["tensor"]),
                                   err_msg=where, **tol)
        name = None if got.grad_fn is None else got.grad_fn.name()
        assert not grad_fn or name == want["grad_fn"], f"{where}: grad_fn {name}"
    elif "seq" in want:
        assert type(got).__name__ == want["kind"] or isinstance(got, (tuple, list)), where
        assert len(got) == len(want["seq"]), where
        for i, (g, w) in enumerate(zip(got, want["seq"])):
            _compare(g, w, f"{where}[{i}]", grad_fn)
    elif "dict" in want:
        assert set(got) == set(want["dict"]), where
        for k in got:
            _compare(got[k], want["dict"][k], f"{where}[{k!r}]", grad_fn)
    else:
        assert got == want["value"], where


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_matches_torch(name):
    assert name in GOLDEN, "rerun scripts/torch_goldens/record_autodiff.py"
    _compare(SCENARIOS[name](engine), GOLDEN[name], name, name not in GRAD_FN_NOT_COMPARED)
