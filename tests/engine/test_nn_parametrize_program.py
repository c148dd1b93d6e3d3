"""torch.nn.utils.parametrize / parametrizations and the hook forms of weight_norm /
spectral_norm through the language: a session prints what torch 2.13 prints for the same cells
(user parametrizations with right_inverse, several on one tensor, cached(), removal, errors;
orthogonal + weight_norm trained by SGD; spectral_norm; the deprecated hook forms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.lang.published import cells_of, run_ours, run_torch, same_lines

PROGRAM = Path(__file__).parent / "dist_programs" / "parametrize.py.txt"


def test_parametrize_program_prints_what_torch_prints():
    pytest.importorskip("torch")
    cells = cells_of(PROGRAM)
    assert len(cells) == 2
    theirs = run_torch(cells)
    ours = run_ours(cells)
    assert len(ours) > 30
    difference = same_lines(ours, theirs)
    assert difference is None, (difference, ours, theirs)
    assert run_ours(cells, json=True) == ours
