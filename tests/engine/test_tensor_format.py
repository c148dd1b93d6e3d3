"""``format(t, spec)`` (f-strings such as ``f"{loss:.4f}"``) as torch 2.13: a 0-d tensor formats
as its number; any other tensor only with an empty spec (torch falls back to
``object.__format__``, which refuses a spec)."""

from __future__ import annotations

import pytest

import engine

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("spec", ["", ".3f", ">12", "d", "e", "+.1%"])
def test_format_specs_as_torch(spec):
    for make in (lambda m: m.tensor(3.14159), lambda m: m.tensor(7),
                 lambda m: m.tensor(True), lambda m: m.tensor([1.5, 2.5]), lambda m: m.zeros(0)):
        outcomes = []
        for mod in (engine, torch):
            try:
                outcomes.append(format(make(mod), spec))
            except (TypeError, ValueError) as e:
                outcomes.append((type(e).__name__, str(e)))
        assert outcomes[0] == outcomes[1], (spec, outcomes)
