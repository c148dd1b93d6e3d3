"""The version sweep (``version_sweep.py``) at a fixed seed, one program per op: after each
program every tensor it holds is changed in place (values kept, version moved) and backward
must raise exactly where torch's does. A disagreement is a node that reads a tensor torch
saves without checking its version (a silent wrong gradient once the values change), or one
that saves what torch does not (a refusal torch has not)."""

from __future__ import annotations

import io
import json
import os

import pytest

pytest.importorskip("torch")

from . import sweep, version_sweep  # noqa: E402
from .specs import canonical_names, spec_for  # noqa: E402

SEED = int(os.environ.get("VERSION_SWEEP_SEED", "5"))


def test_backward_raises_after_an_inplace_change_exactly_where_torch_does():
    names = [x for x in canonical_names() if spec_for(x) is not None]
    out = io.StringIO()
    counts = sweep.sweep(SEED, 1, names, out, check=version_sweep.check,
                         classify=version_sweep.classify)
    found = [json.loads(line) for line in out.getvalue().splitlines()]
    assert counts["programs"] >= len(names) // 2
    assert not found, "\n\n".join(f"{d['problem']}\n{d['program']}" for d in found[:5])
