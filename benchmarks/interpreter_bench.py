"""Interpreter overhead: a program run through ``app.lang`` vs the same program written directly
in Python against the engine. Variants run interleaved, several rounds; we report the median
time per run and the ratio to the direct version (target: at most 1.3x).

    python benchmarks/interpreter_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
import engine  # noqa: E402
from app.lang import Environment, Limits, compile_source, parse_program, run_program  # noqa: E402

TANH_SETUP = "x = torch.randn({n}, requires_grad=True)"
TANH_LOOP = """y = x
for i in range(300):
    y = torch.tanh(y * 1.01 + 0.1)
y.sum().backward()"""

SEED_F = """def f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c"""
SEED_RUN = """a = torch.randn(size=(1,), requires_grad=True)
d = f(a)
d.backward()"""


CLOSURE_SETUP = """class Layer:
    def __init__(self, scale):
        self.scale = scale
    def __call__(self, y):
        return torch.tanh(y * self.scale + 0.1)
    def shift(self, y):
        return y - 0.01
def make_step(layer):
    def step(y):
        return layer.shift(layer(y))
    return step
step = make_step(Layer(1.01))"""
CLOSURE_LOOP = """y = x
for i in range(300):
    y = step(y)
y.sum().backward()"""


class DirectLayer:
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, y):
        return engine.tanh(y * self.scale + 0.1)

    def shift(self, y):
        return y - 0.01


def direct_make_step(layer):
    def step(y):
        return layer.shift(layer(y))
    return step


def direct_closure(x, step):
    y = x
    for _ in range(300):
        y = step(y)
    y.sum().backward()


def direct_tanh(x):
    y = x
    for _ in range(300):
        y = engine.tanh(y * 1.01 + 0.1)
    y.sum().backward()


def direct_f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c


def direct_seed(gen):
    with engine.use_generator(gen):
        a = engine.randn(size=(1,), requires_grad=True)
        d = direct_f(a)
        d.backward()


def per_call(fn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def compare(title: str, variants: dict, number: int, rounds: int) -> dict[str, float]:
    """Time each variant ``number`` runs at a time, round-robin for ``rounds`` rounds; a ratio
    is the median over rounds of (variant / direct in the same round), which pairs runs made
    under the same machine load."""
    for fn in variants.values():
        for _ in range(max(1, number // 5)):
            fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            times[name].append(per_call(fn, number))
    print(f"\n{title}")
    ratios = {}
    for name, samples in times.items():
        paired = [t / d for t, d in zip(samples, times["direct"], strict=True)]
        ratios[name] = statistics.median(paired)
        print(f"  {name:<28} {statistics.median(samples) * 1e6:10.1f} us/run (median)"
              f"   {ratios[name]:5.2f}x direct")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    number, rounds = (2, 3) if args.quick else (3, 61)
    limits = Limits()

    for n in (1, 1000):
        env = Environment()
        run_program(compile_source(TANH_SETUP.format(n=n)), env, limits)
        x = env.variables["x"]
        loop_json = compile_source(TANH_LOOP)
        loop_program = parse_program(loop_json)

        def direct(x=x):
            x.grad = None
            direct_tanh(x)

        def interp_program(env=env, x=x, program=loop_program):
            x.grad = None
            run_program(program, env, limits)

        def interp_json(env=env, x=x, program=loop_json):
            x.grad = None
            run_program(program, env, limits)

        def interp_source(env=env, x=x):
            x.grad = None
            run_program(compile_source(TANH_LOOP), env, limits, source=TANH_LOOP)

        compare(f"900-op tanh loop + backward, x of {n} element(s)",
                {"direct": direct, "interpreter (Program)": interp_program,
                 "interpreter (JSON list)": interp_json,
                 "interpreter (source text)": interp_source}, number, rounds)

    for n in (1, 1000):
        env = Environment()
        run_program(compile_source(TANH_SETUP.format(n=n) + "\n" + CLOSURE_SETUP), env, limits)
        x = env.variables["x"]
        step = direct_make_step(DirectLayer(1.01))
        loop_program = parse_program(compile_source(CLOSURE_LOOP))

        def direct(x=x, step=step):
            x.grad = None
            direct_closure(x, step)

        def interp_program(env=env, x=x, program=loop_program):
            x.grad = None
            run_program(program, env, limits)

        compare(f"closure + object method + __call__ in a 300-step loop, x of {n} element(s)",
                {"direct": direct, "interpreter (Program)": interp_program}, number, rounds)

    env = Environment()
    run_program(compile_source(SEED_F), env, limits)
    seed_program = parse_program(compile_source(SEED_RUN))
    gen = engine.Generator().manual_seed(0)
    env.generator.manual_seed(0)
    compare("seed control flow: a = randn(1); d = f(a); d.backward()",
            {"direct": lambda: direct_seed(gen),
             "interpreter (Program)": lambda: run_program(seed_program, env, limits),
             "interpreter (source text)":
                 lambda: run_program(compile_source(SEED_RUN), env, limits, source=SEED_RUN)},
            number * 10, rounds)


if __name__ == "__main__":
    main()
