"""Fair CPU between the service's own runs (``app.services.hosts.priority``): a run that has
*used* ``demote_after_ms`` of CPU is long; the host says so, and the pool puts a long run's
host at ``SCHED_IDLE`` only while another of the service's runs is short, and back at the
normal policy once none is. A long run alone is never demoted (next to any other busy task on
the machine it would starve: session 20 measured a 95 ms run taking 2.7 s)."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from app.services.hosts import pool as pools
from app.services.hosts.priority import CpuBalance
from app.services.runner import Body

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import os, threading, time
from app.services.hosts.priority import Priority
told = []
p = Priority(0.02, told.append)
p.start()
time.sleep(0.15)  # waiting uses no CPU time: still short
waited = list(told)
p.stop()
p.start()
end = time.process_time() + 0.2
while time.process_time() < end:  # a CPU-bound request
    pass
busy = list(told)
p.stop()
print(waited, busy, told, sep=";")
"""


def test_only_cpu_time_makes_a_run_long():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout.strip().split(";")
    waited, busy, told = map(ast.literal_eval, out)
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        pytest.skip("the tests do not run under the normal scheduling policy")
    assert waited == []
    assert busy == [True]  # told once, during the run
    assert told == [True, False]  # and that it ended


HISTORY = """
import os, time, orjson
from app.core.config import get_settings
from app.services.hosts import host as hosts
from app.services.store import open_store
from app.services.store.base import SessionRecord
settings = get_settings()
store = open_store(settings.state_dir)
now = time.time()
store.create(SessionRecord(id="s", owner="o", device="cpu", seed=0, ttl_s=60, created_at=now,
                           last_used=now))
fence = store.acquire("s", "me", 60, now)
host = hosts.Host(settings, 0)
told = []
host.priority.notify = lambda long: told.append((len(runs), long))
LONG = "y = torch.ones(3)\\nfor i in range(20000):\\n    y = y * 1.0001\\ny.sum().item()"
runs = []
seq = 0
for source in (LONG, LONG, "1", "1", "2"):
    runs.append(source)
    reply, _ = host.handle({"op": "run", "sid": "s", "fence": fence, "seq": seq, "n": 1,
                            "path": "/x", "rid": "r"}, orjson.dumps({"source": source}))
    assert reply["status"] == 200, reply
    seq = reply["seq"]
policy = os.sched_getscheduler(0)
print(told, policy == os.SCHED_OTHER, sep=";")
"""


def test_a_session_that_ran_long_is_long_from_its_next_start(tmp_path):
    env = {**os.environ, "AUTOGRAD_STATE_DIR": str(tmp_path), "AUTOGRAD_DEMOTE_AFTER_MS": "5",
           "AUTOGRAD_SNAPSHOT_EVERY": "0"}
    out = subprocess.run([sys.executable, "-c", HISTORY], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True, env=env).stdout.strip().split(";")
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        pytest.skip("the tests do not run under the normal scheduling policy")
    # every long run says so, then that it ended; the second long run and the short run after
    # it are long from their start (their session ran long); having stayed short gives the
    # next ones a short start; the host never lowers itself
    assert ast.literal_eval(out[0]) == [(1, True), (1, False), (2, True), (2, False),
                                        (3, True), (3, False)]
    assert out[1] == "True"


# ------------------------------------------------------------------ the pool's decisions

OWNER = "anonymous"
SPIN = "import time\nt = time.perf_counter()\nwhile time.perf_counter() - t < {s}:\n    pass\n1"


async def _evaluate(runner, source: str) -> dict:
    body = Body(data=orjson.dumps({"source": source}), is_json=True)
    reply, _payload = await runner.stateless_inline(
        "evaluate", OWNER, body, {"path": "/v1/evaluate", "rid": "priority-test"})
    return reply


def _policies(pool) -> set[int]:
    seen = set()
    for host in list(pool.hosts):
        try:
            seen.add(os.sched_getscheduler(host.pid))
        except OSError:
            pass
    return seen


def test_a_long_run_alone_keeps_the_normal_policy(make_app):
    """The starvation of session 20: the host of a long run alone went to ``SCHED_IDLE``
    after 2 ms of CPU (then any busy neighbour took almost all its CPU)."""
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        pytest.skip("the tests do not run under the normal scheduling policy")
    app = make_app(demote_after_ms=2.0, max_steps=10**9, run_timeout_s=120.0)  # (spins: steps)
    runner, pool = app.state.runner, app.state.pool
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(_policies(pool))
            time.sleep(0.005)

    async def main() -> dict:
        await _evaluate(runner, "1")  # a host up
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            return await _evaluate(runner, SPIN.format(s=0.6))
        finally:
            done.set()
            watcher.join()

    reply = asyncio.run(main())
    assert reply["status"] == 200, reply
    assert seen == {os.SCHED_OTHER}


def test_a_long_run_is_low_only_while_a_short_one_runs(make_app, monkeypatch):
    """The decisions (recorded, not applied: raising a policy needs RLIMIT_NICE, which a test
    machine may not give): a long run alone stays normal; a short run next to it lowers it
    for as long as the short one runs; two long runs side by side are both normal."""
    monkeypatch.setattr(pools, "can_take_back", lambda: True)
    decisions: list[tuple[int, bool]] = []
    monkeypatch.setattr(CpuBalance, "apply",
                        lambda self, host, low: decisions.append((host.pid, low)) or True)
    app = make_app(demote_after_ms=50.0, hosts=4, max_steps=10**9, run_timeout_s=120.0)
    runner, pool = app.state.runner, app.state.pool
    assert pool.cpu.enabled

    def host_running(long: bool):
        return [h for h in pool.hosts if h.running and h.long == long]

    async def until(condition, within_s: float = 30.0) -> None:
        deadline = time.monotonic() + within_s
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.005)

    async def main() -> None:
        await asyncio.gather(_evaluate(runner, "1"), _evaluate(runner, "2"))  # hosts up
        first = asyncio.ensure_future(_evaluate(runner, SPIN.format(s=5.0)))  # (room for load)
        await until(lambda: host_running(True))
        (spinner,) = host_running(True)
        await asyncio.sleep(0.1)
        assert decisions == []  # alone: normal
        short = await _evaluate(runner, "import time\ntime.sleep(0.3)\n1")
        assert short["status"] == 200
        assert decisions == [(spinner.pid, True), (spinner.pid, False)]
        assert not spinner.low
        second = asyncio.ensure_future(_evaluate(runner, SPIN.format(s=1.5)))
        await until(lambda: len(host_running(True)) == 2)
        await second  # (their replies do not matter here: only the decisions)
        await first
        # while the second run was short, the first was low; both long: both normal
        assert decisions[2:] == [(spinner.pid, True), (spinner.pid, False)]

    asyncio.run(main())
