"""Positional binding, engine against torch: every op form called with all-positional arguments.

A keyword argument given by position binds to whatever parameter sits at that position. Where
the engine's callable orders its parameters differently from torch's form (``torch.softmax``'s
third parameter is ``dtype``, ``F.softmax``'s is ``_stacklevel``), a positional call binds a
value to the wrong parameter, often silently (``x.softmax(0, torch.float64)`` computed in
float32). This sweep finds the class mechanically:

1. :func:`orders` -- for each table op and each form a program can call it in (``torch.x`` /
   ``F.x`` / ``torch.linalg.x`` as the differential suite calls it: "function"; ``torch.x``
   where that is another callable than F.x: "torch"; ``F.x`` where that is another callable
   than the function form: "F"; ``Tensor.x``, in-place ones included: "method"), torch's
   positional parameter names per signature (the parser's strings in
   engine/ops/signatures.json, or the Python signature of a function torch writes in Python)
   against the engine callable's. :func:`static_differences` lists the forms whose names
   differ at some position (a candidate; a name alone may differ harmlessly: ``A`` vs
   ``input``).
2. :func:`sweep` -- each form called with all-positional arguments: the op's samples
   (tests/engine/samples; float arrays as float32 tensors, so a dropped ``dtype`` shows) with
   their keywords moved to their positions in each torch signature that has them there, the
   positions between filled with torch's defaults; and one probe per optional positional
   parameter (a dtype: float64; a bool: the other value) with the defaults before it. torch
   and the engine each run the call; the outcomes are compared: raised or not, and of a
   result its structure, dtypes, shapes and values.

    .venv/bin/python -m tests.oracle.positional_sweep [op ...]   # counts and the differing
"""

from __future__ import annotations

import inspect
import math
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

import engine
import engine.nn.functional as EF
from engine.ops import OPS
from engine.ops import signatures as sg

from .backends import _torch_function

MISSING = object()


class P:
    """One positional-or-keyword parameter of a torch form: name, parser type (None for a
    Python function's), default (MISSING: required), keyword-only."""

    __slots__ = ("name", "type", "default", "kw_only")

    def __init__(self, name, type_, default, kw_only):
        self.name, self.type, self.default, self.kw_only = name, type_, default, kw_only

    def __repr__(self):
        return f"P({self.name})"


def _parser_default(p: sg.Param):
    if not p.optional:
        return MISSING
    text = p.default
    if text == "None":
        return None
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if text in ("[]", "{}"):
        return []
    if text == "at::Reduction::Mean":
        return 0  # (what torch's parser reads it as: an omitted reduction is none)
    if text == "contiguous_format":
        return MISSING
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return MISSING  # (a default the sweep cannot write: the position is left unfilled)


def _python_params(fn, skip_self: bool):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = []
    for q in sig.parameters.values():
        if q.kind in (q.VAR_POSITIONAL, q.VAR_KEYWORD):
            continue
        default = MISSING if q.default is q.empty else q.default
        out.append(P(q.name, None, default, q.kind == q.KEYWORD_ONLY))
    return out[1:] if skip_self else out


def torch_signatures(op: str, form: str, tfn) -> list[list[P]] | None:
    """torch's visible signatures of ``op`` in ``form`` (the method's without ``self``)."""
    key = {"function": "function", "method": "method", "torch": "torch", "F": "function"}[form]
    table = sg._table()
    entry = table.get(key, {}).get(op)
    if form == "F" and tfn is not _torch_function(op):
        entry = None  # (the golden's function form is another callable)
    if form == "torch" and entry is None and isinstance(tfn, type(torch.relu)):
        entry = None
    if entry:
        if entry[0].endswith("|noargs"):
            return [[]]
        out = []
        for s in entry:
            sig = sg.Signature(s)
            if sig.hidden:
                continue
            out.append([P(p.name, p.type, _parser_default(p), p.kw_only) for p in sig.params])
        return out
    params = _python_params(tfn, form == "method")
    return None if params is None else [params]


def engine_params(fn):
    """The engine callable's positional parameter names (unwrapped) and whether it takes
    ``*args``; None when Python cannot tell."""
    fn = inspect.unwrap(fn)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    names, var = [], False
    for q in sig.parameters.values():
        if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD):
            names.append(q.name)
        elif q.kind == q.VAR_POSITIONAL:
            var = True
    return names, var


def forms():
    """(op, form, torch callable, engine callable) of every form both sides have."""
    out = []
    seen_f = set()
    for name, d in sorted(OPS.items()):
        tfn = _torch_function(name) if d.kind != "method" else None
        if tfn is not None:
            out.append((name, "function", tfn, d.fn))
        plain = "." not in name
        if plain and d.kind != "method" and hasattr(torch, name) and \
                getattr(torch, name) is not tfn:
            out.append((name, "torch", getattr(torch, name), torch_form(name)))
        if plain and name in EF.__all__ and hasattr(F, name) and getattr(F, name) is not tfn:
            out.append((name, "F", getattr(F, name), getattr(EF, name)))
            seen_f.add(name)
        if plain and hasattr(torch.Tensor, name) and hasattr(engine.Tensor, name) and \
                callable(getattr(engine.Tensor, name)):
            out.append((name, "method", getattr(torch.Tensor, name),
                        getattr(engine.Tensor, name)))
    return out


def torch_form(name: str):
    """The engine's callable for ``torch.x`` (a program's ``torch.x``)."""
    from engine.ops.positional import TORCH

    return TORCH.get(name, OPS[name].fn)


def static_differences():
    """(op, form, torch's positional names per signature, the engine's) where a name differs
    at some position, or a position torch has is missing in the engine."""
    out = []
    for op, form, tfn, efn in forms():
        sigs = torch_signatures(op, form, tfn)
        ep = engine_params(efn)
        if sigs is None or ep is None:
            out.append((op, form, None if sigs is None else
                        [[p.name for p in s if not p.kw_only] for s in sigs], ep))
            continue
        names, var = ep
        if form == "method":
            names = names[1:]
        for s in sigs:
            pos = [p.name for p in s if not p.kw_only]
            first = 0 if form == "method" else 1
            if any((i >= len(names) and not var) or (i < len(names) and names[i] != n)
                   for i, n in enumerate(pos) if i >= first):
                out.append((op, form, [[p.name for p in s2 if not p.kw_only] for s2 in sigs],
                            ep))
                break
    return out


# --------------------------------------------------------------------------- the calls

def _samples(op: str):
    from tests.engine.samples import RANDOM_SAMPLES, SAMPLES

    base = OPS[op].name
    for key in (op, base, op.rstrip("_"), base.rstrip("_")):
        if key in SAMPLES:
            return SAMPLES[key], False
        if key in RANDOM_SAMPLES:
            return RANDOM_SAMPLES[key], True
    return [], False


def _probe(p: P):
    """A value for optional parameter ``p`` other than its default (MISSING: none)."""
    d = p.default
    if p.type == "ScalarType" or p.name == "dtype":
        return "float64"
    if p.type == "bool" or isinstance(d, bool):
        return not d
    if p.type in ("int64_t", "SymInt") or (p.type is None and type(d) is int):
        return 1 if d != 1 else 0
    if p.type in ("double", "Scalar") or (p.type is None and type(d) is float):
        return 0.5 if d != 0.5 else 0.25
    return MISSING


_TENSOR_NAMES = ("input", "other", "x", "a", "b", "tensor", "self", "A", "B", "mat1", "mat2",
                 "vec", "vec1", "vec2", "target", "weight", "end", "exponent")


def _made(p: P):
    """A value for required parameter ``p`` of a form without samples (MISSING: none)."""
    t = p.type
    if t == "Tensor" or (t is None and p.name in _TENSOR_NAMES):
        return ARRAY
    if t in ("int64_t", "SymInt"):
        return 1
    if t in ("double", "Scalar"):
        return 0.5
    if t == "bool":
        return False
    if t in sg._INT_LISTS:
        return [1]
    if t == "ScalarType":
        return "float64"
    if t in ("TensorList",) or (t or "").startswith("c10::List<"):
        return [ARRAY, ARRAY]
    return MISSING


ARRAY = np.linspace(-1.5, 2.0, 12).reshape(3, 4)


class _Made:
    __slots__ = ("args", "kwargs")

    def __init__(self, args, kwargs):
        self.args, self.kwargs = args, kwargs


def calls(op: str, sigs: list[list[P]]):
    """(label, args, kwargs, (args, kwargs) of the same call by keyword) with "float64"
    standing for the dtype; arrays as in a sample."""
    samples, _random = _samples(op)
    out, seen = [], set()
    if not samples:  # made from each signature's required parameters
        samples = []
        for sig in sigs:
            vals = [_made(p) for p in sig if not p.kw_only and p.default is MISSING]
            if all(v is not MISSING for v in vals):
                samples.append(_Made(tuple(vals), {}))

    def add(label, args, kwargs, named):
        key = repr((args, kwargs))
        if key not in seen:
            seen.add(key)
            out.append((label, tuple(args), dict(kwargs), named))

    for si, s in enumerate(samples):
        for k, sig in enumerate(sigs):
            pos = [p for p in sig if not p.kw_only]
            args = list(s.args)
            if len(args) > len(pos):
                continue
            kw = dict(s.kwargs)
            names = [p.name for p in pos]
            moved = {n: v for n, v in kw.items() if n in names[len(args):]}
            rest = {n: v for n, v in kw.items() if n not in moved}
            if any(n not in {p.name for p in sig} for n in rest):
                continue  # a keyword this signature does not have
            last = max((names.index(n) for n in moved), default=len(args) - 1)
            full = list(args)
            ok = True
            for i in range(len(args), last + 1):
                if names[i] in moved:
                    full.append(moved[names[i]])
                elif pos[i].default is not MISSING:
                    full.append(pos[i].default)
                else:
                    ok = False
                    break
            if not ok:
                continue
            add(f"sample{si}/{k}", full, rest, (tuple(args), kw))
            # one probe per optional positional parameter after the sample's own
            for i in range(len(full), len(pos)):
                v = _probe(pos[i])
                if v is MISSING:
                    continue
                probe = list(full)
                for j in range(len(full), i):
                    if pos[j].default is MISSING:
                        break
                    probe.append(pos[j].default)
                else:
                    add(f"sample{si}/{k}/probe:{pos[i].name}", probe + [v], rest,
                        (tuple(args), {**kw, pos[i].name: v}))
    return out


def _lib(v, lib, random: bool):
    if isinstance(v, np.ndarray):
        a = v.astype(np.float32) if v.dtype == np.float64 else v
        return lib.tensor(a.copy())
    if isinstance(v, str) and v == "float64":
        return lib.float64
    if isinstance(v, engine.Tensor):  # a sample's constant tensor
        a = v.detach().numpy()
        a = a.astype(np.float32) if a.dtype == np.float64 else a
        return lib.tensor(a.copy())
    if isinstance(v, (list, tuple)):
        return type(v)(_lib(x, lib, random) for x in v)
    if type(v).__name__ == "DType":
        return getattr(lib, v.name if hasattr(v, "name") else str(v).removeprefix("torch."))
    return v


def _run(fn, args, kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs), None
    except Exception as e:  # noqa: BLE001 - raised or not is compared
        return None, e


def _flat(v):
    if isinstance(v, (tuple, list)):
        out = []
        for x in v:
            out += _flat(x)
        return out
    return [v]


def _np(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return t.numpy() if t.dtype != torch.bfloat16 else t.float().numpy()
    return t.detach().numpy()


def _dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


def compare(tout, eout, random: bool) -> str | None:
    """Why the two results differ (None: they agree)."""
    ts, es = _flat(tout), _flat(eout)
    if len(ts) != len(es):
        return f"{len(ts)} results vs {len(es)}"
    for a, b in zip(ts, es):
        if isinstance(a, torch.Tensor):
            if not isinstance(b, (engine.Tensor, torch.Tensor)):  # (torch: its own answers)
                return f"Tensor vs {type(b).__name__}"
            if _dtype_name(a) != _dtype_name(b):
                return f"dtype {_dtype_name(a)} vs {_dtype_name(b)}"
            if tuple(a.shape) != tuple(b.shape):
                return f"shape {tuple(a.shape)} vs {tuple(b.shape)}"
            if random:
                continue
            x, y = _np(a), _np(b)
            if x.dtype.kind in "fc":
                if not np.allclose(x, y, rtol=1e-4, atol=1e-5, equal_nan=True):
                    return "values"
            elif not np.array_equal(x, y):
                return "values"
        elif isinstance(a, (bool, int, float)):
            if not isinstance(b, (bool, int, float)) or not (
                    a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))):
                return f"{a!r} vs {b!r}"
    return None


# ops whose values are whatever memory held (only dtype and shape are compared)
UNINITIALIZED = frozenset(("empty", "empty_like", "new_empty", "empty_strided",
                           "new_empty_strided"))


def _outcome(fn, args, kwargs, random: bool):
    if random or True:  # (rrelu in training, dropout ...: the same draws each call)
        torch.manual_seed(0)
        engine.manual_seed(0)
    return _run(fn, args, kwargs)


def _differs(t, e, random: bool) -> str | None:
    (tres, terr), (eres, eerr) = t, e
    if terr is not None or eerr is not None:
        if (terr is None) == (eerr is None):
            return None
        return (f"torch raised {type(terr).__name__}: {str(terr)[:120]}" if terr is not None
                else f"engine raised {type(eerr).__name__}: {str(eerr)[:120]}")
    try:
        return compare(tres, eres, random)
    except Exception as e:  # noqa: BLE001
        return f"compare failed: {e!r}"


# torch's own nondeterminism (docs/oracle.md "torch's own nondeterminism"): torch answers
# each call ASKS times, RETRIES times more where the call would differ from the engine's (the
# ignored-argument sweep's calls too); a call whose torch answers differ is "nondeterministic"
ASKS = 2
RETRIES = 6


def torch_varies(answers: list, random: bool) -> str | None:
    """How torch's outcomes of one call differ from each other, to the tolerance the engine is
    held to (None: they agree)."""
    for o in answers[1:]:
        why = _differs(answers[0], o, random)
        if why is not None:
            return why.replace("engine raised", "torch raised")
    return None


def _verdict(res: list, random: bool) -> tuple[str | None, str | None]:
    """(kind, why) of a call from [(torch's outcomes, the engine's outcome)] of its positional
    and its keyword form."""
    for (ts, _e), which in zip(res, ("positional", "keyword")):
        why = torch_varies(ts, random)
        if why is not None:
            return "nondeterministic", f"torch's answers to the {which} call differ: {why}"
    why = _differs(res[0][0][0], res[0][1], random)
    if why is None:
        return None, None
    return ("binding" if _differs(res[1][0][0], res[1][1], random) is None else "other"), why


def sweep(only: set[str] | None = None):
    """(op, form, label, args, kwargs, why, kind) of every all-positional call; ``why`` None
    where torch and the engine agree; ``kind`` "binding" where they differ but agree on the
    same call by keyword (the engine binds a position differently), "nondeterministic"
    where torch's own answers to the call differ from each other (never the engine's
    difference), else "other" (a difference that is not the binding's: an unsupported value,
    a value difference)."""
    out = []
    for op, form, tfn, efn in forms():
        if only is not None and op not in only:
            continue
        sigs = torch_signatures(op, form, tfn)
        if not sigs:
            continue
        if form == "method":
            sigs = [[P("self", "Tensor", MISSING, False), *s] for s in sigs]
        _s, random = _samples(op)
        random = random or op in UNINITIALIZED
        for label, args, kwargs, (nargs, nkw) in calls(op, sigs):
            forms_ = ((args, kwargs), (nargs, nkw))
            if form == "method" and not all(isinstance(_lib(a[0], torch, random), torch.Tensor)
                                            for a, _kw in forms_):
                continue
            res = [([_one(torch, op, form, tfn, a, kw, random) for _ in range(ASKS)],
                    _one(engine, op, form, efn, a, kw, random)) for a, kw in forms_]
            kind, why = _verdict(res, random)
            if kind not in (None, "nondeterministic"):
                # a difference from the engine: torch is asked again (its rare answers)
                for (a, kw), (ts, _e) in zip(forms_, res):
                    ts.extend(_one(torch, op, form, tfn, a, kw, random) for _ in range(RETRIES))
                kind, why = _verdict(res, random)
            out.append((op, form, label, args, kwargs, why, kind))
    return out


def _one(lib, op: str, form: str, fn, a, kw, random: bool):
    """One library's outcome of a call, its arguments made afresh (in-place ops change
    them)."""
    largs = [_lib(v, lib, random) for v in a]
    lkw = {k: _lib(v, lib, random) for k, v in kw.items()}
    if form == "method":
        fn = getattr(type(largs[0]), op)
    return _outcome(fn, largs, lkw, random)


def main() -> None:
    np.seterr(all="ignore")
    argv = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--static" in sys.argv:
        for r in static_differences():
            print(r)
        return
    recs = sweep(set(argv) or None)
    print(f"{len(recs)} all-positional calls over {len({(r[0], r[1]) for r in recs})} forms")
    for kind in ("binding", "other", "nondeterministic"):
        bad = [r for r in recs if r[6] == kind]
        print(f"{kind}: {len(bad)} calls differ in {len({(r[0], r[1]) for r in bad})} forms")
        for r in bad:
            print("  ", r[0], r[1], r[2], r[5])


if __name__ == "__main__":
    main()
