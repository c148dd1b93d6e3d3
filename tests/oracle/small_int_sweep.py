"""The op table with uint8, int8 and int16 (issue 11): every op's generated programs (its
oracle spec, as tests/oracle/test_ops.py draws them) with their int64/int32 inputs and dtype
arguments turned into each small integer type, run on the engine and on torch 2.13; every
disagreement is kept (op, dtype, class, the first difference, the program), and torch's
verdict per op and dtype is recorded: which ops' kernels refuse the type ("... not implemented
for 'Byte'"), which compute.

    .venv/bin/python -m tests.oracle.small_int_sweep SEED [out.jsonl]   # N=8; ONLY=a,b; SKIP=a,b
    RECORD=tests/oracle/goldens/small_int_kernels.json ... # also write torch's verdicts

The golden (``RECORD``) maps op -> dtype -> the sorted set of torch's "not implemented for"
kernel names met (an empty list: torch computed every program that reached the op).
tests/oracle/goldens/small_int_kernels.json is seed 1, N=8 (339 ops with integer inputs, 62
op/dtype refusals). Only integer inputs are mapped: programs whose main dtype is a small type
(what tests/oracle/generate.py would draw with the types in ALL_DTYPES) are not covered yet."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from hypothesis.internal.conjecture import providers

from .backends import TORCH, run
from .build import op_program
from .compare import Mismatch, check
from .program import SMALL_INTS, Program
from .specs import canonical_names, spec_for
from .sweep import classify

providers._get_local_constants = providers.Constants  # as conftest.py: no project literals

_KERNEL = re.compile(r'"([A-Za-z0-9_]+)" not implemented for \'(Byte|Char|Short)\'')


def small(program: Program, dtype: str) -> Program | None:
    """``program`` with its integer inputs and dtype arguments in ``dtype`` (None when it has
    none: nothing to learn about the type)."""
    mapped = program.with_dtypes({"int64": dtype, "int32": dtype})
    return mapped if mapped.source() != program.source() else None


def sweep_op(name: str, seed_: int, n: int, counts: Counter, out, verdicts: dict) -> None:
    @seed(seed_)
    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def go(data):
        program = op_program(name, data.draw)
        for dtype in SMALL_INTS:
            p = small(program, dtype)
            if p is None:
                continue
            counts["programs"] += 1
            kernels = verdicts.setdefault(name, {}).setdefault(dtype, set())
            t = run(p, TORCH)
            if t.error is not None:
                m = _KERNEL.search(t.error.message)
                if m:
                    kernels.add(m.group(1))
            try:
                check(p)
            except Mismatch as exc:
                text = str(exc)
                kind = classify(text.split(": ", 1)[1] if ": " in text else text)
                counts[kind] += 1
                if out is not None:
                    head, _, prog = text.partition("\nprogram:\n")
                    out.write(json.dumps({"op": name, "dtype": dtype, "class": kind,
                                          "problem": head, "program": prog}) + "\n")
                    out.flush()

    try:
        go()
    except UnsatisfiedAssumption:  # pragma: no cover
        pass
    except Exception as exc:  # a harness error: record it, go on
        counts["harness"] += 1
        if out is not None:
            out.write(json.dumps({"op": name, "class": "harness",
                                  "problem": repr(exc)[:2000], "program": ""}) + "\n")


if __name__ == "__main__":
    only = os.environ.get("ONLY")
    skip = set(filter(None, os.environ.get("SKIP", "").split(",")))
    names = [x for x in canonical_names() if spec_for(x) is not None and
             (not only or x in only.split(",")) and x not in skip]
    start = time.time()
    counts: Counter = Counter()
    verdicts: dict = {}
    with open(sys.argv[2] if len(sys.argv) > 2 else os.devnull, "a") as f:
        for name in names:
            sweep_op(name, int(sys.argv[1]), int(os.environ.get("N", "8")), counts, f,
                     verdicts)
    if os.environ.get("RECORD"):
        path = os.environ["RECORD"]
        old = json.load(open(path)) if os.path.exists(path) else {}
        for op, per in verdicts.items():
            old[op] = {d: sorted(set(old.get(op, {}).get(d, [])) | k) for d, k in per.items()}
        with open(path, "w") as f:
            json.dump(dict(sorted(old.items())), f, indent=1, sort_keys=True)
            f.write("\n")
    print(json.dumps({"seed": int(sys.argv[1]), "ops": len(names), **counts,
                      "seconds": round(time.time() - start)}))
