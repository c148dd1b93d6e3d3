"""The scale proof, against replicas behind the scale compose's nginx: sessions are born where
the hash routes them, one replica is killed and every session goes on with nothing lost (those
that lived on it included), then a replica is added and only about 1/N of the sessions move.

Standard library only: CI runs it with the machine's python3 (``.ci/docker-scale.sh``, against
containers); the test suite imports it and runs it against processes. Prints what it saw and
returns a summary (sessions per replica, the fraction that moved, the time the moved sessions'
first requests took).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SETUP = ("x = torch.arange(4.0, requires_grad=True)\n"
         "y = 2 * torch.dot(x, x)\n"
         "def f(a):\n    return a * 3\n"
         "count = 1\n"
         "r = torch.randn(3)\n"
         "r")
RETRY_FOR_S = 40.0


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    """One request; a 503 (a replica restarting, a lease changing hands) is retried after its
    Retry-After for up to RETRY_FOR_S seconds, as a client would."""
    data = None if body is None else json.dumps(body).encode()
    deadline = time.monotonic() + RETRY_FOR_S
    while True:
        request = urllib.request.Request(base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, json.loads(reply.read() or b"null"), reply.headers
        except urllib.error.HTTPError as err:
            text = err.read()
            if err.code == 503 and time.monotonic() < deadline:
                time.sleep(min(float(err.headers.get("Retry-After") or 1), 2.0))
                continue
            return err.code, text.decode(errors="replace"), err.headers


def run(base: str, sid: str, source: str) -> tuple[Any, str, float]:
    """(the result, the replica that answered, seconds it took)."""
    started = time.monotonic()
    status, body, headers = call(base, "POST", f"/v1/sessions/{sid}/run", {"source": source})
    check(status == 200, f"run on {sid}: {status} {body}")
    return body.get("result"), headers.get("X-Autograd-Replica", "?"), \
        time.monotonic() - started


def scale_check(base: str, replicas: list[str], kill: Callable[[str], None],
                forget: Callable[[str], None], add: Callable[[], str],
                sessions: int = 30, log: Callable[[str], None] = print) -> dict[str, Any]:
    """``kill(name)`` kills a replica; ``forget(name)`` takes it off nginx's list (as compose's
    DNS does for a dead container); ``add()`` starts one more replica, puts it on the list once
    it is ready, and returns its name."""
    state: dict[str, dict[str, Any]] = {}
    for i in range(sessions):
        status, body, headers = call(base, "POST", "/v1/sessions", {"seed": i})
        check(status == 201, f"create: {status} {body}")
        sid, born = body["id"], headers.get("X-Autograd-Replica")
        result, served, _ = run(base, sid, SETUP)
        check(served == born, f"{sid} was created on {born} but routed to {served}")
        state[sid] = {"r": result, "count": 1, "at": served}
    spread = Counter(s["at"] for s in state.values())
    log(f"  {sessions} sessions, each born where its id is routed: {dict(spread)}")
    check(len(spread) >= 2, f"sessions on one replica only: {dict(spread)}")
    check(set(spread) <= set(replicas), f"unknown replicas: {set(spread) - set(replicas)}")

    victim = spread.most_common(1)[0][0]
    kill(victim)
    log(f"  killed {victim} ({spread[victim]} sessions lived on it)")
    restore_s: list[float] = []
    for sid, s in state.items():
        result, served, took = run(base, sid, "count = count + 1\ncount")
        s["count"] += 1
        check(result == s["count"], f"{sid}: count {result}, expected {s['count']}")
        check(served != victim, f"{sid} still routed to the killed {victim}")
        if s["at"] == victim:
            restore_s.append(took)
        else:
            check(served == s["at"], f"{sid} moved from {s['at']} to {served} (not the victim's)")
        s["at"] = served
        grad, _, _ = run(base, sid, "y.backward()\nx.grad")
        check(grad["data"] == [0.0, 4.0, 8.0, 12.0], f"{sid}: grad {grad}")
        r, _, _ = run(base, sid, "r")
        check(r == s["r"], f"{sid}: r {r} != {s['r']}")
        f3, _, _ = run(base, sid, "f(torch.ones(1)).item()")
        check(f3 == 3.0, f"{sid}: f gave {f3}")
    log(f"  every session went on; the {len(restore_s)} that lived on {victim} were restored "
        f"elsewhere (first request: max {max(restore_s, default=0):.2f} s)")

    forget(victim)
    for sid, s in state.items():
        _, served, _ = run(base, sid, "count")
        check(served == s["at"], f"{sid} moved from {s['at']} to {served} when the dead "
              f"{victim} left the list")
    alive = [r for r in replicas if r != victim]
    log(f"  {victim} off the list: no session moved")

    added = add()
    moved: dict[str, str] = {}
    for sid, s in state.items():
        result, served, _ = run(base, sid, "count = count + 1\ncount")
        s["count"] += 1
        check(result == s["count"], f"{sid}: count {result}, expected {s['count']}")
        if served != s["at"]:
            moved[sid] = served
        s["at"] = served
    fraction = len(moved) / sessions
    expected = 1 / (len(alive) + 1)
    log(f"  added {added}: {len(moved)} of {sessions} sessions moved ({fraction:.2f}; "
        f"1/N = {expected:.2f}), all to {set(moved.values()) or '-'}")
    check(set(moved.values()) <= {added}, f"sessions moved elsewhere than {added}: {moved}")
    check(0 < fraction <= min(0.75, 2.2 * expected), f"{fraction:.2f} of sessions moved")
    for sid in state:
        grad, _, _ = run(base, sid, "x.grad")
        check(grad["data"] == [0.0, 4.0, 8.0, 12.0], f"{sid}: grad {grad} after the move")
    return {"sessions": sessions, "placement": dict(spread), "killed": victim,
            "restored": len(restore_s), "restore_first_request_s": restore_s,
            "added": added, "moved": len(moved), "moved_fraction": fraction,
            "expected_fraction": expected}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="nginx, e.g. http://127.0.0.1:8000")
    parser.add_argument("--replicas", required=True, help="name=port,... of the live replicas")
    parser.add_argument("--add", required=True, help="name=port of the replica to add")
    parser.add_argument("--upstreams", required=True, type=Path, help="nginx's replica list")
    parser.add_argument("--kill-command", required=True,
                        help="kills replica {name}, e.g. 'docker kill proj-{name}-1'")
    parser.add_argument("--add-command", required=True, help="starts replica {name}")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--summary", type=Path, help="write the summary here (JSON)")
    args = parser.parse_args()
    ports = dict(item.split("=") for item in args.replicas.split(","))
    new_name, new_port = args.add.split("=")

    def write_list() -> None:
        args.upstreams.write_text(",".join(f"127.0.0.1:{p}" for p in ports.values()) + "\n")

    def kill(name: str) -> None:
        subprocess.run(args.kill_command.format(name=name), shell=True, check=True)

    def forget(name: str) -> None:
        ports.pop(name)
        write_list()
        time.sleep(3)  # nginx's watcher reads the list every second, then reloads

    def add() -> str:
        subprocess.run(args.add_command.format(name=new_name), shell=True, check=True)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{new_port}/v1/health/ready",
                                            timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                check(time.monotonic() < deadline, f"{new_name} not ready within 180 s")
                time.sleep(1)
        ports[new_name] = new_port
        write_list()
        time.sleep(3)
        return new_name

    write_list()
    try:
        summary = scale_check(args.url, list(ports), kill, forget, add, args.sessions)
    except CheckFailed as exc:
        print(f"  FAILED: {exc}")
        return 1
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
