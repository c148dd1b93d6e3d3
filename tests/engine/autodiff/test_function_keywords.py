"""``Function.apply`` with keyword arguments, bound as torch 2.13 binds them, compared with torch
itself: a class with ``setup_context`` binds like ``inspect.Signature.bind`` with the defaults
applied (``inputs`` holds every parameter); a class without it puts each keyword at its
parameter's position after ``ctx``."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")


def make_classes(lib):
    seen = []

    class Defaults(lib.autograd.Function):
        @staticmethod
        def forward(x, k=2, m=1):
            return x * k + m

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(tuple(v if isinstance(v, (int, float)) else "T" for v in inputs))

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    class KeywordOnly(lib.autograd.Function):
        @staticmethod
        def forward(x, *, k=1):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(len(inputs))

        @staticmethod
        def backward(ctx, g):
            return g

    class VarKeywords(lib.autograd.Function):
        @staticmethod
        def forward(x, **kw):
            return x * 1

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(len(inputs))

        @staticmethod
        def backward(ctx, g):
            return g

    class Positions(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y=2, z=3):
            seen.append(("z", z) if not isinstance(z, int) or z != 3 else "default z")
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    return seen, {c.__name__: c for c in (Defaults, KeywordOnly, VarKeywords, Positions)}


CALLS = [
    ("Defaults", (), {}), ("Defaults", (3,), {}), ("Defaults", (), {"k": 3}),
    ("Defaults", (), {"m": 5}), ("Defaults", (3,), {"k": 4}), ("Defaults", (), {"q": 1}),
    ("Defaults", (3, 4, 5), {}), ("KeywordOnly", (), {}), ("KeywordOnly", (), {"k": 2}),
    ("VarKeywords", (), {}), ("VarKeywords", (), {"a": 1}), ("Positions", (), {}),
    ("Positions", (), {"y": 3}), ("Positions", (), {"z": 4}), ("Positions", (5,), {"z": 4}),
    ("Positions", (5,), {"y": 4}), ("Positions", (), {"w": 1}),
]


def outcome(lib, name, extra, kwargs):
    seen, classes = make_classes(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    try:
        y = classes[name].apply(x, *extra, **kwargs)
    except TypeError as e:
        return ("TypeError", str(e), seen)
    y.sum().backward()
    return (np.asarray(y.detach().tolist()).tolist(), x.grad.tolist(), seen)


@pytest.mark.parametrize("name,extra,kwargs", CALLS)
def test_apply_binds_as_torch(name, extra, kwargs):
    assert outcome(engine, name, extra, kwargs) == outcome(torch, name, extra, kwargs)


def test_apply_keywords_for_vjp_and_once_differentiable_classes():
    class Twice(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=2):
            ctx.k = k
            return x * k

        @staticmethod
        def vjp(ctx, g):
            return g * ctx.k, None

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    Twice.apply(x, k=3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
