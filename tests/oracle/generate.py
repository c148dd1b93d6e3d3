"""Building programs from hypothesis draws: input tensors with drawn dtypes, values, layouts
and ``requires_grad``, then the calls.

A tensor argument is described by a ``TArg`` (its shape, value domain and what may vary);
``Builder.tensor`` turns one into a leaf plus the steps that give it its layout (a transposed
or strided view, a non-leaf copy, an expanded view).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from .program import DT, EXACT, FLOATS, INTS, SMALL_INTS, Leaf, Program, Ref, Step

# uint8, int8 and int16 are drawn too (as mixed-in inputs, in specs that draw any dtype, and as
# dtype arguments); ORACLE_SMALL_INTS=0 leaves them out
ALL_DTYPES = FLOATS + INTS + (SMALL_INTS if os.environ.get("ORACLE_SMALL_INTS", "1") == "1"
                              else ()) + ("bool",)
SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0)


@dataclass
class TArg:
    """A tensor argument to generate. ``dtype`` None: the program's float dtype (sometimes
    another one when ``mix``); ``values``: a fixed example of the values (used as they are
    for part of the draws); ``grad``: may require grad; ``layout``: may be a non-contiguous
    view or a non-leaf."""

    shape: tuple
    lo: float = -2.0
    hi: float = 2.0
    dtype: str | None = None
    values: np.ndarray | None = None
    grad: bool = True
    layout: bool = True
    mix: bool = True
    integer: bool = False       # integer-valued (indices, counts): never randomized to floats
    specials: bool = True       # may hold NaN, inf and signed zeros
    scalar: bool = False        # a 0-d one may be passed as a Python number


@dataclass
class Builder:
    draw: object
    leaves: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    count: int = 0
    main: str = "float32"
    seed: int = 0

    @classmethod
    def start(cls, draw) -> Builder:
        b = cls(draw)
        b.main = draw(st.sampled_from(("float64", "float64", "float32", "float32", "float16")))
        b.seed = draw(st.integers(0, 2 ** 16))
        return b

    def name(self, prefix: str = "v") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.count])

    def step(self, op: str, form: str, args=(), kwargs=None, out: str | tuple | None = "") -> \
            str | tuple | None:
        if out == "":
            out = self.name()
        self.steps.append(Step(out, op, form, tuple(args), dict(kwargs or {})))
        return out

    # ------------------------------------------------------------------ tensors
    def pick_dtype(self, t: TArg) -> str:
        if t.dtype is not None:
            if t.mix and t.dtype in INTS and self.draw(st.integers(0, 9)) == 0:
                return "int32" if t.dtype == "int64" else "int64"
            return t.dtype
        if t.mix and self.draw(st.integers(0, 9)) == 0:
            return self.draw(st.sampled_from(ALL_DTYPES))
        return self.main

    def values(self, t: TArg, dtype: str) -> np.ndarray:
        draw, rng = self.draw, self.rng()
        shape = tuple(t.shape)
        mode = draw(st.sampled_from(("example", "uniform", "uniform", "integers", "specials"))) \
            if t.values is not None else \
            draw(st.sampled_from(("uniform", "uniform", "integers", "specials")))
        if t.integer:
            mode = "example" if t.values is not None else "integers"
        if mode == "example" and t.values is not None and t.values.shape == shape:
            v = np.asarray(t.values, dtype=np.float64 if t.values.dtype.kind == "f" else None)
        elif mode == "integers" or dtype in EXACT:
            lo, hi = int(np.floor(t.lo)), int(np.ceil(t.hi))
            v = rng.integers(lo, max(hi, lo) + 1, size=shape).astype(np.float64)
        else:
            v = rng.uniform(t.lo, t.hi, size=shape)
            if mode == "specials" and t.specials and v.size:
                k = rng.integers(1, v.size + 1)
                where = rng.choice(v.size, size=k, replace=False)
                v.reshape(-1)[where] = rng.choice(SPECIALS, size=k)
        if dtype == "bool":
            return np.asarray(v != 0) if v.dtype != np.bool_ else v
        if dtype in INTS:
            v = np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0, posinf=3, neginf=-3)
            return np.round(v).astype(dtype)
        return np.asarray(v).astype(dtype)

    def tensor(self, t: TArg, requires_grad: bool | None = None):
        """A ``Ref`` to a new input for ``t`` (or a Python number for a 0-d ``scalar``)."""
        draw = self.draw
        dtype = self.pick_dtype(t)
        vals = self.values(t, dtype)
        if t.scalar and vals.ndim == 0 and draw(st.integers(0, 4)) == 0:
            return vals.item()
        floating = dtype in FLOATS
        if requires_grad is None:
            requires_grad = floating and t.grad and draw(st.integers(0, 4)) > 0
        requires_grad = requires_grad and floating
        layouts = ["plain"]
        if t.layout:
            if vals.ndim >= 2:
                layouts.append("transposed")
            if vals.size > 1:
                layouts.append("strided")
            if requires_grad:
                layouts.append("nonleaf")
            if any(s > 1 for s in vals.shape) and not requires_grad:
                layouts.append("expanded")
            if vals.ndim >= 1:
                layouts.append("nonleaf-view")
        layout = draw(st.sampled_from(layouts)) if draw(st.booleans()) else "plain"
        return self.layout(vals, dtype, requires_grad, layout)

    def leaf(self, vals: np.ndarray, dtype: str, requires_grad: bool) -> Ref:
        name = self.name("x")
        self.leaves.append(Leaf(name, vals, dtype, requires_grad))
        return Ref(name)

    def layout(self, vals: np.ndarray, dtype: str, requires_grad: bool, layout: str):
        if layout == "transposed":
            n = vals.ndim
            a, b = sorted(self.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2,
                                             unique=True)))
            x = self.leaf(np.ascontiguousarray(np.swapaxes(vals, a, b)), dtype, requires_grad)
            return Ref(self.step("transpose", "method", (x, a, b)))
        if layout == "strided":
            wide = np.zeros(vals.shape + (2,), dtype=vals.dtype)
            wide[..., 0] = vals
            wide[..., 1] = vals
            x = self.leaf(wide, dtype, requires_grad)
            return Ref(self.step("getitem", "getitem", (x, (Ellipsis, 0))))
        if layout == "nonleaf":
            x = self.leaf(vals, dtype, requires_grad)
            return Ref(self.step("clone", "method", (x,)))
        if layout == "expanded":
            dims = [i for i, s in enumerate(vals.shape) if s > 1]
            d = self.draw(st.sampled_from(dims))
            small = np.ascontiguousarray(vals.take([0], axis=d))
            x = self.leaf(small, dtype, requires_grad)
            return Ref(self.step("expand", "method", (x, tuple(vals.shape))))
        if layout == "nonleaf-view":
            x = self.leaf(vals, dtype, requires_grad)
            y = self.step("*", "operator", (x, 1))
            return Ref(self.step("getitem", "getitem", (Ref(y), (Ellipsis,))))
        return self.leaf(vals, dtype, requires_grad)

    def materialize(self, a):
        """Replace every ``TArg`` in an argument structure by a generated input."""
        if isinstance(a, TArg):
            return self.tensor(a)
        if isinstance(a, tuple):
            return tuple(self.materialize(x) for x in a)
        if isinstance(a, list):
            return [self.materialize(x) for x in a]
        if isinstance(a, dict):
            return {k: self.materialize(v) for k, v in a.items()}
        return a

    def program(self, order: int, loss=None, retain=(), values=True, label="") -> Program:
        return Program(self.leaves, self.steps, order=order, loss=loss, retain=tuple(retain),
                       seed=self.seed, values=values, label=label)


def const(values: np.ndarray, dtype: str) -> TArg:
    """A fixed tensor argument (indices, masks, class targets)."""
    return TArg(tuple(values.shape), dtype=dtype, values=np.asarray(values), grad=False,
                layout=False, integer=dtype in EXACT, specials=False)


__all__ = ["Builder", "TArg", "const", "DT", "ALL_DTYPES"]
