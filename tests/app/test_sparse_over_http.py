"""A sparse COO tensor through the service: a session keeps it between runs (its snapshot
falls back as for any value it cannot store plainly), a reply shows torch's sparse repr with
its dense values as ``data``, and its gradient comes back through ``/v1/evaluate``."""

from __future__ import annotations

import warnings

import torch

SOURCE = """\
import torch
adj = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2, 2], [1, 0, 0, 2]]),
                              torch.tensor([0.5, 0.5, 1.0, 2.0]), (3, 3))
"""


def test_session_keeps_a_sparse_tensor_and_replies_with_its_repr(client, session_id):
    run = f"/v1/sessions/{session_id}/run"
    assert client.post(run, json={"source": SOURCE}).status_code == 200
    reply = client.post(run, json={"source": "adj"}).json()["result"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2, 2], [1, 0, 0, 2]]),
                                      torch.tensor([0.5, 0.5, 1.0, 2.0]), (3, 3))
    assert reply["repr"] == repr(adj)
    assert reply["data"] == adj.to_dense().tolist()
    assert reply["shape"] == [3, 3] and reply["dtype"] == "float32"
    out = client.post(run, json={"source": "torch.sparse.mm(adj, torch.ones(3, 2))"}).json()
    assert out["result"]["data"] == torch.sparse.mm(adj, torch.ones(3, 2)).tolist()


def test_evaluate_returns_the_dense_operands_gradient(client):
    body = {"source": SOURCE + "y = torch.spmm(adj, x).pow(2).sum()\ny.backward()",
            "inputs": {"x": {"type": "tensor", "data": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                             "dtype": "float32", "requires_grad": True}},
            "gradients": ["x"]}
    reply = client.post("/v1/evaluate", json=body)
    assert reply.status_code == 200, reply.text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2, 2], [1, 0, 0, 2]]),
                                      torch.tensor([0.5, 0.5, 1.0, 2.0]), (3, 3))
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    torch.spmm(adj, x).pow(2).sum().backward()
    assert reply.json()["gradients"]["x"]["data"] == x.grad.tolist()
