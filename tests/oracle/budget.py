"""How many programs the suite runs, and with which seed.

``ORACLE_PROFILE=ci`` (the default): a fixed budget, derandomized (the same programs every
run). ``ORACLE_PROFILE=long`` (``make oracle-long``): ten times the budget and a random seed,
printed in the report header (``ORACLE_SEED=n`` replays one). ``ORACLE_SCALE`` multiplies
the budget in either profile.
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, Phase, seed, settings

PROFILE = os.environ.get("ORACLE_PROFILE", "ci")
LONG = PROFILE == "long"
SEED = int(os.environ.get("ORACLE_SEED") or random.randrange(2 ** 32)) if LONG else None
SCALE = float(os.environ.get("ORACLE_SCALE") or (10 if LONG else 1))
SHRINK = os.environ.get("ORACLE_SHRINK", "1") != "0"  # 0: report failures unshrunk (faster)


def budget(examples: int, shrink: bool = True):
    """Decorator: hypothesis settings for a test that runs ``examples`` programs in CI."""
    # without shrinking, generation stays the same (a failure is reported as found)
    phases = list(Phase) if shrink and SHRINK else \
        [p for p in Phase if p not in (Phase.shrink, Phase.explain)]
    s = settings(max_examples=max(1, int(examples * SCALE)), derandomize=not LONG,
                 phases=phases,
                 deadline=None, database=None, print_blob=True, report_multiple_bugs=False,
                 suppress_health_check=list(HealthCheck))

    def deco(fn):
        fn = s(fn)
        return seed(SEED)(fn) if LONG else fn

    return deco
