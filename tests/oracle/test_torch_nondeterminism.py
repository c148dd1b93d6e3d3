"""torch's own nondeterminism is never taken for the engine's difference: a call (or program)
whose torch answers differ from each other is of its own kind, counted, never a failure and
never an agreement (the sweeps ask torch ASKS times, and RETRIES times more before calling a
difference; the differential check asks torch again before it fails a program).

What varies in torch 2.13 itself, seen: linalg.lstsq with an rcond that cuts a single matrix's
rank (LAPACK xGEQP3 gets a pivot array torch never clears; one of two solutions from run to
run, and a full-rank solution's last bits), embedding_bag's include_last_offset (gradients of
the indices in no bag are whatever memory held). The cases here make torch's coin
deterministic by substituting its answers, so that they cannot flip themselves."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from . import compare  # noqa: E402
from .backends import TORCH  # noqa: E402
from .ignored_sweep import verdict  # noqa: E402
from .positional_sweep import _verdict  # noqa: E402
from .program import Leaf, Program, Ref, Step  # noqa: E402


def _obs(*values):
    return (("tensor", "float32", (len(values),), np.array(values, np.float32), False),)


A, B = _obs(1.0, 2.0), _obs(1.0, 2.5)


def test_ignored_sweep_classes_torchs_differing_answers_as_its_own_kind():
    # (before: one torch answer per call, so a rare answer of torch's was "differs")
    assert verdict([A, A], A, [A, B], A, False)[0] == "nondeterministic"
    assert verdict([A, B], A, [B, B], A, False)[0] == "nondeterministic"
    # torch's answers the same: the engine's difference stands; agreement stays agreement
    assert verdict([A, A], A, [B, B], A, False)[0] == "ignored"
    assert verdict([A, A], A, [B, B], B, False) == (None, None)
    # differing last bits are no coin (a full-rank lstsq's column order): within tolerance
    assert verdict([A, A], A, [B, _obs(1.0, 2.5000002)], B, False) == (None, None)
    # two NaNs are one answer
    nan = (("value", float("nan")),)
    assert verdict([nan, (("value", float("nan")),)], nan, [A, A], A, False) == (None, None)


def test_positional_sweep_classes_torchs_differing_answers_as_its_own_kind():
    t = (torch.tensor([1.0, 2.0]), None)
    u = (torch.tensor([1.0, 2.5]), None)
    import engine

    e = (engine.tensor([1.0, 2.0]), None)
    assert _verdict([([u, t], e), ([t, t], e)], False)[0] == "nondeterministic"
    assert _verdict([([u, u], e), ([t, t], e)], False)[0] == "binding"
    assert _verdict([([t, t], e), ([t, t], e)], False) == (None, None)


def _program():
    return Program(leaves=[Leaf("a", np.array([0.5, 2.0]), "float64", True)],
                   steps=[Step("y", "exp", "function", (Ref("a"),))])


def _flipping(monkeypatch, answers):
    """torch's runs of the program: ``answers[i]`` (True: its own value, False: 1.0 added to
    the first step's result) for its i-th plain run."""
    real = compare.run
    seen = []

    def run(program, be, **kw):
        out = real(program, be, **kw)
        if be is TORCH and not kw.get("default_float64") and \
                program.float_dtypes() == {"float64"}:
            own = answers[min(len(seen), len(answers) - 1)]
            seen.append(own)
            if not own:
                out.obs[0][1].values = out.obs[0][1].values + 1.0
        return out

    monkeypatch.setattr(compare, "run", run)
    # (the suite's summary counts and names real programs only: these are restored after)
    monkeypatch.setitem(compare.STATS, "torch_nondeterministic", 0)
    monkeypatch.setitem(compare.STATS, "programs", compare.STATS["programs"])
    monkeypatch.setattr(compare, "COIN", [])
    return seen


def test_check_does_not_fail_a_program_on_torchs_rare_answer(monkeypatch):
    # torch's first run is its rare answer, the next its usual one: torch's coin, counted
    seen = _flipping(monkeypatch, [False, True])
    before = compare.STATS["torch_nondeterministic"]
    compare.check(_program())
    assert seen[:2] == [False, True]
    assert compare.STATS["torch_nondeterministic"] == before + 1


def test_check_fails_a_difference_torch_gives_every_time(monkeypatch):
    seen = _flipping(monkeypatch, [False])
    before = compare.STATS["torch_nondeterministic"]
    with pytest.raises(compare.Mismatch, match="values differ"):
        compare.check(_program())
    assert len(seen) == 1 + compare.RETRIES
    assert compare.STATS["torch_nondeterministic"] == before
