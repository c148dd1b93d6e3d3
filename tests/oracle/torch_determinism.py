"""Does torch answer each pinned case the same way every time? The audit behind the pinned
cases' determinism (session 17, flake).

Every module-level dict of cases in tests/oracle/test_*.py (``NAME = {"label": lambda T: ...}``,
also ``lambda L, F: ...``) is run on torch alone, ASKS times, with memory churn between the
asks (tensors of a few sizes filled with a finite value, NaN, -inf, then freed, so that memory
a kernel reads without writing holds something else each time); a case whose answers differ
(dtype, shape, requires_grad, values bit for bit with NaNs as one value, or the error's class
and text) is listed. A listed case compares torch's coin: make it deterministic (zero what
``empty`` made, put a rank-cutting lstsq second in a batch ...) or compare only what torch fixes.

    .venv/bin/python -m tests.oracle.torch_determinism [tests/oracle/test_x.py ...]

Session 17: 3,376 cases, one listed (test_faith_pins' ``empty_like channels_last``, which
multiplied new memory by 0: NaN where it held a NaN or inf; now ``zero_()``). Differing signs
of zero are listed too (bit for bit) though the pins' comparisons see them as equal.
"""

from __future__ import annotations

import glob
import importlib
import inspect
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

ASKS = 5
FILLS = (0.5, float("nan"), -float("inf"), -0.348, 3.0)


def answer(x):
    """A comparable record of what a case returned."""
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        try:
            a = t.resolve_conj().resolve_neg().numpy()
            bits = a.tobytes() if a.dtype.kind not in "fc" else \
                np.where(np.isnan(a), 0, a).tobytes() + np.isnan(a).tobytes()
        except Exception as e:  # noqa: BLE001 (sparse, quantized ...)
            bits = repr(e)
        return ("tensor", str(t.dtype), tuple(t.shape), bits, x.requires_grad)
    if isinstance(x, (list, tuple)):
        return tuple(answer(v) for v in x)
    if isinstance(x, dict):
        return tuple((k, answer(v)) for k, v in x.items())
    if isinstance(x, float) and x != x:
        return "nan"
    if x is None or isinstance(x, (int, float, str, bool)):
        return x
    return repr(type(x))


def churn(fill: float) -> None:
    junk = [torch.full((n,), fill) for n in (7, 24, 64, 100, 1000, 4096, 33000)]
    junk += [torch.full((n,), 3, dtype=torch.int64) for n in (7, 64, 1000)]
    del junk


def ask(fn, nargs: int):
    torch.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return answer(fn(torch) if nargs == 1 else fn(torch, F))
    except Exception as e:  # noqa: BLE001 (raised or not is an answer)
        return ("raised", type(e).__name__, str(e)[:300])


def cases(paths):
    """(module, dict name, label, callable, number of arguments) of every pinned case."""
    for path in paths:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        for dname, d in list(vars(module).items()):
            if not isinstance(d, dict) or not d or not dname.isupper():
                continue
            for label, fn in d.items():
                if not callable(fn):
                    continue
                try:
                    params = [p for p in inspect.signature(fn).parameters.values()
                              if p.default is p.empty]
                except (TypeError, ValueError):
                    continue
                if len(params) in (1, 2):
                    yield module.__name__, dname, label, fn, len(params)


def audit(paths) -> tuple[int, list]:
    n, varying = 0, []
    for mod, dname, label, fn, nargs in cases(paths):
        n += 1
        answers = []
        for i in range(ASKS):
            churn(FILLS[i % len(FILLS)])
            answers.append(ask(fn, nargs))
        if any(a != answers[0] for a in answers[1:]):
            varying.append((mod, dname, label))
    return n, varying


def main() -> None:
    np.seterr(all="ignore")
    paths = sys.argv[1:] or sorted(glob.glob("tests/oracle/test_*.py"))
    n, varying = audit(paths)
    print(f"{n} pinned cases asked {ASKS} times; torch's answers vary on {len(varying)}")
    for v in varying:
        print("  ", *v)


if __name__ == "__main__":
    main()
