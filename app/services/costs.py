"""The cost budget of a run: each costly op's estimate (``engine.cost``) is checked before the
op runs, against what is left of the run's budget (``AUTOGRAD_MAX_RUN_COST``) and of its time
(at ``AUTOGRAD_COST_RATE`` units a second). A refused op does nothing; the run fails with
``limit_exceeded`` naming the op and its estimate."""

from __future__ import annotations

import math
import time

from app.lang import LimitExceeded


class RunMeter:
    """The meter of one run (``engine.use_cost_meter``)."""

    __slots__ = ("max_cost", "rate", "timeout_s", "deadline", "spent")

    def __init__(self, max_cost: float, rate: float, timeout_s: float) -> None:
        self.max_cost, self.rate, self.timeout_s = max_cost, rate, timeout_s
        self.deadline = time.perf_counter() + timeout_s if math.isfinite(timeout_s) else math.inf
        self.spent = 0.0

    def __call__(self, op: str, units: float) -> None:
        if self.spent + units > self.max_cost:
            raise LimitExceeded(
                f"{op} would cost about {units:.3g} units, which brings the run to "
                f"{self.spent + units:.3g}, over its budget of {self.max_cost:.3g} "
                "(max_run_cost)", limit="max_run_cost", value=self.max_cost, op=op,
                estimate=units)
        left = self.deadline - time.perf_counter()
        if units / self.rate > left:
            raise LimitExceeded(
                f"{op} would take about {units / self.rate:.3g} s (cost {units:.3g} units), "
                f"more than the {max(left, 0.0):.3g} s left of the run's {self.timeout_s:g} s "
                "(timeout_s)", limit="timeout_s", value=self.timeout_s, op=op, estimate=units)
        self.spent += units
