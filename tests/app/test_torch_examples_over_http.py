"""Every example in the docstrings of ``torch.autograd.functional`` (vjp jvp jacobian hessian
vhp hvp) and ``torch.func`` (grad grad_and_value vjp jvp jacrev jacfwd hessian vmap
functional_call), taken verbatim from the installed torch 2.13, sent over HTTP statement by
statement as at an interactive prompt, gives what torch gives for the same statements: what
each prints, the value of each expression (tensors: dtype, shape, requires_grad, grad_fn,
values and repr) and, where torch raises (some examples use names they never define), the same
exception with the same text. Random draws are twinned as in the published programs. The
same for PyTorch's custom Function, forward-mode AD and Jacobians/Hessians tutorials, cell by
cell.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import re
from typing import Any

import numpy as np
import pytest

from tests.app.helpers import run

torch = pytest.importorskip("torch")

from tests.app.lang.published import _twinned, same_lines  # noqa: E402

FUNCTIONS = [("torch.autograd.functional", n)
             for n in ("vjp", "jvp", "jacobian", "hessian", "vhp", "hvp")]
FUNCTIONS += [("torch.func", n) for n in ("grad", "grad_and_value", "vjp", "jvp", "jacrev",
                                          "jacfwd", "hessian", "vmap", "functional_call")]
PROMPT = re.compile(r"^\s*(>>>|\.\.\.)( |$)")
#: Statements whose error differs, with ours and why: the language has the seed chapter's
#: ``grad`` builtin, so in this example (which never defines ``grad``, ``compute_loss``, ``x``
#: or ``t``) the first undefined name met is another one.
OUR_ERRORS = {("torch.func.functional_call",
               "grad_weights = grad(compute_loss)(detached_params, x, t)"):
              ("NameError", "name 'compute_loss' is not defined")}


def statements(doc: str) -> list[str]:
    """The docstring's examples as top-level statements, in order. A block is a run of prompt
    lines (``>>>`` or ``...``, both used for continuation lines) and their output; the code of
    each block is cut into its statements (whole lines, so with their comments)."""
    out: list[str] = []
    block: list[str] = []
    lines = doc.split("\n") + [""]
    for line in lines:
        m = PROMPT.match(line)
        if m:
            block.append(line[m.end():])
        elif block and line.strip() and not line.lstrip().startswith(">>>"):
            continue  # an example's output
        elif block:
            tree = ast.parse("\n".join(block) + "\n")
            out += ["\n".join(block[s.lineno - 1:s.end_lineno]) for s in tree.body]
            block = []
    return out


def torch_says(prelude: str, stmts: list[str]) -> list[dict[str, Any]]:
    """What each statement (or cell) gives in torch, run one after another in one namespace:
    what it prints, the value of its last expression, or the error it raises."""
    scope: dict[str, Any] = {"__name__": "__main__"}
    exec(prelude, scope)  # the oracle
    said = []
    with _twinned():
        for src in stmts:
            buffer = io.StringIO()
            tree = ast.parse(src)
            entry: dict[str, Any] = {"source": src}
            try:
                with contextlib.redirect_stdout(buffer):
                    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
                    exec(compile(tree, "<doc>", "exec"), scope)
                    entry["result"] = None if last is None else torch_value(
                        eval(compile(ast.Expression(last.value), "<doc>", "eval"), scope))
            except Exception as e:  # noqa: BLE001 (the example raises in torch too)
                entry["error"] = (type(e).__name__, str(e) or type(e).__name__)
            entry["printed"] = buffer.getvalue().rstrip("\n").split("\n") \
                if buffer.getvalue() else []
            said.append(entry)
    return said


def torch_value(v: Any) -> Any:
    """A torch value as the service encodes its own (``app/wire.py``)."""
    if v is None or isinstance(v, (bool, str, int, float)):
        return v
    if isinstance(v, torch.Tensor):
        return {"type": "tensor", "dtype": str(v.dtype).removeprefix("torch."),
                "shape": list(v.shape), "requires_grad": v.requires_grad, "is_leaf": v.is_leaf,
                "grad_fn": None if v.grad_fn is None else type(v.grad_fn).__name__,
                "data": v.detach().tolist(), "repr": repr(v)}
    if isinstance(v, (list, tuple)):
        return [torch_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): torch_value(x) for k, x in v.items()}
    return {"type": "other"}  # a function, a module: compared by what it prints only


def differs(ours: Any, theirs: Any, where: str) -> str | None:
    if isinstance(theirs, dict) and theirs.get("type") == "other":
        return None
    if isinstance(theirs, dict) and theirs.get("type") == "tensor":
        if not isinstance(ours, dict) or ours.get("type") != "tensor":
            return f"{where}: {ours!r} is not a tensor"
        for key in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn"):
            if ours[key] != theirs[key]:
                return f"{where}: {key} {ours[key]!r} != torch's {theirs[key]!r}"
        got = np.array(ours["data"], dtype=float)
        want = np.array(theirs["data"], dtype=float)
        if not np.allclose(got, want, rtol=2e-4, atol=1e-5, equal_nan=True):
            return f"{where}: values {got} != torch's {want}"
        problem = same_lines(ours["repr"].split("\n"), theirs["repr"].split("\n"))
        return None if problem is None else f"{where}: repr {problem}"
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return f"{where}: {ours!r} != torch's {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if (problem := differs(a, b, f"{where}[{i}]")) is not None:
                return problem
        return None
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or ours.keys() != theirs.keys():
            return f"{where}: {ours!r} != torch's {theirs!r}"
        for k in theirs:
            if (problem := differs(ours[k], theirs[k], f"{where}[{k!r}]")) is not None:
                return problem
        return None
    if isinstance(theirs, float) and isinstance(ours, (int, float)):
        return None if math.isclose(ours, theirs, rel_tol=2e-4, abs_tol=1e-5) else \
            f"{where}: {ours!r} != torch's {theirs!r}"
    return None if ours == theirs else f"{where}: {ours!r} != torch's {theirs!r}"


def test_the_examples_are_found():
    found = {f"{m}.{n}": statements(_doc(m, n)) for m, n in FUNCTIONS}
    assert found["torch.func.grad_and_value"] == []  # it has none
    assert sum(len(s) for s in found.values()) > 150
    assert "batched_dot(x, y)  # tensor of size [2, 3]" in found["torch.func.vmap"]


def _doc(module: str, name: str) -> str:
    import importlib

    return getattr(importlib.import_module(module), name).__doc__


def check_over_http(client, session: str, expected: list[dict[str, Any]],
                    our_errors: dict[str, tuple[str, str]] | None = None) -> None:
    """Send each source of ``expected`` as a run of ``session``: it must give what torch gave."""
    for i, want in enumerate(expected):
        reply = run(client, session, want["source"])
        where = f"run {i} {want['source'][:200]!r}"
        if "error" in want:
            assert reply.status_code == 400, f"{where}: torch raised {want['error']}"
            body = reply.json()
            error = (our_errors or {}).get(want["source"], want["error"])
            assert (body.get("exception"), body["detail"]) == error, where
            continue
        assert reply.status_code == 200, f"{where}: {reply.text}"
        body = reply.json()
        printed = [line for entry in body["printed"] for line in entry.split("\n")]
        problem = same_lines(printed, want["printed"])
        assert problem is None, f"{where}: {problem}"
        problem = differs(body["result"], want["result"], where)
        assert problem is None, problem


@pytest.mark.parametrize("module,name", FUNCTIONS, ids=[f"{m}.{n}" for m, n in FUNCTIONS])
def test_docstring_examples_over_http_give_what_torch_gives(client, session_id, module, name):
    stmts = statements(_doc(module, name))
    prelude = f"import torch\nfrom {module} import {name}\n"
    expected = torch_says(prelude, stmts)
    reply = run(client, session_id, prelude)
    assert reply.status_code == 200, reply.text
    check_over_http(client, session_id, expected,
                    {src: err for (fn, src), err in OUR_ERRORS.items()
                     if fn == f"{module}.{name}"})


TUTORIALS = ["pt_05_lpwe_custom_function", "pt_10_forward_mode_ad", "pt_11_jacobians_hessians"]


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorials_over_http_give_what_torch_gives(make_client, name):
    """PyTorch's custom Function, forward-mode AD and Jacobians/Hessians tutorials (the
    published programs of ``tests/app/lang/programs``), cell by cell through a session. The
    Hessians cell computes three 32x512x512 Hessians (about 2 s of CPU here): the run deadline
    is raised from the default 30 s so a loaded machine does not fail it."""
    from tests.app.lang.published import PROGRAMS, cells_of

    client = make_client(run_timeout_s=600)
    reply = client.post("/v1/sessions", json={"seed": 0})
    assert reply.status_code == 201, reply.text
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    check_over_http(client, reply.json()["id"], torch_says("", cells))


def test_readme_transforms_example_over_http_prints_what_torch_and_its_comments_say(
        client, session_id):
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("<!-- transforms-example -->\n```python\n", 1)[1].split("```", 1)[0]
    expected = torch_says("", [block])
    check_over_http(client, session_id, expected)
    # the comments after code and the indented comment lines show what is printed
    shown = [line.split("# ", 1)[1] for line in block.split("\n")
             if "# " in line and not line.startswith("#")]
    assert " ".join(shown).split() == " ".join(expected[0]["printed"]).split()
