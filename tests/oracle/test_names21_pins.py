"""Session 21 (names): the order of saved tensors, engine and torch side by side.

torch packs a node's saved tensors (``saved_tensors_hooks``' pack hook) and unpacks them at
backward in the order its generated node class declares them: inputs by name, then outputs
(``engine/autograd/saved_order.py``). A program sees that order in its hooks, and in which of
several tensors modified in place a version error names."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.autograd.saved_hooks import saved_tensors_hooks as engine_hooks  # noqa: E402


def _hooks(m):
    return torch.autograd.graph.saved_tensors_hooks if m is torch else engine_hooks


def _leaves(m, *shapes):
    g = torch.Generator().manual_seed(len(shapes))
    return [m.tensor(torch.rand(*s, generator=g, dtype=torch.float64).add(0.5).tolist(),
                     dtype=m.float64, requires_grad=True) for s in shapes]


def _log(m, f, *shapes):
    """The pack and unpack events of ``f``'s nodes, each naming the tensor by its role."""
    xs = _leaves(m, *shapes)
    names = {id(x): "abcdef"[i] for i, x in enumerate(xs)}
    events = []

    def pack(t):
        events.append(("pack", names.get(id(t), tuple(t.shape))))
        return t

    def unpack(t):
        events.append(("unpack", names.get(id(t), tuple(t.shape))))
        return t

    with _hooks(m)(pack, unpack):
        y = f(m, *xs)
    y = y[0] if isinstance(y, tuple) else y
    names[id(y)] = "result"
    m.autograd.grad(y.sum(), xs, allow_unused=True)
    return [(k, names.get(v, v) if isinstance(v, int) else v) for k, v in events]


ORDERS = {
    "mul": (lambda m, a, b: a * b, (3,), (3,)),
    "div": (lambda m, a, b: a / b, (3,), (3,)),
    "atan2": (lambda m, a, b: m.atan2(a, b), (3,), (3,)),
    "maximum": (lambda m, a, b: m.maximum(a, b), (3,), (3,)),
    "hypot (result last)": (lambda m, a, b: m.hypot(a, b), (3,), (3,)),
    "pow (result last)": (lambda m, a, b: m.pow(a, b), (3,), (3,)),
    "lerp (end, self, weight)": (lambda m, a, b, c: m.lerp(a, b, c), (3,), (3,), (3,)),
    "mm": (lambda m, a, b: a @ b, (2, 3), (3, 2)),
    "bmm": (lambda m, a, b: m.bmm(a, b), (2, 2, 3), (2, 3, 2)),
    "dist": (lambda m, a, b: m.dist(a, b), (3,), (3,)),
    "clamp_min(tensor)": (lambda m, a, b: m.clamp_min(a, b), (3,), (3,)),
    "vdot": (lambda m, a, b: m.vdot(a, b), (3,), (3,)),
    "linalg.cross": (lambda m, a, b: m.linalg.cross(a, b), (2, 3), (2, 3)),
    "grid_sample": (lambda m, a, b: m.nn.functional.grid_sample(
        a, b * 2 - 2, align_corners=False), (1, 1, 3, 3), (1, 2, 2, 2)),
    "binary_cross_entropy_with_logits": (
        lambda m, a, b, c, d: m.nn.functional.binary_cross_entropy_with_logits(
            a, b - 0.5, c.detach(), pos_weight=d.detach()), (2, 3), (2, 3), (2, 3), (3,)),
    "layer_norm (bias first)": (lambda m, a, w, b: m.nn.functional.layer_norm(
        a, (3,), w, b), (2, 3), (3,), (3,)),
    "linalg.lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution, (3, 2), (3, 2)),
}


@pytest.mark.parametrize("case", sorted(ORDERS))
def test_saved_tensors_in_torchs_order(case):
    f, *shapes = ORDERS[case]
    assert _log(engine, f, *shapes) == _log(torch, f, *shapes)


def test_version_error_names_the_first_tensor_torch_unpacks():
    """Both operands of ``a * b`` changed in place: torch's node unpacks ``other`` first, so
    its version error is about ``b`` (its shape here), not ``a``."""
    def run(m):
        a = m.ones(2, requires_grad=True) * 1
        b = m.ones(3, 1, requires_grad=True) * 1
        y = a * b
        a.add_(1)
        b.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        return str(e.value)

    assert run(engine) == run(torch)


@pytest.mark.parametrize("op", ["sin_", "atan2_", "mul_", "div_", "log_"])
def test_in_place_op_packs_a_copy_of_what_it_overwrites(op):
    """A pack hook that keeps the tensor it is given: torch gives an in-place op's saved
    input as ``self.clone()``, so backward reads the values before the write (the engine gave
    the tensor itself, then overwrote it: ``sin_``'s gradient was cos(sin(x)))."""
    def run(m):
        x = m.tensor([0.5, 1.0, 2.0], dtype=m.float64, requires_grad=True)
        w = m.tensor([1.5, 0.75, 2.5], dtype=m.float64, requires_grad=True)
        kept = []

        def pack(t):
            kept.append(t)
            return t

        with _hooks(m)(pack, lambda t: t):
            y = x * 1
            getattr(y, op)(*(() if op in ("sin_", "log_") else (w,)))
        gx, gw = m.autograd.grad(y.sum(), [x, w], allow_unused=True)
        return (gx.tolist(), None if gw is None else gw.tolist(),
                [any(k is t for k in kept) for t in (x, w, y)])

    assert run(engine) == run(torch)
