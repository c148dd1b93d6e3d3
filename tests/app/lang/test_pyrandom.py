"""Python's ``random`` in programs draws CPython's exact numbers (app/lang/pyrandom.py): after
``random.seed(n)``, in ``random.Random(n)`` objects, through ``getstate``/``setstate``, with
CPython's errors; unseeded from the session's seed; kept between runs and in snapshots; and
bounded in what a draw may cost. CPython's own ``random`` (3.11) is the oracle here."""

from __future__ import annotations

import random
import warnings

import pytest

from app.lang import Environment, LangError, Limits, pyrandom
from app.services import snapshots
from tests.app.lang.conftest import run_source

DRAWS = """[random.random(), random.randint(1, 6), random.choice('abcdef'), xs,
 random.sample(range(10**9), 5), random.sample(list(range(30)), k=6), random.sample('abcdefgh', 3),
 random.sample(range(4), 2, counts=[1, 2, 3, 4]), random.uniform(1, 3), random.gauss(0, 1),
 random.gauss(0, 1), random.gauss(5, 2), random.normalvariate(2, 3), random.randrange(3, 100, 7),
 random.randrange(50, 3, -4), random.randrange(10), random.randrange(2.0), random.getrandbits(100),
 random.getrandbits(32), random.getrandbits(0), random.getrandbits(64), random.getrandbits(7),
 random.choices('abc', k=4), random.choices('abc', [1, 2, 3], k=4),
 random.choices('abc', cum_weights=[1, 1.5, 3], k=3), random.triangular(),
 random.triangular(1, 5, 2), random.expovariate(2.0), random.gammavariate(0.5, 1),
 random.gammavariate(3, 2), random.gammavariate(1, 2), random.betavariate(2, 3),
 random.vonmisesvariate(1, 2), random.vonmisesvariate(1, 0), random.paretovariate(2),
 random.weibullvariate(1, 2), random.lognormvariate(0, 1), random.randint(-10**30, 10**30),
 random.getstate()]"""
SEEDS = [0, 1, 42, 2**32, -7, 2**100 + 12345, True, 3.5, -1.5, 0.0, "hello", "", "é∂"]


def _python(seed, version=2):
    random.seed(seed, version)
    xs = list(range(20))
    random.shuffle(xs)
    with warnings.catch_warnings():  # randrange(2.0): deprecated in 3.10, still taken
        warnings.simplefilter("ignore", DeprecationWarning)
        return eval(DRAWS, {"random": random, "xs": xs})  # the oracle: CPython's own module


@pytest.mark.parametrize("seed", SEEDS, ids=repr)
def test_seeded_draws_are_cpythons(seed, form):
    saved = random.getstate()
    try:
        theirs = _python(seed)
    finally:
        random.setstate(saved)
    ours = form(f"import random\nrandom.seed({seed!r})\nxs = list(range(20))\n"
                f"random.shuffle(xs)\n{DRAWS}").result
    assert ours == theirs


def test_names_imported_from_random_share_the_modules_generator():
    out = run_source("from random import seed, shuffle, random as draw, Random\n"
                     "seed(3)\nxs = list(range(8))\nshuffle(xs)\n"
                     "[xs, draw(), isinstance(Random(1), Random), type(Random(1)).__name__]"
                     ).result
    python = random.Random(3)
    xs = list(range(8))
    python.shuffle(xs)
    assert out == [xs, python.random(), True, "Random"]


def test_version_1_str_seeds_and_random_objects_are_cpythons():
    out = run_source("import random\nr = random.Random('abc')\ns = random.Random()\n"
                     "s.seed('abc', version=1)\nt = random.Random(2**64 + 5)\n"
                     "[r.random(), r.gauss(1, 2), s.random(), t.getrandbits(70),"
                     " t.sample('xyz', 2), r.getstate() == random.Random('abc').getstate()]"
                     ).result
    r, s, t = random.Random("abc"), random.Random(), random.Random(2**64 + 5)
    s.seed("abc", version=1)
    assert out == [r.random(), r.gauss(1, 2), s.random(), t.getrandbits(70), t.sample("xyz", 2),
                   False]


def test_state_goes_on_between_runs_and_round_trips_with_cpythons_state():
    env = Environment()
    run_source("import random\nrandom.seed(11)\nrandom.random()\nrandom.gauss()", env)
    second = run_source("[random.random(), random.gauss(), random.getstate()]", env).result
    python = random.Random(11)
    python.random(), python.gauss()
    assert second == [python.random(), python.gauss(), python.getstate()]
    # a state CPython made, set in a program, and the program's state set in CPython
    python.gauss()
    state = python.getstate()
    env.variables["state"] = state
    ours = run_source("r = random.Random(0)\nr.setstate(state)\n"
                      "[r.gauss(), r.random(), r.getstate()]", env).result
    assert ours[:2] == [python.gauss(), python.random()]
    assert ours[2] == python.getstate()
    python.setstate(run_source("random.getstate()", env).result)
    assert run_source("random.random()", env).result == python.random()


def test_an_unseeded_program_is_seeded_from_the_session():
    env = Environment()
    env.generator.manual_seed(7)
    out = run_source("import random\n[random.random(), random.Random().random(), "
                     "random.Random().random()]", env).result
    run_source("random.seed()", env)
    after = run_source("random.random()", env).result
    assert out == [random.Random(7).random(), random.Random(7 + 2**64).random(),
                   random.Random(7 + 2 * 2**64).random()]
    assert after == random.Random(7 + 3 * 2**64).random()
    # Python's random is not torch's: manual_seed does not move it, drawing does not move torch
    env2 = Environment()
    env2.generator.manual_seed(7)
    assert run_source("import random\nrandom.random()\ntorch.manual_seed(7)\nrandom.random()",
                      env2).result != out[0]
    assert run_source("torch.manual_seed(3)\nrandom.shuffle(list(range(50)))\n"
                      "torch.rand(2).tolist()", env2).result == \
        run_source("torch.manual_seed(3)\ntorch.rand(2).tolist()", env2).result


BAD_CALLS = [
    "random.randrange(0)", "random.randrange(5, 5)", "random.randrange(5, 2, 1)",
    "random.randrange(0, 10, 0)", "random.randrange(0, 10, -1)", "random.randrange(1.5)",
    "random.randrange(0, 2.5)", "random.randrange(0, 4, 1.5)", "random.randrange(3, step=2)",
    "random.randint(5, 1)", "random.choice([])", "random.choice({})",
    "random.sample({1, 2}, 1)", "random.sample([1, 2], 3)", "random.sample([1], -1)",
    "random.sample([1, 2], 1, counts=[1])", "random.sample([1, 2], 1, counts=[1.0, 2.0])",
    "random.sample([1, 2], 1, counts=[0, 0])", "random.choices([1, 2], [1])",
    "random.choices([1, 2], [0, 0])", "random.choices([1, 2], [1, float('inf')])",
    "random.choices([1, 2], 3)", "random.choices([1, 2], [1, 1], cum_weights=[1, 2])",
    "random.choices([], k=1)", "random.getrandbits(-1)", "random.getrandbits(1.0)",
    "random.seed([1])", "random.setstate((2, (), None))", "random.setstate((3, (1,) * 624, None))",
    "random.setstate((3, (1,) * 624 + (625,), None))", "random.setstate((3, [1] * 625, None))",
    "random.setstate((4, (), None))", "random.setstate((3, (1.5,) * 625, None))",
    "random.setstate((3, (-1,) * 625, None))", "random.shuffle((1, 2))", "random.shuffle('ab')",
    "random.randbytes(-1)", "random.expovariate(0)", "random.uniform('a', 1)",
    "random.gammavariate(-1, 1)", "random.betavariate(0, 1)", "random.paretovariate(0)",
    "random.choice(5)", "random.gauss(0, 1, 2, 3)", "random.Random(1, 2)",
]


@pytest.mark.parametrize("call", BAD_CALLS)
def test_errors_are_cpythons(call):
    saved = random.getstate()
    random.seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            eval(call, {"random": random})  # the oracle
    except Exception as exc:  # noqa: BLE001  (its class and text are the expectation)
        expected = (type(exc).__name__, str(exc))
    else:
        raise AssertionError(f"CPython accepts {call}")
    finally:
        random.setstate(saved)
    with pytest.raises(LangError) as info:
        run_source(f"import random\nrandom.seed(0)\n{call}")
    assert (info.value.extra.get("exception"), info.value.detail) == expected


def test_randrange_of_integral_floats_warns_as_cpython():
    out = run_source("import random\nrandom.seed(2)\nrandom.randrange(5.0)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = random.Random(2).randrange(5.0)
    assert out.result == expected
    assert [(w["category"], w["message"]) for w in out.warnings] == \
        [("DeprecationWarning", str(caught[0].message))]


def test_big_draws_are_bounded():
    limits = Limits(max_value_elements=10_000, max_int_bits=100_000, max_steps=200_000)
    for call in ("random.sample(range(10**9), 10**6)", "random.choices('ab', k=10**8)",
                 "random.getrandbits(10**9)", "random.randbytes(10**8)",
                 "random.Random(10**200000)"):
        with pytest.raises(LangError) as info:
            run_source(f"import random\n{call}", limits=limits)
        assert info.value.extra["limit"] in ("max_value_elements", "max_int_bits"), call
    # a big population is never listed: a sample of a billion costs its k draws
    out = run_source("import random\nrandom.seed(1)\nrandom.sample(range(10**9), 2000)",
                     limits=limits)
    assert out.result == random.Random(1).sample(range(10**9), 2000)
    # every word drawn is a step
    with pytest.raises(LangError) as info:
        run_source("import random\nxs = list(range(9000))\nfor _ in range(30):\n"
                   "    random.shuffle(xs)", limits=limits)
    assert info.value.extra["limit"] == "max_steps"


def test_snapshots_keep_the_module_state_and_random_objects():
    env = Environment()
    run_source("import random\nrandom.seed(4)\nrandom.gauss()\nr = random.Random(9)\n"
               "r.gauss()\ns = r\nrandom.Random()", env)
    back = Environment()
    snapshots.restore(snapshots.capture(env), back)
    program = ("[random.gauss(), random.random(), r.gauss(), s.random(), r is s, "
               "random.Random().random()]")
    restored = run_source(program, back).result
    assert restored == run_source(program, env).result
    python, obj = random.Random(4), random.Random(9)
    python.gauss(), obj.gauss()
    assert restored[:5] == [python.gauss(), python.random(), obj.gauss(), obj.random(), True]
    assert back.python_random_unseeded == env.python_random_unseeded == 3


def test_random_objects_keep_their_insides_to_themselves():
    for source in ("random.Random(1)._bits", "random.Random(1).seed_with",
                   "random.Random(1).steps"):
        with pytest.raises(LangError):
            run_source(f"import random\n{source}")
    assert run_source("import random\nrepr(random.Random(1))").result == \
        "<random.Random object>"
    assert pyrandom.Random.__name__ == "Random"
