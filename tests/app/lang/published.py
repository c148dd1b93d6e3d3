"""Run a published PyTorch program cell by cell in a session and in torch 2.13 (the oracle),
with both drawing the same random numbers.

Both runs are seeded with ``SEED``. The engine's CPU generator is torch's mt19937, so
``torch.rand/randn/normal/randint/randperm/multinomial``, ``Tensor.normal_/uniform_`` (so the
``nn`` layers' initialisation), dropout, ``torch.Generator()``, a shuffling ``DataLoader``'s
``RandomSampler`` and ``random_split`` draw the same numbers in both runs untouched. Python's
``random`` in a session is CPython's (``app.lang.pyrandom``), seeded on first use from the
session's seed: the torch run seeds CPython's ``random`` the same way.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import math
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.lang import Environment, Limits, compile_source, pyrandom, run_program
from app.lang.builtins import torch_repr

PROGRAMS = Path(__file__).parent / "programs"
SEED = 0


def cells_of(path: Path) -> list[str]:
    """A program file's cells: the text between ``# %%`` lines."""
    return [c.strip("\n") + "\n" for c in re.split(r"^# %%.*$", path.read_text(), flags=re.M)
            if c.strip()]


def run_ours(cells: list[str], limits: Limits | None = None, json: bool = False) -> list[str]:
    """The lines a session prints for the cells, run one after another (source or JSON form)."""
    env = Environment()
    env.generator.manual_seed(SEED)
    _fresh_hook_ids()
    lines: list[str] = []
    for cell in cells:
        result = run_program(compile_source(cell), env, limits or Limits(),
                             source=None if json else cell)
        lines += [line for entry in result.printed for line in entry.split("\n")]
        if result.result is not None:  # a notebook shows the cell's last expression
            lines += torch_repr(result.result).split("\n")
    return lines


def _fresh_hook_ids() -> None:
    """Hook handles are numbered by one counter per process, in torch as in the engine (a
    program printing ``module._forward_pre_hooks`` shows the numbers): both runs count from 0,
    as in a fresh process, whatever other tests registered before."""
    import engine.utils.hooks

    engine.utils.hooks._ids = itertools.count()
    if "torch" in sys.modules:
        sys.modules["torch"].utils.hooks.RemovableHandle.next_id = 0


def run_torch(cells: list[str]) -> list[str]:
    """The lines torch prints for the cells, its random draws twinned with the session's."""
    import torch.utils.hooks  # noqa: F401  (its counter is reset below)

    _fresh_hook_ids()
    buffer = io.StringIO()
    scope: dict[str, Any] = {"__name__": "__main__"}
    # torch.save / torch.load write real files: in a directory of their own, as the
    # session's files are its own
    with tempfile.TemporaryDirectory() as files, contextlib.chdir(files), _twinned(), \
            contextlib.redirect_stdout(buffer):
        for cell in cells:
            tree = ast.parse(cell)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "<cell>", "exec"), scope)  # the oracle
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), scope)
                if value is not None:
                    print(repr(value))
    text = buffer.getvalue()
    return (text[:-1] if text.endswith("\n") else text).split("\n")


ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # object reprs: <AddBackward0 object at 0x...>
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same_lines(ours: list[str], theirs: list[str], rtol: float = 2e-4,
               atol: float = 1e-5) -> str | None:
    """None when the lines agree (the words exactly, the numbers to float32 noise: NumPy and
    torch sum in different orders); else the first difference."""
    if len(ours) != len(theirs):
        return f"{len(ours)} lines printed, torch printed {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = ADDRESS.sub(" at 0x", a), ADDRESS.sub(" at 0x", b)
        if a == b:
            continue
        if NUMBER.sub("#", a) != NUMBER.sub("#", b):
            return f"line {i}: {a!r} != torch's {b!r}"
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            if not math.isclose(float(x), float(y), rel_tol=rtol, abs_tol=atol):
                return f"line {i}: {a!r} != torch's {b!r}"
    return None


def torch_varies(cells: list[str], theirs: list[str], asks: int = 2) -> str | None:
    """How torch's printed lines for ``cells`` differ from ``theirs`` when it runs them again
    (``asks`` times, with the same twinned draws; None: word for word the same each time).
    torch's float32 rounding can depend on what ran before in the process (km_04's fused
    cross_entropy: memory alignment picks MKL's and oneDNN's paths), and a few kernels read
    memory they never wrote: a verdict on one torch run would be torch's coin."""
    for _ in range(asks):
        difference = same_lines(run_torch(cells), theirs, rtol=0.0, atol=0.0)
        if difference is not None:
            return difference
    return None


# --------------------------------------------------------------------------- twin draws

@contextlib.contextmanager
def _twinned() -> Iterator[None]:
    import torch

    # The engine's CPU generator is torch's (an mt19937 whose words become numbers by torch's
    # rules): rand/randn/normal/randint/randperm/multinomial, normal_/uniform_ (so nn.init),
    # dropout, torch.Generator, RandomSampler and random_split draw torch's numbers in both
    # runs.
    torch.manual_seed(SEED)  # as the session's generator is seeded (run_ours)

    # Python's ``random`` is CPython's in both runs (app/lang/pyrandom.py); the session's
    # starts, on first use, as random.seed(the session's seed at that moment) starts it, and
    # an unseeded random.seed() takes the session's seed plus n * 2**64: the torch run's too
    unseeded = itertools.count()
    real_seed, started = random.seed, []

    def unseeded_seed() -> int:
        return torch.initial_seed() + next(unseeded) * 2 ** 64

    def seed(a: Any = None, version: int = 2) -> None:
        real_seed(unseeded_seed() if a is None else a, version)

    def lazily_seeded(fn):
        def call(*args: Any, **kwargs: Any) -> Any:
            if not started:
                started.append(True)
                real_seed(unseeded_seed())
            return fn(*args, **kwargs)
        return call

    patches: dict = {(random, n): lazily_seeded(seed if n == "seed" else getattr(random, n))
                     for n in pyrandom.METHODS}
    outside = random.getstate()
    real = {key: getattr(*key) for key in patches}
    # a program's torch.use_deterministic_algorithms(True) or torch.set_default_device(...)
    # (a torch-function mode that turns off torch's nested-tensor encoder path, among others)
    # must not outlive its torch run
    deterministic = (torch.are_deterministic_algorithms_enabled(),
                     torch.is_deterministic_algorithms_warn_only_enabled())
    import torch.utils._device as torch_device

    default_device = torch_device.CURRENT_DEVICE
    # nor its torch.set_default_dtype(torch.float64) (a session's own; torch's is the process's)
    default_dtype = torch.get_default_dtype()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the machine is shared: torch's spinning threads cost minutes
    try:
        for (owner, name), fn in patches.items():
            setattr(owner, name, fn)
        yield
    finally:
        for (owner, name), fn in real.items():
            setattr(owner, name, fn)
        random.setstate(outside)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
        torch.set_default_device(default_device)
        torch.set_default_dtype(default_dtype)
