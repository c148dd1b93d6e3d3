"""The float32 kernels built on SLEEF's ``expf``/``logf`` (``engine/ops/sleef.py``: softmax,
log_softmax, sigmoid, silu, cross-entropy), the engine against torch in one process: blocks of
calls alternated with pauses (``shared/notes/performance-here.md``), the median per variant and
the engine's ratio to torch.

``--roots A B ...`` runs the same cases for other trees' engines (each a directory holding an
``engine`` package, e.g. ``git archive <commit> engine | tar -x -C DIR``), one process per
tree and round, the trees alternated, so that versions compare through their ratios to torch
measured alongside them::

    python benchmarks/kernel_bench.py                       # this tree
    python benchmarks/kernel_bench.py --roots /tmp/s17 .    # session 17's engine, then this
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cases(engine, torch) -> dict:
    """name -> (engine call, torch call)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 256)).astype(np.float32)
    logits = rng.standard_normal((64, 10)).astype(np.float32)
    target = rng.integers(0, 10, 64)
    big = rng.standard_normal((64, 1000)).astype(np.float32)
    big_target = rng.integers(0, 1000, 64)
    out = {}
    for lib in (engine, torch):
        F = lib.nn.functional
        t, tl, tt = lib.tensor(x), lib.tensor(logits), lib.tensor(target)
        tb, tbt = lib.tensor(big), lib.tensor(big_target)

        def ce(lg=tl, y=tt, lib=lib, F=F):
            z = lg.detach().requires_grad_(True)
            F.cross_entropy(z, y).backward()

        calls = {
            "softmax (64, 256)": lambda t=t: t.softmax(1),
            "log_softmax (64, 256)": lambda t=t: t.log_softmax(1),
            "softmax (64, 256), dim 0": lambda t=t: t.softmax(0),
            "sigmoid (64, 256)": lambda t=t: t.sigmoid(),
            "silu (64, 256)": lambda t=t, F=F: F.silu(t),
            "cross_entropy (64, 10) fwd+bwd": ce,
            "cross_entropy (64, 1000) fwd+bwd": lambda ce=ce, tb=tb, tbt=tbt: ce(tb, tbt),
        }
        for name, fn in calls.items():
            out.setdefault(name, []).append(fn)
    return out


def measure(root: str, rounds: int, number: int, only: str, clock: str, threads: int) -> dict:
    """Median seconds per call, engine and torch, blocks alternated with pauses."""
    sys.path.insert(0, root)
    import torch

    import engine
    import engine.backends
    import engine.nn.functional  # noqa: F401

    torch.set_num_threads(threads)
    engine.backends.set_num_threads(threads)  # (the kernels' vector/scalar split follows it)
    now = time.thread_time if clock == "thread" else time.perf_counter
    table = {k: v for k, v in cases(engine, torch).items() if not only or only in k}
    times = {k: ([], []) for k in table}
    for fns in table.values():  # (warm up)
        for fn in fns:
            for _ in range(max(1, number // 4)):
                fn()
    for _ in range(rounds):
        for name, fns in table.items():
            for side, fn in enumerate(fns):
                t0 = now()
                for _ in range(number):
                    fn()
                times[name][side].append((now() - t0) / number)
                time.sleep(0.05)
        time.sleep(0.2)
    return {k: [statistics.median(e), statistics.median(t)] for k, (e, t) in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--roots", nargs="*", default=[HERE])
    ap.add_argument("--rounds", type=int, default=7, help="blocks per variant (per process)")
    ap.add_argument("--repeat", type=int, default=1, help="processes per tree, alternated")
    ap.add_argument("--number", type=int, default=50, help="calls per block")
    ap.add_argument("--only", default="", help="cases whose name contains this")
    ap.add_argument("--clock", choices=("thread", "wall"), default="thread",
                    help="thread: CPU time of the calling thread (a loaded machine's truth "
                    "for one thread each); wall: perf_counter")
    ap.add_argument("--threads", type=int, default=1, help="torch's and the engine's")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.rounds, args.number, args.only, args.clock,
                                 args.threads)))
        return
    results: dict[str, list] = {r: [] for r in args.roots}
    for _ in range(args.repeat):
        for root in args.roots:
            cmd = [sys.executable, __file__, "--child", os.path.abspath(root), "--rounds",
                   str(args.rounds), "--number", str(args.number), "--only", args.only,
                   "--clock", args.clock, "--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results[root].append(json.loads(out.strip().splitlines()[-1]))
            time.sleep(0.5)
    names = list(results[args.roots[0]][0])
    print(f"{'case':<34}" + "".join(f"{os.path.basename(os.path.abspath(r)) or r:>24}"
                                     for r in args.roots))
    print(f"{'':<34}" + "".join(f"{'engine us (x torch)':>24}" for _ in args.roots))
    for name in names:
        cells = []
        for root in args.roots:
            runs = results[root]
            eng = statistics.median(r[name][0] for r in runs)
            ratio = statistics.median(r[name][0] / r[name][1] for r in runs)
            cells.append(f"{eng * 1e6:>14.1f} ({ratio:5.2f}x)")
        tch = statistics.median(r[name][1] for root in args.roots for r in results[root])
        print(f"{name:<34}" + "".join(f"{c:>24}" for c in cells) + f"   torch {tch * 1e6:.1f}")


if __name__ == "__main__":
    main()
