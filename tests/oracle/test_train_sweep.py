"""The training sweep in CI (``train_sweep.py``): a fixed seed and budget of whole training
programs (model, loss, optimizer, scheduler, several steps) run on the engine and on torch,
compared step by step. ``ORACLE_PROFILE=long`` (``make oracle-long``) draws ten times the
programs from a random seed (printed by the suite's header and summary; ``ORACLE_SEED``
replays one). A program using a feature ``train_sweep.KNOWN`` names is an expected failure
under that name, never silently passed over."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from . import train_sweep  # noqa: E402
from .budget import LONG, SCALE, SEED  # noqa: E402
from .compare import STATS  # noqa: E402

PROGRAMS = 16  # the CI budget (about 1 s each here)
BASE = (SEED if LONG else 21) * 100_000


@pytest.mark.parametrize("index", range(max(1, int(PROGRAMS * SCALE))))
def test_training_program_agrees_with_torch(index):
    p = train_sweep.plan(BASE + index)
    STATS["programs"] += 1
    diff = train_sweep.difference(p)
    if diff is None:
        return
    known = sorted(train_sweep.tags(p) & train_sweep.KNOWN.keys())
    if known:
        pytest.xfail("known: " + "; ".join(f"{k} ({train_sweep.KNOWN[k]})" for k in known))
    raise AssertionError(f"training program {BASE + index} differs from torch: {diff}\n\n"
                         f"plan:\n{train_sweep.describe(p)}\n(replay: python -m "
                         f"tests.oracle.train_sweep {BASE // 100_000} {index + 1} --show "
                         f"{index})")
