"""Report the budget and seed of the differential suite, and how many programs it ran; keep
its programs the same whatever else the test run imported."""

from __future__ import annotations

import pytest

from .budget import PROFILE, SCALE, SEED


@pytest.fixture(autouse=True)
def _no_local_constants(monkeypatch):
    """Hypothesis mixes literals found in the project's loaded modules into what it draws, so
    the programs would change with what other tests imported first: use none of them."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "CONSTANTS_CACHE"):
        monkeypatch.setattr(providers, "_get_local_constants", providers.Constants)
        providers.CONSTANTS_CACHE.cache.clear()


def pytest_report_header(config):
    seed = f", seed {SEED} (replay with ORACLE_SEED={SEED})" if SEED is not None else ""
    return f"oracle: profile {PROFILE}, budget x{SCALE:g}{seed}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    try:
        from .compare import COIN, STATS
    except ImportError:  # torch is not installed: the suite was skipped
        return
    if STATS["programs"]:
        # (the header above is not shown under -q: the seed of a long run is repeated here)
        seed = f"; seed {SEED}, replay with ORACLE_SEED={SEED}" if SEED is not None else ""
        terminalreporter.write_line(
            f"oracle: {STATS['programs']} programs compared with torch "
            f"({STATS['torch_errors']} raising in torch, {STATS['order2']} second order, "
            f"{STATS['torch_nondeterministic']} where torch's own runs differ, "
            f"{STATS['compared_tensors']} tensors compared; profile {PROFILE}, budget "
            f"x{SCALE:g}{seed})")
        if COIN:  # torch's own runs differed: which programs (no failure; docs/oracle.md)
            terminalreporter.write_line("oracle: torch's own runs differ on " +
                                        "; ".join(sorted(set(COIN))[:10]))
