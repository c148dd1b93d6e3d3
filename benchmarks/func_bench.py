"""The transforms side by side with torch.func: jacrev vs jacfwd where each should win,
the Hessian of a 100-d function, and per-sample gradients by vmap(grad) against a Python loop.

    .venv/bin/python benchmarks/func_bench.py [--repeat 7]

Medians of several runs, the engine and torch interleaved in blocks with a pause between them
(see shared notes: spinning BLAS threads otherwise slow the other side). Needs torch (the
oracle extra) for the torch column; without it only the engine's numbers are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import engine
import engine.func as efunc

try:
    import torch
    import torch.func as tfunc
except ImportError:  # pragma: no cover
    torch = tfunc = None


def timeit(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cases(T, fn):
    """The same workloads for ``T`` = engine or torch, ``fn`` = its func module."""
    rng = np.random.default_rng(0)
    A = T.tensor(rng.standard_normal((400, 4)) * 0.3)
    B = T.tensor(rng.standard_normal((4, 400)) * 0.3)
    x4 = T.tensor(rng.standard_normal(4))
    x400 = T.tensor(rng.standard_normal(400))
    x100 = T.tensor(rng.standard_normal(100))
    M = T.tensor(rng.standard_normal((100, 100)) * 0.1)

    def wide(x):  # R^4 -> R^400
        return (A @ x).tanh()

    def narrow(x):  # R^400 -> R^4
        return (B @ x).tanh()

    def f100(x):  # R^100 -> R
        return ((M @ x).tanh() * x).sum() + (x ** 4).sum() * 0.01

    W1 = T.tensor(rng.standard_normal((16, 32)) * 0.2)
    W2 = T.tensor(rng.standard_normal((32, 1)) * 0.2)
    xs = T.tensor(rng.standard_normal((64, 16)))
    ys = T.tensor(rng.standard_normal((64, 1)))

    def loss(params, x, y):
        w1, w2 = params
        h = (x @ w1).tanh()
        return ((h @ w2 - y) ** 2).mean()

    per_sample = fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))
    g = fn.grad(loss)

    def loop():
        return [g((W1, W2), xs[i], ys[i]) for i in range(64)]

    return {
        "jacrev R^4->R^400": lambda: fn.jacrev(wide)(x4),
        "jacfwd R^4->R^400": lambda: fn.jacfwd(wide)(x4),
        "jacrev R^400->R^4": lambda: fn.jacrev(narrow)(x400),
        "jacfwd R^400->R^4": lambda: fn.jacfwd(narrow)(x400),
        "hessian R^100->R": lambda: fn.hessian(f100)(x100),
        "vmap(grad) 64 samples": lambda: per_sample((W1, W2), xs, ys),
        "loop of grad 64 samples": loop,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    mine = cases(engine, efunc)
    theirs = cases(torch, tfunc) if torch is not None else {}
    if torch is not None:
        torch.set_default_dtype(torch.float64)
    print(f"{'case':26s} {'engine ms':>10s} {'torch ms':>10s} {'engine/torch':>13s}")
    results = {}
    for name in mine:
        e = timeit(mine[name], args.repeat)
        time.sleep(0.3)
        t = timeit(theirs[name], args.repeat) if name in theirs else float("nan")
        time.sleep(0.3)
        results[name] = (e, t)
        print(f"{name:26s} {e * 1e3:10.2f} {t * 1e3:10.2f} {e / t:13.2f}")
    print()
    for side, idx in (("engine", 0), ("torch", 1)):
        r = {k: v[idx] for k, v in results.items()}
        print(f"{side}: jacfwd/jacrev on R^4->R^400 = "
              f"{r['jacfwd R^4->R^400'] / r['jacrev R^4->R^400']:.2f} (below 1: forward wins); "
              f"jacrev/jacfwd on R^400->R^4 = "
              f"{r['jacrev R^400->R^4'] / r['jacfwd R^400->R^4']:.2f} (below 1: reverse wins); "
              f"loop/vmap(grad) = "
              f"{r['loop of grad 64 samples'] / r['vmap(grad) 64 samples']:.1f}x")


if __name__ == "__main__":
    main()
