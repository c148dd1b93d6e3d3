"""The seed chapter's programs, used as OpenAPI examples (and by the tests).

Every example must work as a JavaScript client sends it, and JavaScript writes ``0.0`` as
``0``: a tensor input that requires grad names its ``dtype``, and a float literal in the JSON
form is explicit (tests/app/test_openapi_examples.py sends each example that way)."""

from __future__ import annotations

SEED_SIMPLE_SOURCE = (
    "x = torch.arange(4.0, requires_grad=True)\n"
    "y = 2 * torch.dot(x, x)\n"
    "y.backward()\n"
    "x.grad"
)

SEED_SIMPLE_PROGRAM = [
    {"assign": "x", "value": {"call": "arange", "args": [{"float": 4}],
                              "kwargs": {"requires_grad": True}}},
    {"assign": "y", "value": {"call": "mul", "args": [
        2, {"call": "dot", "args": [{"var": "x"}, {"var": "x"}]}]}},
    {"expr": {"call": "backward", "args": [{"var": "y"}]}},
    {"expr": {"attr": "grad", "of": {"var": "x"}}},
]

SEED_CONTROL_FLOW_SOURCE = (
    "def f(a):\n"
    "    b = a * 2\n"
    "    while b.norm().item() < 1000:\n"
    "        b = b * 2\n"
    "    if b.sum().item() > 0:\n"
    "        c = b\n"
    "    else:\n"
    "        c = 100 * b\n"
    "    return c\n"
    "\n"
    "torch.manual_seed(0)\n"
    "a = torch.randn(size=(1,), requires_grad=True)\n"
    "d = f(a)\n"
    "d.backward()\n"
    "a.grad == (d / a)"
)

X_GRAD_REPLY = {
    "type": "tensor", "dtype": "float32", "shape": [4], "data": [0.0, 4.0, 8.0, 12.0],
    "requires_grad": False, "is_leaf": True, "grad_fn": None, "device": "cpu",
    "repr": "tensor([ 0.,  4.,  8., 12.])",
}

RUN_EXAMPLES = {
    "source": {
        "summary": "The seed's first example, as source",
        "value": {"source": SEED_SIMPLE_SOURCE},
    },
    "program": {
        "summary": "The same, in the JSON form",
        "value": {"program": SEED_SIMPLE_PROGRAM},
    },
    "control_flow": {
        "summary": "Gradient through Python control flow (the seed's f(a))",
        "value": {"source": SEED_CONTROL_FLOW_SOURCE},
    },
    "inputs": {
        "summary": "Bind an input, return a variable",
        "value": {
            "inputs": {"x": {"type": "tensor", "dtype": "float32", "data": [0.0, 1.0, 2.0, 3.0],
                             "requires_grad": True}},
            "source": "y = 2 * torch.dot(x, x)\ny.backward()",
            "outputs": ["y"],
        },
    },
}

EVALUATE_EXAMPLES = {
    "gradients": {
        "summary": "y = 2xᵀx and its gradient with respect to x",
        "value": {
            "inputs": {"x": {"type": "tensor", "dtype": "float32", "data": [0.0, 1.0, 2.0, 3.0],
                             "requires_grad": True}},
            "source": "y = 2 * torch.dot(x, x)\ny.backward()\ny",
            "gradients": ["x"],
        },
    },
    "program": {"summary": "The seed's first example in the JSON form",
                "value": {"program": SEED_SIMPLE_PROGRAM}},
    "oip": {
        "summary": "An Open Inference Protocol tensor as input",
        "value": {
            "inputs": {"x": {"name": "x", "shape": [4], "datatype": "FP32",
                             "data": [0, 1, 2, 3], "requires_grad": True}},
            "program": [{"expr": {"call": "backward", "args": [
                {"call": "sum", "args": [{"call": "mul", "args": [{"var": "x"},
                                                                  {"var": "x"}]}]}]}}],
            "gradients": ["x"],
        },
    },
}
