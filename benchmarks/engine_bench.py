"""Engine benchmarks, side by side in one process: our engine, hand-written NumPy, and (when
installed) torch and HIPS autograd. Variants run interleaved, several rounds; we report the
median time and the ratio to the anchor. Run with ``make bench`` or
``python benchmarks/engine_bench.py [--quick]``. Importing the engine sets glibc's malloc
thresholds for the whole process (``engine/_malloc.py``), so every variant runs with them.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
import engine  # noqa: E402
from engine import _parallel  # noqa: E402

try:
    import torch
except ImportError:  # optional anchor
    torch = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = None


def timeit(fn, number: int) -> tuple[float, float]:
    """Seconds per call and minor page faults per call."""
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    dt = (time.perf_counter() - t0) / number
    return dt, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / number


def compare(title: str, variants: dict, number: int, rounds: int, unit: float, unit_name: str):
    for fn in variants.values():  # warm up
        for _ in range(max(1, number // 5)):
            fn()
    times = {k: [] for k in variants}
    faults = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t, f = timeit(fn, number)
            times[name].append(t)
            faults[name].append(f)
    anchor = next(iter(variants))
    base = statistics.median(times[anchor])
    print(f"\n{title}")
    print(f"  {'variant':<16}{unit_name:>14}{'ratio':>10}{'faults/call':>14}")
    for name in variants:
        med = statistics.median(times[name])
        print(f"  {name:<16}{med / unit:>14.2f}{med / base:>10.2f}"
              f"{statistics.median(faults[name]):>14.0f}")


# --------------------------------------------------------------------------- 1. tiny ops
def tiny_chain(n_ops: int = 100):
    def ours():
        x = engine.ones(4, requires_grad=True)
        y = x
        for _ in range(n_ops // 2):
            y = y * 1.01
            y = y + 0.01
        y.sum().backward()

    a0 = np.ones(4, dtype=np.float32)

    def hand():
        y = a0
        for _ in range(n_ops // 2):
            y = y * np.float32(1.01)
            y = y + np.float32(0.01)
        g = np.ones_like(y)
        for _ in range(n_ops // 2):
            g = g * np.float32(1.01)  # d(y+c)/dy = 1, d(1.01 y)/dy = 1.01
        return g

    variants = {"engine": ours, "numpy (hand)": hand}
    if torch is not None:
        def tch():
            x = torch.ones(4, requires_grad=True)
            y = x
            for _ in range(n_ops // 2):
                y = y * 1.01
                y = y + 0.01
            y.sum().backward()
        variants["torch"] = tch
    if autograd is not None:
        def hips_f(x):
            y = x
            for _ in range(n_ops // 2):
                y = y * 1.01
                y = y + 0.01
            return anp.sum(y)
        hips_g = autograd.grad(hips_f)
        variants["hips autograd"] = lambda: hips_g(a0)
    return variants


# --------------------------------------------------------------------------- 2./3. seed
def seed_dot():
    def ours():
        x = engine.arange(4.0, requires_grad=True)
        y = 2 * engine.dot(x, x)
        y.backward()

    variants = {"engine": ours}
    if torch is not None:
        def tch():
            x = torch.arange(4.0, requires_grad=True)
            y = 2 * torch.dot(x, x)
            y.backward()
        variants["torch"] = tch
    if autograd is not None:
        g = autograd.grad(lambda x: 2 * anp.dot(x, x))
        xs = np.arange(4.0)
        variants["hips autograd"] = lambda: g(xs)
    return variants


def seed_control_flow():
    def f(lib, a):
        b = a * 2
        while lib.norm(b) < 1000:
            b = b * 2
        if lib.sum(b) > 0:
            c = b
        else:
            c = 100 * b
        return c

    def ours():
        a = engine.tensor([0.3], requires_grad=True)
        b = a * 2
        while b.norm().item() < 1000:
            b = b * 2
        c = b if b.sum().item() > 0 else 100 * b
        c.backward()

    variants = {"engine": ours}
    if torch is not None:
        def tch():
            a = torch.tensor([0.3], requires_grad=True)
            b = a * 2
            while b.norm().item() < 1000:
                b = b * 2
            c = b if b.sum().item() > 0 else 100 * b
            c.backward()
        variants["torch"] = tch
    if autograd is not None:
        class L:
            norm = staticmethod(lambda b: anp.sqrt(anp.sum(b * b)))
            sum = staticmethod(anp.sum)
        g = autograd.grad(lambda a: anp.sum(f(L, a)))
        a0 = np.array([0.3])
        variants["hips autograd"] = lambda: g(a0)
    return variants


# --------------------------------------------------------------------------- 4. MLP step
def _hand_mlp_step(X, Y, hw: list, hb: list, batch: int, lr: float):
    """The anchor of both MLP rows: one SGD step of the ReLU MLP with cross-entropy, by hand
    in NumPy, updating ``hw`` / ``hb`` in place (``h @ hw[k] + hb[k]`` per layer)."""

    def hand():
        acts = [X]
        h = X
        for k in range(len(hw)):
            h = h @ hw[k] + hb[k]
            if k < len(hw) - 1:
                h = np.maximum(h, 0)
            acts.append(h)
        z = h - h.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = p
        g[np.arange(batch), Y] -= 1
        g /= batch
        for k in reversed(range(len(hw))):
            gw = acts[k].T @ g
            gb = g.sum(axis=0)
            if k > 0:
                g = (g @ hw[k].T) * (acts[k] > 0)
            hw[k] -= lr * gw
            hb[k] -= lr * gb

    return hand


def mlp_step(batch: int = 64, sizes=(784, 256, 256, 10), lr: float = 0.01,
             devices=("cpu",)):
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((i, o)) * (2 / i) ** 0.5).astype(np.float32)
          for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(o, dtype=np.float32) for o in sizes[1:]]
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    Y = rng.integers(0, sizes[-1], size=batch)

    F = engine.ops.OPS

    def engine_step(device):
        params = [engine.tensor(a, requires_grad=True, device=device)
                  for pair in zip(ws, bs) for a in pair]
        xt, yt = engine.tensor(X, device=device), engine.tensor(Y, device=device)

        def step():
            h = xt
            for k in range(0, len(params), 2):
                h = h @ params[k] + params[k + 1]
                if k < len(params) - 2:
                    h = F["relu"].fn(h)
            loss = F["cross_entropy"].fn(h, yt)
            loss.backward()
            with engine.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad = None
            if device != "cpu":
                engine.to_numpy(loss)  # wait for the device
        return step

    hand = _hand_mlp_step(X, Y, [w.copy() for w in ws], [b.copy() for b in bs], batch, lr)

    variants = {"numpy (hand)": hand}
    for dev in devices:
        variants["engine" if dev == "cpu" else f"engine {dev}"] = engine_step(dev)
    if torch is not None:
        tdev = "cuda" if any(d != "cpu" for d in devices) and torch.cuda.is_available() \
            else "cpu"
        tp = [torch.tensor(a, requires_grad=True, device=tdev) for pair in zip(ws, bs)
              for a in pair]
        tx, ty = torch.tensor(X, device=tdev), torch.tensor(Y, device=tdev)

        def tch():
            h = tx
            for k in range(0, len(tp), 2):
                h = h @ tp[k] + tp[k + 1]
                if k < len(tp) - 2:
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, ty)
            loss.backward()
            with torch.no_grad():
                for p in tp:
                    p -= lr * p.grad
                    p.grad = None
            if tdev == "cuda":
                torch.cuda.synchronize()
        variants["torch" if tdev == "cpu" else "torch cuda"] = tch
    return variants


def mlp_nn_step(batch: int = 64, sizes=(784, 256, 256, 10), lr: float = 0.01):
    """The MLP step as a training loop writes it: ``F.linear`` layers (nn.Linear's one
    ``AddmmBackward0`` node each), cross-entropy, ``optim.SGD``'s ``zero_grad()`` and
    ``step()``. Same data and arithmetic as ``mlp_step`` (weights stored as nn.Linear stores
    them, ``(out, in)``)."""
    rng = np.random.default_rng(0)
    ws = [np.ascontiguousarray(((rng.standard_normal((i, o)) * (2 / i) ** 0.5)
                                .astype(np.float32)).T) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(o, dtype=np.float32) for o in sizes[1:]]
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    Y = rng.integers(0, sizes[-1], size=batch)

    def make(lib, F, tensor):
        params = [tensor(a.copy(), requires_grad=True) for pair in zip(ws, bs) for a in pair]
        opt = lib.optim.SGD(params, lr=lr)
        xt, yt = tensor(X), tensor(Y)

        def step():
            opt.zero_grad()
            h = xt
            for k in range(0, len(params), 2):
                h = F.linear(h, params[k], params[k + 1])
                if k < len(params) - 2:
                    h = F.relu(h)
            F.cross_entropy(h, yt).backward()
            opt.step()
        return step

    hand = _hand_mlp_step(X, Y, [w.T.copy() for w in ws], [b.copy() for b in bs], batch,
                          lr)

    import engine.nn.functional as ef
    import engine.optim  # noqa: F401

    variants = {"numpy (hand)": hand, "engine": make(engine, ef, engine.tensor)}
    if torch is not None:
        variants["torch"] = make(torch, torch.nn.functional, torch.tensor)
    return variants


# --------------------------------------------------------------------------- 5. big elementwise
def big_elementwise(n: int = 10_000_000):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(n).astype(np.float32)
    xe = engine.tensor(x0, requires_grad=True)

    def ours():
        xe.grad = None
        (xe.sin() * xe).sum().backward()

    def one_thread():  # large ufuncs not chunked over threads (engine/_parallel.py)
        threads, _parallel.THREADS = _parallel.THREADS, 1
        try:
            ours()
        finally:
            _parallel.THREADS = threads

    def hand():
        s = np.sin(x0)
        _ = (s * x0).sum()
        return np.cos(x0) * x0 + s  # d/dx sum(sin(x) x)

    variants = {"numpy (hand)": hand, "engine": ours, "engine, 1 thread": one_thread}
    if torch is not None:
        xt = torch.tensor(x0, requires_grad=True)

        def tch():
            xt.grad = None
            (xt.sin() * xt).sum().backward()
        variants["torch"] = tch
    return variants


# --------------------------------------------------------------------------- 6. LeNet step
def lenet_step(batch: int = 64, pool: str = "max"):
    """A LeNet-style forward+backward: conv 1->6 (5x5, pad 2), ReLU, 2x2 pool, conv 6->16
    (5x5), ReLU, 2x2 pool, 400-120-84-10, cross-entropy; gradients into the leaves."""
    rng = np.random.default_rng(0)
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
              (10, 84), (10,)]
    arrays = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    X = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    Y = rng.integers(0, 10, size=batch)

    def net(F, lib, p, x, y, pooling):
        h = pooling(F.relu(F.conv2d(x, p[0], p[1], padding=2)), 2)
        h = pooling(F.relu(F.conv2d(h, p[2], p[3])), 2)
        h = h.reshape(h.shape[0], -1)
        h = F.relu(F.linear(h, p[4], p[5]))
        h = F.relu(F.linear(h, p[6], p[7]))
        return F.cross_entropy(F.linear(h, p[8], p[9]), y)

    pe = [engine.tensor(a, requires_grad=True) for a in arrays]
    xe, ye = engine.tensor(X), engine.tensor(Y)
    epool = engine.max_pool2d if pool == "max" else engine.avg_pool2d

    def ours():
        for t in pe:
            t.grad = None
        net(engine, engine, pe, xe, ye, epool).backward()

    variants = {"engine": ours}
    if torch is not None:
        pt = [torch.tensor(a, requires_grad=True) for a in arrays]
        xt, yt = torch.tensor(X), torch.tensor(Y)
        tf = torch.nn.functional
        tpool = tf.max_pool2d if pool == "max" else tf.avg_pool2d

        def tch():
            for t in pt:
                t.grad = None
            net(tf, torch, pt, xt, yt, tpool).backward()
        variants["torch"] = tch
    return variants


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--gpu-batch", type=int, default=0,
                    help="only the MLP step at this batch, engine on cpu vs cuda")
    ap.add_argument("--lenet", action="store_true", help="only the LeNet steps")
    ap.add_argument("--only", default="", help="comma-separated: tiny,dot,flow,mlp,mlpnn,big,lenet")
    args = ap.parse_args()
    if args.lenet:
        if torch is not None:
            torch.set_num_threads(2)
        q = 0.2 if args.quick else 1.0
        for pool in ("max", "avg"):
            compare(f"LeNet step ({pool} pool): batch 64, 1x28x28, forward+backward",
                    lenet_step(pool=pool), max(1, int(20 * q)), 5, 1e-3, "ms/step")
        return
    if args.gpu_batch:
        if torch is not None:
            torch.set_num_threads(2)
        compare(f"MLP step: batch {args.gpu_batch}, 784-256-256-10, cpu vs cuda",
                mlp_step(batch=args.gpu_batch, devices=("cpu", "cuda")), 20, 5, 1e-3,
                "ms/step")
        return
    q = 0.2 if args.quick else 1.0
    if torch is not None:
        torch.set_num_threads(2)
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "") +
          (", HIPS autograd" if autograd else ""))
    only = set(filter(None, args.only.split(",")))
    cases = [
        ("tiny", "100-op chain on float32[4], forward+backward", tiny_chain,
         int(200 * q) or 1, 100e-6, "us/op"),
        ("dot", "seed: y = 2 * dot(x, x); y.backward()", seed_dot, int(2000 * q) or 1,
         1e-6, "us/call"),
        ("flow", "seed: control-flow f(a), forward+backward", seed_control_flow,
         int(1000 * q) or 1, 1e-6, "us/call"),
        ("mlp", "MLP step: batch 64, 784-256-256-10, ReLU, cross-entropy, SGD", mlp_step,
         int(200 * q) or 1, 1e-3, "ms/step"),
        ("mlpnn", "MLP step as nn.Linear + optim.SGD write it: F.linear, cross-entropy, "
         "zero_grad, step", mlp_nn_step, int(200 * q) or 1, 1e-3, "ms/step"),
        ("big", "sum(sin(x) * x) on 10M float32, forward+backward", big_elementwise,
         max(1, int(5 * q)), 1e-3, "ms/call"),
        ("lenet", "LeNet step (max pool): batch 64, 1x28x28, forward+backward", lenet_step,
         max(1, int(20 * q)), 1e-3, "ms/step"),
    ]
    for key, title, make, number, unit, unit_name in cases:
        if not only or key in only:
            compare(title, make(), number, 5, unit, unit_name)

if __name__ == "__main__":
    main()
