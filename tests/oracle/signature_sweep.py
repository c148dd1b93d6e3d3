"""Argument errors of every recorded table op, engine against torch: the sweep.

For each op and form in engine/ops/signatures.json (the function form as the differential
suite calls it, the method form through the class as a program's ``x.op(...)`` does), a base
call is made from each of its visible signatures (the required arguments filled with a value
of their type: a float 2x3 tensor for a Tensor), then varied: an int / float / None / list /
str in each Tensor position, each required argument missing (the call cut short), one extra
positional argument, an unexpected keyword, an int list with a str second element; labels
end in "/k", k the signature. Only the calls that torch refuses with a
``TypeError`` are compared (the other outcomes are the differential suite's). The engine is
observed as a program sees it: its exception passed through ``signatures.explain`` (what
app/lang does on its error path); ``raw`` keeps the engine's own exception too.

    .venv/bin/python -m tests.oracle.signature_sweep     # prints the counts and the differing
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import torch

import engine
from engine.ops import OPS
from engine.ops import signatures as sg

from .backends import _torch_function

WRONG = (1, 1.5, None, [1], "a")


def _value(p: sg.Param, tensor):
    t = p.type
    if t == "Tensor":
        return tensor
    if t in ("int64_t", "SymInt"):
        return 1
    if t in ("Scalar", "double", "complex"):
        return 1.0
    if t == "bool":
        return False
    if t in sg._INT_LISTS:
        return [1]
    if t == "ScalarType":
        return "float32"
    if t in ("TensorList",) or t.startswith("c10::List<"):
        return [tensor]
    if t in ("std::string", "c10::string_view", "::std::string_view", "std::string_view"):
        return "mean"
    return None


def calls(sig: sg.Signature):
    """(label, args, kwargs) of the varied calls; "T" marks the tensor, "float32" the dtype."""
    base = []
    for p in sig.params:
        if p.kw_only or p.optional:
            break
        base.append(p)
    vals = [_value(p, "T") for p in base]
    if any(v is None for v in vals):
        return
    pos = [i for i, p in enumerate(sig.params) if not p.kw_only and p.type == "Tensor"]
    for i in pos:
        for w in WRONG:
            args = list(vals) + (["T"] * (i + 1 - len(vals)) if i >= len(vals) else [])
            args = [_value(sig.params[k], "T") if k >= len(vals) else args[k]
                    for k in range(len(args))]
            if any(a is None for a in args):
                continue
            args[i] = w
            yield f"{type(w).__name__}@{i}", tuple(args), {}
    for k in range(len(vals)):
        yield f"missing@{k}", tuple(vals[:k]), {}
    yield "extra", tuple(vals) + (1,) * (sig.max_pos_args - len(vals) + 1), {}
    yield "keyword", tuple(vals), {"foo": 1}
    for i, p in enumerate(base):
        if p.type in sg._INT_LISTS:  # a later element that is not an int
            args = list(vals)
            args[i] = [0, "a"]
            yield f"intlist@{i}", tuple(args), {}


def _lib(v, tensor, dtype):
    if isinstance(v, str) and v == "T":
        return tensor
    if isinstance(v, str) and v == "float32":
        return dtype
    if isinstance(v, list):
        return [_lib(x, tensor, dtype) for x in v]
    return v


def _outcome(fn, args, kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the class and text are what is compared
        return e
    return None


def sweep(only: set[str] | None = None):
    """Records (op, form, label, torch text, engine raw (class, text), engine (class, text))
    of the calls torch refuses with a TypeError."""
    table = json.loads(sg.GOLDEN.read_text())
    out = []
    for form in ("function", "method", "python"):
        for name, strings in sorted(table[form].items()):
            if only is not None and name not in only:
                continue
            if form == "python":
                out += _python_sweep(name, strings)
                continue
            sigs = [] if strings[0].endswith("|noargs") else [
                sg.Signature(s) for s in strings if not s.endswith(("|hidden", "|deprecated"))]
            tfn = _torch_function(name) if form == "function" else getattr(torch.Tensor, name)
            efn = OPS[name].fn if form == "function" else getattr(engine.Tensor, name, None)
            if tfn is None or efn is None:
                continue
            variants = [("extra", (1,), {}), ("keyword", (), {"foo": 1})] if not sigs else []
            seen = set()
            for k, sig in enumerate(sigs):  # each visible signature's base call, varied
                for label, args, kwargs in calls(sig):
                    key = repr((args, kwargs))
                    if key not in seen:
                        seen.add(key)
                        variants.append((f"{label}/{k}", args, kwargs))
            for label, args, kwargs in variants:
                tt = torch.ones(2, 3)
                et = engine.ones(2, 3)
                targs = tuple(_lib(a, tt, torch.float32) for a in args)
                eargs = tuple(_lib(a, et, engine.float32) for a in args)
                tkw = {k: _lib(v, tt, torch.float32) for k, v in kwargs.items()}
                ekw = {k: _lib(v, et, engine.float32) for k, v in kwargs.items()}
                if form == "method":
                    targs, eargs = (tt, *targs), (et, *eargs)
                te = _outcome(tfn, targs, tkw)
                if not isinstance(te, TypeError):
                    # torch's parser took the call: the rules must take it too
                    taken = sg.refusal(name, form, eargs, ekw)
                    if taken is not None:
                        out.append((name, form, label, None, None, ("refused", taken)))
                    continue
                ee = _outcome(efn, eargs, ekw)
                raw = (type(ee).__name__, str(ee)) if ee is not None else None
                ex = sg.explain(name, form, eargs, ekw, ee) if ee is not None else None
                seen = (type(ex).__name__, str(ex)) if ex is not None else None
                out.append((name, form, label, str(te), raw, seen))
    return out


def _python_sweep(name: str, entry: dict) -> list:
    """The same variations for a function torch writes in Python, from its parameters."""
    params = entry["params"]
    base = [p for p in params if not p[1] and not p[2]]
    if not all(p[3] for p in base):
        return []
    tensors = [i for i, p in enumerate(params) if p[3] and not p[1]]
    variants = []
    for i in tensors:
        for w in WRONG:  # (an optional parameter's by keyword: the others keep defaults)
            args = ["T"] * len(base)
            if i < len(base):
                args[i] = w
                variants.append((f"{type(w).__name__}@{i}", tuple(args), {}))
            else:
                variants.append((f"{type(w).__name__}@{i}", tuple(args), {params[i][0]: w}))
    for k in range(len(base)):
        variants.append((f"missing@{k}", ("T",) * k, {}))
    variants.append(("keyword", ("T",) * len(base), {"foo": 1}))
    tfn, efn = _torch_function(name), OPS[name].fn
    out = []
    for label, args, kwargs in variants:
        tt, et = torch.ones(2, 3), engine.ones(2, 3)
        targs = tuple(_lib(a, tt, torch.float32) for a in args)
        eargs = tuple(_lib(a, et, engine.float32) for a in args)
        te = _outcome(tfn, targs, kwargs)
        ee = _outcome(efn, eargs, kwargs)
        if te is None:
            taken = sg.python_refusal(name, eargs, kwargs)
            if taken is not None and ee is not None:
                out.append((name, "python", label, None, None, ("refused", taken[1])))
            continue
        raw = (type(ee).__name__, str(ee)) if ee is not None else None
        ex = sg.explain(name, "function", eargs, kwargs, ee) if ee is not None else None
        seen = (_builtin(ex), str(ex)) if ex is not None else None
        out.append((name, "python", label, (type(te).__name__, str(te)),
                    (_builtin(ee), str(ee)) if ee is not None else raw, seen))
    return out


def _builtin(e) -> str:
    for c in type(e).__mro__:
        if c.__module__ == "builtins":
            return c.__name__
    return type(e).__name__


def agrees(seen, torch_text) -> bool:
    """Whether the engine's observed (class, text) is torch's TypeError text; a record of a
    call torch took (``torch_text`` None) never agrees: the rules refused it."""
    if isinstance(torch_text, tuple):  # (class, text) of a Python function's error
        return seen is not None and seen == torch_text
    return torch_text is not None and seen is not None and seen[1] == torch_text and \
        seen[0] in ("TypeError", "EngineTypeError")


def computes(recs) -> list:
    """The records of calls torch refuses that the engine computed (no exception at all):
    the op forms ``signatures.GUARDED`` must name."""
    return [r for r in recs if r[3] is not None and r[5] is None]


def main() -> None:
    np.seterr(all="ignore")
    argv = [a for a in sys.argv[1:] if a != "--guards"]
    recs = sweep(set(argv) or None)
    if "--guards" in sys.argv:  # the op forms computing a call torch refuses
        for form in ("function", "method", "python"):
            print(form, sorted({r[0] for r in computes(recs) if r[1] == form}))
        return
    for part, keep in (("parser", lambda r: r[1] != "python"),
                       ("Python functions", lambda r: r[1] == "python")):
        mine = [r for r in recs if keep(r)]
        refused = [r for r in mine if r[3] is not None]
        before = sum(not agrees(r[4], r[3]) for r in refused)
        after = sum(not agrees(r[5], r[3]) for r in refused)
        print(f"{part}: {len(refused)} refused calls; differing before {before}, after "
              f"{after}; calls torch took that the rules refuse: {len(mine) - len(refused)}; "
              f"the engine computes where torch refuses: {len(computes(mine))}")
    for r in recs:
        if not agrees(r[5], r[3]):
            print(r[0], r[1], r[2], "\n   torch :", repr(str(r[3] or "took it")[:300]),
                  "\n   engine:",
                  repr(r[5][1][:300]) if r[5] else None)


if __name__ == "__main__":
    main()
