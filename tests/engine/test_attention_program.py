"""A published-style program with attention (a small Transformer classifier trained a few
steps, ``attention_programs/``), pasted into a session cell by cell through the service's
language, prints what torch 2.13 prints for the same cells (both drawing the same random
numbers: ``tests/app/lang/published.py``), in the source and the JSON form."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.lang.published import cells_of, run_ours, run_torch, same_lines

PROGRAMS = Path(__file__).parent / "attention_programs"
NAMES = sorted(p.name.removesuffix(".py.txt") for p in PROGRAMS.glob("*.py.txt"))


@pytest.mark.parametrize("json", [False, True], ids=["source", "json"])
@pytest.mark.parametrize("name", NAMES)
def test_program_prints_what_torch_prints(name, json):
    pytest.importorskip("torch")
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    theirs = run_torch(cells)
    ours = run_ours(cells, json=json)
    assert len(ours) > 40
    difference = same_lines(ours, theirs)
    assert difference is None, difference
