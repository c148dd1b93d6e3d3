"""Programs around one op call (``op_program``) and views of non-leaves (``view_of``), the
targets in-place ops are tried on."""

from __future__ import annotations

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from engine.ops import OPS

from .gauge import GAUGED, ON_INPUT, tensor_matrix_kind
from .generate import Builder, TArg
from .program import FLOATS, Program, Ref
from .specs import INPLACE_OPERATOR, OPERATOR, forms, spec_for

# --------------------------------------------------------------------------- views


def view_of(b: Builder, shape: tuple, dtype: str, depth: int = 1):
    """A view of the given shape whose base is a non-leaf built from a leaf that requires
    grad (when ``dtype`` is floating). Returns (base name, view Ref)."""
    draw = b.draw
    n = len(shape)
    kinds = ["alias", "view", "reshape", "unsqueeze", "select", "narrow", "slice", "unbind",
             "split", "chunk", "detach"]
    if n >= 1:
        kinds += ["transpose", "permute", "diagonal", "squeeze", "flatten-view"]
    if n == 2:
        kinds += ["t", "T", "mT"]
    if any(s > 1 for s in shape):
        kinds.append("expand")
    kind = draw(st.sampled_from(kinds))
    base_shape, make = _view_recipe(draw, kind, shape)
    if depth > 1 and draw(st.booleans()):
        base_name, base = view_of(b, base_shape, dtype, depth - 1)
    else:
        rg = dtype in FLOATS
        vals = b.values(TArg(base_shape), dtype)
        x = b.leaf(vals, dtype, rg)
        base_name = b.step("*", "operator", (x, 2)) if rg else x.name
        base = Ref(base_name)
    return base_name, make(b, base)


def _view_recipe(draw, kind: str, shape: tuple):
    n = len(shape)

    def m(op, form, *args, out=""):
        return lambda b, base: Ref(b.step(op, form, (base,) + args, out=out))

    if kind == "alias":
        return shape, lambda b, base: Ref(b.step("getitem", "getitem", (base, Ellipsis)))
    if kind in ("view", "reshape"):
        flat = (int(np.prod(shape)),)
        return flat, m(kind, "method", tuple(shape))
    if kind == "flatten-view":
        d = draw(st.integers(0, n - 1))
        base_shape = shape[:d] + (1, shape[d]) + shape[d + 1:]
        return base_shape, m("flatten", "method", d, d + 1)
    if kind == "unsqueeze":
        if n and shape[0] == 1:
            return shape[1:], m("unsqueeze", "method", 0)
        return (1,) + shape, m("squeeze", "method", 0)
    if kind == "squeeze":
        d = draw(st.integers(0, n))
        return shape[:d] + (1,) + shape[d:], m("squeeze", "method", d)
    if kind == "select":
        d = draw(st.integers(0, n))
        i = draw(st.integers(-2, 1))
        return shape[:d] + (2,) + shape[d:], m("select", "method", d, i)
    if kind in ("narrow", "slice"):
        if not n:
            return (3,), m("select", "method", 0, 1)
        d = draw(st.integers(0, n - 1))
        start = draw(st.integers(0, 2))
        base_shape = shape[:d] + (shape[d] + start + draw(st.integers(0, 1)),) + shape[d + 1:]
        if kind == "narrow":
            return base_shape, m("narrow", "method", d, start, shape[d])
        key = (slice(None),) * d + (slice(start, start + shape[d]),)
        return base_shape, lambda b, base: Ref(b.step("getitem", "getitem", (base, key)))
    if kind == "unbind":
        d = draw(st.integers(0, n))
        i = draw(st.integers(0, 1))
        base_shape = shape[:d] + (2,) + shape[d:]

        def make(b, base):
            outs = (b.name(), b.name())
            b.step("unbind", "method", (base, d), out=outs)
            return Ref(outs[i])

        return base_shape, make
    if kind in ("split", "chunk"):
        if not n:
            return (2,), m("select", "method", 0, 0)
        d = draw(st.integers(0, n - 1))
        i = draw(st.integers(0, 1))
        base_shape = shape[:d] + (shape[d] * 2,) + shape[d + 1:]

        def make(b, base):
            outs = (b.name(), b.name()) if shape[d] else (b.name(),)
            arg = shape[d] if kind == "split" else 2
            if shape[d] == 0:
                return Ref(b.step("narrow", "method", (base, d, 0, 0)))
            b.step(kind, "method", (base, arg, d), out=outs)
            return Ref(outs[i])

        return base_shape, make
    if kind == "detach":
        return shape, m("detach", "method")
    if kind == "transpose":
        a, c = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2,
                                    unique=True))) if n >= 2 else (0, 0)
        base_shape = list(shape)
        base_shape[a], base_shape[c] = base_shape[c], base_shape[a]
        return tuple(base_shape), m("transpose", "method", a, c)
    if kind == "permute":
        perm = tuple(draw(st.permutations(range(n))))
        inv = tuple(int(i) for i in np.argsort(perm))
        return tuple(shape[i] for i in inv), m("permute", "method", perm)
    if kind in ("t", "T", "mT"):
        base_shape = (shape[1], shape[0])
        if kind == "t":
            return base_shape, m("t", "method")
        return base_shape, lambda b, base: Ref(b.step(kind, "attr", (base,)))
    if kind == "diagonal":
        k = shape[-1]
        return shape[:-1] + (k, k), m("diagonal", "method", 0, -2, -1)
    if kind == "expand":
        d = draw(st.sampled_from([i for i, s in enumerate(shape) if s > 1]))
        base_shape = shape[:d] + (1,) + shape[d + 1:]
        return base_shape, m("expand", "method", tuple(shape))
    raise ValueError(kind)  # pragma: no cover


# --------------------------------------------------------------------------- one op


def op_program(name: str, draw) -> Program:
    """A program calling op ``name`` once (on generated inputs), then its gradient phase."""
    spec = spec_for(name)
    call = spec.draw(draw)
    b = Builder.start(draw)
    d = OPS[name]
    loss = None
    if d.inplace and call.args and isinstance(call.args[0], TArg):
        target, base = _inplace_target(b, call.args[0])
        args = (target,) + b.materialize(call.args[1:])
        loss = (target.name,) + ((base,) if base else ())
    else:
        args = b.materialize(call.args)
    kwargs = b.materialize(call.kwargs)
    if name in ROW_READERS and _expanded_along(b, args, kwargs.get("dim")):
        reject()  # torch reads past the row (docs/oracle.md, "deliberately not copied")
    fs = forms(name, args, kwargs)
    form = draw(st.sampled_from(fs))
    op = name
    if form == "operator":
        op = INPLACE_OPERATOR.get(name) or OPERATOR[name]
    elif form == "function" and d.aliases and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(d.aliases))
    if d.inplace and form == "operator":
        out = b.step(op, form, args, kwargs, out=args[0].name)
    else:
        out = b.step(op, form, args, kwargs, out=None if name == "setitem" else "")
    if name == "setitem":
        loss = (args[0].name,)
    elif out is None:
        loss = ()
    order = draw(st.sampled_from((0, 1, 1, 2, 2) if call.order >= 2 else (0, 1, 1)))
    p = b.program(order, loss=loss, values=call.values, label=f"op {name}")
    if name in GAUGED and isinstance(out, str):
        p.gauge = ((out, GAUGED[name]),)
    key = f"{name}/{kwargs.get('driver')}" if name == "linalg.lstsq" else name
    if key in ON_INPUT and args and isinstance(args[0], Ref):
        p.gauge = ((args[0].name, ON_INPUT[key]),)
    if name in ("linalg.tensorinv", "linalg.tensorsolve") and args and isinstance(args[0], Ref):
        p.gauge = ((args[0].name, tensor_matrix_kind(name, args, kwargs)),)
    # (drawn last, so the draws above, and the programs they make, stay as they were)
    if order >= 1 and draw(st.integers(0, 3)) == 0:
        # retain_grad() on a non-leaf the program made (the op's result, the view an in-place
        # op wrote, an input's layout step): its .grad, or torch's error for one that does
        # not require grad, is compared too
        made = [s.out for s in b.steps if isinstance(s.out, str)]
        if made:
            p.retain = (draw(st.sampled_from(made)),)
    return p


# ops whose CPU kernel reads each row along ``dim`` as contiguous memory unless its stride is
# above 1: on a row expanded along ``dim`` (stride 0) torch 2.13 reads past the row, out of the
# tensor's storage (values change from run to run); such programs are not compared
ROW_READERS = frozenset(("median", "nanmedian"))


def _expanded_along(b: Builder, args: tuple, dim) -> bool:
    """Whether ``args[0]`` is an expanded input (``Builder.layout``) whose reduced dim
    (``args[1]`` or ``dim``) has stride 0 and more than one element."""
    if dim is None and len(args) > 1:
        dim = args[1]
    if not isinstance(dim, int) or not args or not isinstance(args[0], Ref):
        return False
    for step in b.steps:
        if step.out == args[0].name and step.op == "expand" and isinstance(step.args[0], Ref):
            shape = step.args[1]
            leaf = next((lf for lf in b.leaves if lf.name == step.args[0].name), None)
            if leaf is None or not -len(shape) <= dim < len(shape):
                return False
            return leaf.values.shape[dim] == 1 and shape[dim] > 1
    return False


def _inplace_target(b: Builder, t: TArg):
    """The tensor an in-place op writes to: a non-leaf, a plain tensor, a leaf that requires
    grad (an error in torch) or a view of a non-leaf. Returns (Ref, base name or None)."""
    kind = b.draw(st.sampled_from(("nonleaf", "nonleaf", "plain", "leaf", "view", "view")))
    dtype = b.pick_dtype(t)
    if kind == "view":
        base, view = view_of(b, tuple(t.shape), dtype, depth=2)
        return view, base
    vals = b.values(t, dtype)
    rg = dtype in FLOATS and kind != "plain"
    x = b.leaf(vals, dtype, rg)
    if kind == "nonleaf" and rg:
        return Ref(b.step("clone", "method", (x,))), None
    return x, None
