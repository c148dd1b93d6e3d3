"""The seed chapter (shared/seed/autograd.md) over HTTP, cell by cell, in one session — once as
source and once in the JSON form — with the chapter's values and reprs."""

import pytest

from tests.app.helpers import run


def var(name):
    return {"var": name}


def call(op, *args, **kwargs):
    node = {"call": op, "args": list(args)}
    if kwargs:
        node["kwargs"] = kwargs
    return node


def grad(of):
    return {"attr": "grad", "of": of}


F_SOURCE = """\
def f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c"""

F_PROGRAM = [{"def": "f", "params": ["a"], "body": [
    {"assign": "b", "value": call("mul", var("a"), 2)},
    {"while": call("lt", call("item", call("norm", var("b"))), 1000),
     "body": [{"assign": "b", "value": call("mul", var("b"), 2)}]},
    {"if": call("gt", call("item", call("sum", var("b"))), 0),
     "then": [{"assign": "c", "value": var("b")}],
     "else": [{"assign": "c", "value": call("mul", 100, var("b"))}]},
    {"return": var("c")},
]}]

ALL_TRUE = "tensor([True, True, True, True])"

# (source, JSON form, expected repr of the cell's value; None: the cell shows nothing)
CELLS = [
    ("import torch", [], None),
    ("x = torch.arange(4.0, requires_grad=True)\nx",
     [{"assign": "x", "value": call("arange", 4.0, requires_grad=True)}, {"expr": var("x")}],
     "tensor([0., 1., 2., 3.], requires_grad=True)"),
    ("x.grad", [{"expr": grad(var("x"))}], None),
    ("y = 2 * torch.dot(x, x)\ny",
     [{"assign": "y", "value": call("mul", 2, call("dot", var("x"), var("x")))},
      {"expr": var("y")}],
     "tensor(28., grad_fn=<MulBackward0>)"),
    ("y.backward()", [{"expr": call("backward", var("y"))}], None),
    ("x.grad", [{"expr": grad(var("x"))}], "tensor([ 0.,  4.,  8., 12.])"),
    ("x.grad == 4 * x", [{"expr": call("eq", grad(var("x")), call("mul", 4, var("x")))}],
     ALL_TRUE),
    ("x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
     [{"expr": call("zero_", grad(var("x")))},
      {"assign": "y", "value": call("sum", var("x"))},
      {"expr": call("backward", var("y"))},
      {"expr": grad(var("x"))}],
     "tensor([1., 1., 1., 1.])"),
    ("x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
     [{"expr": call("zero_", grad(var("x")))},
      {"assign": "y", "value": call("mul", var("x"), var("x"))},
      {"assign": "u", "value": call("detach", var("y"))},
      {"assign": "z", "value": call("mul", var("u"), var("x"))},
      {"expr": call("backward", call("sum", var("z")))},
      {"expr": call("eq", grad(var("x")), var("u"))}],
     ALL_TRUE),
    ("x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
     [{"expr": call("zero_", grad(var("x")))},
      {"expr": call("backward", call("sum", var("y")))},
      {"expr": call("eq", grad(var("x")), call("mul", 2, var("x")))}],
     ALL_TRUE),
    (F_SOURCE, F_PROGRAM, None),
    ("a = torch.randn(size=(1,), requires_grad=True)\nd = f(a)\nd.backward()",
     [{"assign": "a", "value": call("randn", size=[1], requires_grad=True)},
      {"assign": "d", "value": call("f", var("a"))},
      {"expr": call("backward", var("d"))}],
     None),
    ("a.grad == (d / a)", [{"expr": call("eq", grad(var("a")), call("div", var("d"), var("a")))}],
     "tensor([True])"),
]


@pytest.mark.parametrize("form", ["source", "program"])
def test_seed_chapter_cell_by_cell_in_one_session(client, form):
    sid = client.post("/v1/sessions", json={"seed": 0}).json()["id"]
    for source, program, expected in CELLS:
        body = {"source": source} if form == "source" else {"program": program}
        reply = run(client, sid, body)
        assert reply.status_code == 200, (source, reply.text)
        result = reply.json()["result"]
        if expected is None:
            assert result is None, (source, result)
        else:
            assert result["repr"] == expected, (source, result)
    info = client.get(f"/v1/sessions/{sid}").json()
    names = {v["name"] for v in info["variables"]}
    assert {"x", "y", "u", "z", "a", "d"} <= names


def test_second_backward_fails_as_in_the_exercise(client):
    sid = client.post("/v1/sessions").json()["id"]
    run(client, sid, "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\n"
                     "y.backward()")
    reply = run(client, sid, "y.backward()")
    assert reply.status_code == 400
    assert "Specify retain_graph=True" in reply.json()["detail"]


def test_the_two_forms_give_identical_replies(client):
    replies = []
    for form in ("source", "program"):
        sid = client.post("/v1/sessions", json={"seed": 3}).json()["id"]
        for source, program, _ in CELLS:
            body = {"source": source} if form == "source" else {"program": program}
            replies.append((form, run(client, sid, body).json()["result"]))
    half = len(replies) // 2
    assert [r for _, r in replies[:half]] == [r for _, r in replies[half:]]
