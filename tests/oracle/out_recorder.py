"""Which table ops torch 2.13 gives ``out=``, and what each does with it: a golden recorder.

For every function-form op of the table (``torch.x``, ``F.x``, ``torch.linalg.x``,
``torch.special.x``, as the differential suite resolves them) this calls torch with the op's
first gradcheck sample (float arrays as float32 tensors; the extra calls below for the ops
without samples), then again with ``out=``: an out of the result's own dtype and shape, of
float64, of int64, and one of another shape. It records whether torch takes ``out=`` (else
the error text), whether the result is the out tensor itself, and per out dtype: the error
text, or "cast" (the result's values cast to out's dtype) / "compute" (the values computed in
out's dtype, bits of the op on float64 inputs) / "other".

    .venv/bin/python -m tests.oracle.out_recorder          # rewrites tests/oracle/out_golden.json

The engine's table attribute ``OpDef.out`` (engine/ops/out_rules.py) is checked against the file
in tests/engine/test_out_arg.py; tests/oracle/test_out_pins.py runs torch beside the engine.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np

GOLDEN = pathlib.Path(__file__).with_name("out_golden.json")

# ops without gradcheck samples: (args, kwargs); "X" is a float 2x3 tensor, "B" bool, "I" int64
EXTRA: dict[str, tuple] = {
    "all": (("B",), {}), "any": (("B",), {}), "argmax": (("X", 1), {}),
    "argmin": (("X", 1), {}), "arange": ((5.0,), {}), "bitwise_and": (("I", "I"), {}),
    "bitwise_not": (("I",), {}), "bitwise_or": (("I", "I"), {}),
    "bitwise_xor": (("I", "I"), {}), "cat": ((("X", "X"),), {}),
    "column_stack": ((("X", "X"),), {}), "dstack": ((("X", "X"),), {}),
    "hstack": ((("X", "X"),), {}), "vstack": ((("X", "X"),), {}),
    "stack": ((("X", "X"),), {}), "eq": (("X", "X"), {}), "ne": (("X", "X"), {}),
    "ge": (("X", "X"), {}), "gt": (("X", "X"), {}), "le": (("X", "X"), {}),
    "lt": (("X", "X"), {}), "isin": (("X", "X"), {}), "isfinite": (("X",), {}),
    "isinf": (("X",), {}), "isnan": (("X",), {}), "signbit": (("X",), {}),
    "logical_and": (("X", "X"), {}), "logical_not": (("X",), {}),
    "logical_or": (("X", "X"), {}), "logical_xor": (("X", "X"), {}),
    "eye": ((3,), {}), "full": (((2, 3), 1.5), {}), "ones": ((2, 3), {}),
    "zeros": ((2, 3), {}), "empty": ((2, 3), {}), "rand": ((2, 3), {}),
    "randn": ((2, 3), {}), "randint": ((5, (2, 3)), {}), "randperm": ((4,), {}),
    "linspace": ((0.0, 1.0, 5), {}), "logspace": ((0.0, 1.0, 5), {}),
    "normal": (("X", 1.0), {}), "tril_indices": ((3, 3), {}), "triu_indices": ((3, 3), {}),
    "isclose": (("X", "X"), {}), "linalg.multi_dot": (((("S", "S", "S")),), {}),
    "linalg.cholesky": (("P",), {}), "linalg.cholesky_ex": (("P",), {}),
    "cholesky": (("P",), {}), "cholesky_inverse": (("P",), {}),
    "linalg.eigh": (("P",), {}), "linalg.eigvalsh": (("P",), {}),
    "linalg.matrix_rank": (("P",), {}), "one_hot": (("I",), {}),
    "ones_like": (("X",), {}), "zeros_like": (("X",), {}), "empty_like": (("X",), {}),
    "full_like": (("X", 2.0), {}), "rand_like": (("X",), {}), "randn_like": (("X",), {}),
    "as_tensor": (([1.0, 2.0],), {}), "tensor": (([1.0, 2.0],), {}),
}


# ops whose values are random draws (or uninitialized memory)
RANDOM = {"rand", "randn", "randint", "randperm", "bernoulli", "normal", "multinomial", "empty",
          "rand_like", "randn_like", "empty_like"}

# more calls of ops whose out= overload depends on the arguments: recorded as "name@label"
VARIANTS: dict[str, tuple] = {
    "sum@dim": ("sum", ("X", 1), {}), "prod@dim": ("prod", ("X", 1), {}),
    "mean@dim": ("mean", ("X", 1), {}), "nansum@dim": ("nansum", ("X", 1), {}),
    "median@dim": ("median", ("X", 1), {}), "nanmedian@dim": ("nanmedian", ("X", 1), {}),
    "max@dim": ("max", ("X", 1), {}), "min@dim": ("min", ("X", 1), {}),
    "max@binary": ("max", ("X", "X"), {}), "min@binary": ("min", ("X", "X"), {}),
    "max@full": ("max", ("X",), {}), "var@dim": ("var", ("X", 1), {}),
    "std@dim": ("std", ("X", 1), {}), "logsumexp@dim": ("logsumexp", ("X", 1), {}),
    "amax@dim": ("amax", ("X", 1), {}), "argmax@dim": ("argmax", ("X", 1), {}),
    "cumsum@dim": ("cumsum", ("X", 1), {}), "sort@dim": ("sort", ("X", 0), {}),
    "all@dim": ("all", ("B", 1), {}), "add@int": ("add", ("I", "I"), {}),
    "sum@int": ("sum", ("I", 0), {}), "mean@int": ("mean", ("X",), {}),
}


def _fixed(key: str):
    rng = np.random.default_rng(3)
    if key == "X":
        return rng.uniform(-2, 2, (2, 3)).astype(np.float32)
    if key == "S":
        return rng.uniform(-2, 2, (3, 3)).astype(np.float32)
    if key == "P":
        a = rng.uniform(-1, 1, (3, 3))
        return (a @ a.T + 3 * np.eye(3)).astype(np.float32)
    if key == "B":
        return np.array([[True, False, True], [True, True, False]])
    if key == "I":
        return np.array([[1, 2, 0], [3, 1, 2]])
    raise KeyError(key)


def calls(ops: dict) -> dict[str, tuple]:
    """name -> (args, kwargs) with NumPy arrays where tensors go (float arrays float32)."""
    from tests.engine.samples import RANDOM_SAMPLES, SAMPLES

    out = {}
    for name in sorted({d.name for d in ops.values()}):
        d = ops[name]
        if d.kind == "method" or d.inplace:
            continue
        found = SAMPLES.get(name) or RANDOM_SAMPLES.get(name)
        if found:
            s = found[0]
            out[name] = (tuple(_arrays(a) for a in s.args), {k: _arrays(v) for k, v in
                                                              s.kwargs.items()})
        elif name in EXTRA:
            args, kwargs = EXTRA[name]
            out[name] = (tuple(_keys(a) for a in args), dict(kwargs))
    for key, (_name, args, kwargs) in VARIANTS.items():
        out[key] = (tuple(_keys(a) for a in args), dict(kwargs))
    return out


def _keys(a):
    if isinstance(a, str) and a in ("X", "S", "P", "B", "I"):
        return _fixed(a)
    if isinstance(a, tuple) and a and all(isinstance(x, str) for x in a):
        return [_fixed(x) for x in a]
    return a


def _arrays(a):
    import engine
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.astype(np.float32)
    if isinstance(a, engine.Tensor):
        v = engine.to_numpy(a).copy()
        return v.astype(np.float32) if v.dtype == np.float64 else v
    if isinstance(a, engine.DType):
        return ("dtype", a.name)
    if isinstance(a, (list, tuple)):
        return type(a)(_arrays(x) for x in a)
    return a


def to_backend(a, tensor, dtype_of, double=False):
    """``a`` with its arrays made tensors of one backend (``double``: float ones in float64)."""
    if isinstance(a, np.ndarray):
        if double and a.dtype == np.float32:
            a = a.astype(np.float64)
        return tensor(a)
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], str) and a[0] == "dtype":
        return dtype_of(a[1])
    if isinstance(a, (list, tuple)):
        return type(a)(to_backend(x, tensor, dtype_of, double) for x in a)
    if isinstance(a, dict):
        return {k: to_backend(v, tensor, dtype_of, double) for k, v in a.items()}
    return a


def _kind(r):
    """"tensor", "tuple" (of tensors, maybe a named tuple) or None."""
    import torch
    if isinstance(r, torch.Tensor):
        return "tensor"
    if isinstance(r, (tuple, list)) and r and all(isinstance(x, torch.Tensor) for x in r):
        return "tuple"
    return None


def probe(fn, args, kwargs, dargs, dkwargs, gargs=None, gkwargs=None) -> dict:
    """One op's behaviour with ``out=`` in torch."""
    import torch
    rec: dict = {}
    torch.manual_seed(0)
    try:
        r = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return {"call_error": f"{type(e).__name__}: {e}"}
    kind = _kind(r)
    rec["returns"] = kind or type(r).__name__
    if kind is None:
        return rec
    rs = (r,) if kind == "tensor" else tuple(r)
    rec["dtypes"] = [str(x.dtype).removeprefix("torch.") for x in rs]

    def empty_like(dt=None, shape=None):
        outs = tuple(torch.zeros(x.shape if shape is None else shape,
                                 dtype=x.dtype if dt is None else dt) for x in rs)
        return outs[0] if kind == "tensor" else outs

    def attempt(out) -> dict:
        torch.manual_seed(0)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                got = fn(*args, **kwargs, out=out)
            except Exception as e:  # noqa: BLE001
                return {"error": f"{type(e).__name__}: {e}".split("\n")[0]}
        res: dict = {"ok": True}
        if w:
            res["warns"] = [str(x.message).split(" (Triggered")[0][:200] for x in w]
        if kind == "tensor":
            res["identity"] = got is out
        else:
            res["identity"] = all(g is o for g, o in zip(got, out, strict=False))
            res["type"] = type(got).__name__
        return res

    rec["same"] = attempt(empty_like())
    if "error" in rec["same"]:
        return rec
    for label, dt in (("float64", torch.float64), ("float32", torch.float32),
                      ("int64", torch.int64), ("int32", torch.int32), ("bool", torch.bool)):
        if all(x.dtype == dt for x in rs):
            continue
        out = empty_like(dt)
        res = attempt(out)
        if "ok" in res and kind == "tensor" and rs[0].dtype.is_floating_point \
                and dt == torch.float64:
            cast = rs[0].to(dt)
            torch.manual_seed(0)
            try:
                wide = fn(*dargs, **dkwargs)
            except Exception:  # noqa: BLE001
                wide = None
            same_cast = torch.equal(out, cast) or bool((out.isnan() & cast.isnan()).all())
            same_wide = isinstance(wide, torch.Tensor) and wide.dtype == dt and \
                wide.shape == out.shape and torch.equal(out, wide)
            res["values"] = "cast" if same_cast and not same_wide else \
                "compute" if same_wide and not same_cast else \
                "either" if same_cast else "other"
        rec[label] = res
    if gargs is not None:
        with torch.enable_grad():
            try:
                fn(*gargs, **gkwargs, out=empty_like())
                rec["grad"] = "ok"
            except Exception as e:  # noqa: BLE001
                rec["grad"] = f"{type(e).__name__}: {e}".split("\n")[0]
    shape = (7,) if rs[0].dim() != 1 or rs[0].shape[0] != 7 else (5,)
    rec["reshape"] = attempt(empty_like(shape=shape))
    return rec


def record() -> dict:
    import torch

    import engine  # noqa: F401  (the table)
    from engine.ops import OPS
    from tests.oracle.backends import _torch_function

    torch.set_grad_enabled(False)
    result = {}
    for name, (args, kwargs) in calls(OPS).items():
        fn = _torch_function(name.split("@")[0])
        if fn is None:
            result[name] = {"torch": None}
            continue
        targs = to_backend(args, torch.from_numpy, lambda n: getattr(torch, n))
        tkw = to_backend(kwargs, torch.from_numpy, lambda n: getattr(torch, n))
        dargs = to_backend(args, torch.from_numpy, lambda n: getattr(torch, n), double=True)
        dkw = to_backend(kwargs, torch.from_numpy, lambda n: getattr(torch, n), double=True)
        def grad_leaf(a):
            t = torch.from_numpy(a.copy())
            return t.requires_grad_() if t.dtype.is_floating_point else t
        gargs = to_backend(args, grad_leaf, lambda n: getattr(torch, n))
        gkw = to_backend(kwargs, grad_leaf, lambda n: getattr(torch, n))
        result[name] = probe(fn, targs, tkw, dargs, dkw, gargs, gkw)
    return result


if __name__ == "__main__":
    res = record()
    GOLDEN.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    took = sum(1 for r in res.values() if r.get("same", {}).get("ok"))
    print(f"{len(res)} ops recorded, {took} take out=")
