"""``nn.Embedding(sparse=True)`` / ``F.embedding(sparse=True)``: the weight's gradient is a
sparse COO tensor as torch makes it (one entry per looked-up index, in input order, the padding
index left out, not coalesced; gradients of two backward passes summed sparse), and the
optimizers meet it as torch's do: ``SparseAdam`` updates the looked-up rows only, ``SGD``
adds it entry by entry, the others refuse it with torch's error. Each program runs in the
language (both forms) and in CPython with torch 2.13; what it prints and the error it ends
with must be torch's (weights printed with ``tolist()``: every bit)."""

from __future__ import annotations

import pytest

from tests.app.lang.conftest import our_cells, python_cells

torch = pytest.importorskip("torch")

SETUP = """\
import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
e = nn.Embedding(6, 3, sparse=True, padding_idx=1)
"""

PROGRAMS = {
    "gradient": "print(e)\nout = e(torch.tensor([[0, 2], [1, 2]]))\nout.sum().backward()\n"
                "g = e.weight.grad\nprint(g)\nprint(g.is_sparse, g.is_coalesced(), g._nnz())\n"
                "(e(torch.tensor([5, 2])) * 2).sum().backward()\nprint(e.weight.grad)\n"
                "print(e.weight.grad.coalesce())",
    "functional": "w = torch.arange(8.).view(4, 2).requires_grad_()\n"
                  "y = F.embedding(torch.tensor([3, 0, 3]), w, sparse=True)\n"
                  "print(y, y.grad_fn.name())\n(y * torch.tensor([1., 2.])).sum().backward()\n"
                  "print(w.grad)\nprint(w.grad.to_dense())",
    "only_padding": "e(torch.tensor([1, 1])).sum().backward()\nprint(e.weight.grad)",
    "scale_grad_by_freq": "f = nn.Embedding(4, 2, sparse=True, scale_grad_by_freq=True)\n"
                          "f(torch.tensor([1, 1])).sum().backward()",
    "sgd": "w0 = e.weight.detach().clone()\nopt = torch.optim.SGD(e.parameters(), lr=0.5)\n"
           "e(torch.tensor([0, 2, 2, 5])).pow(2).sum().backward()\nopt.step()\n"
           "print(e.weight.tolist())\nprint((e.weight - w0).tolist())\n"
           "opt.zero_grad()\nprint(e.weight.grad)",
    "sgd_maximize": "opt = torch.optim.SGD(e.parameters(), lr=0.25, maximize=True)\n"
                    "e(torch.tensor([3, 3, 4])).sum().backward()\nopt.step()\n"
                    "print(e.weight.tolist())",
    "sgd_weight_decay": "opt = torch.optim.SGD(e.parameters(), lr=0.5, weight_decay=0.1)\n"
                        "e(torch.tensor([0])).sum().backward()\nopt.step()",
    "sparse_adam": "opt = torch.optim.SparseAdam(e.parameters(), lr=0.1)\nprint(opt)\n"
                   "for ids in ([0, 2, 2], [5, 0], [4, 4, 1]):\n"
                   "    opt.zero_grad()\n"
                   "    (e(torch.tensor(ids)) - 1).pow(2).sum().backward()\n"
                   "    opt.step()\n"
                   "    print(e.weight.tolist())\n"
                   "st = opt.state[e.weight]\nprint(sorted(st), st['step'])\n"
                   "print(st['exp_avg'].tolist())\nprint(st['exp_avg_sq'].tolist())\n"
                   "print(opt.state_dict()['state'][0]['step'])",
    "sparse_adam_maximize": "opt = torch.optim.SparseAdam(e.parameters(), lr=0.05, "
                            "betas=(0.5, 0.75), eps=1e-3, maximize=True)\n"
                            "for _ in range(2):\n"
                            "    e(torch.tensor([3, 0, 3])).pow(3).sum().backward()\n"
                            "    opt.step()\n    opt.zero_grad()\nprint(e.weight.tolist())",
    "sparse_adam_dense_gradient": "opt = torch.optim.SparseAdam(e.parameters())\n"
                                  "e.weight.grad = torch.ones(6, 3)\nopt.step()",
    "sparse_adam_checks": "for kw in ({'lr': 0.0}, {'eps': -1.0}, {'betas': (1.0, 0.9)},\n"
                          "           {'betas': (0.9, -0.1)}):\n"
                          "    try:\n        torch.optim.SparseAdam(e.parameters(), **kw)\n"
                          "    except ValueError as err:\n        print(err)",
    "sparse_adam_sparse_parameter": "s = torch.sparse_coo_tensor(torch.tensor([[0]]), "
                                    "torch.tensor([1.]), (2,)).requires_grad_()\n"
                                    "torch.optim.SparseAdam([torch.zeros(1, requires_grad=True),"
                                    " s])",
    "adam_refuses": "w0 = e.weight.detach().clone()\nlin = nn.Linear(2, 1)\n"
                    "opt = torch.optim.Adam([lin.weight, e.weight], lr=0.1)\n"
                    "lin(torch.ones(1, 2)).sum().backward()\n"
                    "e(torch.tensor([0])).sum().backward()\n"
                    "try:\n    opt.step()\nexcept RuntimeError as err:\n    print(err)\n"
                    "print(torch.equal(e.weight, w0), lin.weight.grad)",
    "adamw_refuses": "e(torch.tensor([0])).sum().backward()\n"
                     "torch.optim.AdamW(e.parameters()).step()",
    "rmsprop_refuses": "e(torch.tensor([0])).sum().backward()\n"
                       "torch.optim.RMSprop(e.parameters()).step()",
    "nadam_refuses": "e(torch.tensor([0])).sum().backward()\n"
                     "torch.optim.NAdam(e.parameters()).step()",
}


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_sparse_embedding_and_optimizers_as_torch(name, form):
    cells = [SETUP, PROGRAMS[name]]  # (a cell that fails prints nothing: see our_cells)
    # (a print of a multi-line repr is one entry in ours, several lines in CPython's)
    ours = [("\n".join(printed).splitlines(), error) for printed, error in our_cells(cells, form)]
    theirs = python_cells(cells, {"torch": torch})
    assert ours == theirs


def test_sgd_adds_a_row_looked_up_twice_twice_each_rounded_once():
    """(engine) the entries of a sparse gradient go into the parameter in order: a row
    updated twice holds ((p + a*g1) rounded + a*g2) rounded, not p + a*(g1 + g2)."""
    import numpy as np

    import engine
    from engine.optim.sgd import sparse_add_

    dense = np.array([[1.0], [0.0]], np.float32)
    eps = np.float32(2.0 ** -24)
    values = np.array([[eps], [eps], [1.0]], np.float32)
    sparse_add_(dense, np.array([[0, 0, 1]]), values, 1.0)
    assert dense[0, 0] == np.float32(1.0)  # each eps is lost alone (1 + 2^-24 rounds to 1)
    assert dense[1, 0] == np.float32(1.0)
    assert engine.optim.SparseAdam.__module__ == "engine.optim.sparse_adam"


SNAPSHOT = '''
emb = torch.nn.Embedding(5, 3, sparse=True)
opt = torch.optim.SparseAdam(emb.parameters(), lr=0.1)
def step(ids):
    opt.zero_grad()
    emb(torch.tensor(ids)).pow(2).sum().backward()
    opt.step()
step([0, 2, 2])
opt.zero_grad()
'''


def test_a_session_with_sparse_adam_snapshots_and_a_sparse_gradient_is_not_plain():
    """A session's SparseAdam (its int step, its moments) is kept by a snapshot and goes on
    as before; a parameter holding a sparse gradient makes the snapshot refuse (the session
    is then kept by its log, as for any state a snapshot cannot rebuild)."""
    from app.services import snapshots
    from app.services.execution import new_environment
    from tests.app.services.test_snapshots import _run_in

    env = new_environment("cpu", 1)
    _run_in(env, SNAPSHOT)
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    more = ("step([2, 4])\n[emb.weight.tolist(), opt.state_dict()['state'][0]['step'], "
            "repr(opt), repr(emb.weight.grad)]")
    got = _run_in(back, more)
    assert got == _run_in(env, more)
    assert got[1] == 2 and type(back.variables["opt"]).__name__ == "SparseAdam"
    _run_in(env, "emb(torch.tensor([1])).sum().backward()")
    with pytest.raises(snapshots.NotPlain):
        snapshots.capture(env)
