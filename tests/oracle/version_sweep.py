"""The version sweep: what backward says after a program changes a tensor in place, engine
against torch.

For each program of the differential suite's op calls (``sweep.py``'s programs) and each
tensor it holds (an input or a step's output), the program runs, then that tensor is
rewritten in place with its own values (``copy_`` under ``no_grad``: its version counter
moves, its values do not), then backward runs (``autograd.grad`` of the suite's weighted-sum
loss). Whether backward raises must agree with torch: torch raises exactly where a node saved
that tensor (a ``SavedVariable``) and needs it. The engine raising where torch does not is a
spurious refusal (it saved more than torch); torch raising where the engine does not means
the engine's node does not check what it reads (had the values changed, the engine would have
computed a gradient from them: a silent wrong gradient).

    .venv/bin/python -m tests.oracle.version_sweep SEED [out.jsonl]  # N=1 per op; ONLY=a,b
"""

from __future__ import annotations

import warnings

from .backends import ENGINE, TORCH, Backend, _weighted_sum, run_steps
from .compare import Mismatch
from .program import Program


def _run(program: Program, be: Backend, target: str | None):
    """Run, rewrite ``target`` in place, differentiate: "ok", "raises <text>", or None when
    the program cannot be compared (a step raised, nothing to differentiate, no target)."""
    try:
        ran = run_steps(program, be)
    except Exception:  # noqa: BLE001 (a loss the gauge cannot form: nothing to compare)
        return None
    if ran is None:
        return None
    env, outs = ran
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            leaves = [env[lf.name] for lf in program.leaves if lf.requires_grad]
            loss = _weighted_sum(be, outs, program.seed)
        except Exception:  # noqa: BLE001
            return None
        if loss is None or not loss.requires_grad or not leaves:
            return None
        if target is not None:
            t = env[target]
            try:
                with be.no_grad():
                    t.copy_(t.clone())
            except Exception:  # noqa: BLE001 (not writable in place here: nothing to say)
                return None
        try:
            be.grad(loss, leaves, allow_unused=True)
        except Exception as e:  # noqa: BLE001
            text = str(e)
            return "raises " + ("version" if "modified by an inplace operation" in text
                                else type(e).__name__)
        return "ok"


def tensor_names(program: Program, be: Backend) -> list[str]:
    try:
        ran = run_steps(program, be)
    except Exception:  # noqa: BLE001
        return []
    return [] if ran is None else [k for k, v in ran[0].items() if isinstance(v, be.Tensor)]


def check(program: Program) -> None:
    if _run(program, TORCH, None) != "ok" or _run(program, ENGINE, None) != "ok":
        return  # (backward itself disagrees or fails: the differential suite's business)
    found = []
    for name in tensor_names(program, TORCH):
        t = _run(program, TORCH, name)
        e = _run(program, ENGINE, name)
        if t is None or e is None or t == e:
            continue
        kind = "missed" if t.startswith("raises") else "spurious"
        found.append(f"{kind} {name}: engine {e}, torch {t}")
    if found:
        raise Mismatch(f"{program.label}: " + "; ".join(found) + "\nprogram:\n" +
                       program.source())


def classify(text: str) -> str:
    head = text.split("\n", 1)[0]
    kinds = sorted({k for k in ("missed", "spurious") if k + " " in head})
    return "+".join(kinds) or "other"


def main() -> None:
    import sys

    from . import sweep

    counts = sweep.main(1, check=check, classify=classify)
    sys.exit(0 if counts.get("harness", 0) == 0 else 1)


if __name__ == "__main__":
    main()
