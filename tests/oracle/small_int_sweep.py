"""The op table with uint8, int8 and int16 (issue 11): every op's generated programs (its
oracle spec, as tests/oracle/test_ops.py draws them) with inputs turned into each small integer
type, run on the engine and on torch 2.13 (tests/oracle/sweep.py's driver); every disagreement
is kept (op, dtype, mode, class, the first difference, the program), and torch's verdict per op
and dtype is recorded: which ops' kernels refuse the type ("... not implemented for 'Byte'"),
which compute.

    .venv/bin/python -m tests.oracle.small_int_sweep SEED [out.jsonl]   # N=8; ONLY=a,b; SKIP=a,b
    MODES=ints,floats (the default: both)
    RECORD=tests/oracle/goldens/small_int_kernels.json ... # also write torch's verdicts

Modes: ``ints`` maps the program's int64/int32 inputs and dtype arguments; ``floats`` maps its
floating inputs and dtype arguments (and only those: a float kernel handed a small integer
tensor, as the generator draws when the small types are in ALL_DTYPES), with ``requires_grad``
dropped (integer tensors cannot require it) and the forward compared.

The golden (``RECORD``) maps op -> dtype -> the sorted set of torch's "not implemented for"
kernel names met (an empty list: torch computed every program that reached the op); it is read
by tests/oracle/test_small_int_kernels.py (the engine's op-table rule agrees with it)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace

import numpy as np

from .backends import TORCH, run
from .program import FLOATS, SMALL_INTS, Program
from .sweep import main

_KERNEL = re.compile(r'"([A-Za-z0-9_.]+)" not implemented for \'(Byte|Char|Short)\'')
MODES = tuple(filter(None, os.environ.get("MODES", "ints,floats").split(",")))


def small(program: Program, dtype: str) -> Program | None:
    """``program`` with its integer inputs and dtype arguments in ``dtype`` (None when it has
    none: nothing to learn about the type)."""
    mapped = program.with_dtypes({"int64": dtype, "int32": dtype})
    return mapped if mapped.source() != program.source() else None


def small_floats(program: Program, dtype: str) -> Program | None:
    """``program`` with its floating inputs and dtype arguments in ``dtype`` (values: NaN as 0,
    infinities as +-3, rounded, wrapped into the type as the cast does), no input requiring
    grad, forward only (None when it has no floating input or dtype argument)."""
    def clean(lf):
        if lf.dtype not in FLOATS:
            return lf
        v = np.round(np.nan_to_num(lf.values.astype(np.float64), nan=0, posinf=3, neginf=-3))
        return replace(lf, values=v.astype(np.int64).astype(lf.values.dtype),
                       requires_grad=False)

    base = replace(program, leaves=[clean(lf) for lf in program.leaves], order=0, retain=())
    mapped = base.with_dtypes({f: dtype for f in FLOATS})
    return mapped if mapped.source() != base.source() else None


def variants(program: Program):
    for dtype in SMALL_INTS:
        for mode, fn in (("ints", small), ("floats", small_floats)):
            if mode in MODES:
                p = fn(program, dtype)
                if p is not None:
                    yield {"dtype": dtype, "mode": mode}, p


VERDICTS: dict = {}


def observe(name: str, tag: dict, program: Program) -> None:
    kernels = VERDICTS.setdefault(name, {}).setdefault(tag["dtype"], set())
    t = run(program, TORCH)
    if t.error is not None:
        m = _KERNEL.search(t.error.message)
        if m:
            kernels.add(m.group(1))


if __name__ == "__main__":
    main(8, variants, observe)
    if os.environ.get("RECORD"):
        path = os.environ["RECORD"]
        old = json.load(open(path)) if os.path.exists(path) else {}
        for op, per in VERDICTS.items():
            old[op] = {d: sorted(set(old.get(op, {}).get(d, [])) | k) for d, k in per.items()}
        with open(path, "w") as f:
            json.dump(dict(sorted(old.items())), f, indent=1, sort_keys=True)
            f.write("\n")
