"""Does the engine's run of a program agree with torch's? The rules (docs/oracle.md says the
same in prose):

* Every observation must exist on both sides, in the same order: the same steps succeed, the
  same step fails, with the same builtin exception class (``RuntimeError``, ``TypeError``, ...).
* Tensors: same dtype, shape, ``requires_grad``, ``is_leaf``, ``grad_fn`` name and version
  counter; exact values for bool and integer dtypes; for floats the same NaN positions, the same
  infinities (with sign), the same sign of zero where torch's result is an exact zero (unless
  torch's own run at the other precision has the opposite zero there: a kernel path, see
  docs/oracle.md), and
  elsewhere ``|engine - ref| <= K*err + K*eps*|ref| + 2*eps*max|ref|``, where ``ref`` is torch's
  float64 run of the program (float16/float32 mapped to float64, default dtype float64), ``err``
  is torch's own largest error against that reference in the tested dtype (for float64 results:
  torch's float32 run's largest error, scaled by eps64/eps32), ``eps`` is the dtype's machine
  epsilon and ``K = 8``. When the values agree bit for bit, the ``repr`` texts must be equal.
* ``.grad`` must be None exactly where torch's is None.
"""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import reject

from .backends import ENGINE, TORCH, ErrorObs, Run, TensorObs, run
from .gauge import errors_compared, in_domain
from .program import EXACT, FLOATS, Program

EPS = {"float16": 2.0 ** -10, "float32": 2.0 ** -23, "float64": 2.0 ** -52}
TINY = {"float16": 2.0 ** -24, "float32": 2.0 ** -149, "float64": 2.0 ** -1074}
K = 8
# Compare exception texts too (on in CI: the engine mirrors PyTorch's texts verbatim).
CHECK_MESSAGES = os.environ.get("ORACLE_MESSAGES", "1") != "0"

STATS = {"programs": 0, "torch_errors": 0, "order2": 0, "compared_tensors": 0,
         "torch_nondeterministic": 0}


class Mismatch(AssertionError):
    pass


def check(program: Program) -> None:
    """Run ``program`` on the engine and on torch; raise ``Mismatch`` where they differ."""
    STATS["programs"] += 1
    if os.environ.get("ORACLE_DUMP"):
        with open(os.environ["ORACLE_DUMP"], "a") as f:
            f.write(program.source() + "\n----\n")
    t = run(program, TORCH)
    if program.gauge and not in_domain(program, t):
        # outside what torch documents as defined (tests/oracle/gauge.py): values are not
        # compared; where torch's verdict is a rule (inv's exactly zero pivot), errors are
        if errors_compared(program):
            e = run(program, ENGINE)
            problem = _error_diff(e, t) if (e.error or t.error) else None
            if problem:
                raise Mismatch(report(program, problem, e, t))
        reject()
    e = run(program, ENGINE)
    if t.error is not None:
        STATS["torch_errors"] += 1
    if program.order == 2:
        STATS["order2"] += 1
    floats = _result_floats(t)
    r = l = None
    # (integer or bool inputs: their floating results take torch's default dtype, float32,
    # so a float64 result may carry float32 steps too, whose rounding the float64-default run
    # measures)
    if floats - {"float64"} or program.float_dtypes() & {"float16", "float32"} or \
            (floats and any(lf.dtype in EXACT for lf in program.leaves)):
        r = run(program.with_dtypes({"float16": "float64", "float32": "float64"}), TORCH,
                default_float64=True)
    if "float64" in floats:
        l = run(program.with_dtypes({"float64": "float32"}), TORCH)
    problem = compare_runs(e, t, r, l)
    if problem and not torch_varies(program, e, t, r, l):
        raise Mismatch(report(program, problem, e, t))


# torch's own nondeterminism: a program whose run differs from the engine's is run on torch
# RETRIES times more; where torch's runs differ from each other (to the tolerance the engine is
# held to), or one of them agrees with the engine's, the verdict is torch's coin, not the
# engine's difference: counted (STATS["torch_nondeterministic"]), never a failure. Seen:
# linalg.lstsq with an rcond that cuts a single matrix's rank (torch hands LAPACK xGEQP3 a
# pivot array it never clears), embedding_bag's include_last_offset (the gradients of indices
# in no bag are whatever memory held). A program's passing run is not asked twice (no cost
# where torch and the engine agree; the sweeps ask twice: ignored_sweep.ASKS).
RETRIES = 6
COIN: list[str] = []  # the labels of those programs (the suite's summary names them)


def torch_varies(program: Program, e: Run, t: Run, r: Run | None, l: Run | None) -> bool:
    for _ in range(RETRIES):
        t2 = run(program, TORCH)
        r2 = None if r is None else run(
            program.with_dtypes({"float16": "float64", "float32": "float64"}), TORCH,
            default_float64=True)
        l2 = None if l is None else run(program.with_dtypes({"float64": "float32"}), TORCH)
        if compare_runs(t2, t, r, l) is not None or compare_runs(e, t2, r2, l2) is None:
            STATS["torch_nondeterministic"] += 1
            COIN.append(program.label or program.source().splitlines()[-2][:120])
            return True
    return False


def _result_floats(t: Run) -> set:
    found = set()

    def walk(o):
        if isinstance(o, TensorObs):
            if o.dtype in FLOATS:
                found.add(o.dtype)
        elif isinstance(o, tuple) and len(o) == 2 and isinstance(o[1], tuple):
            for x in o[1]:
                walk(x)

    for _, o in t.obs:
        walk(o)
    return found


def compare_runs(e: Run, t: Run, r: Run | None, l: Run | None) -> str | None:
    rd = dict(r.obs) if r is not None else {}
    ld = dict(l.obs) if l is not None else {}
    for i in range(max(len(e.obs), len(t.obs))):
        if i >= len(e.obs) or i >= len(t.obs):
            break
        (ke, oe), (kt, ot) = e.obs[i], t.obs[i]
        if ke != kt:
            return f"observation {i}: engine has {ke!r}, torch has {kt!r}"
        diff = compare_values(oe, ot, rd.get(kt), ld.get(kt))
        if diff:
            return f"{kt}: {diff}"
    if len(e.obs) != len(t.obs) or (e.error is None) != (t.error is None):
        return _error_diff(e, t) or "runs differ in length"
    if e.error is not None:
        return _error_diff(e, t)
    return None


def _error_diff(e: Run, t: Run) -> str | None:
    ee, te = e.error, t.error
    if te is None and ee is not None:
        return f"engine raised where torch did not: {_fmt_err(ee)}"
    if ee is None and te is not None:
        return (f"torch raised where the engine did not: {_fmt_err(te)}"
                f"{_progress(e, t)}")
    if ee.where != te.where:
        return f"the engine raised at {ee.where} ({_fmt_err(ee)}), torch at {te.where} " \
               f"({_fmt_err(te)})"
    if ee.cls is not te.cls:
        return f"{te.where}: engine raised {_fmt_err(ee)}, torch {_fmt_err(te)}"
    if CHECK_MESSAGES and ee.message != te.message:
        return f"{te.where}: error texts differ:\n  engine: {ee.message}\n  torch:  {te.message}"
    return None


def _progress(e: Run, t: Run) -> str:
    return "" if len(e.obs) == len(t.obs) else \
        f" (the engine went on to {len(e.obs)} observations, torch stopped at {len(t.obs)})"


def _fmt_err(err: ErrorObs) -> str:
    text = err.message if len(err.message) < 300 else err.message[:300] + "..."
    return f"{err.cls.__name__}: {text}"


def compare_values(e, t, r=None, l=None) -> str | None:
    if isinstance(t, TensorObs) or isinstance(e, TensorObs):
        if not (isinstance(t, TensorObs) and isinstance(e, TensorObs)):
            return f"engine gave {_short(e)}, torch {_short(t)}"
        STATS["compared_tensors"] += 1
        return compare_tensors(e, t, r if isinstance(r, TensorObs) else None,
                               l if isinstance(l, TensorObs) else None)
    if isinstance(t, tuple) and len(t) == 2 and isinstance(t[1], tuple):
        if not (isinstance(e, tuple) and len(e) == 2 and isinstance(e[1], tuple)):
            return f"engine gave {_short(e)}, torch a {t[0]} {_short(t)}"
        if t[0] != e[0] and not _same_kind(e[0], t[0]):
            return f"engine gave a {e[0]}, torch a {t[0]}"
        if len(t[1]) != len(e[1]):
            return f"engine gave {len(e[1])} items, torch {len(t[1])}"
        rs = r[1] if _is_seq(r) and len(r[1]) == len(t[1]) else (None,) * len(t[1])
        ls = l[1] if _is_seq(l) and len(l[1]) == len(t[1]) else (None,) * len(t[1])
        for i, (a, b, c, d) in enumerate(zip(e[1], t[1], rs, ls, strict=True)):
            diff = compare_values(a, b, c, d)
            if diff:
                return f"item {i}: {diff}"
        return None
    if isinstance(t, float) and isinstance(e, float) and type(e) is type(t):
        if math.isnan(t) and math.isnan(e):
            return None
        if math.isclose(e, t, rel_tol=1e-5, abs_tol=1e-7) and \
                (e != 0 or math.copysign(1, e) == math.copysign(1, t)):
            return None
        return f"engine {e!r}, torch {t!r}"
    if type(e) is not type(t) or e != t:
        return f"engine {_short(e)}, torch {_short(t)}"
    return None


def _is_seq(x) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], tuple)


def _same_kind(a: str, b: str) -> bool:
    # torch.return_types.max etc. are named tuples; the engine's may be plain tuples
    plain = {"tuple", "list"}
    return (a in plain and b in plain) or b not in plain | {"Size"} and a not in {"Size"}


def _short(x) -> str:
    if isinstance(x, TensorObs):
        return x.repr or f"tensor(dtype={x.dtype}, shape={x.shape})"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def compare_tensors(e: TensorObs, t: TensorObs, r: TensorObs | None,
                    l: TensorObs | None) -> str | None:
    for attr in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn", "version"):
        if getattr(e, attr) != getattr(t, attr):
            return f"{attr}: engine {getattr(e, attr)!r}, torch {getattr(t, attr)!r}\n" \
                   f"  engine: {e.repr}\n  torch:  {t.repr}"
    if e.values.size == 0 and t.values.size == 0 and not e.repr:
        return None  # values not compared (random ops)
    if t.dtype not in FLOATS:
        if not np.array_equal(e.values, t.values):
            return f"values differ\n  engine: {e.repr}\n  torch:  {t.repr}"
    else:
        diff = float_diff(e.values, t.values,
                          None if r is None or r.shape != t.shape else r.values,
                          None if l is None or l.shape != t.shape else l.values, t.dtype)
        if diff:
            return f"{diff}\n  engine: {e.repr}\n  torch:  {t.repr}"
    if _bit_equal(e.values, t.values) and e.repr != t.repr:
        return f"repr differs\n  engine: {e.repr}\n  torch:  {t.repr}"
    return None


def _bit_equal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return bool(same.all() and (np.signbit(a) == np.signbit(b)).all())


def float_diff(e: np.ndarray, t: np.ndarray, r: np.ndarray | None, l: np.ndarray | None,
               dtype: str) -> str | None:
    e64, t64 = e.astype(np.float64), t.astype(np.float64)
    nan_e, nan_t = np.isnan(e64), np.isnan(t64)
    if (nan_e != nan_t).any():
        i = _first(nan_e != nan_t)
        return f"NaN where the other is not, at {i}: engine {e64[i]!r}, torch {t64[i]!r}"
    inf = (np.isinf(e64) | np.isinf(t64)) & (e64 != t64)
    if inf.any():
        i = _first(inf)
        return f"infinities differ at {i}: engine {e64[i]!r}, torch {t64[i]!r}"
    fin = np.isfinite(t64)
    if not fin.any():
        return None
    eps = EPS[dtype]
    if dtype == "float64":
        ref = t64
        err = 0.0
        if l is not None:
            l64 = l.astype(np.float64)
            ok = fin & np.isfinite(l64)
            if ok.any():
                err = float(np.abs(l64 - t64)[ok].max()) * EPS["float64"] / EPS["float32"]
        if r is not None:  # lower-precision inputs: torch's float64 result carries the
            # rounding of its float32/float16 steps, measured against the all-float64 run
            r64 = r.astype(np.float64)
            ok = fin & np.isfinite(r64)
            if ok.any():
                err = max(err, float(np.abs(r64 - t64)[ok].max()))
    else:
        ref = t64
        if r is not None:
            r64 = r.astype(np.float64)
            ref = np.where(np.isfinite(r64), r64, t64)
        err = float(np.abs(t64 - ref)[fin].max())
    mag = float(np.abs(ref[fin]).max())
    budget = K * err + K * eps * np.abs(ref) + 2 * eps * mag + K * TINY[dtype]
    bad = fin & ~(np.abs(e64 - ref) <= budget)
    if bad.any():
        i = _first(bad)
        return (f"values differ at {i}: engine {e64[i]!r}, torch {t64[i]!r}, float64 reference "
                f"{ref[i]!r} (allowed error {budget[i]:.3g}; torch's own error {err:.3g})")
    zero = fin & (e64 == 0) & (t64 == 0) & (np.signbit(e64) != np.signbit(t64)) & (ref == 0)
    # torch's own other-precision run with the opposite zero: the sign is torch's kernel path
    # (a SIMD loop vs its scalar tail pick different operands on ±0 ties), not its semantics
    own = l if dtype == "float64" else r
    if own is not None and zero.any():
        o64 = own.astype(np.float64)
        zero &= ~((o64 == 0) & (np.signbit(o64) != np.signbit(t64)))
    if zero.any():
        i = _first(zero)
        return f"sign of zero differs at {i}: engine {e64[i]!r}, torch {t64[i]!r}"
    return None


def _first(mask: np.ndarray):
    idx = np.argwhere(mask)[0]
    return tuple(int(x) for x in idx) if mask.ndim else ()


def report(program: Program, problem: str, e: Run, t: Run) -> str:
    lines = [f"engine and torch disagree ({program.label}): {problem}", "", "program:",
             program.source()]
    if e.error is not None or t.error is not None:
        lines += ["", f"engine error: {None if e.error is None else _fmt_err(e.error)}",
                  f"torch error:  {None if t.error is None else _fmt_err(t.error)}"]
    return "\n".join(lines)
