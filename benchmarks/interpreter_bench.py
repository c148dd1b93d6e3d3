"""Interpreter overhead: a program run through ``app.lang`` vs the same program written directly
in Python against the engine. Variants run interleaved, several rounds; we report the median
time per run and the ratio to the direct version (target: at most 1.3x). "source text" runs the
text as a session run does (``parse_source``: compiled and validated once, then looked up by the
text); "JSON list" sends the compiled list each time (validated once, then looked up by content).
Garbage is collected before each timed block (``--no-collect``: not), the same for every variant.

    python benchmarks/interpreter_bench.py [--quick] [--constructs [--only WORD]]
    python benchmarks/interpreter_bench.py --bytecodes [--only WORD]   (counts, no timing)
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
import engine  # noqa: E402
from app.lang import (  # noqa: E402
    Environment,
    Limits,
    compile_source,
    parse_program,
    parse_source,
    run_program,
)

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


#: Per construct: the same source text run by the interpreter and by CPython itself (``exec``
#: here, in the benchmark only) with ``torch`` bound to the engine, so "direct" is exactly the
#: program a user would run in Python on the engine. Each loop makes 300 tensor ops.
CONSTRUCTS = {
    "plain loop": ("", "for i in range(300):\n    y = torch.tanh(y * 1.01)"),
    "def with default + keyword": (
        "def f(y, scale=1.01, *, shift=0.0):\n    return torch.tanh(y * scale + shift)",
        "for i in range(150):\n    y = f(y, shift=0.1)"),
    "closure": (
        "def make(scale):\n    def step(y):\n        return torch.tanh(y * scale)\n"
        "    return step\nstep = make(1.01)",
        "for i in range(300):\n    y = step(y)"),
    "lambda": ("g = lambda y: torch.tanh(y * 1.01)", "for i in range(300):\n    y = g(y)"),
    "*args/**kwargs forwarding": (
        "def f(y, scale):\n    return torch.tanh(y * scale)\n"
        "def wrap(*args, **kwargs):\n    return f(*args, **kwargs)",
        "for i in range(300):\n    y = wrap(y, scale=1.01)"),
    "decorator": (
        "def logged(fn):\n    def inner(y):\n        return fn(y)\n    return inner\n"
        "@logged\ndef f(y):\n    return torch.tanh(y * 1.01)",
        "for i in range(300):\n    y = f(y)"),
    "method on a user class": (
        "class L:\n    def __init__(self, s):\n        self.s = s\n"
        "    def step(self, y):\n        return torch.tanh(y * self.s)\nl = L(1.01)",
        "for i in range(300):\n    y = l.step(y)"),
    "__call__ + inheritance + super()": (
        "class A:\n    def step(self, y):\n        return torch.tanh(y)\n"
        "class B(A):\n    def __call__(self, y):\n        return super().step(y * 1.01)\n"
        "b = B()",
        "for i in range(300):\n    y = b(y)"),
    "nn.Module subclass forward": (
        "class M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.s = 1.01\n    def forward(self, y):\n        return torch.tanh(y * self.s)\n"
        "m = M()",
        "for i in range(150):\n    y = m(y)"),
    "autograd.Function subclass": (
        "class Tanh(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, y):\n"
        "        out = torch.tanh(y)\n        ctx.save_for_backward(out)\n        return out\n"
        "    @staticmethod\n    def backward(ctx, g):\n        out, = ctx.saved_tensors\n"
        "        return g * (1 - out * out)",
        "for i in range(150):\n    y = Tanh.apply(y * 1.01)"),
    "generator": (
        "def steps(y, n):\n    for i in range(n):\n        y = torch.tanh(y * 1.01)\n"
        "        yield y",
        "for y in steps(y, 300):\n    pass"),
    "dict state": ("", "state = {'y': y}\nfor i in range(300):\n"
                       "    state['y'] = torch.tanh(state['y'] * 1.01)\ny = state['y']"),
    "list comprehension": ("", "ys = [y] * 10\nfor i in range(30):\n"
                               "    ys = [torch.tanh(v * 1.01) for v in ys]\ny = ys[0]"),
    "try/except in the loop": ("", "for i in range(300):\n    try:\n"
                                   "        y = torch.tanh(y * 1.01)\n    except RuntimeError:\n"
                                   "        pass"),
    "with torch.no_grad()": ("", "for i in range(300):\n    with torch.no_grad():\n"
                                 "        z = torch.tanh(y * 1.01)"),
    "tuple unpacking + list comprehension": ("", "ws = [y, y * 2]\nfor i in range(150):\n"
                                  "    a, b = [torch.tanh(w * 1.01) for w in ws]\n"
                                  "    ws = [a, b]\ny = ws[0]"),
}


def construct_variants(title: str, n: int = 1000, limits: Limits | None = None) -> dict:
    """The construct ``title``'s two runs, x of ``n`` elements: "direct" (CPython running the
    text on the engine) and "interpreter (Program)"."""
    import engine.autograd
    import engine.nn  # noqa: F401  (``torch.nn`` for the direct runs)

    limits = limits or Limits()
    setup, loop = CONSTRUCTS[title]
    body = loop + "\ny.sum().backward()"
    env = Environment()
    run_program(compile_source(f"x = torch.randn({n}, requires_grad=True)\n" + setup),
                env, limits, source=setup)
    x = env.variables["x"]
    program = parse_program(compile_source("y = x\n" + body))
    scope = {"torch": engine, "x": x}
    exec(compile(setup, "<setup>", "exec"), scope)  # the direct program (benchmark only)
    direct_code = compile("y = x\n" + body, "<direct>", "exec")

    def direct(x=x, scope=scope, code=direct_code):
        x.grad = None
        exec(code, scope)

    def interp(x=x, env=env, program=program):
        x.grad = None
        run_program(program, env, limits)

    return {"direct": direct, "interpreter (Program)": interp}


def constructs(number: int, rounds: int, limits: Limits, only: str | None = None) -> None:
    """Each construct's loop (about 300 ops on a 1000-element tensor that requires grad, then
    ``y.sum().backward()``): interpreter vs CPython running the same text on the engine."""
    print("\nper construct (interpreter vs the same text run by CPython on the engine), "
          "x of 1000 elements")
    results = {}
    for title in CONSTRUCTS:
        if only is not None and only not in title:
            continue
        results[title] = compare(title, construct_variants(title, 1000, limits),
                                 number, rounds, quiet=True)["interpreter (Program)"]
    for title, ratio in results.items():
        print(f"  {title:<34} {ratio:5.2f}x")


#: Collect garbage before each timed block (``--no-collect`` turns it off): every variant's
#: block then starts with the collector's counters at zero, so a full collection of the
#: whole process (a third of a block's time when it lands in one) is not charged to whichever
#: variant it happened to fall in; the collections a variant's own garbage triggers stay in
#: its time.
COLLECT = True


def per_call(fn, number: int) -> float:
    """CPU seconds of this process per call: on a shared, loaded machine wall time also counts
    the time other processes hold the cores (the engine runs these sizes on one thread)."""
    if COLLECT:
        gc.collect()
    t0 = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - t0) / number


def compare(title: str, variants: dict, number: int, rounds: int,
            quiet: bool = False) -> dict[str, float]:
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
    if not quiet:
        print(f"\n{title}")
    ratios = {}
    for name, samples in times.items():
        paired = [t / d for t, d in zip(samples, times["direct"], strict=True)]
        ratios[name] = statistics.median(paired)
        if not quiet:
            print(f"  {name:<28} {statistics.median(samples) * 1e6:10.1f} us/run (median)"
                  f"   {ratios[name]:5.2f}x direct")
    return ratios


def bytecodes_per_run(fn, n: int) -> float:
    """Python bytecodes one call of ``fn`` executes (``sys.settrace`` opcode events, after
    one warm-up call): deterministic, so an A/B of a change under a per cent shows on a busy
    machine; the engine's C and NumPy work is not counted (a ratio of bytecodes overstates
    the ratio of times)."""
    count = [0]

    def trace(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            count[0] += 1
        return trace

    fn()
    sys.settrace(trace)
    try:
        for _ in range(n):
            fn()
    finally:
        sys.settrace(None)
    return count[0] / n


def bytecodes(only: str | None) -> None:
    """``--bytecodes``: the seed row and each construct (x of 10 elements), bytecodes per run
    of the interpreter and of CPython on the same text, and their ratio."""
    limits = Limits()
    rows = {}
    if only is None or only in "seed":
        env = Environment()
        run_program(compile_source(SEED_F), env, limits)
        program = parse_program(compile_source(SEED_RUN))
        gen = engine.Generator().manual_seed(0)
        env.generator.manual_seed(0)
        rows["seed control flow"] = ({"direct": lambda: direct_seed(gen),
                                      "interpreter (Program)":
                                          lambda: run_program(program, env, limits)}, 20)
    for title in CONSTRUCTS:
        if only is None or only in title:
            rows[title] = (construct_variants(title, 10, limits), 2)
    print(f"{'bytecodes per run':<36} {'direct':>9} {'interp':>9} {'ratio':>6}")
    for title, (variants, n) in rows.items():
        direct = bytecodes_per_run(variants["direct"], n)
        interp = bytecodes_per_run(variants["interpreter (Program)"], n)
        print(f"{title:<36} {direct:9.0f} {interp:9.0f} {interp / direct:6.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--constructs", action="store_true",
                        help="only the per-construct table")
    parser.add_argument("--only", metavar="WORD",
                        help="with --constructs: only the constructs whose title has WORD")
    parser.add_argument("--no-collect", action="store_true",
                        help="do not collect garbage before each timed block")
    parser.add_argument("--bytecodes", action="store_true",
                        help="count bytecodes per run instead of timing (deterministic; "
                             "--only WORD selects rows)")
    args = parser.parse_args()
    if args.bytecodes:
        bytecodes(args.only)
        return
    global COLLECT
    COLLECT = not args.no_collect
    number, rounds = (2, 3) if args.quick else (3, 61)
    limits = Limits()
    if args.constructs:
        constructs(number, rounds if args.quick else 21, limits, args.only)
        return

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
            run_program(parse_source(TANH_LOOP), env, limits, source=TANH_LOOP)

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
                 lambda: run_program(parse_source(SEED_RUN), env, limits, source=SEED_RUN)},
            number * 10, rounds)
    constructs(number, rounds if args.quick else 21, limits)


if __name__ == "__main__":
    main()
