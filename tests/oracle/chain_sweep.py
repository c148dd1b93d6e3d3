"""A sweep of chains: programs of several steps on one tensor and the views of it (views of
views, in-place ops on views and non-leaves, in-place metadata ops, ``setitem``, out-of-place
steps in between), with operands of mixed dtypes (int, bool, half with float), Python numbers,
0-d, empty and non-contiguous inputs, to first or second order. The single-op suite writes
one op on a view two deep; here a chain writes several times, through several views, and
reads the base (and the other views) afterwards.

    .venv/bin/python -m tests.oracle.chain_sweep SEED [out.jsonl]    # N=200 programs

Every program is checked as the differential suite checks one (``compare.check``); the counts
per class are ``sweep.classify``'s.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from hypothesis.internal.conjecture import providers

from .compare import Mismatch, check
from .generate import ALL_DTYPES, SPECIALS, Builder
from .program import DT, FLOATS, Program, Ref
from .sweep import classify

providers._get_local_constants = providers.Constants  # as conftest.py: no project literals

SHAPES = ((), (0,), (1,), (3,), (4,), (2, 3), (3, 2), (2, 2), (1, 3), (2, 0), (2, 1, 3),
          (2, 2, 2), (3, 1))

UNARY_INPLACE = ("exp_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "abs_", "neg_", "sqrt_",
                 "log_", "reciprocal_", "square_", "floor_", "ceil_", "round_", "trunc_",
                 "frac_", "sign_", "zero_", "erf_", "expm1_", "log1p_", "rsqrt_", "atan_",
                 "sinh_", "asinh_", "deg2rad_", "nan_to_num_", "sgn_", "exp2_", "log2_",
                 "logit_", "lgamma_", "digamma_", "erfinv_", "cumsum_", "tril_", "triu_",
                 "fill_", "clamp_", "clamp_min_", "clamp_max_", "detach_", "requires_grad_",
                 "retain_grad")
BINARY_INPLACE = ("add_", "sub_", "mul_", "div_", "pow_", "copy_", "fmod_", "remainder_",
                  "atan2_", "hypot_", "copysign_", "xlogy_", "lerp_", "addcmul_", "addcdiv_",
                  "masked_fill_", "float_power_", "floor_divide_", "true_divide_",
                  "maximum", "minimum", "clamp_", "where", "logaddexp", "fmax", "nextafter_",
                  "ldexp_", "xlogy_")
INDEX_INPLACE = ("index_fill_", "index_add_", "index_copy_", "scatter_", "scatter_add_",
                 "masked_scatter_", "index_put_", "put_", "fill_diagonal_", "scatter_reduce_")
META_INPLACE = ("t_", "transpose_", "squeeze_", "unsqueeze_", "swapdims_", "as_strided_")
OPERATORS_INPLACE = ("+=", "-=", "*=", "/=", "**=", "//=")
OUT_OF_PLACE = ("exp", "sin", "relu", "tanh", "sum", "mean", "cumsum", "*", "+", "clone",
                "contiguous", "to", "float", "double", "half", "abs", "prod", "cumprod",
                "amax", "softmax", "matmul", "where", "pow", "sqrt", "norm", "flip", "roll")


class Chain:
    """The program under construction: ``b`` and each variable's (shape, dtype)."""

    def __init__(self, draw):
        self.draw = draw
        self.b = Builder.start(draw)
        self.meta: dict[str, tuple[tuple, str]] = {}

    def pick(self, pred=lambda shape, dtype: True, exclude=()):
        names = [n for n, (s, d) in self.meta.items() if pred(s, d) and n not in exclude]
        if not names:
            return None
        return self.draw(st.sampled_from(names))

    def values(self, shape, dtype):
        draw, rng = self.draw, self.b.rng()
        self.b.count += 1
        mode = draw(st.sampled_from(("uniform", "uniform", "integers", "specials", "positive")))
        if mode == "integers" or dtype not in FLOATS:
            v = rng.integers(-3, 4, size=shape).astype(np.float64)
        elif mode == "positive":
            v = rng.uniform(0.1, 2.0, size=shape)
        else:
            v = rng.uniform(-2.0, 2.0, size=shape)
            if mode == "specials" and v.size:
                k = rng.integers(1, v.size + 1)
                where = rng.choice(v.size, size=k, replace=False)
                v.reshape(-1)[where] = rng.choice(SPECIALS, size=k)
        if dtype == "bool":
            return np.asarray(v != 0)
        if dtype not in FLOATS:
            v = np.nan_to_num(v, nan=0, posinf=3, neginf=-3)
            return np.round(v).astype(dtype)
        return np.asarray(v).astype(dtype)

    def leaf(self, shape, dtype, rg=None):
        if rg is None:
            rg = dtype in FLOATS and self.draw(st.integers(0, 3)) > 0
        ref = self.b.leaf(self.values(shape, dtype), dtype, rg and dtype in FLOATS)
        self.meta[ref.name] = (tuple(shape), dtype)
        return ref

    def step(self, op, form, args, kwargs=None, shape=None, dtype=None, out=""):
        name = self.b.step(op, form, args, kwargs, out=out)
        if isinstance(name, str) and shape is not None:
            self.meta[name] = (tuple(shape), dtype)
        return name

    # ------------------------------------------------------------------ operands
    def operand(self, shape, dtype, allow_number=True):
        """Another argument for a binary op on a tensor of ``shape``/``dtype``: a Python
        number, a 0-d tensor, a tensor of a broadcastable shape, of the same or another dtype,
        possibly non-contiguous or an existing variable (aliasing)."""
        draw = self.draw
        kind = draw(st.sampled_from(("number", "zero_d", "same", "same", "suffix", "var")
                                    if allow_number else ("zero_d", "same", "suffix", "var")))
        if kind == "number":
            return draw(st.sampled_from((2, -1, 0, 0.5, -1.5, True, False, float("inf"),
                                         float("nan"), 3, 0.25)))
        if kind == "var":
            n = self.pick(lambda s, d: _broadcasts(s, shape))
            if n is not None:
                return Ref(n)
            kind = "same"
        odt = dtype if draw(st.integers(0, 2)) else draw(st.sampled_from(ALL_DTYPES))
        if kind == "zero_d":
            oshape = ()
        elif kind == "suffix" and shape:
            k = draw(st.integers(0, len(shape)))
            oshape = tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in shape[k:])
        else:
            oshape = shape
        if len(oshape) >= 2 and draw(st.integers(0, 3)) == 0:  # a transposed operand
            r = self.leaf(oshape[::-1], odt)
            return Ref(self.step("transpose", "method", (r, 0, len(oshape) - 1), shape=oshape,
                                 dtype=odt))
        return self.leaf(oshape, odt)

    # ------------------------------------------------------------------ views
    def view(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        n = len(shape)
        x = Ref(name)
        kinds = ["alias", "unsqueeze", "detach", "reshape", "view", "flatten", "expand_new"]
        if n >= 1:
            kinds += ["transpose", "permute", "squeeze", "movedim", "slice", "flip_slice"]
            if any(shape):
                kinds += ["select", "narrow", "unbind", "split", "chunk", "unfold"]
        if n == 2:
            kinds += ["t", "T"]
        if n >= 2:
            kinds += ["diagonal", "mT", "swapaxes", "view_split"]
        if 1 in shape:
            kinds.append("expand")
        kind = draw(st.sampled_from(kinds))
        s = list(shape)
        if kind == "alias":
            return self.step("getitem", "getitem", (x, Ellipsis), shape=shape, dtype=dtype)
        if kind == "detach":
            return self.step("detach", "method", (x,), shape=shape, dtype=dtype)
        if kind == "unsqueeze":
            d = draw(st.integers(-n - 1, n))
            dd = d if d >= 0 else d + n + 1
            return self.step("unsqueeze", "method", (x, d), shape=s[:dd] + [1] + s[dd:],
                             dtype=dtype)
        if kind in ("reshape", "view", "flatten"):
            size = int(np.prod(shape))
            if kind == "flatten":
                return self.step("flatten", "method", (x,), shape=(size,) if n else (1,),
                                 dtype=dtype)
            return self.step(kind, "method", (x, -1), shape=(size,), dtype=dtype)
        if kind == "view_split":
            size = int(np.prod(shape))
            target = (shape[0], -1) if shape[0] else (0, -1)
            new = (shape[0], size // shape[0] if shape[0] else 0)
            if not shape[0]:
                return self.step("view", "method", (x, -1), shape=(size,), dtype=dtype)
            return self.step("view", "method", (x, *target), shape=new, dtype=dtype)
        if kind == "expand_new":
            return self.step("expand", "method", (x, 2, *shape), shape=(2, *shape), dtype=dtype)
        if kind == "expand":
            new = tuple(3 if v == 1 and draw(st.booleans()) else v for v in shape)
            return self.step("expand", "method", (x, new), shape=new, dtype=dtype)
        if kind == "transpose":
            a = draw(st.integers(0, n - 1))
            c = draw(st.integers(0, n - 1))
            s[a], s[c] = s[c], s[a]
            return self.step("transpose", "method", (x, a, c), shape=s, dtype=dtype)
        if kind == "swapaxes":
            s[0], s[-1] = s[-1], s[0]
            return self.step("swapaxes", "method", (x, 0, -1), shape=s, dtype=dtype)
        if kind == "movedim":
            a = draw(st.integers(0, n - 1))
            c = draw(st.integers(0, n - 1))
            v = s.pop(a)
            s.insert(c, v)
            return self.step("movedim", "method", (x, a, c), shape=s, dtype=dtype)
        if kind == "permute":
            perm = tuple(draw(st.permutations(range(n))))
            return self.step("permute", "method", (x, perm), shape=[shape[i] for i in perm],
                             dtype=dtype)
        if kind == "squeeze":
            if draw(st.booleans()):
                return self.step("squeeze", "method", (x,), shape=[v for v in s if v != 1],
                                 dtype=dtype)
            d = draw(st.integers(0, n - 1))
            return self.step("squeeze", "method", (x, d),
                             shape=s[:d] + s[d + 1:] if s[d] == 1 else s, dtype=dtype)
        dims = [i for i, v in enumerate(shape) if v > 0]
        if kind == "select":
            d = draw(st.sampled_from(dims))
            i = draw(st.integers(-shape[d], shape[d] - 1))
            return self.step("select", "method", (x, d, i), shape=s[:d] + s[d + 1:],
                             dtype=dtype)
        if kind == "narrow":
            d = draw(st.sampled_from(dims))
            start = draw(st.integers(0, shape[d] - 1))
            length = draw(st.integers(0, shape[d] - start))
            s[d] = length
            return self.step("narrow", "method", (x, d, start, length), shape=s, dtype=dtype)
        if kind in ("slice", "flip_slice"):
            d = draw(st.integers(0, n - 1))
            step = draw(st.sampled_from((1, 2)))
            start = draw(st.integers(0, 1))
            key = (slice(None),) * d + (slice(start, None, step),)
            s[d] = len(range(start, shape[d], step))
            return self.step("getitem", "getitem", (x, key), shape=s, dtype=dtype)
        if kind == "unbind":
            d = draw(st.sampled_from(dims))
            outs = tuple(self.b.name() for _ in range(shape[d]))
            self.step("unbind", "method", (x, d), out=outs)
            for o in outs:
                self.meta[o] = (tuple(s[:d] + s[d + 1:]), dtype)
            return draw(st.sampled_from(outs))
        if kind in ("split", "chunk"):
            d = draw(st.sampled_from(dims))
            k = draw(st.integers(1, max(1, shape[d])))
            pieces = [min(k, shape[d] - i) for i in range(0, shape[d], k)] if kind == "split" \
                else _chunks(shape[d], k)
            outs = tuple(self.b.name() for _ in pieces)
            self.step(kind, "method", (x, k, d), out=outs)
            for o, p in zip(outs, pieces, strict=True):
                self.meta[o] = (tuple(s[:d] + [p] + s[d + 1:]), dtype)
            return draw(st.sampled_from(outs))
        if kind == "unfold":
            d = draw(st.sampled_from(dims))
            size = draw(st.integers(1, shape[d]))
            stp = draw(st.integers(1, 2))
            s[d] = (shape[d] - size) // stp + 1
            return self.step("unfold", "method", (x, d, size, stp), shape=s + [size],
                             dtype=dtype)
        if kind in ("t", "T", "mT"):
            s[-1], s[-2] = s[-2], s[-1]
            if kind == "t":
                return self.step("t", "method", (x,), shape=s, dtype=dtype)
            return self.step(kind, "attr", (x,), shape=s, dtype=dtype)
        if kind == "diagonal":
            off = draw(st.integers(-1, 1))
            a, c = s[-2], s[-1]
            k = max(0, min(a, c - off) if off >= 0 else min(a + off, c))
            return self.step("diagonal", "method", (x, off, -2, -1), shape=s[:-2] + [k],
                             dtype=dtype)
        raise ValueError(kind)  # pragma: no cover

    # ------------------------------------------------------------------ writes
    def inplace(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        x = Ref(name)
        group = draw(st.sampled_from(("unary", "binary", "binary", "operator", "index",
                                      "meta", "setitem")))
        if group == "unary":
            op = draw(st.sampled_from(UNARY_INPLACE))
            args: tuple = (x,)
            kwargs: dict = {}
            if op == "cumsum_":
                args = (x, draw(st.integers(-1, max(0, len(shape) - 1))))
            elif op in ("tril_", "triu_"):
                args = (x, draw(st.integers(-1, 1)))
            elif op == "fill_":
                args = (x, self.operand((), dtype) if draw(st.booleans()) else
                        draw(st.sampled_from((1.5, -2, True, float("nan")))))
                if isinstance(args[1], Ref) and self.meta[args[1].name][0] != ():
                    args = (x, 0.5)
            elif op == "clamp_":
                kwargs = {"min": -0.5} if draw(st.booleans()) else {"min": -1, "max": 1}
            elif op in ("clamp_min_", "clamp_max_"):
                args = (x, draw(st.sampled_from((0, 0.5, -1))))
            elif op == "nan_to_num_":
                kwargs = {"nan": 0.0, "posinf": draw(st.sampled_from((None, 1.0)))}
            elif op == "logit_":
                args = (x,) + ((0.25,) if draw(st.booleans()) else ())
            elif op == "requires_grad_":
                args = (x, draw(st.booleans()))
            if op == "retain_grad":
                self.step(op, "method", args, kwargs, out=None)
                return
            self.step(op, "method", args, kwargs, out=None)
            return
        if group == "binary":
            op = draw(st.sampled_from(BINARY_INPLACE))
            if op in ("maximum", "minimum", "where", "logaddexp", "fmax"):
                # out-of-place, written back with copy_
                o = self.operand(shape, dtype, allow_number=False)
                if op == "where":
                    cond = self.leaf(shape, "bool")
                    r = self.step("where", "function", (cond, x, o))
                else:
                    r = self.step(op, "function", (x, o))
                self.step("copy_", "method", (x, Ref(r)), out=None)
                return
            o = self.operand(shape, dtype)
            kwargs = {}
            if op in ("add_", "sub_") and draw(st.integers(0, 3)) == 0:
                kwargs = {"alpha": draw(st.sampled_from((2, 0.5, -1)))}
            if op == "div_" and draw(st.booleans()):
                kwargs = {"rounding_mode": draw(st.sampled_from(("floor", "trunc", None)))}
            if op == "lerp_":
                args = (x, o, draw(st.sampled_from((0.5, 0.25))) if draw(st.booleans()) else
                        self.operand(shape, dtype, allow_number=False))
            elif op in ("addcmul_", "addcdiv_"):
                args = (x, self.operand(shape, dtype, allow_number=False),
                        self.operand(shape, dtype, allow_number=False))
                if draw(st.booleans()):
                    kwargs = {"value": draw(st.sampled_from((0.5, -2, 1)))}
            elif op == "masked_fill_":
                mask = self.operand(shape, "bool", allow_number=False)
                args = (x, mask, draw(st.sampled_from((0.0, -1.5, float("inf"), 2))))
            elif op == "ldexp_":
                args = (x, self.operand(shape, "int64", allow_number=False))
            else:
                args = (x, o)
            self.step(op, "method", args, kwargs, out=None)
            return
        if group == "operator":
            op = draw(st.sampled_from(OPERATORS_INPLACE))
            self.step(op, "operator", (x, self.operand(shape, dtype)), out=name)
            return
        if group == "setitem":
            self.setitem(name)
            return
        if group == "meta":
            self.meta_inplace(name)
            return
        self.index_inplace(name)

    def setitem(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        x = Ref(name)
        n = len(shape)
        kind = draw(st.sampled_from(("int", "slice", "mask", "index", "ellipsis")))
        if kind == "int" and n and shape[0]:
            key: object = draw(st.integers(-shape[0], shape[0] - 1))
            vshape = shape[1:]
        elif kind == "slice" and n:
            key = (slice(None),) * (n - 1) + (slice(draw(st.integers(0, 1)), None, 2),)
            vshape = shape[:-1] + (len(range(key[-1].start, shape[-1], 2)),)
        elif kind == "mask":
            key = self.leaf(shape, "bool")
            value = draw(st.sampled_from((0.0, -4, float("nan"))))
            if draw(st.booleans()):
                value = self.operand((), dtype, allow_number=False)
            self.step("setitem", "setitem", (x, key, value), out=None)
            return
        elif kind == "index" and n and shape[0]:
            idx = self.b.rng().integers(-shape[0], shape[0], size=draw(st.integers(1, 3)))
            key = self.b.leaf(idx.astype(np.int64), "int64", False)
            self.meta[key.name] = (idx.shape, "int64")
            vshape = tuple(idx.shape) + shape[1:]
        else:
            key, vshape = Ellipsis, shape
        value = draw(st.sampled_from(("number", "tensor", "tensor")))
        v = self.operand(vshape, dtype) if value == "tensor" else \
            draw(st.sampled_from((1.0, -0.0, 7, True)))
        if isinstance(v, Ref) and not _broadcasts(self.meta[v.name][0], vshape):
            v = 2.5
        self.step("setitem", "setitem", (x, key, v), out=None)

    def meta_inplace(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        x = Ref(name)
        n = len(shape)
        s = list(shape)
        op = draw(st.sampled_from(META_INPLACE))
        if op == "t_" and n <= 2:
            self.step("t_", "method", (x,), out=None)
            s = s[::-1]
        elif op in ("transpose_", "swapdims_") and n >= 1:
            a, c = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            self.step(op, "method", (x, a, c), out=None)
            s[a], s[c] = s[c], s[a]
        elif op == "squeeze_":
            self.step(op, "method", (x,), out=None)
            s = [v for v in s if v != 1]
        elif op == "as_strided_" and all(shape):
            size = int(np.prod(shape))
            self.step(op, "method", (x, (size,), (1,)), out=None)
            s = [size]
        else:
            d = draw(st.integers(0, n))
            self.step("unsqueeze_", "method", (x, d), out=None)
            s = s[:d] + [1] + s[d:]
        self.meta[name] = (tuple(s), dtype)

    def index_inplace(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        x = Ref(name)
        n = len(shape)
        op = draw(st.sampled_from(INDEX_INPLACE))
        rng = self.b.rng()
        d = draw(st.integers(0, n - 1)) if n else 0
        size = shape[d] if n else 1
        if op == "fill_diagonal_":
            self.step(op, "method", (x, draw(st.sampled_from((0.0, -1, float("nan"))))),
                      out=None)
            return
        if op == "masked_scatter_":
            mask = self.operand(shape, "bool", allow_number=False)
            src = self.leaf(shape, dtype if draw(st.integers(0, 4)) else
                            draw(st.sampled_from(ALL_DTYPES)))
            self.step(op, "method", (x, mask, src), out=None)
            return
        if op == "put_":
            k = draw(st.integers(0, 3))
            total = int(np.prod(shape))
            idx = rng.integers(-total, max(total, 1), size=k) if total else np.zeros(0, int)
            i = self.b.leaf(idx.astype(np.int64), "int64", False)
            self.meta[i.name] = (idx.shape, "int64")
            src = self.leaf((k,), dtype)
            self.step(op, "method", (x, i, src),
                      {"accumulate": True} if draw(st.booleans()) else {}, out=None)
            return
        if op == "index_put_":
            k = draw(st.integers(0, 3))
            idx = rng.integers(-size, size, size=k) if size else np.zeros(0, int)
            i = self.b.leaf(idx.astype(np.int64), "int64", False)
            self.meta[i.name] = (idx.shape, "int64")
            vshape = (k,) + tuple(shape[1:]) if n else ()
            v = self.operand(vshape, dtype, allow_number=False)
            self.step(op, "method", (x, (i,), v),
                      {"accumulate": True} if draw(st.booleans()) else {}, out=None)
            return
        k = draw(st.integers(0, 3))
        idx = rng.integers(0, size, size=k) if size else np.zeros(0, int)
        if op in ("scatter_", "scatter_add_", "scatter_reduce_"):
            ishape = list(shape) if n else []
            if n:
                ishape[d] = min(k, shape[d]) if shape[d] else 0
            idx = rng.integers(0, max(size, 1), size=ishape) if size else \
                np.zeros(ishape, int)
            i = self.b.leaf(np.asarray(idx).astype(np.int64), "int64", False)
            self.meta[i.name] = (tuple(ishape), "int64")
            src = self.leaf(tuple(ishape), dtype)
            kw = {}
            if op == "scatter_reduce_":
                kw = {"reduce": draw(st.sampled_from(("sum", "prod", "mean", "amax", "amin"))),
                      "include_self": draw(st.booleans())}
            self.step(op, "method", (x, d, i, src), kw, out=None)
            return
        i = self.b.leaf(idx.astype(np.int64), "int64", False)
        self.meta[i.name] = (idx.shape, "int64")
        if op == "index_fill_":
            self.step(op, "method", (x, d, i, draw(st.sampled_from((0.5, -1, True)))),
                      out=None)
            return
        sshape = list(shape)
        if n:
            sshape[d] = k
        src = self.leaf(tuple(sshape), dtype if draw(st.integers(0, 4)) else
                        draw(st.sampled_from(ALL_DTYPES)))
        kw = {"alpha": 2} if op == "index_add_" and draw(st.booleans()) else {}
        self.step(op, "method", (x, d, i, src), kw, out=None)

    # ------------------------------------------------------------------ out of place
    def compute(self, name):
        draw = self.draw
        shape, dtype = self.meta[name]
        x = Ref(name)
        op = draw(st.sampled_from(OUT_OF_PLACE))
        n = len(shape)
        if op in ("*", "+"):
            o = self.operand(shape, dtype)
            return self.step(op, "operator", (x, o) if draw(st.booleans()) else (o, x),
                             shape=_bshape(shape, o, self), dtype=dtype)
        if op in ("sum", "mean", "prod", "amax", "cumsum", "cumprod", "softmax", "norm"):
            if n and draw(st.booleans()) or op in ("cumsum", "cumprod", "softmax"):
                d = draw(st.integers(-max(n, 1), max(n, 1) - 1))
                keep = op not in ("cumsum", "cumprod", "softmax") and draw(st.booleans())
                kw = {"keepdim": True} if keep else {}
                if op in ("cumsum", "cumprod", "softmax"):
                    rs = shape
                else:
                    dd = d % n if n else 0
                    rs = shape[:dd] + ((1,) if keep else ()) + shape[dd + 1:] if n else ()
                return self.step(op, "method", (x, d), kw, shape=rs, dtype=dtype)
            return self.step(op, "method", (x,), shape=(), dtype=dtype)
        if op == "matmul":
            if not n:
                op = "exp"
            else:
                k = shape[-1]
                o = self.leaf((k,) if draw(st.booleans()) else (k, 2), dtype)
                oshape = self.meta[o.name][0]
                rs = shape[:-1] + oshape[1:]
                return self.step("matmul", "method", (x, o), shape=rs, dtype=dtype)
        if op == "where":
            cond = self.leaf(shape, "bool")
            o = self.operand(shape, dtype)
            return self.step("where", "function", (cond, x, o), shape=shape, dtype=dtype)
        if op == "pow":
            return self.step("pow", "method", (x, self.operand(shape, dtype)), shape=shape,
                             dtype=dtype)
        if op == "to":
            dt = draw(st.sampled_from(ALL_DTYPES))
            return self.step("to", "method", (x, DT(dt)), shape=shape, dtype=dt)
        if op in ("float", "double", "half"):
            return self.step(op, "method", (x,), shape=shape,
                             dtype={"float": "float32", "double": "float64",
                                    "half": "float16"}[op])
        if op == "flip":
            return self.step("flip", "method", (x, tuple(range(n))), shape=shape, dtype=dtype)
        if op == "roll":
            return self.step("roll", "method", (x, 1), shape=shape, dtype=dtype)
        return self.step(op, "method", (x,), shape=shape, dtype=dtype)


def _chunks(n, k):
    if n == 0:
        return [0]
    size = -(-n // k)
    return [min(size, n - i) for i in range(0, n, size)]


def _broadcasts(s, shape):
    if len(s) > len(shape):
        return False
    return all(a in (1, b) for a, b in zip(s[::-1], shape[::-1], strict=False))


def _bshape(shape, o, c):
    if isinstance(o, Ref) and o.name in c.meta:
        s = c.meta[o.name][0]
        n = max(len(s), len(shape))
        a = (1,) * (n - len(s)) + tuple(s)
        b = (1,) * (n - len(shape)) + tuple(shape)
        return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b, strict=True))
    return shape


def chain_program(draw) -> Program:
    c = Chain(draw)
    shape = draw(st.sampled_from(SHAPES))
    dtype = c.b.main if draw(st.integers(0, 5)) else draw(st.sampled_from(ALL_DTYPES))
    x = c.leaf(shape, dtype, rg=dtype in FLOATS)
    start = draw(st.sampled_from(("mul", "mul", "clone", "exp", "leaf")))
    if start != "leaf":
        args = (x, 2) if start == "mul" else (x,)
        c.step("*" if start == "mul" else start, "operator" if start == "mul" else "method",
               args, shape=shape, dtype=dtype)
    for _ in range(draw(st.integers(2, 6))):
        action = draw(st.sampled_from(("view", "view", "inplace", "inplace", "inplace",
                                       "compute")))
        grad_leaves = {lf.name for lf in c.b.leaves if lf.requires_grad}
        name = None
        if action != "compute" and draw(st.integers(0, 4)):  # mostly non-leaves and views
            name = c.pick(lambda s, d, n=None: True, exclude=grad_leaves)
        name = name or c.pick()
        try:
            if action == "view":
                c.view(name)
            elif action == "inplace":
                c.inplace(name)
            else:
                c.compute(name)
        except (ValueError, IndexError, ZeroDivisionError):
            continue
    loss = tuple(n for n, (s, d) in c.meta.items() if d in FLOATS)
    order = draw(st.sampled_from((0, 1, 1, 2, 2)))
    return c.b.program(order, loss=loss or None, label="chain")


def main():
    seed_ = int(sys.argv[1])
    n = int(os.environ.get("N", "200"))
    counts: Counter = Counter()
    start = time.time()
    out = open(sys.argv[2] if len(sys.argv) > 2 else os.devnull, "a")

    @seed(seed_)
    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        program = chain_program(data.draw)
        counts["programs"] += 1
        try:
            check(program)
        except Mismatch as exc:
            text = str(exc)
            kind = classify(text.split(": ", 1)[1] if ": " in text else text)
            counts[kind] += 1
            head, _, prog = text.partition("\nprogram:\n")
            out.write(json.dumps({"op": "chain", "class": kind, "problem": head,
                                  "program": prog}) + "\n")
            out.flush()
        except UnsatisfiedAssumption:
            counts["rejected"] += 1
        except Exception as exc:  # noqa: BLE001 (a harness error: kept, the sweep goes on)
            counts["harness"] += 1
            out.write(json.dumps({"op": "chain", "class": "harness",
                                  "problem": repr(exc)[:2000],
                                  "program": program.source()}) + "\n")
            out.flush()

    run()
    print(json.dumps({"seed": seed_, **counts, "seconds": round(time.time() - start)}))


if __name__ == "__main__":
    main()
