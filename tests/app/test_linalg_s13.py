"""torch.linalg of session 13 (ops): the new ops are listed by ``GET /v1/ops`` with a
signature, a doc line and their differentiability; ``linalg.eig``/``eigvals`` (complex results
in torch 2.13, and the engine has no complex dtypes) fail with a not-supported error that
names them and says why."""

from __future__ import annotations

import pytest

from app.lang import Environment, Limits, ProgramError, compile_source, run_program

NEW = {"linalg.solve_ex": True, "linalg.householder_product": True, "orgqr": True}


def test_new_linalg_ops_are_listed(client):
    listed = {op["name"]: op for op in client.get("/v1/ops").json()["ops"]}
    for name, differentiable in NEW.items():
        op = listed[name]
        assert op["signature"].startswith(name + "(") and op["doc"], name
        assert op["differentiable"] is differentiable, name


@pytest.mark.parametrize("name,instead", [("eig", "eigh"), ("eigvals", "eigvalsh")])
def test_complex_eigen_ops_say_why_they_are_not_supported(name, instead):
    source = f"import torch\nA = torch.eye(3)\nr = torch.linalg.{name}(A)\n"
    with pytest.raises(ProgramError) as info:
        run_program(compile_source(source), Environment(), Limits(), source=source)
    text = str(info.value)
    assert text.startswith(f"torch.linalg.{name} is not supported: ")
    assert "complex" in text and f"torch.linalg.{instead} is supported" in text
