"""The names sweep: the graphs torch records, node by node, engine against torch.

For op calls drawn from the differential suite's specs (``build.op_program``, the programs of
``sweep.py``: generated inputs, layouts, forms, in-place targets), each program runs on the
engine and on torch; of both runs this compares

* order 1: the graph behind the program's results (its loss variables): every node reached
  along ``next_functions`` from their ``grad_fn``s, breadth first, as its ``name()`` and class
  name and its edges (which node, which output number, or ``None``); a leaf's AccumulateGrad
  names its variable;
* order 2: the graphs behind ``torch.autograd.grad(loss, leaves, create_graph=True)`` (the
  suite's weighted-sum loss): the nodes the derivative formulas recorded.

A program that raises in its steps on either side is not compared (the differential suite
compares errors); at order 2, one side raising is a difference. Each difference is printed
with the first node that differs and written as one JSON line (``out.jsonl``).

    .venv/bin/python -m tests.oracle.names_sweep SEED [out.jsonl]  # N=1 per op; ONLY=a,b; SKIP=a,b

``tests/oracle/test_node_names.py`` runs it with a fixed seed and budget against its KNOWN list.
"""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass

from .backends import (
    ENGINE,
    TORCH,
    Backend,
    _is_leaf,
    _weighted_sum,
    builtin_class,
    run_steps,
)
from .compare import Mismatch
from .program import Program

LIMIT = 300  # nodes described per graph (the rest is cut: "...")


@dataclass
class Graphs:
    """What a run shows of its graphs: per order, a description (or an error's text)."""

    order1: object
    order2: object


def describe(roots: list, names: dict[int, str]) -> list:
    """The graph behind ``roots`` (nodes or None), breadth first: one entry per node, ``(name(),
    class name, [(node index or None, output_nr), ...])``; an AccumulateGrad's entry names its
    variable (``names``: id of a tensor -> its program name)."""
    index: dict[int, int] = {}
    keep = []  # (the node objects stay alive: ids stay unique)
    out: list = []
    queue: deque = deque()

    def ref(fn):
        if fn is None:
            return None
        k = id(fn)
        if k not in index:
            index[k] = len(index)
            keep.append(fn)
            queue.append(fn)
        return index[k]

    heads = [ref(fn) for fn in roots]
    while queue:
        fn = queue.popleft()
        if len(out) >= LIMIT:
            out.append("...")
            break
        kind = type(fn).__name__
        var = getattr(fn, "variable", None) if kind == "AccumulateGrad" else None
        if var is not None:
            out.append((fn.name(), kind, names.get(id(var), f"leaf{tuple(var.shape)}")))
            continue
        edges = [(ref(f), nr) for f, nr in fn.next_functions]
        out.append((fn.name(), kind, edges))
    return [heads] + out


def graphs(program: Program, be: Backend) -> Graphs | None:
    """Run ``program`` on ``be``; its graphs, or None when a step raised."""
    ran = run_steps(program, be)
    if ran is None:
        return None
    env, outs = ran
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = {id(v): k for k, v in env.items()}
        first = describe([o.grad_fn for o in outs if isinstance(o, be.Tensor)], names)
        return Graphs(first, _second_order(program, be, env, outs, names))


def _second_order(program: Program, be: Backend, env: dict, outs: list, names: dict):
    leaves = [env[lf.name] for lf in program.leaves if lf.requires_grad]
    leaves += [v for v in env.values() if isinstance(v, be.Tensor) and _is_leaf(v) and
               v.requires_grad and not any(v is x for x in leaves)]
    try:
        loss = _weighted_sum(be, outs, program.seed)
        if loss is None or not loss.requires_grad or not leaves:
            return None
        gs = be.grad(loss, leaves, create_graph=True, allow_unused=True)
    except Exception as e:  # noqa: BLE001 (raised or not is compared)
        return f"raises {builtin_class(e).__name__}"
    return describe([None if g is None else g.grad_fn for g in gs], names)


def first_difference(e, t) -> str | None:
    """Where two descriptions differ (None: they agree)."""
    if e == t:
        return None
    if not isinstance(e, list) or not isinstance(t, list):
        return f"engine {_short(e)}, torch {_short(t)}"
    if e[0] != t[0]:
        return f"roots: engine {e[0]}, torch {t[0]}"
    for i, (a, b) in enumerate(zip(e[1:], t[1:])):
        if a != b:
            return f"node {i}: engine {_short(a)}, torch {_short(b)}"
    return f"engine has {len(e) - 1} nodes, torch {len(t) - 1}"


def _short(x) -> str:
    if isinstance(x, list):
        return f"{len(x) - 1} nodes"
    if isinstance(x, tuple):
        name, kind, rest = x
        head = name if kind in (name, name.rsplit("::", 1)[-1]) else f"{name} ({kind})"
        return f"{head} {rest}"
    return str(x)


def differences(program: Program) -> dict[str, str]:
    """The orders ("order 1", "order 2") whose graphs differ, with the first difference."""
    t = graphs(program, TORCH)
    if t is None:
        return {}
    e = graphs(program, ENGINE)
    if e is None:
        return {}
    out = {}
    for order, a, b in (("order 1", e.order1, t.order1), ("order 2", e.order2, t.order2)):
        why = first_difference(a, b)
        if why is not None:
            out[order] = why
    return out


def check(program: Program) -> None:
    """``sweep.sweep_op``'s check: ``Mismatch`` naming the orders that differ."""
    diffs = differences(program)
    if diffs:
        raise Mismatch(f"{program.label}: " + "; ".join(f"{k}: {v}" for k, v in diffs.items()) +
                       "\nprogram:\n" + program.source())


def classify(text: str) -> str:
    orders = [k for k in ("order 1", "order 2") if f"{k}:" in text.split("\n", 1)[0]]
    return "+".join(o.replace(" ", "") for o in orders) or "other"


def main() -> None:
    import sys

    from . import sweep

    counts = sweep.main(1, check=check, classify=classify)
    sys.exit(0 if counts.get("harness", 0) == 0 else 1)


if __name__ == "__main__":
    main()
