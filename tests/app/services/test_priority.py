"""Fair CPU in hosts: a request that has *used* ``demote_after_ms`` of CPU drops every thread of
its host to ``SCHED_IDLE``; one that only waited (for a CPU, or sleeping) keeps its priority;
the end of the request, or its log commit, takes the normal policy back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import os, threading, time
from app.services.hosts.host import Priority
def policies():
    return sorted({os.sched_getscheduler(int(t)) for t in os.listdir("/proc/self/task")})
base = policies()
release = threading.Event()
worker = threading.Thread(target=release.wait)  # a thread of the engine's pool, say
worker.start()
p = Priority(0.02)
p.start()
time.sleep(0.15)  # waiting uses no CPU time: not demoted
waited = policies()
p.stop()
p.start()
end = time.process_time() + 0.2
while time.process_time() < end:  # a CPU-bound request
    pass
busy = policies()
back = p.stop()
after = policies()
release.set()
worker.join()
print(base, waited, busy, back, after, os.SCHED_OTHER, os.SCHED_IDLE, sep=";")
"""


def test_only_cpu_time_demotes_every_thread():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout.strip().split(";")
    base, waited, busy, back, after, other, idle = out
    if base != f"[{other}]":
        pytest.skip("the tests do not run under the normal scheduling policy")
    assert waited == base
    assert busy == f"[{idle}]"  # both threads
    assert after == (base if back == "True" else f"[{idle}]")  # without RLIMIT_NICE: stays low
