"""A sweep: ``N`` generated programs per op with another seed, every disagreement kept (the
tests stop at an op's first one). Prints a count per class and writes each disagreement
(op, class, the first difference, the program) as one JSON line.

    .venv/bin/python -m tests.oracle.sweep SEED [out.jsonl]   # N=36 (x3 CI); ONLY=a,b; SKIP=a,b

Classes, worst first: ``value`` (a value or gradient differs beyond tolerance, NaN or inf
placement), ``raises`` (the engine raised where torch answered), ``answers`` (torch raised,
the engine answered), ``meta`` (dtype, shape, requires_grad, grad_fn, version, .grad None vs
a tensor), ``zero`` (the sign of a zero), ``text`` (error text or class, repr), ``other``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from hypothesis.internal.conjecture import providers

from .build import op_program
from .compare import Mismatch, check
from .specs import canonical_names, spec_for

providers._get_local_constants = providers.Constants  # as conftest.py: no project literals


def classify(text: str) -> str:
    first = text.split("\n", 1)[0]
    if "engine raised where torch did not" in first:
        return "raises"
    if "torch raised where the engine did not" in first:
        return "answers"
    if "sign of zero" in first:
        return "zero"
    if any(k in first for k in ("values differ at", "NaN where", "infinities differ",
                                "values differ")):
        return "value"
    if any(k in first for k in ("error texts differ", "engine raised", "repr differs",
                                "the engine raised at")):
        return "text"
    if any(f"{k}:" in first for k in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn",
                                     "version")) or "engine gave" in first:
        return "meta"
    return "other"


def sweep(seed_: int, n: int, names: list[str], out=None, variants=None, observe=None,
          check=check, classify=classify) -> Counter:
    counts: Counter = Counter()
    for name in names:
        sweep_op(name, seed_, n, counts, out, variants, observe, check, classify)
    return counts


def sweep_op(name: str, seed_: int, n: int, counts: Counter, out, variants=None,
             observe=None, check=check, classify=classify) -> None:
    """``n`` programs of ``name`` drawn with ``seed_``, each checked against torch.
    ``variants(program)`` (optional) turns one drawn program into the ``(tag, program)`` pairs
    to check instead (a tag is a dict written into each disagreement's line, e.g. the dtype a
    sweep mapped the inputs to); ``observe(name, tag, program)`` is called before each check.
    ``check(program)`` raises ``Mismatch`` for a disagreement (default: the differential
    suite's), ``classify(text)`` names its class (another sweep compares other things)."""
    @seed(seed_)
    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        program = op_program(name, data.draw)
        for tag, p in (variants(program) if variants else (({}, program),)):
            counts["programs"] += 1
            if observe is not None:
                observe(name, tag, p)
            try:
                check(p)
            except Mismatch as exc:
                text = str(exc)
                kind = classify(text.split(": ", 1)[1] if ": " in text else text)
                counts[kind] += 1
                if out is not None:
                    head, _, prog = text.partition("\nprogram:\n")
                    out.write(json.dumps({"op": name, **tag, "class": kind, "problem": head,
                                          "program": prog}) + "\n")
                    out.flush()

    try:
        run()
    except UnsatisfiedAssumption:  # pragma: no cover
        pass
    except Exception as exc:  # a harness error: record it, go on
        counts["harness"] += 1
        if out is not None:
            out.write(json.dumps({"op": name, "class": "harness",
                                  "problem": repr(exc)[:2000], "program": ""}) + "\n")


def main(default_n: int, variants=None, observe=None, check=check,
         classify=classify) -> Counter:
    """The command line shared by the sweeps: ``SEED [out.jsonl]``, ``N``, ``ONLY``, ``SKIP``;
    prints the counts as one JSON line."""
    only = os.environ.get("ONLY")
    skip = set(filter(None, os.environ.get("SKIP", "").split(",")))
    names = [x for x in canonical_names() if spec_for(x) is not None and
             (not only or x in only.split(",")) and x not in skip]
    start = time.time()
    with open(sys.argv[2] if len(sys.argv) > 2 else os.devnull, "a") as f:
        counts = sweep(int(sys.argv[1]), int(os.environ.get("N", str(default_n))), names, f,
                       variants, observe, check, classify)
    print(json.dumps({"seed": int(sys.argv[1]), "ops": len(names), **counts,
                      "seconds": round(time.time() - start)}))
    return counts


if __name__ == "__main__":
    main(36)
