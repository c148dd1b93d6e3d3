"""The saved-tensor sweep: which tensors an op's nodes save, in which order they are packed
and unpacked, engine against torch.

A program of the differential suite's op calls (``sweep.py``'s programs) runs on each side
inside ``torch.autograd.graph.saved_tensors_hooks(pack, unpack)`` (the engine's twin); the
pack hook logs each tensor it is given, then backward (``autograd.grad`` of the suite's
weighted-sum loss) logs each unpack. A logged tensor is named by its role: a program variable
(``x``, ``y``: an input or a step's output) or, for a tensor the program never held (an op's
intermediate), ``tmp`` with its shape and dtype. The two logs must be equal: the same saves,
in the same order, unpacked in the same order (what a program printing in its hooks, as
PyTorch's saved-tensor tutorial does, sees).

    .venv/bin/python -m tests.oracle.saved_sweep SEED [out.jsonl]  # N=1 per op; ONLY=a,b; SKIP=a,b
"""

from __future__ import annotations

import warnings

import torch

import engine.autograd.saved_hooks as engine_hooks

from .backends import ENGINE, TORCH, Backend, _weighted_sum, builtin_class, run_steps
from .compare import Mismatch
from .program import Program


def _hooks(be: Backend):
    return torch.autograd.graph.saved_tensors_hooks if be is TORCH else \
        engine_hooks.saved_tensors_hooks


def run_logged(program: Program, be: Backend) -> list | None:
    """The pack/unpack log of ``program`` on ``be`` (None: a step raised, or nothing to
    differentiate)."""
    log: list = []
    held: list = []  # (logged tensors stay alive: their ids stay unique)
    env: dict = {}

    def role(t) -> str:
        for k, v in env.items():
            if v is t:
                return k
        return f"tmp{tuple(t.shape)}:{be.dtype_name(t)}"

    def pack(t):
        held.append(t)
        log.append(("pack", len(held) - 1))
        return len(held) - 1

    def unpack(i):
        log.append(("unpack", i))
        return held[i]

    try:
        ran = run_steps(program, be, lambda: _hooks(be)(pack, unpack))
    except Exception:  # noqa: BLE001 (a loss the gauge cannot form: nothing to compare)
        return None
    if ran is None:
        return None
    env.update(ran[0])
    outs = ran[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaves = [env[lf.name] for lf in program.leaves if lf.requires_grad]
        try:
            loss = _weighted_sum(be, outs, program.seed)
            if loss is None or not loss.requires_grad or not leaves:
                return None
            be.grad(loss, leaves, allow_unused=True)
        except Exception as e:  # noqa: BLE001
            log.append(("raises", builtin_class(e).__name__))  # (the class torch raises)
        # roles are read at the end: a step's output is named once the program bound it
        return [(kind, role(held[i]) if isinstance(i, int) else i) for kind, i in log]


def difference(e: list, t: list) -> str | None:
    if e == t:
        return None
    for i, (a, b) in enumerate(zip(e, t)):
        if a != b:
            return f"event {i}: engine {a}, torch {b} (engine {len(e)}, torch {len(t)} events)"
    return f"engine {len(e)} events, torch {len(t)}: {e[len(t):][:3] or t[len(e):][:3]}"


def check(program: Program) -> None:
    t = run_logged(program, TORCH)
    if t is None:
        return
    e = run_logged(program, ENGINE)
    if e is None:
        return
    why = difference(e, t)
    if why is not None:
        raise Mismatch(f"{program.label}: saved: {why}\nprogram:\n" + program.source())


def classify(text: str) -> str:
    head = text.split("\n", 1)[0]
    if "events, torch" in head and "event " not in head:
        return "count"
    return "order" if "'pack'" in head or "'unpack'" in head else "other"


def main() -> None:
    import sys

    from . import sweep

    counts = sweep.main(1, check=check, classify=classify)
    sys.exit(0 if counts.get("harness", 0) == 0 else 1)


if __name__ == "__main__":
    main()
