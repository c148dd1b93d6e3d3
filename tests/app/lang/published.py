"""Run a published PyTorch program cell by cell in a session and in torch 2.13 (the oracle),
with both drawing the same random numbers.

The engine's generator is not torch's, so on the torch side every random draw the programs
make (``torch.randn/rand/normal/randint/randperm/multinomial``, ``Tensor.normal_/uniform_`` and
so the ``nn`` layers' initialisation, Python's ``random``) is answered by a second engine
generator seeded like the session's, and a ``torch.Generator()`` by an engine generator seeded
like the program's: the same draws in the same order give the same numbers, and the values the
two runs print can be compared. Dropout in train mode (``F.dropout``, so ``nn.Dropout``) takes
its mask from the twin too: the engine draws it from its own generator, whose bits no seed
makes torch's. A shuffling ``DataLoader``'s ``RandomSampler`` draws its order from the twin as
the engine's sampler does.
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

import numpy as np

import engine
from app.lang import Environment, Limits, compile_source, pymodules, run_program
from app.lang.builtins import torch_repr
from app.lang.runtime import RunState

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


# --------------------------------------------------------------------------- twin draws

@contextlib.contextmanager
def _twinned() -> Iterator[None]:
    import torch
    import torch.nn.functional as F

    twin = engine.Generator().manual_seed(SEED)
    dtypes = {torch.float32: engine.float32, torch.float64: engine.float64,
              torch.int64: engine.int64, torch.int32: engine.int32, None: None}

    def to_torch(t: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        out = torch.from_numpy(np.array(t.numpy(), copy=True))
        if dtype is not None:
            out = out.to(dtype)
        return out.requires_grad_(requires_grad)

    def size_of(size: tuple) -> tuple:
        if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
            return tuple(size[0])
        return tuple(size)

    class TwinGenerator:
        """``torch.Generator()`` in the torch run: its draws come from an engine generator
        seeded the same, as the session's ``torch.Generator()`` draws."""

        def __init__(self, device: Any = "cpu") -> None:
            self.engine = engine.Generator()

        def manual_seed(self, seed: int) -> TwinGenerator:
            self.engine.manual_seed(seed)
            return self

    def source(generator: Any) -> Any:
        if generator is torch.default_generator:  # random_split's default
            generator = None
        assert generator is None or isinstance(generator, TwinGenerator), generator
        return twin if generator is None else generator.engine

    def drawing(name: str):
        def draw(*args: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
                 generator: Any = None, device: Any = None, out: Any = None, **kw: Any) -> Any:
            assert set(kw) <= {"mean", "std"}, (name, kw)
            if out is not None:  # drawn as a fresh tensor of out's dtype, then written to out
                drawn = draw(*args, size=size, dtype=dtype or out.dtype, generator=generator,
                             **kw)
                return out.resize_(drawn.shape).copy_(drawn)
            with engine.use_generator(source(generator)):
                if name in ("randn", "rand"):
                    shape = size_of(args) if size is None else tuple(size)
                    t = getattr(engine, name)(shape, dtype=dtypes[dtype])
                elif name == "normal":
                    args = args + tuple(kw.pop(k) for k in ("mean", "std") if k in kw)
                    mean, std = args[0], args[1] if len(args) > 1 else 1.0
                    shape = tuple(size if size is not None else args[2])
                    t = engine.normal(float(mean), float(std), size=shape)
                elif name == "randint":
                    bounds = args if size is not None else args[:-1]
                    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds[:2]
                    shape = tuple(size if size is not None else args[-1])
                    t = engine.randint(low, high, shape)
                else:  # randperm
                    t = engine.randperm(args[0])
            assert not kw, (name, kw)
            return to_torch(t, dtype, requires_grad)
        return draw

    def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Any:
        probabilities = engine.tensor(input.detach().numpy())
        with engine.use_generator(source(generator)):
            t = engine.multinomial(probabilities, num_samples, replacement)
        return to_torch(t)

    def like(name: str):
        def draw(x: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
            with engine.use_generator(twin):
                t = getattr(engine, name)(tuple(x.shape), dtype=dtypes[dtype or x.dtype])
            return to_torch(t, dtype or x.dtype, requires_grad)
        return draw

    def in_place(name: str):
        def method(self: Any, *args: Any, generator: Any = None) -> Any:
            assert generator is None
            import engine.nn.init as init

            with engine.use_generator(twin):
                t = engine.zeros(tuple(self.shape), dtype=dtypes[self.dtype])
                getattr(init, name)(t, *args)
            with torch.no_grad():
                self.copy_(to_torch(t))
            return self
        return method

    def seeding(seed: int) -> Any:
        twin.manual_seed(seed)
        return real[(torch, "manual_seed")](seed)

    # Python's ``random`` as the session runs it (pymodules), on a run state of its own: the
    # functions check sizes against its limits
    state = RunState(Environment(), Limits())

    def py(fn):
        def call(*args: Any, **kwargs: Any) -> Any:
            with engine.use_generator(twin):
                return fn(state, *args, **kwargs)
        return call

    def dropout(input: Any, p: float = 0.5, training: bool = True,
                inplace: bool = False) -> Any:
        """The engine's dropout draws its mask from its own generator (NumPy's PCG64, not
        torch's mt19937: no seed makes the bits agree), so the torch run takes the mask the
        twin draws for the same shape and dtype, and applies it with torch."""
        if not training or p == 0 or not 0 <= p <= 1 or not input.dtype.is_floating_point \
                or input.numel() == 0:
            return real[(F, "dropout")](input, p, training, inplace)
        with engine.use_generator(twin):
            mask = engine.nn.functional.dropout(
                engine.ones(tuple(input.shape), dtype=dtypes[input.dtype]), p, True)
        scaled = to_torch(mask)
        return input.mul_(scaled) if inplace else input * scaled

    def feature_dropout(name: str):
        """``dropout1d/2d/3d`` as ``dropout``: the torch run applies the mask the engine's
        function draws on ones of the input's shape and dtype (whole channels where torch
        drops whole channels, elements where its deprecated 2-D path drops elements)."""
        def drop(input: Any, p: float = 0.5, training: bool = True,
                 inplace: bool = False) -> Any:
            if not training or p == 0 or not 0 <= p <= 1 or \
                    not input.dtype.is_floating_point or input.numel() == 0:
                return real[(F, name)](input, p, training, inplace)
            with engine.use_generator(twin):
                mask = getattr(engine.nn.functional, name)(
                    engine.ones(tuple(input.shape), dtype=dtypes[input.dtype]), p, True)
            scaled = to_torch(mask)
            return input.mul_(scaled) if inplace else input * scaled
        return drop

    def sampler_order(self: Any) -> Any:
        """``RandomSampler`` draws its order as the engine's does (a permutation per epoch from
        the generator; torch first seeds a fresh generator from the default one)."""
        twin_sampler = engine.utils.data.RandomSampler(
            range(len(self.data_source)), self.replacement, self._num_samples)
        with engine.use_generator(source(self.generator)):
            return iter(list(twin_sampler))

    patches = {(torch, n): drawing(n) for n in ("randn", "rand", "normal", "randint",
                                                "randperm")}
    patches[(torch.utils.data.RandomSampler, "__iter__")] = sampler_order
    # random_split calls the randperm its module imported from torch
    patches[(torch.utils.data.dataset, "randperm")] = drawing("randperm")
    patches.update({(torch, n): like(n.removesuffix("_like"))
                    for n in ("randn_like", "rand_like")})
    patches.update({(torch.Tensor, n): in_place(n) for n in ("normal_", "uniform_")})
    patches[(torch, "manual_seed")] = seeding
    # a program's random.seed(n) seeds the session's generator (app/lang/pymodules.py)
    patches[(random, "seed")] = lambda a: twin.manual_seed(a) and None
    patches[(torch, "Generator")] = TwinGenerator
    patches[(torch, "multinomial")] = multinomial
    patches[(F, "dropout")] = dropout
    patches.update({(F, n): feature_dropout(n) for n in ("dropout1d", "dropout2d", "dropout3d")})
    patches.update({(random, n): py(getattr(pymodules, "_" + n))
                    for n in ("shuffle", "randint", "random", "uniform", "gauss", "choice",
                              "sample", "randrange")})
    real = {key: getattr(*key) for key in patches}
    # a program's torch.use_deterministic_algorithms(True) or torch.set_default_device(...)
    # (a torch-function mode that turns off torch's nested-tensor encoder path, among others)
    # must not outlive its torch run
    deterministic = (torch.are_deterministic_algorithms_enabled(),
                     torch.is_deterministic_algorithms_warn_only_enabled())
    import torch.utils._device as torch_device

    default_device = torch_device.CURRENT_DEVICE
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the machine is shared: torch's spinning threads cost minutes
    try:
        for (owner, name), fn in patches.items():
            setattr(owner, name, fn)
        yield
    finally:
        for (owner, name), fn in real.items():
            setattr(owner, name, fn)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
        torch.set_default_device(default_device)
