"""The agreement rate: ``N`` generated programs per op (fixed seed, no shrinking), each checked
against torch on its own (the test suite stops at an op's first disagreement).

    .venv/bin/python -m tests.oracle.measure [per-op.json]     # N=12 by default; ONLY=a,b
"""

from __future__ import annotations

import json
import os
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from .build import op_program
from .compare import Mismatch, check
from .specs import canonical_names, spec_for

providers._get_local_constants = providers.Constants  # as conftest.py: no project literals


def _programs_of(name: str, n: int) -> list[int]:
    """1 for each of ``n`` programs of ``name`` on which the engine agrees with torch, else 0."""
    res: list[int] = []

    @seed(20261130)
    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        try:
            check(op_program(name, data.draw))
            res.append(1)
        except Mismatch:
            res.append(0)

    run()
    return res


def measure(n: int, only: set | None = None) -> tuple[dict, dict]:
    names = [x for x in canonical_names() if spec_for(x) is not None and
             (not only or x in only)]
    per, start = {}, time.time()
    for name in names:
        res = _programs_of(name, n)
        per[name] = (sum(res), len(res))
    total = sum(v[1] for v in per.values())
    bad = total - sum(v[0] for v in per.values())
    return per, {"ops": len(names), "programs": total, "disagree": bad,
                 "agree_rate": round(1 - bad / max(total, 1), 4),
                 "seconds": round(time.time() - start)}


if __name__ == "__main__":
    only = os.environ.get("ONLY")
    per, summary = measure(int(os.environ.get("N", "12")), set(only.split(",")) if only else None)
    print(json.dumps(summary))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(per, f, indent=1)
