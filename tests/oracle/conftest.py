"""Report the budget and seed of the differential suite, and how many programs it ran."""

from __future__ import annotations

from .budget import PROFILE, SCALE, SEED


def pytest_report_header(config):
    seed = f", seed {SEED} (replay with ORACLE_SEED={SEED})" if SEED is not None else ""
    return f"oracle: profile {PROFILE}, budget x{SCALE:g}{seed}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    try:
        from .compare import STATS
    except ImportError:  # torch is not installed: the suite was skipped
        return
    if STATS["programs"]:
        terminalreporter.write_line(
            f"oracle: {STATS['programs']} programs compared with torch "
            f"({STATS['torch_errors']} raising in torch, {STATS['order2']} second order, "
            f"{STATS['compared_tensors']} tensors compared)")
