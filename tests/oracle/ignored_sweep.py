"""Ignored arguments, engine against torch: every optional parameter of every op form varied.

An argument the engine accepts but does not honour (``F.embedding_bag(include_last_offset=
True)`` under mode mean, ``linalg.lstsq(rcond=)`` under gelsy) gives a plausible answer that is
silently wrong. This sweep finds the class mechanically, on the catalogue of
tests/oracle/positional_sweep.py (every form a program can call: ``torch.x``, ``F.x``,
``Tensor.x``, in-place ones):

for each form, each of its samples (tests/engine/samples; float arrays as float32 leaves that
require grad where the op is differentiable, passed as non-leaf copies so that in-place
parameters show) and each optional parameter of torch's signatures that the sample leaves at
its default, the call is made once at the default and once per valid non-default value
(:func:`values`: bools flipped, numbers changed, dtypes, dims varied, the string choices
torch documents cycled), by keyword, in torch and in the engine. What each call observes
(:func:`observe`): raised or not (and the builtin class), every result's dtype, shape, values and
``requires_grad``, the tensor inputs after the call, and the gradient of a weighted sum of the
float results with respect to the leaves.

Each (form, sample, parameter, value) gets a kind (None: torch and the engine agree):

- "ignored": torch's observation changes from the default's, the engine's does not (and the
  engine agreed with torch at the default): the argument is accepted and ignored;
- "accepts": torch refuses the value, the engine runs;
- "refuses": the engine refuses a value torch runs;
- "differs": both run and differ (value, dtype, shape, requires_grad, input, gradient);
- "error_class": both refuse, with another exception class;
- "base": the default call already differs (the value's difference is not the parameter's).

    .venv/bin/python -m tests.oracle.ignored_sweep [op ...] [--all] [--every-sample]
    # counts (--all: every differing call, else the ignored ones); the first sample of each
    # form, or --every-sample
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import torch

import engine
from engine.ops import OPS
from engine.ops import signatures as sg

from .positional_sweep import ASKS, MISSING, RETRIES, P, _made, _samples, forms, torch_signatures

# parameters the sweep leaves alone: results written elsewhere (the out sweep checks ``out=``),
# placement and memory (device, layout, pinned, memory format, copies), the RNG stream,
# named dimensions, and Python-level plumbing
SKIPPED = frozenset((
    "out", "device", "layout", "pin_memory", "memory_format", "non_blocking", "copy",
    "generator", "names", "_stacklevel", "_random_samples", "size_average", "reduce_",
    "check_errors", "_use_reentrant",
))
DTYPES = ("float64", "int64")
# string parameters: the choices torch documents, by name (the default is dropped)
CHOICES = {
    "reduction": ("none", "sum", "mean", "batchmean"),
    "rounding_mode": ("trunc", "floor"),
    "interpolation": ("lower", "higher", "midpoint", "nearest", "linear"),
    "reduce": ("sum", "prod", "mean", "amax", "amin"),
    "driver": ("gelsy", "gelsd", "gelss", "gels"),
    "approximate": ("tanh", "none"),
    "padding_mode": ("zeros", "border", "reflection"),
    "mode": ("sum", "mean", "max", "nearest", "linear", "bilinear", "bicubic", "area",
             "nearest-exact", "constant", "reflect", "replicate", "circular", "reduced",
             "complete", "r"),
    "side": ("left", "right"),
    "UPLO": ("L", "U"),
    "norm": ("backward", "ortho", "forward"),
    "indexing": ("ij", "xy"),
    "ord": ("fro", "nuc"),
    "p": ("fro", "nuc", 1, 2.5),
    "padding": ("same", "valid"),
    "distance": ("euclidean",),
    "compute_mode": ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"),
}
# parameters whose default is None (Python signatures): values by name
NONE_VALUES = {
    "align_corners": (True, False), "stride": (1, 2), "padding_idx": (0, -1),
    "max_norm": (1.0,), "eps": (1e-3,), "scale_factor": (2.0,),
    "recompute_scale_factor": (True,), "label_smoothing": (0.25,),
}
_DIMS = ("dim", "dim0", "dim1", "dim2", "axis", "start_dim", "end_dim", "source",
         "destination")


# optional tensor parameters (weights, biases, bounds ...) of Python signatures, by name
TENSOR_PARAMS = frozenset(("weight", "bias", "pos_weight", "per_sample_weights", "weights",
                           "prepend", "append", "min", "max", "src_key_padding_mask",
                           "attn_mask", "running_mean", "running_var"))


def tensors_like(shape: tuple) -> list:
    """Arrays for an optional tensor parameter of a call whose first tensor has ``shape``:
    that shape, its dim 1 (class weights, channels), its last dim, and a scalar."""
    shapes = [shape, shape[1:2], shape[-1:], ()] if shape else [()]
    out, seen = [], set()
    for sh in shapes:
        if sh in seen:
            continue
        seen.add(sh)
        n = int(np.prod(sh, dtype=np.int64))
        out.append(np.linspace(0.25, 1.75, max(n, 1))[:n].reshape(sh))
    return out


def values(p: P, shape: tuple | None = None) -> list:
    """Valid non-default values for optional parameter ``p`` (empty: none to try). Dtypes are
    their names ("float64"); arrays (:func:`tensors_like` the first tensor's ``shape``) for
    an optional tensor parameter."""
    d, t, name = p.default, p.type, p.name
    if name in SKIPPED:
        return []
    if t == "ScalarType" or name == "dtype":
        return list(DTYPES)
    if (t == "Tensor" or (t is None and name in TENSOR_PARAMS)) and d is None:
        return [] if shape is None else tensors_like(shape)
    if t in ("Tensor", "TensorList", "Generator", "Device", "Layout", "MemoryFormat",
             "PyObject*", "Storage", "Dimname", "DimnameList"):
        return []
    if name in NONE_VALUES and d is None:
        return list(NONE_VALUES[name])
    strings = []
    if t in ("c10::string_view", "std::string", "std::string_view") or isinstance(d, str) or \
            (name in CHOICES and (d is None or t in ("IntArrayRef", "SymIntArrayRef"))):
        strings = [v for v in CHOICES.get(name, ()) if v != d]
    return strings + _typed(d, t, name)


def _typed(d, t, name: str) -> list:
    if t == "bool" or isinstance(d, bool):
        return [not d] if isinstance(d, bool) else [True, False]
    if t in ("IntArrayRef", "SymIntArrayRef"):
        if name in ("dim", "dims", "axis"):
            return [[0], [0, -1]]
        return [[1]] if d is None or d is MISSING else [[int(d) + 1]]
    if name in _DIMS and (t in ("int64_t", "SymInt") or t is None) and \
            (d is None or type(d) is int):
        return [v for v in (0, -1, 1) if v != d]
    if t in ("int64_t", "SymInt") or (t is None and type(d) is int):
        if d is None or d is MISSING:
            return [1, 2]
        if d < 0:  # (a sentinel such as ignore_index=-100: the first indices)
            return [0, 1]
        return [d + 1, d - 1] if d > 0 else [1, 2]
    if t in ("double", "Scalar") or (t is None and type(d) is float):
        if d is None or d is MISSING:
            return [0.5, 2.0]
        d = float(d)
        return [d * 2 + 0.5, d / 2] if d != 0 else [0.5, -0.5]
    return []


def _optional(sigs: list[list[P]]) -> list[P]:
    """The optional parameters of a form's signatures (first seen by name)."""
    out, seen = [], set()
    for sig in sigs:
        for p in sig:
            if p.name in seen or (p.default is MISSING and not p.kw_only):
                continue
            if p.kw_only and p.default is MISSING and p.type is not None:
                continue  # (a required keyword-only parameter)
            seen.add(p.name)
            out.append(p)
    return out


# --------------------------------------------------------------------------- running a call

_CLASSES = (IndexError, TypeError, ValueError, NotImplementedError, OverflowError,
            AssertionError, RuntimeError)


def error_class(e: BaseException) -> str:
    for c in _CLASSES:
        if isinstance(e, c):
            return c.__name__
    return type(e).__name__


def _convert(v, lib, grad: bool, leaves: list, inputs: list):
    """A sample's value for ``lib``: float arrays (float32) and tensors as non-leaf copies of
    leaves (requiring grad when ``grad``); dtype names as dtypes."""
    if isinstance(v, (np.ndarray, engine.Tensor)):
        a = v if isinstance(v, np.ndarray) else v.detach().numpy()
        differentiated = isinstance(v, np.ndarray) and a.dtype.kind == "f"
        a = a.astype(np.float32) if a.dtype == np.float64 else a
        t = lib.tensor(a.copy())
        if grad and differentiated:
            t.requires_grad_(True)
            leaves.append(t)
            t = t.clone()
        inputs.append(t)
        return t
    if isinstance(v, str) and v in DTYPES:
        return getattr(lib, v)
    if isinstance(v, (list, tuple)):
        return type(v)(_convert(x, lib, grad, leaves, inputs) for x in v)
    if type(v).__name__ == "DType":
        return getattr(lib, v.name if hasattr(v, "name") else str(v).removeprefix("torch."))
    return v


def _flat(v):
    if isinstance(v, (tuple, list)):
        out = []
        for x in v:
            out += _flat(x)
        return out
    return [v]


def _array(t):
    t = t.detach()
    if isinstance(t, torch.Tensor):
        if t.dtype == torch.bfloat16:
            t = t.float()
        if t.is_conj():
            t = t.resolve_conj()
        if t.is_neg():
            t = t.resolve_neg()
    return t.numpy().copy()


def _tensor_obs(t):
    # (a sparse result: its dense values, the layout beside the dtype)
    layout = str(getattr(t, "layout", "strided")).removeprefix("torch.")
    dtype = str(t.dtype).removeprefix("torch.")
    if layout != "strided":
        dtype, values = f"{dtype} ({layout})", _array(t.detach().to_dense())
    else:
        values = _array(t)
    return ("tensor", dtype, tuple(t.shape), values, bool(t.requires_grad))


def observe(lib, fn, args, kwargs, leaves, inputs):
    """What a program can observe of one call: ("raised", class) or a tuple of observations
    (results, then the tensor inputs after the call, then the leaves' gradients)."""
    torch.manual_seed(0)
    engine.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - raised or not is observed
        return ("raised", error_class(e))
    obs = []
    floats = []
    for r in _flat(res):
        if isinstance(r, lib.Tensor):
            obs.append(_tensor_obs(r))
            if r.requires_grad and r.dtype in (lib.float32, lib.float64, lib.float16):
                floats.append(r)
        elif isinstance(r, (bool, int, float, complex, str)) or r is None:
            obs.append(("value", r))
        else:
            obs.append(("object", type(r).__name__))
    for t in inputs:
        obs.append(("input",) + _tensor_obs(t)[1:4])
    if floats and leaves:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                total = None
                for r in floats:
                    w = lib.linspace(0.5, 1.5, max(r.numel(), 1), dtype=r.dtype)[:r.numel()]
                    term = (r * w.reshape(r.shape)).sum()
                    total = term if total is None else total + term.to(total.dtype)
                gs = lib.autograd.grad(total, leaves, allow_unused=True)
            obs += [("grad", None) if g is None else ("grad",) + _tensor_obs(g)[1:4]
                    for g in gs]
        except Exception as e:  # noqa: BLE001
            obs.append(("grad raised", error_class(e)))
    return tuple(obs)


def _same_array(x, y, exact: bool, grad: bool = False) -> bool:
    if x.shape != y.shape:
        return False
    if exact or x.dtype.kind not in "fc":
        return np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
    tol = 1e-2 if x.dtype == np.float16 else 1e-4
    atol = tol / 10
    with np.errstate(all="ignore"):
        if grad:  # float32 gradients through ill-conditioned steps (a group norm of two
            # near values): relative to the gradient's scale
            finite = np.abs(x[np.isfinite(x)])
            atol = tol * max(1.0, float(finite.max())) if finite.size else atol
            tol *= 10
        return bool(np.allclose(x, y, rtol=tol, atol=atol, equal_nan=True))


def why_differ(a, b, exact: bool, random: bool = False) -> str | None:
    """Why two observations differ (None: they agree). ``exact``: one library's two calls;
    ``random``: values drawn from each library's own stream are not compared."""
    if a[0] == "raised" or b[0] == "raised":
        if a[0] != b[0]:
            return "raised " + (a[1] if a[0] == "raised" else "nothing") + " vs " + \
                (b[1] if b[0] == "raised" else "nothing")
        return None if a[1] == b[1] else f"raised {a[1]} vs {b[1]}"
    if len(a) != len(b):
        return f"{len(a)} observations vs {len(b)}"
    for x, y in zip(a, b):
        if x[0] != y[0]:
            return f"{x[0]} vs {y[0]}"
        if x[0] in ("tensor", "input", "grad") and len(x) > 2 and len(y) > 2:
            if x[1] != y[1]:
                return f"{x[0]} dtype {x[1]} vs {y[1]}"
            if x[2] != y[2]:
                return f"{x[0]} shape {x[2]} vs {y[2]}"
            if x[0] == "tensor" and x[4] != y[4]:
                return f"requires_grad {x[4]} vs {y[4]}"
            if not (random and not exact) and \
                    not _same_array(x[3], y[3], exact, x[0] == "grad"):
                return f"{x[0]} values"
        elif x != y:
            if x[0] == "value" and isinstance(x[1], float) and isinstance(y[1], float) and \
                    ((math.isclose(x[1], y[1], rel_tol=1e-4) and not exact) or
                     (math.isnan(x[1]) and math.isnan(y[1]))):
                continue  # (two NaNs are the same observation, in one library's calls too)
            if x[0] == "value" and random and not exact:
                continue
            return f"{x[0]} {x[1:]!r} vs {y[1:]!r}"[:160]
    return None


# torch's own nondeterminism: torch answers every call ASKS times (inputs made afresh each
# time), and RETRIES times more where its answers would make a difference from the engine
# (both from positional_sweep.py, whose calls are asked the same way); a
# call whose answers differ from each other is of its own kind, "nondeterministic" (counted,
# never a failure, never an agreement). Seen: linalg.lstsq with an rcond that cuts a single
# matrix's rank (torch hands LAPACK xGEQP3 a pivot array it never clears: one of two
# solutions, about 1 call in 10 at rcond=2.0, the first call of a process more often),
# embedding_bag's include_last_offset (the gradients of indices in no bag are whatever memory
# held). With RETRIES more asks, a rare answer is taken for torch's only one with a chance
# of about 0.1 ** (ASKS + RETRIES).

# ops whose values are whatever memory held (only dtype and shape are compared)
UNINITIALIZED = frozenset(("empty", "empty_like", "new_empty", "empty_strided",
                           "new_empty_strided"))


def _callables(op, form, tfn, efn, targs, eargs):
    if form == "method":
        return getattr(type(targs[0]), op), getattr(type(eargs[0]), op)
    return tfn, efn


def _one(lib, op, form, fn, args, kwargs, grad: bool):
    """One library's observation of a call (inputs made afresh: an in-place op changes
    them); None where a method's first argument is not a tensor."""
    leaves, inputs = [], []
    a = [_convert(v, lib, grad, leaves, inputs) for v in args]
    kw = {k: _convert(v, lib, grad, leaves, inputs) for k, v in kwargs.items()}
    if form == "method":
        if not isinstance(a[0], lib.Tensor):
            return None
        fn = getattr(type(a[0]), op)
    if lib is engine:
        fn = call_site(op, form, fn, len(a) - (form == "method"), tuple(kw))
    return observe(lib, fn, a, kw, leaves, inputs)


def _both(op, form, tfn, efn, args, kwargs, grad: bool, asks: int = ASKS):
    """([torch's observations, one per ask], the engine's observation), or None."""
    ts = [_one(torch, op, form, tfn, args, kwargs, grad) for _ in range(asks)]
    if ts[0] is None:
        return None
    return ts, _one(engine, op, form, efn, args, kwargs, grad)


def torch_varies(answers: list, uninitialized: bool = False) -> str | None:
    """How torch's answers to one call differ from each other (None: they are the same, to
    the tolerance the engine is held to: a full-rank linalg.lstsq's solution varies in its
    last bits with xGEQP3's column order, which no verdict sees; ``uninitialized``: an op
    whose values are whatever memory held, whose values are not compared)."""
    for o in answers[1:]:
        why = why_differ(answers[0], o, False, uninitialized)
        if why is not None:
            return why
    return None


def call_site(op: str, form: str, fn, nargs: int, kwnames: tuple):
    """The engine's callable as a program's call site of this shape binds it: by torch's
    signatures first where they refuse the shape whatever the values (app/lang)."""
    if sg.count_refused(op, form, nargs, kwnames):
        return sg.guarded(op, form, fn)
    return fn


def verdict(t0s, e0, tvs, ev, random: bool, uninitialized: bool = False):
    """(kind, why) of one varied call against its default call, from torch's answers to each
    (:data:`ASKS` of them, or more): "nondeterministic" where torch's own answers to either
    call differ from each other (torch's coin, never a difference of the engine's)."""
    for answers, which in ((t0s, "default"), (tvs, "varied")):
        why = torch_varies(answers, uninitialized)
        if why is not None:
            return "nondeterministic", f"torch's answers to the {which} call differ: {why}"
    return classify(t0s[0], e0, tvs[0], ev, random)


def classify(t0, e0, tv, ev, random: bool) -> tuple[str | None, str | None]:
    """(kind, why) of one varied call against its default call."""
    why = why_differ(tv, ev, False, random)
    if why is None:
        return None, None
    if why_differ(t0, e0, False, random) is not None:
        return "base", why
    if tv[0] == "raised":
        return ("error_class" if ev[0] == "raised" else "accepts"), why
    if why_differ(t0, tv, True) is not None and why_differ(e0, ev, True) is None:
        return "ignored", why
    if ev[0] == "raised":
        return "refuses", why
    return "differs", why


class _Made:
    __slots__ = ("args", "kwargs")

    def __init__(self, args, kwargs):
        self.args, self.kwargs = args, kwargs


def _made_samples(sigs: list[list[P]], form: str) -> list:
    """Calls made from each signature's required parameters, for a form without samples."""
    out = []
    for sig in sigs:
        req = [p for p in sig if not p.kw_only and p.default is MISSING]
        if form == "method":
            req = [P("self", "Tensor", MISSING, False), *req]
        vals = [_made(p) for p in req]
        if all(v is not MISSING for v in vals):
            out.append(_Made(tuple(vals), {}))
    return out


def _same_value(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def sweep(only: set[str] | None = None, samples_per_form: int | None = 1):
    """(op, form, sample index, parameter, value, kind, why) of every varied call, over the
    first ``samples_per_form`` samples of each form (None: all)."""
    out = []
    for op, form, tfn, efn in forms():
        if only is not None and op not in only:
            continue
        sigs = torch_signatures(op, form, tfn)
        if not sigs:
            continue
        samples, random = _samples(op)
        random = random or op in UNINITIALIZED
        grad = OPS[op].differentiable and not random
        params = _optional(sigs)
        if not samples:
            samples = _made_samples(sigs, form)
        for si, s in enumerate(samples[:samples_per_form]):
            given = set()
            for sig in sigs:  # the parameters the sample gives by position
                pos = [p.name for p in sig if not p.kw_only]
                if form == "method":
                    pos = ["self", *pos]
                given |= set(pos[:len(s.args)])
            shape = next((np.shape(a) for a in s.args if isinstance(a, np.ndarray)), None)
            varied = [(p, v) for p in params if p.name not in given
                      for v in values(p, shape)
                      if not (p.name in s.kwargs and _same_value(s.kwargs[p.name], v))]
            if not varied:
                continue
            base = _both(op, form, tfn, efn, s.args, s.kwargs, grad)
            if base is None:
                continue
            uninit = op in UNINITIALIZED
            for p, v in varied:
                kw = {**s.kwargs, p.name: v}
                res = _both(op, form, tfn, efn, s.args, kw, grad)
                if res is None:
                    continue
                kind, why = verdict(base[0], base[1], res[0], res[1], random, uninit)
                if kind not in (None, "nondeterministic"):
                    # a difference from the engine: torch is asked again, so that a rare
                    # answer of its own (linalg.lstsq's rank cut: ~1 call in 10 or 30) is
                    # never taken for the engine's difference
                    if len(base[0]) < ASKS + RETRIES:
                        base[0].extend(_one(torch, op, form, tfn, s.args, s.kwargs, grad)
                                       for _ in range(RETRIES))
                    res[0].extend(_one(torch, op, form, tfn, s.args, kw, grad)
                                  for _ in range(RETRIES))
                    kind, why = verdict(base[0], base[1], res[0], res[1], random, uninit)
                out.append((op, form, si, p.name, v, kind, why))
    return out


KINDS = ("ignored", "accepts", "refuses", "differs", "error_class", "base", "nondeterministic")


def main() -> None:
    np.seterr(all="ignore")
    argv = [a for a in sys.argv[1:] if not a.startswith("--")]
    recs = sweep(set(argv) or None, None if "--every-sample" in sys.argv else 1)
    print(f"{len(recs)} varied calls over {len({(r[0], r[1]) for r in recs})} forms, "
          f"{len({(r[0], r[1], r[3]) for r in recs})} parameters")
    for kind in KINDS:
        bad = [r for r in recs if r[5] == kind]
        print(f"{kind}: {len(bad)} calls in {len({(r[0], r[1], r[3]) for r in bad})} "
              f"parameters of {len({(r[0], r[1]) for r in bad})} forms")
        if kind in ("ignored",) or "--all" in sys.argv:
            for r in bad:
                shown = f"array{np.shape(r[4])}" if isinstance(r[4], np.ndarray) else repr(r[4])
                print("  ", r[0], r[1], f"s{r[2]}", f"{r[3]}={shown}", r[6])


if __name__ == "__main__":
    main()
