"""Training steps written with the libraries (``nn.Sequential``, ``nn.CrossEntropyLoss``,
``optim.Adam`` / ``optim.SGD``), engine against torch eager at 2 threads, side by side in one
process (variants in alternating blocks with pauses, medians): ``python benchmarks/nn_bench.py
[--quick]``. torch is the anchor and optional (``pip install torch==2.13.0``).

- MLP: 784-256-256-10, ReLU, batch 64, cross-entropy, Adam; the whole step and its parts
  (forward+backward, optimizer step).
- LeNet (d2l's): Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2), Conv2d(6, 16, 5), Sigmoid,
  AvgPool2d(2), Flatten, Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, Linear(84, 10);
  batch 64 of 1x28x28, cross-entropy, SGD(lr=0.9) — once the conv and pooling ops are in the
  table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

if "--cpu-time" in sys.argv:  # one BLAS thread each side (set before NumPy loads OpenBLAS)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
import engine  # noqa: E402

try:
    import torch
except ImportError:  # optional anchor
    torch = None


CLOCK = time.perf_counter


def blocks(variants: dict[str, Callable[[], None]], number: int, rounds: int) -> dict:
    """Median seconds per call of each variant: blocks of ``number`` calls, alternated for
    ``rounds`` rounds, with a pause between blocks (BLAS/OpenMP threads keep spinning after a
    call and slow whatever runs next)."""
    for fn in variants.values():
        for _ in range(max(2, number // 4)):
            fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            time.sleep(0.3)
            t0 = CLOCK()
            for _ in range(number):
                fn()
            times[name].append((CLOCK() - t0) / number)
    return {k: statistics.median(v) for k, v in times.items()}


def report(title: str, medians: dict[str, float]) -> None:
    anchor = medians.get("torch")
    print(f"\n{title}")
    print(f"  {'variant':<28}{'ms':>10}{'vs torch':>10}")
    for name, t in medians.items():
        ratio = f"{t / anchor:>10.2f}" if anchor else ""
        print(f"  {name:<28}{t * 1e3:>10.3f}{ratio}")


def _data(batch: int, shape: tuple, classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, classes, size=batch)
    return x, y


def _copy_params(src, dst) -> None:
    """torch's initial parameters into the engine model (same numbers on both sides)."""
    state = {k: engine.tensor(v.detach().numpy().copy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(state)


def mlp_variants(batch: int = 64) -> dict[str, Callable[[], None]]:
    x, y = _data(batch, (784,), 10)
    nn, optim = engine.nn, engine.optim
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    loss_fn = nn.CrossEntropyLoss()
    xe, ye = engine.tensor(x), engine.tensor(y)
    variants: dict[str, Callable[[], None]] = {}
    if torch is not None:
        tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                     torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                     torch.nn.Linear(256, 10))
        _copy_params(tmodel, model)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        tloss = torch.nn.CrossEntropyLoss()
        xt, yt = torch.tensor(x), torch.tensor(y)

        def torch_step():
            topt.zero_grad()
            tloss(tmodel(xt), yt).backward()
            topt.step()

        def torch_fwd_bwd():
            tmodel.zero_grad()
            tloss(tmodel(xt), yt).backward()

        variants["torch"] = torch_step
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def engine_step():
        opt.zero_grad()
        loss_fn(model(xe), ye).backward()
        opt.step()

    def engine_fwd_bwd():
        model.zero_grad()
        loss_fn(model(xe), ye).backward()

    variants["engine"] = engine_step
    if torch is not None:
        variants["torch forward+backward"] = torch_fwd_bwd
        variants["torch Adam step alone"] = topt.step
    variants["engine forward+backward"] = engine_fwd_bwd
    variants["engine Adam step alone"] = opt.step
    return variants


def lenet_variants(batch: int = 64) -> dict[str, Callable[[], None]]:
    x, y = _data(batch, (1, 28, 28), 10, seed=1)

    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, 10))

    model = build(engine.nn)
    loss_fn = engine.nn.CrossEntropyLoss()
    xe, ye = engine.tensor(x), engine.tensor(y)
    variants: dict[str, Callable[[], None]] = {}
    if torch is not None:
        tmodel = build(torch.nn)
        _copy_params(tmodel, model)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.9)
        tloss = torch.nn.CrossEntropyLoss()
        xt, yt = torch.tensor(x), torch.tensor(y)

        def torch_step():
            topt.zero_grad()
            tloss(tmodel(xt), yt).backward()
            topt.step()

        variants["torch"] = torch_step
    opt = engine.optim.SGD(model.parameters(), lr=0.9)

    def engine_step():
        opt.zero_grad()
        loss_fn(model(xe), ye).backward()
        opt.step()

    variants["engine"] = engine_step
    return variants


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--cpu-time", action="store_true",
                    help="process CPU time with torch on 1 thread (the work each side does; "
                         "robust to a loaded machine) instead of wall time at 2 threads")
    args = ap.parse_args()
    global CLOCK
    number, rounds = (10, 3) if args.quick else (40, 7)
    threads = 1 if args.cpu_time else 2
    if args.cpu_time:
        CLOCK = time.process_time
    if torch is not None:
        torch.set_num_threads(threads)
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__} ({threads} thread"
                                       f"{'s' if threads > 1 else ''})" if torch else
                                       ", no torch") +
          ("; process CPU time" if args.cpu_time else "; wall time"))
    report("MLP 784-256-256-10, batch 64, nn.Sequential + CrossEntropyLoss + Adam",
           blocks(mlp_variants(), number, rounds))
    if "conv2d" in engine.ops.OPS and "avg_pool2d" in engine.ops.OPS:
        report("LeNet (d2l), batch 64 of 1x28x28, CrossEntropyLoss + SGD",
               blocks(lenet_variants(), max(2, number // 4), rounds))
    else:
        print("\nLeNet: skipped (conv2d / avg_pool2d are not in the op table yet)")


if __name__ == "__main__":
    main()
