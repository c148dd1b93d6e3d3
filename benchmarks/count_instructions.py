"""Instructions per iteration of a small in-process case, counted with valgrind's callgrind.

Wall-clock A/B tests of changes under ~5 % drown in this shared machine's noise; instruction
counts do not swing with the neighbours. Each case runs twice under callgrind (``--short`` and
``--long`` iterations) and the difference is divided by the extra iterations, so start-up cost
cancels out. Counts still vary by a few per cent from run to run (allocator and ASLR effects).

    python benchmarks/count_instructions.py [CASE ...]

CASE: execute, forward, forward_backward, repr, encode, decode, validate; or a variant of
``benchmarks/engine_bench.py`` as ``bench:CASE:VARIANT`` with CASE one of tiny, dot, flow, mlp,
mlpnn, lenet (max pooling), lenetavg (average pooling) and VARIANT "engine" or "hand" (NumPy by
hand), e.g. ``bench:mlp:hand`` (LeNet: "engine" only; ``--short 2 --long 6``); BLAS runs on one
thread;
or a construct of ``benchmarks/interpreter_bench.py`` as ``lang:WORD:interp`` / ``lang:WORD:direct``
(e.g. ``lang:Function:interp``; run with ``--short 2 --long 6``: each iteration is a whole loop);
or a reduction in torch's exact order as ``reduce:NAME`` (``sum10``/``mean10``: ``x.sum()``/
``x.mean()`` of ``ones(10)``; ``norm``: ``norm(dim=-1)`` of a float32 (64, 256); ``rowsum``:
``sum(-1)`` of it; ``varmean32``/``varmean64``: ``var_mean(dim=-1)`` of it in float32 /
float64; ``varall``: its ``var()``; ``sumT``: ``.T.sum()`` (a strided whole sum); ``bias``:
the MLP step's three bias-gradient sums; ``bn2d``:
a ``BatchNorm2d(16)`` training forward and backward on a float32
(8, 16, 16, 16)); or a program of ``benchmarks/http_bench.py`` (``chain``: the 900-op tanh
chain + backward; ``mlp``: 10 MLP steps) as ``program:NAME:interp`` (the interpreter, as a
session run executes it, without the HTTP and host layers) or ``program:NAME:direct`` (CPython
on the engine); run with ``--short 2 --long 6``.

Needs ``valgrind`` (Debian's package). Slow: about a minute per case.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = {"inputs": {"x": {"type": "tensor", "data": [0.0, 1.0, 2.0, 3.0], "requires_grad": True}},
        "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny", "gradients": ["x"]}


def _setup() -> dict:
    """Everything the cases need, built once before the counted loop."""
    import orjson

    import engine
    from app.core.config import Settings
    from app.main import create_app
    from app.models.runs import EvaluateRequest
    from app.services.runner import new_environment
    from app.wire import decode_inputs, encode_value

    runner = create_app(Settings(_env_file=None)).state.runner
    request = EvaluateRequest.model_validate(SEED)
    raw = orjson.dumps(SEED)
    x = engine.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)
    y = 2 * engine.dot(x, x)
    y.backward()
    return {
        "execute": lambda: runner._execute(new_environment("cpu", None), request,
                                           request.gradients, runner.inline_limits),
        "forward_backward": lambda: (2 * engine.dot(x, x)).backward(),
        "forward": lambda: 2 * engine.dot(x, x),
        "repr": lambda: (repr(y), repr(x.grad)),
        "encode": lambda: (encode_value(y), encode_value(x.grad)),
        "decode": lambda: decode_inputs(request.inputs, device="cpu", max_elements=10**8),
        "validate": lambda: EvaluateRequest.model_validate(orjson.loads(raw)),
    }


_BENCH = {"tiny": "tiny_chain", "dot": "seed_dot", "flow": "seed_control_flow",
          "mlp": "mlp_step", "mlpnn": "mlp_nn_step", "lenet": "lenet_step",
          "lenetavg": "lenet_step"}


def _bench_case(case: str):
    """A variant of engine_bench.py (torch and HIPS autograd not imported: too slow here)."""
    _, name, variant = case.split(":")
    sys.modules["torch"] = sys.modules["autograd"] = None  # engine_bench then skips them
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import engine_bench

    variants = getattr(engine_bench, _BENCH[name])(
        **({"pool": "avg"} if name == "lenetavg" else {}))
    return variants["numpy (hand)" if variant == "hand" else variant]


def _reduce_case(case: str):
    """A reduction that follows torch's summation order (engine/ops/cascade.py, batch_stats.py)."""
    import numpy as np

    import engine

    name = case.split(":")[1]
    rng = np.random.default_rng(0)
    if name in ("sum10", "mean10"):
        x = engine.ones(10)
        return x.sum if name == "sum10" else x.mean
    rows = engine.tensor(rng.standard_normal((64, 256)).astype(np.float32))
    if name == "norm":
        return lambda: engine.norm(rows, dim=-1)
    if name == "rowsum":
        return lambda: rows.sum(-1)
    if name in ("varmean32", "varmean64"):
        x = rows if name == "varmean32" else rows.double()
        return lambda: engine.var_mean(x, dim=-1)
    if name == "varall":
        return rows.var
    if name == "bias":  # the MLP step's three bias gradients (sum(0) on arrays)
        from engine.ops.cascade import add_reduce

        gs = [rng.standard_normal(s).astype(np.float32) for s in ((64, 256), (64, 256), (64, 10))]
        return lambda: [add_reduce(g, (0,), False, np.float32) for g in gs]
    if name == "sumT":
        cols = rows.T
        return cols.sum
    bn = engine.nn.BatchNorm2d(16)
    x = engine.tensor(rng.standard_normal((8, 16, 16, 16)).astype(np.float32))
    return lambda: bn(x).sum().backward()


def _lang_case(case: str):
    """A construct of ``benchmarks/interpreter_bench.py`` as ``lang:WORD:VARIANT``: the first
    construct whose title contains WORD (e.g. ``Function``, ``no_grad``, ``super``), run by the
    interpreter (VARIANT "interp") or by CPython on the same text ("direct"), x of 10
    elements (the engine's share small, so the interpreter's difference shows)."""
    _, word, variant = case.split(":")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import interpreter_bench

    title = next(t for t in interpreter_bench.CONSTRUCTS if word in t)
    return interpreter_bench.construct_variants(title, 10)["direct" if variant == "direct"
                                                           else "interpreter (Program)"]


def _program_case(case: str):
    """A program of ``benchmarks/http_bench.py`` as ``program:NAME:VARIANT`` (NAME chain or
    mlp; VARIANT "interp": run by the interpreter in one environment, as a session run runs it;
    "direct": CPython running the same text on the engine)."""
    _, name, variant = case.split(":")
    sys.modules["torch"] = None  # (http_bench's in-process anchor is not needed)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import http_bench

    import engine
    from app.lang import Environment, Limits, compile_source, parse_program, run_program

    source, setup = {"chain": (http_bench.CHAIN, ""),
                     "mlp": (http_bench.MLP_STEPS, http_bench.MLP_SETUP)}[name]
    if variant == "direct":
        return http_bench._in_process(engine, source, setup)
    env, limits = Environment(), Limits()
    if setup:
        run_program(compile_source(setup), env, limits, source=setup)
    program = parse_program(compile_source(source))
    return lambda: run_program(program, env, limits, source=source)


def _child(case: str, n: int) -> None:
    if case.startswith("bench:"):
        fn = _bench_case(case)
    elif case.startswith("program:"):
        fn = _program_case(case)
    elif case.startswith("reduce:"):
        fn = _reduce_case(case)
    elif case.startswith("lang:"):
        fn = _lang_case(case)
    else:
        fn = _setup()[case]
    for _ in range(n):
        fn()


def _count(case: str, n: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", case, str(n)], capture_output=True, text=True, env=env,
        timeout=1800).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=["execute"])
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--long", type=int, default=500)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    for case in args.cases:
        per_iter = (_count(case, args.long) - _count(case, args.short)) / (args.long - args.short)
        print(f"{case:10s} {per_iter:12,.0f} instructions per iteration")


if __name__ == "__main__":
    main()
