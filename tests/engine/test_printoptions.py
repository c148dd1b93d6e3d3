"""``torch.set_printoptions`` against torch 2.13: every option and profile changes a tensor's
repr as torch's does (fixed, integral, scientific and forced modes; summarised and wrapped
tensors; float16/32/64 and int64), the options scope to a context, and torch's quirks hold
(a call without ``sci_mode`` returns to the automatic choice; an unknown profile is ignored)."""

from __future__ import annotations

import contextvars

import numpy as np
import pytest

import engine
import engine.printing as printing

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
ARRAYS = [np.array([1.12345, 2.5, -3.25]), np.array([1e-5, 1.0, 3.0]),
          np.array([1.0, 2.0, 3e9]), np.arange(30.0) / 7, np.array([[1.5, 2e5], [3.0, 4.0]]),
          RNG.normal(size=(40, 40)), np.array([0.0, -0.0]),
          np.array([float("nan"), 1.5, float("inf")]), np.arange(2000.0), np.array(3.14159),
          np.array([1.0, 2.0, 3.0]), RNG.normal(size=5) * 1e-6, np.arange(12.0).reshape(3, 4)]
OPTIONS = [{}, {"precision": 2}, {"precision": 8}, {"threshold": 5},
           {"edgeitems": 1, "threshold": 10}, {"linewidth": 40}, {"sci_mode": True},
           {"sci_mode": False}, {"profile": "short"}, {"profile": "full", "linewidth": 200},
           {"profile": "default"}, {"precision": 2, "sci_mode": True}, {"profile": "nonsense"},
           {"precision": 0}, {"linewidth": 1, "precision": 1}]


@pytest.fixture
def torch_defaults():
    yield
    torch.set_printoptions(profile="default", sci_mode=None)


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_reprs_match_torch(options, torch_defaults):
    def reprs():
        torch.set_printoptions(**options)
        engine.set_printoptions(**options)
        assert printing.get_printoptions() == torch._tensor_str.get_printoptions()
        out = []
        for a in ARRAYS:
            for dtype in ("float16", "float32", "float64", "int64"):
                if dtype == "int64" and not np.all(np.isfinite(a)):
                    continue
                out.append((repr(engine.tensor(a.astype(dtype))),
                            repr(torch.tensor(a.astype(dtype)))))
        return out

    pairs = contextvars.copy_context().run(reprs)
    assert [o for o, _ in pairs] == [t for _, t in pairs]


def test_a_call_without_sci_mode_returns_to_the_automatic_choice(torch_defaults):
    def run(lib):
        lib.set_printoptions(sci_mode=True)
        lib.set_printoptions(precision=3)
        return repr(lib.tensor([1.5, 2.25]))

    assert contextvars.copy_context().run(run, engine) == run(torch) == "tensor([1.500, 2.250])"


def test_options_stay_in_their_context():
    def inner():
        engine.set_printoptions(precision=1)
        return repr(engine.tensor([1.25]))

    assert contextvars.copy_context().run(inner) == "tensor([1.2])"
    assert repr(engine.tensor([1.25])) == "tensor([1.2500])"
