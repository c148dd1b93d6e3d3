"""``torch.optim.LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search.

The algorithm is the one torch documents (after Schmidt's minFunc): a direction from the
two-loop recursion over the last ``history_size`` curvature pairs, a first step of
``min(1, 1/|g|_1) * lr``, then either fixed steps of ``lr`` or a bracketing line search with
cubic interpolation that stops at a point meeting the strong Wolfe conditions. Every quantity
is computed with engine tensors exactly where torch's optimizer computes with tensors (dot
products, ``ys``, ``H_diag``, the step ``t`` of the first iteration stay 0-d tensors and keep
their dtype in later arithmetic), so each decision (a comparison against a tolerance, which
end of a bracket is low) is taken on the same numbers as in torch and trajectories agree.

The optimizer keeps one global state, stored (as torch stores it) under the first parameter:
``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``,
``prev_flat_grad``, ``prev_loss`` and ``al``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import errors
from ..modes import enable_grad, no_grad
from ..ops.stacking import cat
from ..tensor import Tensor
from .optimizer import Optimizer, check


def _interpolate(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any,
                 bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimiser of the cubic through two points with their values ``f`` and slopes
    ``g``, clamped to ``bounds`` (by default the interval between the points); the midpoint
    of the bounds when the cubic has no real turning point."""
    if bounds is None:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    else:
        lo, hi = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 ** 2 - g1 * g2
    if not disc >= 0:
        return (lo + hi) / 2.0
    d2 = disc.sqrt()
    if x1 <= x2:
        point = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        point = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(point, lo), hi)


class _Trial:
    """One evaluated point of the line search: step, loss, gradient and slope along ``d``."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t: Any, f: Any, g: Tensor, gtd: Any) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate: Callable[[Any], tuple[float, Tensor]], t: Any, d: Tensor,
                  f: float, g: Tensor, gtd: Tensor, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9, max_ls: int = 25
                  ) -> tuple[float, Tensor, Any, int]:
    """Search along ``d`` from the current point (loss ``f``, gradient ``g``, slope ``gtd``)
    for a step meeting the strong Wolfe conditions: first bracket such a step (growing the
    step by cubic extrapolation), then shrink the bracket by cubic interpolation. Returns the
    loss, gradient and step of the best point found and the number of evaluations."""
    scale = d.abs().max()
    start = _Trial(0, f, g.clone(), gtd)
    f_new, g_new = evaluate(t)
    evals = 1
    new = _Trial(t, f_new, g_new, g_new.dot(d))

    def sufficient_decrease(trial: _Trial) -> Any:
        return trial.f > (f + c1 * trial.t * gtd)

    def curvature_met(trial: _Trial) -> Any:
        return abs(trial.gtd) <= -c2 * gtd

    # Phase 1: find an interval that contains an acceptable step.
    prev = start
    ends: list[_Trial] | None = None
    found = False
    tries = 0
    while tries < max_ls:
        if sufficient_decrease(new) or (tries > 1 and new.f >= prev.f):
            ends = [prev, _Trial(new.t, new.f, new.g.clone(), new.gtd)]
            break
        if curvature_met(new):
            ends = [new]
            found = True
            break
        if new.gtd >= 0:
            ends = [prev, _Trial(new.t, new.f, new.g.clone(), new.gtd)]
            break
        step = _interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                            bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = _Trial(new.t, new.f, new.g.clone(), new.gtd)
        f_new, g_new = evaluate(step)
        evals += 1
        new = _Trial(step, f_new, g_new, g_new.dot(d))
        tries += 1
    if tries == max_ls:
        # out of evaluations while still extrapolating: the bracket is [0, last step]
        ends = [_Trial(0, f, g, None), _Trial(new.t, new.f, new.g, None)]
    assert ends is not None

    # Phase 2: zoom into the bracket.
    def order() -> tuple[int, int]:
        return (0, 1) if ends[0].f <= ends[-1].f else (1, 0)

    low, high = order()
    stalled = False
    while not found and tries < max_ls:
        a, b = ends[0].t, ends[1].t
        if abs(b - a) * scale < tolerance_change:
            break
        step = _interpolate(a, ends[0].f, ends[0].gtd, b, ends[1].f, ends[1].gtd)
        top, bottom = max(a, b), min(a, b)
        margin = 0.1 * (top - bottom)
        if min(top - step, step - bottom) < margin:
            # too close to an end: after a stalled step (or when outside the bracket) move
            # to a tenth of the bracket away from the nearer end
            if stalled or step >= top or step <= bottom:
                step = top - margin if abs(step - top) < abs(step - bottom) else bottom + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(step)
        evals += 1
        tries += 1
        new = _Trial(step, f_new, g_new.clone(), g_new.dot(d))
        if sufficient_decrease(new) or new.f >= ends[low].f:
            ends[high] = new
            low, high = order()
        else:
            if curvature_met(new):
                found = True
            elif new.gtd * (ends[high].t - ends[low].t) >= 0:
                ends[high] = ends[low]
            ends[low] = new
    best = ends[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    """``torch.optim.LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None)``; ``step(closure)``
    re-evaluates the loss through ``closure`` (called with gradients enabled) as often as the
    iteration and the line search need. One parameter group only."""

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise errors.EngineValueError("Tensor lr must be 1-element")
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise errors.EngineValueError(
                "LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache: int | None = None

    # ------------------------------------------------------------------ flat views
    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _flat_grad(self) -> Tensor:
        parts = []
        for p in self._params:
            g = p.grad
            parts.append(p.new_zeros(p.numel()) if g is None else g.view(-1))
        return cat(parts, 0)

    def _step_along(self, t: Any, direction: Tensor) -> None:
        at = 0
        for p in self._params:
            n = p.numel()
            p.add_(direction[at:at + n].view_as(p), alpha=t)
            at += n
        if at != self._numel():
            raise AssertionError(f"Expected offset {at} to equal {self._numel()}")

    def _evaluate_at(self, closure: Callable[[], Any], start: list[Tensor], t: Any,
                     direction: Tensor) -> tuple[float, Tensor]:
        """Loss and flat gradient at ``start + t * direction``; the parameters are restored
        to ``start`` afterwards."""
        self._step_along(t, direction)
        loss = float(closure())
        grad = self._flat_grad()
        for p, saved in zip(self._params, start):
            p.copy_(saved)
        return loss, grad

    # ------------------------------------------------------------------ step
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Up to ``max_iter`` L-BFGS iterations (``max_eval`` loss evaluations); returns the
        loss of the first evaluation."""
        self._run_pre_hooks()
        with no_grad():
            result = self._iterate(closure)
        self._opt_called = True
        self._run_post_hooks()
        return result

    def _iterate(self, closure: Callable[[], Any]) -> Any:
        if len(self.param_groups) != 1:
            raise AssertionError(
                f"Expected exactly one param_group, but got {len(self.param_groups)}")

        def reevaluate() -> Any:
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = group["lr"]
        if isinstance(lr, Tensor) and lr.dim() != 0:
            lr = lr.squeeze()
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = reevaluate()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        if grad.abs().max() <= tol_grad:
            return first_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        done_here = 0
        while done_here < max_iter:
            done_here += 1
            state["n_iter"] += 1

            # the search direction
            if state["n_iter"] == 1:
                d = grad.neg()
                dirs, steps, ro = [], [], []
                h_diag = 1
            else:
                y = grad.sub(prev_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(dirs) == history_size:
                        del dirs[0], steps[0], ro[0]
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                count = len(dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = grad.neg()
                for i in reversed(range(count)):
                    al[i] = steps[i].dot(q) * ro[i]
                    q.add_(dirs[i], alpha=-al[i])
                d = r = q.mul(h_diag)
                for i in range(count):
                    beta = dirs[i].dot(r) * ro[i]
                    r.add_(steps[i], alpha=al[i] - beta)

            if prev_grad is None:
                prev_grad = grad.clone()
            else:
                prev_grad.copy_(grad)
            prev_loss = loss

            # the step length
            t = min(1.0, 1.0 / grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = grad.dot(d)
            if gtd > -tol_change:
                break

            used = 0
            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise errors.EngineRuntimeError("only 'strong_wolfe' is supported")
                start = [p.clone() for p in self._params]
                loss, grad, t, used = _strong_wolfe(
                    lambda step, start=start, d=d: self._evaluate_at(reevaluate, start, step, d),
                    t, d, loss, grad, gtd, max_ls=max_eval - evals)
                self._step_along(t, d)
                optimal = grad.abs().max() <= tol_grad
            else:
                self._step_along(t, d)
                optimal = False
                if done_here != max_iter:
                    # a fixed step re-evaluates except after the last iteration
                    loss = float(reevaluate())
                    grad = self._flat_grad()
                    optimal = grad.abs().max() <= tol_grad
                    used = 1
            evals += used
            state["func_evals"] += used

            if done_here == max_iter or evals >= max_eval or optimal:
                break
            if d.mul(t).abs().max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state.update({"d": d, "t": t, "old_dirs": dirs, "old_stps": steps, "ro": ro,
                      "H_diag": h_diag, "prev_flat_grad": prev_grad, "prev_loss": prev_loss})
        return first_loss
