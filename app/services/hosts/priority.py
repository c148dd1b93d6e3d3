"""CPU priority of session hosts: a two-level feedback queue between the service's own runs.

A run is *short* until it has used ``AUTOGRAD_DEMOTE_AFTER_MS`` of CPU time, then *long*. The
host notices the crossing itself (:class:`Priority`, ``ITIMER_PROF``: CPU time, so a short run
that only waited for a CPU on a crowded machine stays short) and tells the serving process; the
pool (:class:`CpuBalance`) decides, and sets, every thread's policy of the hosts it runs: a
long run is at ``SCHED_IDLE`` exactly while another of the service's runs is short, and back at
the normal policy as soon as none is. The kernel then lets a short run's host preempt a long
one at once instead of after the rest of its time slice.

The condition is about the service's *own* runs, not the machine's load: ``SCHED_IDLE`` has a
weight of 3 against a normal task's 1024, so a long run demoted next to *any* other busy task
(another program, another service in the same CPU cgroup) starves. Demoting after 2 ms of CPU
whatever else ran (the policy before) made a 95 ms run take 2.7 s next to a test suite and ten
MLP training steps reach their 30 s timeout.

Going back from ``SCHED_IDLE`` needs ``RLIMIT_NICE`` (20, the limit for nice 0) or
``CAP_SYS_NICE``. Where the service has neither, a demotion could not be undone until the run
ended (and its host would have to be recycled), so long runs are not demoted at all there
(:func:`can_take_back`, said once in the log).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

logger = logging.getLogger("app.hosts")


def threads_of(pid: int) -> list[int]:
    """The threads of process ``pid`` (its main thread first)."""
    try:
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]
    return [pid, *(tid for tid in tids if tid != pid)]


def set_policy(tids: Iterable[int], policy: int) -> bool:
    """Sets ``policy`` on every thread in ``tids``; False if the kernel refused any (a
    ``SCHED_OTHER`` without the right to raise it); threads that ended meanwhile are skipped."""
    done = True
    for tid in tids:
        try:
            os.sched_setscheduler(tid, policy, os.sched_param(0))
        except PermissionError:
            done = False
        except ProcessLookupError:
            pass
    return done


_take_back: bool | None = None


def can_take_back() -> bool:
    """Whether this process (and the hosts it starts, which inherit its limits) may move a
    thread from ``SCHED_IDLE`` back to the normal policy: tried once, on a thread of its own
    that ends right after."""
    global _take_back
    if _take_back is None:
        answer: list[bool] = []

        def probe() -> None:
            try:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
                answer.append(True)
            except OSError:
                answer.append(False)

        thread = threading.Thread(target=probe, name="priority-probe")
        thread.start()
        thread.join()
        _take_back = bool(answer and answer[0])
    return _take_back


class Priority:
    """The host's side: tells the serving process when the request in flight becomes long
    (``notify(True)``: it has used ``after_s`` of CPU time, or its session's last run here did,
    as a feedback queue remembers a task's last quantum) and when it stops being long
    (``notify(False)``: it is about to commit to the log and answer). :meth:`stop` takes the
    normal policy back if the pool had lowered this host, so no host holds the store's writers'
    lock at ``SCHED_IDLE`` (priority inversion: a short request's commit would wait behind a
    starved one)."""

    def __init__(self, after_s: float, notify: Callable[[bool], None] | None = None) -> None:
        self.after_s = after_s if os.sched_getscheduler(0) == os.SCHED_OTHER else 0.0
        self.notify = notify
        self.long = False
        """The request in flight is long (and the pool was told)."""
        self.armed = False
        """The timer is set (a request began and no ``stop`` since)."""
        self.cpu_started = 0.0
        """``time.process_time`` when the request began (what ``ITIMER_PROF`` counts)."""
        signal.signal(signal.SIGPROF, self._crossed)

    def _crossed(self, _signum: int, _frame: object) -> None:
        if self.armed and not self.long:
            self._tell(True)

    def _tell(self, long: bool) -> None:
        self.long = long
        if self.notify is not None:
            self.notify(long)

    def start(self) -> None:
        if self.after_s > 0:
            self.cpu_started = time.process_time()
            self.long = False
            self.armed = True
            signal.setitimer(signal.ITIMER_PROF, self.after_s)

    def lower(self) -> None:
        """The request is long from now on (a session that ran long before)."""
        if self.armed and not self.long:
            signal.setitimer(signal.ITIMER_PROF, 0)
            self._tell(True)

    def was_long(self) -> bool:
        """Whether the request so far has used ``after_s`` of CPU."""
        return self.after_s > 0 and time.process_time() - self.cpu_started >= self.after_s

    def stop(self) -> bool:
        """Ends a request (a second call costs nothing); False if this host was left at
        ``SCHED_IDLE`` and cannot take the normal policy back."""
        if not self.armed:
            return True
        signal.setitimer(signal.ITIMER_PROF, 0)
        self.armed = False
        if self.long:
            self._tell(False)
            if os.sched_getscheduler(0) == os.SCHED_IDLE:
                return set_policy(threads_of(os.getpid()), os.SCHED_OTHER)
        return True


class Running(Protocol):
    """What :class:`CpuBalance` reads of a host (``HostProcess``)."""

    pid: int
    running: bool
    long: bool
    ending: bool
    low: bool
    demoted: bool
    dead: bool


class CpuBalance:
    """The pool's side: after every change (a run sent to a host, its reply, a host's notice
    that its run became long or is ending), puts each running long host at ``SCHED_IDLE`` if
    any other running host's run is short, else at the normal policy. A run that is ending (a
    long one committing and answering) is neither: it is not lowered and lowers nobody.
    ``apply`` sets a host's policy (every thread: the engine's thread pool too); a host it
    cannot raise is marked ``demoted`` (the pool recycles it when idle)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def apply(self, host: Running, low: bool) -> bool:
        return set_policy(threads_of(host.pid), os.SCHED_IDLE if low else os.SCHED_OTHER)

    def balance(self, hosts: Iterable[Running]) -> None:
        """(Called with the pool's lock held.)"""
        if not self.enabled:
            return
        running = [h for h in hosts if h.running and not h.dead]
        short = any(not h.long and not h.ending for h in running)
        for host in running:
            low = host.long and short
            if host.low != low:
                if self.apply(host, low) or low:
                    host.low = low
                else:
                    host.demoted = True
